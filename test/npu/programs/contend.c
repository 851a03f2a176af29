/* An NPU job while all 8 cores read L1 (test/npu/protocol.test.ts "interconnect priority"):
 * npu_mode bit 1: the NPU has priority; bit 2: without priority, the NPU waits at most 0 cycles. */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>

__attribute__((used)) volatile uint32_t npu_njobs = 1;
__attribute__((used, section(".data"))) volatile uint32_t npu_mode = 0; /* .data: .bss is zeroed after the host wrote it */
__attribute__((used)) dsim_npu_job_t npu_jobs[1] = {{{1}}};

#define WORDS 2048
static DSIM_L1_BSS uint32_t data[WORDS];
static volatile uint32_t sums[DSIM_NB_CORES];

static void reader(void *arg) {
  (void)arg;
  uint32_t s = 0;
  for (int rep = 0; rep < 6; rep++)
    for (int i = dsim_core_id(); i < WORDS; i += 1) s += data[i];
  sums[dsim_core_id()] = s;
}

int main(void) {
  __asm__ volatile("" ::"r"(&npu_njobs)); /* the host writes it: keep it through --gc-sections */
  if (npu_mode & 2u) dsim_npu_set_priority(1, 0);
  else if (npu_mode & 4u) dsim_npu_set_priority(0, 0);
  dsim_npu_submit(&npu_jobs[0]);
  dsim_fork(8, reader, 0);
  dsim_npu_wait();
  printf("contend done %u\n", (unsigned)sums[0]);
  return 0;
}
