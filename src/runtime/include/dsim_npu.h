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

static inline void dsim_npu_set_priority(int npu_first, uint32_t max_stall) {
  dsim_reg_write(DSIM_NPU_PRIORITY, (npu_first ? DSIM_NPU_PRIORITY_NPU_FIRST : 0u) | (max_stall & 0xFFu));
}

#ifdef __cplusplus
}
#endif
#endif
