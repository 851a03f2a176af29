/* A program for test/npu/device.test.ts: asks the toy device at 0x10201000 to write a word into
 * L1 and raise event 12 after 1000 cycles, sleeps on the event, prints what it finds. */
#include <dsim.h>
#include <dsim_cluster.h>

static DSIM_L1_BSS volatile uint32_t slot;

int main(void) {
  uint32_t t0 = dsim_cycles();
  dsim_reg_write(0x10201000u, (uint32_t)&slot);
  uint32_t early = slot;
  dsim_reg_write(DSIM_EU_DEMUX + DSIM_EU_CORE_MASK_OR, 1u << DSIM_EVT_NPU);
  (void)dsim_cluster_elw(DSIM_EU_DEMUX + DSIM_EU_CORE_EVENT_WAIT_CLEAR);
  uint32_t t1 = dsim_cycles();
  printf("toy early=%u late=%u slept=%u\n", (unsigned)early, (unsigned)slot, (unsigned)(t1 - t0));
  return 0;
}
