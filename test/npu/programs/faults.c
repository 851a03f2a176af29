/* NPU jobs that must end in a simulated fault naming the NPU, the job and the field (-DCASE=n);
 * CASE=0 runs the valid job (a self-contained NPU program for the CLI tests). */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>

static DSIM_L1_BSS uint8_t buf[4096] __attribute__((aligned(32)));

int main(void) {
  dsim_npu_job_t j = {{0}};
  /* a valid 1x1 job: 32 -> 32 channels, one 6x6 subtile, 8-bit out */
  j.w[DSIM_NPU_W_WEIGHTS] = (uint32_t)buf;
  j.w[DSIM_NPU_W_INFEAT] = (uint32_t)buf + 1024;
  j.w[DSIM_NPU_W_OUTFEAT] = (uint32_t)buf + 2304;
  j.w[DSIM_NPU_W_SCALE] = (uint32_t)buf + 3584;
  j.w[DSIM_NPU_W_IN_D0] = 32;
  j.w[DSIM_NPU_W_IN_D1] = 6 * 32;
  j.w[DSIM_NPU_W_OUT_D0] = 32;
  j.w[DSIM_NPU_W_OUT_D1] = 32;
  j.w[DSIM_NPU_W_OUT_D2] = 6 * 32;
  j.w[DSIM_NPU_W_W_D0] = 32;
  j.w[DSIM_NPU_W_W_D1] = 32;
  j.w[DSIM_NPU_W_NB0] = (1u << 16) | 1u;
  j.w[DSIM_NPU_W_NB1] = (1u << 16) | 1u;
  j.w[DSIM_NPU_W_WEIGHT_OFFSET] = (uint32_t)-128;
  j.w[DSIM_NPU_W_CONF0] = DSIM_NPU_CONF0_MODE_1X1 | DSIM_NPU_CONF0_NORMQUANT | DSIM_NPU_CONF0_LAYER_WOFFS | DSIM_NPU_CONF0_WBITS(8);
#if CASE == 1 /* unsupported mode: mode field 3 */
  j.w[DSIM_NPU_W_CONF0] |= 3u << 5;
#elif CASE == 2 /* misaligned: 32-bit output at an odd address */
  j.w[DSIM_NPU_W_CONF0] |= DSIM_NPU_CONF0_OUT32;
  j.w[DSIM_NPU_W_OUTFEAT] += 1;
#elif CASE == 3 /* unmapped input */
  j.w[DSIM_NPU_W_INFEAT] = 0x30000000u;
#elif CASE == 4 /* job registers written without acquire */
  dsim_npu_write_job(&j);
#endif
#if CASE == 4 || CASE == 5 /* 5: a trigger without acquire */
  dsim_npu_trigger();
#else
  dsim_npu_submit(&j);
#endif
  dsim_npu_wait();
  printf(CASE == 0 ? "npu ok\n" : "not reached\n");
  return 0;
}
