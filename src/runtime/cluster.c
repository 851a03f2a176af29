/* cluster.c: fork/join, barriers and DMA for the simulated Siracusa cluster (dsim_cluster.h).
 *
 * Protocol (docs/cluster.md):
 *  - crt0 sends cores 1..7 to __dsim_worker_entry, which this file defines: each worker enables the
 *    barrier event and then blocks on the event unit's dispatch FIFO (a p.elw sleeps until a value
 *    is pushed for it).
 *  - dsim_fork on core 0 programs barrier 0 for the cores of the fork, sets the dispatch team to
 *    the workers, pushes fn then arg, runs fn(arg) itself, and meets the workers at barrier 0.
 *  - dsim_barrier is one p.elw on barrier 0's TRIGGER_WAIT_CLEAR in this core's demux view.
 * Under qemu-riscv32 (crt0 sets __dsim_hosted) there is one core and no cluster peripherals:
 * fork runs fn on core 0 alone and the DMA calls copy with the core.
 */
#include "dsim_cluster.h"

/* __dsim_hosted lives in L2 (15 cycles a load); the DMA calls read this L1 copy instead:
 * 0 = not read yet (crt0 zeroes .l1_bss), 1 = simulator, 2 = hosted */
static DSIM_L1_BSS volatile uint32_t dsim_mode;
static inline int hosted(void) {
  uint32_t m = dsim_mode;
  if (m == 0) dsim_mode = m = __dsim_hosted ? 2u : 1u;
  return m == 2u;
}

/* cores in the current fork; written by core 0 before it dispatches, read by the workers after.
 * In L1: tasks ask for it often, and an L2 load costs 15 cycles. */
static DSIM_L1 volatile unsigned dsim_fork_ncores = 1;

#define EU_DEMUX_REG(off) (DSIM_EU_DEMUX + (off))
#define BARRIER0_GLOBAL(off) (DSIM_EU_BASE + DSIM_EU_BARRIER_AREA + (off))
#define BARRIER0_DEMUX(off) (DSIM_EU_DEMUX + DSIM_EU_BARRIER_DEMUX + (off))
#define DISPATCH_REG(off) (DSIM_EU_DEMUX + DSIM_EU_DISPATCH_DEMUX + (off))
#define MCHAN_REG(off) (DSIM_MCHAN_DEMUX + (off))

unsigned dsim_fork_cores(void) { return dsim_fork_ncores; }

static inline void barrier0_wait(void) { (void)dsim_cluster_elw(BARRIER0_DEMUX(DSIM_EU_HW_BARR_TRIGGER_WAIT_CLEAR)); }

/* Cores 1..7 start here (strong definition of crt0's weak parking spot) and never return. */
void __dsim_worker_entry(unsigned core_id) {
  (void)core_id;
  dsim_reg_write(EU_DEMUX_REG(DSIM_EU_CORE_MASK_OR), 1u << DSIM_EVT_BARRIER);
  for (;;) {
    dsim_task_fn fn = (dsim_task_fn)dsim_cluster_elw(DISPATCH_REG(DSIM_EU_DISPATCH_FIFO));
    void *arg = (void *)dsim_cluster_elw(DISPATCH_REG(DSIM_EU_DISPATCH_FIFO));
    fn(arg);
    barrier0_wait();
  }
}

/* cluster cores present (the SoC INFO register), read once */
static DSIM_L1_BSS unsigned avail_cores;
static unsigned available_cores(void) {
  unsigned n = avail_cores;
  if (n == 0) {
    n = dsim_reg_read(DSIM_APB_SOC_CTRL + DSIM_APB_SOC_INFO) >> 16;
    if (n < 1 || n > DSIM_NB_CORES) n = DSIM_NB_CORES;
    avail_cores = n;
  }
  return n;
}

void dsim_fork(unsigned ncores, dsim_task_fn fn, void *arg) {
  if (ncores < 1) ncores = 1;
  if (hosted()) ncores = 1;
  else if (ncores > 1 && ncores > available_cores()) ncores = available_cores(); /* 1 core needs no cluster */
  if (ncores == 1) {
    dsim_fork_ncores = 1;
    fn(arg);
    return;
  }
  uint32_t team = (1u << ncores) - 1u;
  dsim_fork_ncores = ncores;
  /* barrier 0 must be ready before any worker can reach it */
  dsim_reg_write(BARRIER0_GLOBAL(DSIM_EU_HW_BARR_TRIGGER_MASK), team);
  dsim_reg_write(BARRIER0_GLOBAL(DSIM_EU_HW_BARR_TARGET_MASK), team);
  dsim_reg_write(EU_DEMUX_REG(DSIM_EU_CORE_MASK_OR), 1u << DSIM_EVT_BARRIER);
  dsim_reg_write(DISPATCH_REG(DSIM_EU_DISPATCH_TEAM_CONFIG), team & ~1u);
  dsim_reg_write(DISPATCH_REG(DSIM_EU_DISPATCH_FIFO), (uint32_t)fn);
  dsim_reg_write(DISPATCH_REG(DSIM_EU_DISPATCH_FIFO), (uint32_t)arg);
  fn(arg);
  barrier0_wait();
  dsim_fork_ncores = 1;
}

void dsim_barrier(void) {
  if (dsim_fork_ncores > 1) barrier0_wait();
}

/* ---- DMA ---- */

static void hosted_copy(uint8_t *l1, uint8_t *ext, uint32_t bytes, uint32_t row, uint32_t stride,
                        int ext2loc) {
  uint32_t done = 0;
  while (done < bytes) {
    uint32_t n = bytes - done < row ? bytes - done : row;
    for (uint32_t i = 0; i < n; i++) {
      if (ext2loc) l1[done + i] = ext[i];
      else ext[i] = l1[done + i];
    }
    done += n;
    ext += stride;
  }
}

static uint32_t dma_push(uint32_t cmd, void *l1, const void *ext) {
  uint32_t id = dsim_reg_read(MCHAN_REG(DSIM_MCHAN_CMD)); /* reading CMD allocates a channel */
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_CMD), cmd);
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_CMD), (uint32_t)l1);
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_CMD), (uint32_t)ext);
  return id;
}

uint32_t dsim_dma_copy_1d(void *l1, const void *ext, uint32_t bytes, int ext2loc) {
  if (hosted()) {
    hosted_copy((uint8_t *)l1, (uint8_t *)ext, bytes, bytes ? bytes : 1, bytes, ext2loc);
    return 0;
  }
  uint32_t cmd = bytes | (ext2loc ? DSIM_MCHAN_EXT2LOC : 0u) | DSIM_MCHAN_INC | DSIM_MCHAN_EVT;
  return dma_push(cmd, l1, ext);
}

uint32_t dsim_dma_copy_2d(void *l1, const void *ext, uint32_t bytes, uint32_t row_bytes,
                          uint32_t ext_stride, int ext2loc) {
  if (hosted()) {
    hosted_copy((uint8_t *)l1, (uint8_t *)ext, bytes, row_bytes ? row_bytes : 1, ext_stride, ext2loc);
    return 0;
  }
  uint32_t cmd = bytes | (ext2loc ? DSIM_MCHAN_EXT2LOC : 0u) | DSIM_MCHAN_INC | DSIM_MCHAN_2D_EXT |
                 DSIM_MCHAN_EVT;
  uint32_t id = dma_push(cmd, l1, ext);
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_CMD), row_bytes);
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_CMD), ext_stride);
  return id;
}

void dsim_dma_wait(uint32_t id) {
  if (hosted()) return;
  uint32_t bit = 1u << id;
  dsim_reg_write(EU_DEMUX_REG(DSIM_EU_CORE_MASK_OR), 1u << DSIM_EVT_DMA0);
  /* the STATUS check comes first: a completion that lands between the check and the p.elw is
   * already in the event buffer, so the wait returns at once and the loop re-checks */
  while (dsim_reg_read(MCHAN_REG(DSIM_MCHAN_STATUS)) & bit) (void)dsim_cluster_elw(EU_DEMUX_REG(DSIM_EU_CORE_EVENT_WAIT_CLEAR));
  dsim_reg_write(EU_DEMUX_REG(DSIM_EU_CORE_MASK_AND), 1u << DSIM_EVT_DMA0);
  dsim_reg_write(MCHAN_REG(DSIM_MCHAN_STATUS), bit); /* free the channel */
}
