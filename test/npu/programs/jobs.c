/* Runs the NPU jobs the host wrote into npu_jobs[] (test/npu): acquire, write, trigger each, through
 * dsim_npu.h. npu_mode bit 0: wait for each job before the next (else they queue, two contexts);
 * bit 1: the NPU gets interconnect priority. The host reads the outputs from simulated memory. */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>

#define MAX_JOBS 128

/* in .data (loaded, not zeroed): the host overwrites them after loading the ELF */
__attribute__((used)) volatile uint32_t npu_njobs = 1;
__attribute__((used)) volatile uint32_t npu_mode = 1;
__attribute__((used)) dsim_npu_job_t npu_jobs[MAX_JOBS] = {{{1}}};

int main(void) {
  uint32_t n = npu_njobs;
  if (n > MAX_JOBS) n = MAX_JOBS;
  if (npu_mode & 2u) dsim_npu_set_priority(1, 0);
  uint32_t t0 = dsim_cycles();
  for (uint32_t i = 0; i < n; i++) {
    (void)dsim_npu_submit(&npu_jobs[i]);
    if (npu_mode & 1u) dsim_npu_wait();
  }
  dsim_npu_wait();
  uint32_t t1 = dsim_cycles();
  printf("npu jobs=%u finished=%u cycles=%u\n", (unsigned)n, (unsigned)dsim_npu_reg_read(DSIM_NPU_FINISHED), (unsigned)(t1 - t0));
  return 0;
}
