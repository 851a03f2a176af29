/* Programs that must end in a simulated fault (-DCASE=n). */
#include <dsim.h>
#include <dsim_cluster.h>
static DSIM_L1_BSS uint8_t l1[64];
static uint8_t l2buf[64];
int main(void) {
#if CASE == 1 /* DMA from unmapped memory */
  dsim_dma_wait(dsim_dma_copy_1d(l1, (const void *)0x30000000, 64, 1));
#elif CASE == 2 /* DMA of length 0 */
  dsim_dma_wait(dsim_dma_copy_1d(l1, l2buf, 0, 1));
#elif CASE == 3 /* unsupported mode: strided TCDM side */
  (void)dsim_reg_read(DSIM_MCHAN_DEMUX + DSIM_MCHAN_CMD);
  dsim_reg_write(DSIM_MCHAN_DEMUX + DSIM_MCHAN_CMD, 64 | DSIM_MCHAN_EXT2LOC | DSIM_MCHAN_INC | DSIM_MCHAN_2D_TCDM);
#elif CASE == 4 /* a peripheral register that does not exist */
  (void)dsim_reg_read(DSIM_EU_BASE + 0x7f0);
#elif CASE == 5 /* deadlock: wait for a DMA event that never comes, the workers asleep too */
  dsim_reg_write(DSIM_EU_DEMUX + DSIM_EU_CORE_MASK, 1u << DSIM_EVT_DMA0);
  (void)dsim_cluster_elw(DSIM_EU_DEMUX + DSIM_EU_CORE_EVENT_WAIT_CLEAR);
#endif
  printf("not reached\n");
  return 0;
}
