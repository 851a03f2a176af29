/* dsim_npu.h: driver for the N-EUREKA NPU of the Siracusa cluster (../shared/spec/neureka.md).
 *
 * The NPU is an HWPE with a two-context job queue: acquire a job id, write its 24 job registers,
 * trigger, and sleep on event line 12 until the job has ended. The simulator's model is npu-model/
 * (docs/npu.md); the register numbers here and in npu-model/regs.ts are the same facts.
 *
 *   dsim_npu_job_t job = {0};            fill job.w[DSIM_NPU_W_*] (weights packed by npu-model/pack.ts)
 *   int id = dsim_npu_acquire();          sleeps while both contexts are taken
 *   dsim_npu_write_job(&job);
 *   dsim_npu_trigger();                   commit and run
 *   dsim_npu_wait();                      sleeps until the NPU is idle (STATUS == 0)
 */
#ifndef DSIM_NPU_H
#define DSIM_NPU_H

#include <stdint.h>

#include "dsim_cluster.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DSIM_NPU_BASE (DSIM_CLUSTER_PERIPH + 0x1000u)
/* HWPE control registers */
#define DSIM_NPU_TRIGGER 0x00u     /* write 0: commit and run; 1: commit only */
#define DSIM_NPU_ACQUIRE 0x04u     /* read: job id 0..255, >= 256 while both contexts are taken */
#define DSIM_NPU_FINISHED 0x08u    /* read: jobs finished since reset */
#define DSIM_NPU_STATUS 0x0Cu      /* bit 0: context 0 busy, bit 8: context 1 busy */
#define DSIM_NPU_RUNNING_JOB 0x10u /* id of the job started last */
#define DSIM_NPU_SOFT_CLEAR 0x14u  /* write: drop every job not yet ended */
#define DSIM_NPU_SWSYNC 0x18u
#define DSIM_NPU_JOB 0x20u         /* + 4 * i, i = 0..23 */
#define DSIM_NPU_JOB_WORDS 24u
#define DSIM_NPU_ACQUIRE_FULL 0x100u /* an ACQUIRE read >= this: both contexts taken (the model answers 0xFFFFFFFF) */
/* cluster control: interconnect priority (bit 8: NPU first; bits 7:0: cycles the NPU waits at most) */
#define DSIM_NPU_PRIORITY (DSIM_CLUSTER_PERIPH + 0x18u)
#define DSIM_NPU_PRIORITY_NPU_FIRST (1u << 8)

/* job word indices */
enum {
  DSIM_NPU_W_WEIGHTS = 0, DSIM_NPU_W_INFEAT, DSIM_NPU_W_OUTFEAT, DSIM_NPU_W_SCALE, DSIM_NPU_W_SCALE_SHIFT, DSIM_NPU_W_SCALE_BIAS,
  DSIM_NPU_W_IN_D0, DSIM_NPU_W_IN_D1, DSIM_NPU_W_IN_D2, DSIM_NPU_W_OUT_D0, DSIM_NPU_W_OUT_D1, DSIM_NPU_W_OUT_D2,
  DSIM_NPU_W_W_D0, DSIM_NPU_W_W_D1, DSIM_NPU_W_W_D2, DSIM_NPU_W_REM0, DSIM_NPU_W_REM1, DSIM_NPU_W_REM2,
  DSIM_NPU_W_NB0, DSIM_NPU_W_NB1, DSIM_NPU_W_PADDING, DSIM_NPU_W_WEIGHT_OFFSET, DSIM_NPU_W_FILTER_MASK, DSIM_NPU_W_CONF0
};

/* CONF0 fields */
#define DSIM_NPU_CONF0_IN_SIGNED (1u << 26)
#define DSIM_NPU_CONF0_BIAS (1u << 25)
#define DSIM_NPU_CONF0_PER_CHANNEL_SHIFT (1u << 24)
#define DSIM_NPU_CONF0_IDENTITY (1u << 23) /* clear: ReLU */
#define DSIM_NPU_CONF0_OUT32 (2u << 21)
#define DSIM_NPU_CONF0_SHIFT(s) (((uint32_t)(s) & 31u) << 16)
#define DSIM_NPU_CONF0_LAYER_WOFFS (1u << 15)
#define DSIM_NPU_CONF0_STREAMIN (1u << 14)
#define DSIM_NPU_CONF0_SCALE32 (2u << 12)
#define DSIM_NPU_CONF0_PREFETCH (1u << 10)
#define DSIM_NPU_CONF0_WMEM (1u << 9)
#define DSIM_NPU_CONF0_STRIDED (1u << 8)
#define DSIM_NPU_CONF0_MODE_3X3 (0u << 5)
#define DSIM_NPU_CONF0_MODE_DW (1u << 5)
#define DSIM_NPU_CONF0_MODE_1X1 (2u << 5)
#define DSIM_NPU_CONF0_NORMQUANT (1u << 4)
#define DSIM_NPU_CONF0_WBITS(b) (((uint32_t)(b) - 1u) & 7u)

typedef struct {
  uint32_t w[DSIM_NPU_JOB_WORDS];
} dsim_npu_job_t;

static inline uint32_t dsim_npu_reg_read(uint32_t off) { return dsim_reg_read(DSIM_NPU_BASE + off); }
static inline void dsim_npu_reg_write(uint32_t off, uint32_t v) { dsim_reg_write(DSIM_NPU_BASE + off, v); }

/* Sleep in the event unit until the NPU raises event 12 (a buffered one returns at once). */
static inline void dsim_npu_sleep(void) {
  dsim_reg_write(DSIM_EU_DEMUX + DSIM_EU_CORE_MASK_OR, 1u << DSIM_EVT_NPU);
  (void)dsim_cluster_elw(DSIM_EU_DEMUX + DSIM_EU_CORE_EVENT_WAIT_CLEAR);
  dsim_reg_write(DSIM_EU_DEMUX + DSIM_EU_CORE_MASK_AND, 1u << DSIM_EVT_NPU);
}

/* A job id (0..255); sleeps on job ends while both contexts are taken. */
static inline uint32_t dsim_npu_acquire(void) {
  uint32_t id;
  while ((id = dsim_npu_reg_read(DSIM_NPU_ACQUIRE)) >= DSIM_NPU_ACQUIRE_FULL) dsim_npu_sleep();
  return id;
}

static inline void dsim_npu_write_job(const dsim_npu_job_t *job) {
  for (uint32_t i = 0; i < DSIM_NPU_JOB_WORDS; i++) dsim_npu_reg_write(DSIM_NPU_JOB + 4u * i, job->w[i]);
}

static inline void dsim_npu_trigger(void) { dsim_npu_reg_write(DSIM_NPU_TRIGGER, 0u); }
static inline void dsim_npu_commit(void) { dsim_npu_reg_write(DSIM_NPU_TRIGGER, 1u); }

/* Sleep until every job has ended. The STATUS check comes first: an end that lands between the
 * check and the sleep leaves event 12 in the buffer, so the sleep returns at once. */
static inline void dsim_npu_wait(void) {
  while (dsim_npu_reg_read(DSIM_NPU_STATUS) != 0u) dsim_npu_sleep();
}

/* Acquire, write, trigger: returns the job id. */
static inline uint32_t dsim_npu_submit(const dsim_npu_job_t *job) {
  uint32_t id = dsim_npu_acquire();
  dsim_npu_write_job(job);
  dsim_npu_trigger();
  return id;
}

/* Sleep until job `id` (and every job before it) has ended; the jobs queued after it run on. Ids
 * count jobs since reset modulo 256 and FINISHED counts ended jobs since reset, so the job has
 * ended once FINISHED has passed id + 1 (compared modulo 256: at most two jobs are ever queued).
 * Same check-then-sleep order as dsim_npu_wait. */
static inline void dsim_npu_wait_job(uint32_t id) {
  while ((int8_t)(uint8_t)(dsim_npu_reg_read(DSIM_NPU_FINISHED) - (id + 1u)) < 0) dsim_npu_sleep();
}

static inline void dsim_npu_set_priority(int npu_first, uint32_t max_stall) {
  dsim_reg_write(DSIM_NPU_PRIORITY, (npu_first ? DSIM_NPU_PRIORITY_NPU_FIRST : 0u) | (max_stall & 0xFFu));
}


/* ---- compiled layers (src/compiler/npu/): one layer tile on the NPU -------------------------
 * The compiler's NPU layers call dsim_npu_layer on every core of the fork (like a cluster kernel).
 * GEMM / MatMul tiles (flat): rows of A are the pixels of a 1x1 job, 6 pixels wide (the subtile
 * side), plus one job for the remaining rows; only core 0 works. Conv tiles (chw): activations are
 * channel-major (NCHW) while the NPU reads and writes pixel-major (HWC), so every core transposes
 * its share of the tile into the scratch, core 0 runs the job, and every core transposes the
 * result back; an activation passed between two NPU layers stays HWC (hwc_in / hwc_out: that
 * side's transpose goes, and with hwc_out the cores return once the job is submitted). The job
 * words follow neureka.md "Job registers". */
typedef struct {
  const uint8_t *X;      /* tile input: [ki][hin][win] (chw), [hin][win][ki] (hwc_in) or [ho][ki] (flat) */
  uint8_t *Y;            /* tile output: [ko][ho][wo] (chw), [ho][wo][ko] (hwc_out) or [ho][ko] (flat) */
  const uint8_t *W;      /* packed weights of the whole layer (weight memory or L1) */
  const void *scale;     /* the tile's output channels: uint8 or uint32 per channel */
  const int32_t *bias;   /* the tile's output channels */
  uint8_t *scratch;      /* chw: HWC input [hin*win][ki], then HWC output [ho*wo][ko] */
  uint8_t flat;          /* GEMM rows / elementwise (else a conv tile, chw) */
  uint8_t hwc_in, hwc_out; /* conv: X / Y are already pixel-major (an NPU layer's HWC activation): no transpose */
  uint8_t eltwise;       /* flat, ho = elements as pixels of ki channels (a depthwise job, centre tap only) */
  uint8_t async;         /* flat or hwc_out: return without waiting (core 0 waits before the first layer that depends on it) */
  uint32_t conf0;        /* CONF0 but the weight-memory bit (set from W's address) */
  int32_t w_offset;
  uint32_t w_d1;         /* bytes between output channels' weights (dense modes) */
  uint32_t w_major;      /* bytes per 28-channel group (depthwise) */
  uint32_t ki, hin, win; /* tile input: channels, rows read, columns */
  uint32_t ko, ho, wo;   /* tile output: channels, rows, columns */
  uint32_t stride, fs, pad_t, pad_l;
  uint32_t k0;           /* first output channel of the tile (selects its weights) */
} dsim_npu_layer_args_t;

#define DSIM_NPU_WMEM_BASE 0x10400000u /* CONF0 bit 9: weight pointers are relative to it */
#define DSIM_NPU_WMEM_END 0x10C00000u  /* end of the weight SRAM (platform.md) */
#define DSIM_NPU_CONF0_MODE_MASK (3u << 5)

static inline uint32_t dsim_npu_div_rem(uint32_t n, uint32_t sub, uint32_t *rem) {
  *rem = n % sub;
  return (n + sub - 1u) / sub;
}

/* One job of ho x wo output pixels; in / out point at pixel (0, 0) (in: the padded origin). */
static inline uint32_t dsim_npu_layer_job(const dsim_npu_layer_args_t *a, uint32_t in, uint32_t out, uint32_t in_d1, uint32_t out_d2, uint32_t ho, uint32_t wo,
                                      uint32_t pads) {
  const uint32_t mode = a->conf0 & DSIM_NPU_CONF0_MODE_MASK;
  const uint32_t side = a->stride == 2u ? 3u : 6u;
  const uint32_t sub_ko = mode == DSIM_NPU_CONF0_MODE_DW ? 28u : 32u, sub_ki = mode == DSIM_NPU_CONF0_MODE_1X1 ? 32u : 28u;
  uint32_t w = (uint32_t)(uintptr_t)a->W, conf0 = a->conf0, rko, rki, rho, rwo;
  w += mode == DSIM_NPU_CONF0_MODE_DW ? (a->k0 / 28u) * a->w_major : a->k0 * a->w_d1;
  if (w >= DSIM_NPU_WMEM_BASE && w < DSIM_NPU_WMEM_END) { /* MRAM or the weight SRAM */
    w -= DSIM_NPU_WMEM_BASE;
    conf0 |= DSIM_NPU_CONF0_WMEM;
  }
  const uint32_t nko = dsim_npu_div_rem(a->ko, sub_ko, &rko), nki = dsim_npu_div_rem(a->ki, sub_ki, &rki);
  const uint32_t nho = dsim_npu_div_rem(ho, side, &rho), nwo = dsim_npu_div_rem(wo, side, &rwo);
  dsim_npu_job_t job;
  job.w[DSIM_NPU_W_WEIGHTS] = w;
  job.w[DSIM_NPU_W_INFEAT] = in;
  job.w[DSIM_NPU_W_OUTFEAT] = out;
  job.w[DSIM_NPU_W_SCALE] = (uint32_t)(uintptr_t)a->scale;
  job.w[DSIM_NPU_W_SCALE_SHIFT] = 0u;
  job.w[DSIM_NPU_W_SCALE_BIAS] = (uint32_t)(uintptr_t)a->bias;
  job.w[DSIM_NPU_W_IN_D0] = a->ki;
  job.w[DSIM_NPU_W_IN_D1] = in_d1;
  job.w[DSIM_NPU_W_IN_D2] = 0u;
  job.w[DSIM_NPU_W_OUT_D0] = 32u;
  job.w[DSIM_NPU_W_OUT_D1] = a->ko;
  job.w[DSIM_NPU_W_OUT_D2] = out_d2;
  job.w[DSIM_NPU_W_W_D0] = 32u;
  job.w[DSIM_NPU_W_W_D1] = mode == DSIM_NPU_CONF0_MODE_DW ? 0u : a->w_d1;
  job.w[DSIM_NPU_W_W_D2] = 0u;
  job.w[DSIM_NPU_W_REM0] = (rko << 16) | rki;
  job.w[DSIM_NPU_W_REM1] = (rho << 16) | rwo;
  job.w[DSIM_NPU_W_REM2] = 0u; /* input remainders follow from the output (the model does not read them) */
  job.w[DSIM_NPU_W_NB0] = (nko << 16) | nki;
  job.w[DSIM_NPU_W_NB1] = (nho << 16) | nwo;
  job.w[DSIM_NPU_W_PADDING] = pads;
  job.w[DSIM_NPU_W_WEIGHT_OFFSET] = (uint32_t)a->w_offset;
  job.w[DSIM_NPU_W_FILTER_MASK] = 0u;
  job.w[DSIM_NPU_W_CONF0] = conf0;
  return dsim_npu_submit(&job);
}

/* d[j][i] = s[i][j] for an s of rows x cols bytes, split over the cores along the longer side
 * (a column tile has few pixels and many channels). Sizes are locals: a byte store may alias the
 * args struct, which would otherwise be re-read at every byte (from L2 at small L1 budgets). */
static inline void dsim_npu_transpose(uint8_t *d, const uint8_t *s, uint32_t rows, uint32_t cols, uint32_t core, uint32_t cores) {
  if (cols >= cores || cols >= rows) {
    for (uint32_t j = core; j < cols; j += cores) {
      const uint8_t *src = s + j;
      uint8_t *dst = d + j * rows;
      for (uint32_t i = 0; i < rows; i++, src += cols) dst[i] = *src;
    }
  } else {
    for (uint32_t i = core; i < rows; i += cores) {
      const uint8_t *src = s + i * cols;
      uint8_t *dst = d + i;
      for (uint32_t j = 0; j < cols; j++, dst += rows) *dst = src[j];
    }
  }
}

/* The three parts of a conv tile (chw: its operands channel-major) for the pipelined tile loop
 * (src/compiler/npu/tile-loop.ts): the cores' transpose in, core 0's job, the cores' transpose out;
 * tile i's job runs while the cores transpose tiles i-1 and i+1, each tile in its own scratch copy
 * and args. dsim_npu_layer_run (the synchronous loop) runs the same steps in turn with its own
 * copy of the job's set-up: sharing dsim_npu_tile_job changes gcc's register allocation there, and
 * with it the cycles of every NPU layer. */
static inline uint8_t *dsim_npu_tile_hwc_in(const dsim_npu_layer_args_t *a) { return a->hwc_in ? (uint8_t *)a->X : a->scratch; }
/* the scratch: the HWC input (unless X is HWC already), then the HWC output (unless Y is) */
static inline uint8_t *dsim_npu_tile_hwc_out(const dsim_npu_layer_args_t *a) {
  return a->hwc_out ? a->Y : a->scratch + (a->hwc_in ? 0u : ((a->ki * a->hin * a->win + 3u) & ~3u));
}

/* The pipelined loop's scratch copies: the HWC input ends, and the HWC output starts, at out_at
 * whatever the tile's size, so the cores filling one tile's input never touch the output an
 * earlier tile's job left in the same copy. Call after the tile's ki, hin, win are set. */
static inline void dsim_npu_tile_place_scratch(dsim_npu_layer_args_t *a, uint8_t *copy, uint32_t out_at) {
  a->scratch = copy + out_at - (a->hwc_in ? 0u : ((a->ki * a->hin * a->win + 3u) & ~3u));
}

/* Every core: its share of the tile's input, channel-major -> pixel-major (into the scratch). */
static inline void dsim_npu_tile_in(const dsim_npu_layer_args_t *a) {
  dsim_npu_transpose(dsim_npu_tile_hwc_in(a), a->X, a->ki, a->hin * a->win, (uint32_t)dsim_core_id(), dsim_fork_cores());
}

/* Core 0: the tile's job from its HWC input to its HWC output; returns its id. */
static inline uint32_t dsim_npu_tile_job(const dsim_npu_layer_args_t *a, const uint8_t *hwc_in, const uint8_t *hwc_out) {
  const uint32_t need_h = (a->ho - 1u) * a->stride + a->fs, need_w = (a->wo - 1u) * a->stride + a->fs;
  const int32_t pb = (int32_t)need_h - (int32_t)a->pad_t - (int32_t)a->hin, pr = (int32_t)need_w - (int32_t)a->pad_l - (int32_t)a->win;
  const uint32_t pads = (a->pad_t << 28) | ((uint32_t)(pr > 0 ? pr : 0) << 24) | ((uint32_t)(pb > 0 ? pb : 0) << 20) | (a->pad_l << 16);
  const uint32_t d1 = a->win * a->ki;
  const uint32_t in = (uint32_t)(uintptr_t)hwc_in - a->pad_t * d1 - a->pad_l * a->ki;
  return dsim_npu_layer_job(a, in, (uint32_t)(uintptr_t)hwc_out, d1, a->wo * a->ko, a->ho, a->wo, pads);
}
static inline uint32_t dsim_npu_tile_submit(const dsim_npu_layer_args_t *a) { return dsim_npu_tile_job(a, dsim_npu_tile_hwc_in(a), dsim_npu_tile_hwc_out(a)); }

/* Every core: its share of the tile's output, pixel-major -> channel-major (into Y). */
static inline void dsim_npu_tile_out(const dsim_npu_layer_args_t *a) {
  dsim_npu_transpose(a->Y, dsim_npu_tile_hwc_out(a), a->ho * a->wo, a->ko, (uint32_t)dsim_core_id(), dsim_fork_cores());
}

/* The same on every core but core 0 (it submits the next job and moves the tiles meanwhile),
 * unless it is alone: the pipelined tile loop's transposes. */
static inline void dsim_npu_tile_in_others(const dsim_npu_layer_args_t *a) {
  const uint32_t core = (uint32_t)dsim_core_id(), cores = dsim_fork_cores();
  if (cores == 1u || core != 0u) dsim_npu_transpose(dsim_npu_tile_hwc_in(a), a->X, a->ki, a->hin * a->win, cores == 1u ? 0u : core - 1u, cores == 1u ? 1u : cores - 1u);
}
static inline void dsim_npu_tile_out_others(const dsim_npu_layer_args_t *a) {
  const uint32_t core = (uint32_t)dsim_core_id(), cores = dsim_fork_cores();
  if (cores == 1u || core != 0u) dsim_npu_transpose(a->Y, dsim_npu_tile_hwc_out(a), a->ho * a->wo, a->ko, cores == 1u ? 0u : core - 1u, cores == 1u ? 1u : cores - 1u);
}

/* The same as fork tasks (--fork-per-layer: each part of the pipelined loop is a fork). */
static inline void dsim_npu_tile_in_task(void *a) { dsim_npu_tile_in((const dsim_npu_layer_args_t *)a); }
static inline void dsim_npu_tile_out_task(void *a) { dsim_npu_tile_out((const dsim_npu_layer_args_t *)a); }

/* Run one layer tile (every core of the fork calls it; returns when the tile's output is in Y, or
 * with async once core 0 has submitted the jobs). Returns the id of the tile's last job (core 0). */
static uint32_t dsim_npu_layer_run(const dsim_npu_layer_args_t *a) {
  const uint32_t core = (uint32_t)dsim_core_id(), cores = dsim_fork_cores();
  uint32_t id = 0u;
  if (a->flat) {
    if (core != 0u) return 0u;
    const uint32_t px = a->eltwise ? a->ho / a->ki : a->ho, tail = a->eltwise ? a->ho % a->ki : 0u;
    const uint32_t rows6 = px / 6u, rest = px % 6u;
    const uint32_t in = (uint32_t)(uintptr_t)a->X, out = (uint32_t)(uintptr_t)a->Y;
    /* elementwise: one pixel of padding all round (the 3x3 window's centre is the pixel itself);
     * the job's input pointer is the padded origin, one row and one pixel before the first */
    const uint32_t pads = a->eltwise ? 0x11110000u : 0u;
    const uint32_t back = a->eltwise ? 1u : 0u;
    if (rows6) id = dsim_npu_layer_job(a, in - back * 7u * a->ki, out, 6u * a->ki, 6u * a->ko, rows6, 6u, pads);
    if (rest) id = dsim_npu_layer_job(a, in + rows6 * 6u * a->ki - back * (rest + 1u) * a->ki, out + rows6 * 6u * a->ko, rest * a->ki, rest * a->ko, 1u, rest, pads);
    if (tail) {
      /* the last elements: one pixel of `tail` channels */
      dsim_npu_layer_args_t t = *a;
      t.ki = t.ko = tail;
      id = dsim_npu_layer_job(&t, in + px * a->ki - back * 2u * tail, out + px * a->ko, tail, tail, 1u, 1u, pads);
    }
    if (!a->async) dsim_npu_wait();
    return id;
  }
  const uint32_t pin = a->hin * a->win, pout = a->ho * a->wo;
  /* scratch: the HWC input (unless X is HWC already), then the HWC output (unless Y is) */
  uint8_t *hwc_in = a->hwc_in ? (uint8_t *)a->X : a->scratch;
  uint8_t *hwc_out = a->hwc_out ? a->Y : a->scratch + (a->hwc_in ? 0u : ((a->ki * pin + 3u) & ~3u));
  if (!a->hwc_in) {
    dsim_npu_transpose(hwc_in, a->X, a->ki, pin, core, cores); /* channel-major -> pixel-major */
    dsim_barrier();
  }
  if (core == 0u) {
    const uint32_t need_h = (a->ho - 1u) * a->stride + a->fs, need_w = (a->wo - 1u) * a->stride + a->fs;
    const int32_t pb = (int32_t)need_h - (int32_t)a->pad_t - (int32_t)a->hin, pr = (int32_t)need_w - (int32_t)a->pad_l - (int32_t)a->win;
    const uint32_t pads = (a->pad_t << 28) | ((uint32_t)(pr > 0 ? pr : 0) << 24) | ((uint32_t)(pb > 0 ? pb : 0) << 20) | (a->pad_l << 16);
    const uint32_t d1 = a->win * a->ki;
    const uint32_t in = (uint32_t)(uintptr_t)hwc_in - a->pad_t * d1 - a->pad_l * a->ki;
    id = dsim_npu_layer_job(a, in, (uint32_t)(uintptr_t)hwc_out, d1, a->wo * a->ko, a->ho, a->wo, pads);
    if (!a->async) dsim_npu_wait();
  }
  if (a->hwc_out) return id; /* the job writes Y itself: nothing left for the cores */
  dsim_barrier();
  dsim_npu_transpose(a->Y, hwc_out, pout, a->ko, core, cores); /* pixel-major -> channel-major */
  return id;
}

/* The compiled layers' kernel: every core of the fork (or of the network's one fork) calls it. */
static void dsim_npu_layer(void *arg) { (void)dsim_npu_layer_run((const dsim_npu_layer_args_t *)arg); }

#ifdef __cplusplus
}
#endif
#endif
