/* The NPU's job-queue protocol, one case per -DCASE (test/npu/protocol.test.ts). Jobs come from
 * the host (npu_jobs[], as in jobs.c); the program prints what the registers said. */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>

__attribute__((used)) volatile uint32_t npu_njobs = 1;
__attribute__((used, section(".data"))) volatile uint32_t npu_mode = 0; /* .data: .bss is zeroed after the host wrote it */
__attribute__((used)) dsim_npu_job_t npu_jobs[4] = {{{1}}};

int main(void) {
  /* the host writes these: keep them through --gc-sections in every case */
  __asm__ volatile("" ::"r"(&npu_njobs), "r"(&npu_mode), "r"(npu_jobs));
#if CASE == 1 /* queue full: two jobs take both contexts; STATUS shows both; a third ACQUIRE is refused */
  uint32_t a = dsim_npu_submit(&npu_jobs[0]);
  uint32_t s1 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  uint32_t b = dsim_npu_submit(&npu_jobs[1]);
  uint32_t s2 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  uint32_t full = dsim_npu_reg_read(DSIM_NPU_ACQUIRE);
  dsim_npu_wait();
  uint32_t s3 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  uint32_t fin = dsim_npu_reg_read(DSIM_NPU_FINISHED);
  printf("queue a=%u b=%u s1=0x%x s2=0x%x full=%u s3=0x%x finished=%u\n", (unsigned)a, (unsigned)b, (unsigned)s1, (unsigned)s2,
         (unsigned)full, (unsigned)s3, (unsigned)fin);
#elif CASE == 2 /* event 12 wakes the sleeping core */
  dsim_npu_submit(&npu_jobs[0]);
  uint32_t t0 = dsim_cycles();
  dsim_reg_write(DSIM_EU_DEMUX + DSIM_EU_CORE_MASK_OR, 1u << DSIM_EVT_NPU);
  uint32_t ev = dsim_cluster_elw(DSIM_EU_DEMUX + DSIM_EU_CORE_EVENT_WAIT_CLEAR);
  uint32_t t1 = dsim_cycles();
  printf("wake ev=0x%x status=0x%x slept=%u\n", (unsigned)ev, (unsigned)dsim_npu_reg_read(DSIM_NPU_STATUS), (unsigned)(t1 - t0));
#elif CASE == 3 /* SOFT_CLEAR drops a committed (not run) job and the acquired one; ids restart */
  uint32_t a = dsim_npu_acquire();
  dsim_npu_write_job(&npu_jobs[0]);
  dsim_npu_commit(); /* committed, held until a TRIGGER 0 */
  uint32_t b = dsim_npu_acquire();
  uint32_t s1 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  dsim_npu_reg_write(DSIM_NPU_SOFT_CLEAR, 1);
  uint32_t s2 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  uint32_t c = dsim_npu_acquire();
  dsim_npu_reg_write(DSIM_NPU_SOFT_CLEAR, 1);
  printf("clear a=%u b=%u s1=0x%x s2=0x%x c=%u finished=%u\n", (unsigned)a, (unsigned)b, (unsigned)s1, (unsigned)s2, (unsigned)c,
         (unsigned)dsim_npu_reg_read(DSIM_NPU_FINISHED));
#elif CASE == 4 /* commit only, then a later TRIGGER 0 runs both in order */
  uint32_t a = dsim_npu_acquire();
  dsim_npu_write_job(&npu_jobs[0]);
  dsim_npu_commit();
  uint32_t s1 = dsim_npu_reg_read(DSIM_NPU_STATUS);
  uint32_t b = dsim_npu_submit(&npu_jobs[1]);
  dsim_npu_wait();
  printf("commit a=%u b=%u s1=0x%x finished=%u running=%u\n", (unsigned)a, (unsigned)b, (unsigned)s1,
         (unsigned)dsim_npu_reg_read(DSIM_NPU_FINISHED), (unsigned)dsim_npu_reg_read(DSIM_NPU_RUNNING_JOB));
#endif
  return 0;
}
