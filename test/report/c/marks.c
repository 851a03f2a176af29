/* Regions between profile marks, each with one known dominant cause (test/report/marks.test.ts):
 *   0 compute:  every core runs an ALU loop
 *   1 bank conflicts: every core loads words of L1 bank 0
 *   2 L2: every core loads from L2
 *   3 barrier: core 0 computes alone while the others wait in the fork's barrier
 *   4 NPU: core 0 runs one NPU job and sleeps until it ends (examples/npu's job, weights zero)
 * then mark 5 closes region 4. Prints the cycles of each region as dsim_layer_mark returns them. */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>

static DSIM_L1_BSS uint32_t bank0[16 * 8] __attribute__((aligned(64)));
static uint32_t l2buf[8 * 16]; /* .bss: L2 */
static volatile DSIM_L1_BSS uint32_t sink[8];

#define PIX 36
#define KI 48
#define KO 32
static DSIM_L1_BSS uint8_t x[PIX * KI];
static DSIM_L1_BSS uint8_t packed[KO * 2 * 32] __attribute__((aligned(32)));
static DSIM_L1_BSS uint8_t y[PIX * KO];
static DSIM_L1_BSS uint8_t scale[KO];
static DSIM_L1_BSS int32_t bias[KO];

static void alu(void *arg) {
  (void)arg;
  uint32_t a = dsim_core_id(), b = 1;
  for (int i = 0; i < 2000; i++) {
    a = a * 3 + b;
    b ^= a >> 3;
  }
  sink[dsim_core_id()] = a + b;
}

static void conflicts(void *arg) {
  (void)arg;
  const volatile uint32_t *p = &bank0[16 * dsim_core_id()]; /* word 16*id: bank 0 for every core */
  for (int i = 0; i < 32; i++) __asm__ volatile(".rept 64\n lw t0, 0(%0)\n .endr" : : "r"(p) : "t0", "memory");
}

static void l2loads(void *arg) {
  (void)arg;
  const volatile uint32_t *p = &l2buf[16 * dsim_core_id()];
  for (int i = 0; i < 8; i++) __asm__ volatile(".rept 32\n lw t0, 0(%0)\n .endr" : : "r"(p) : "t0", "memory");
}

static void lopsided(void *arg) {
  (void)arg;
  if (dsim_core_id() == 0) alu(0);
  dsim_barrier();
}

static void npu_job(void) {
  dsim_npu_job_t job = {{0}};
  job.w[DSIM_NPU_W_WEIGHTS] = (uint32_t)packed;
  job.w[DSIM_NPU_W_INFEAT] = (uint32_t)x;
  job.w[DSIM_NPU_W_OUTFEAT] = (uint32_t)y;
  job.w[DSIM_NPU_W_SCALE] = (uint32_t)scale;
  job.w[DSIM_NPU_W_SCALE_BIAS] = (uint32_t)bias;
  job.w[DSIM_NPU_W_IN_D0] = KI;
  job.w[DSIM_NPU_W_IN_D1] = 6 * KI;
  job.w[DSIM_NPU_W_OUT_D0] = 32;
  job.w[DSIM_NPU_W_OUT_D1] = KO;
  job.w[DSIM_NPU_W_OUT_D2] = 6 * KO;
  job.w[DSIM_NPU_W_W_D0] = 32;
  job.w[DSIM_NPU_W_W_D1] = 32 * 2;
  job.w[DSIM_NPU_W_REM0] = KI % 32;
  job.w[DSIM_NPU_W_NB0] = (1u << 16) | 2u;
  job.w[DSIM_NPU_W_NB1] = (1u << 16) | 1u;
  job.w[DSIM_NPU_W_WEIGHT_OFFSET] = (uint32_t)-128;
  job.w[DSIM_NPU_W_CONF0] = DSIM_NPU_CONF0_MODE_1X1 | DSIM_NPU_CONF0_NORMQUANT | DSIM_NPU_CONF0_BIAS |
                            DSIM_NPU_CONF0_SHIFT(12) | DSIM_NPU_CONF0_LAYER_WOFFS | DSIM_NPU_CONF0_WBITS(8);
  dsim_npu_submit(&job);
  dsim_npu_wait();
}

int main(void) {
  uint32_t t[6];
  t[0] = dsim_layer_mark(0);
  dsim_fork(8, alu, 0);
  t[1] = dsim_layer_mark(1);
  dsim_fork(8, conflicts, 0);
  t[2] = dsim_layer_mark(2);
  dsim_fork(8, l2loads, 0);
  t[3] = dsim_layer_mark(3);
  dsim_fork(8, lopsided, 0);
  t[4] = dsim_layer_mark(4);
  npu_job();
  t[5] = dsim_layer_mark(5);
  printf("regions");
  for (int k = 0; k < 5; k++) printf(" r%d=%u", k, (unsigned)(t[k + 1] - t[k]));
  printf("\n");
  return 0;
}
