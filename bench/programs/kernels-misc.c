/* bench/kernels-misc.ts: cycles of the non-GEMM kernels on microLlama / conformance shapes, each
 * timed with the cycle counter around one dsim_fork on BENCH_NCORES cores. Data from an LCG;
 * everything in L1. Prints one line per kernel: `<name> cycles <N> elements <E>`. */
#include <dsim.h>
#include <dsim_cluster.h>
#include "kernels.h"

#ifndef BENCH_NCORES
#define BENCH_NCORES 8
#endif

#define SM_ROWS (4 * 128)
#define SM_LEN 128
static int8_t sm_x[SM_ROWS * SM_LEN] __attribute__((aligned(4))) DSIM_L1_BSS;
static uint8_t sm_y[SM_ROWS * SM_LEN] __attribute__((aligned(4))) DSIM_L1_BSS;
static int32_t rq_x[16 * 64 * 16] __attribute__((aligned(4))) DSIM_L1_BSS;
static int8_t rq_y[16 * 64 * 16] __attribute__((aligned(4))) DSIM_L1_BSS;
static int32_t w64[64] DSIM_L1;
static int32_t mul1[1] DSIM_L1 = {181}, add1[1] DSIM_L1 = {-40000};

static uint32_t seed = 99;
static uint32_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}

static void timed(const char *name, dsim_task_fn fn, void *args, unsigned elements) {
  dsim_fork(BENCH_NCORES, fn, args); /* warm-up */
  uint32_t t0 = dsim_cycles();
  dsim_fork(BENCH_NCORES, fn, args);
  uint32_t t1 = dsim_cycles();
  printf("%s cycles %u elements %u\n", name, (unsigned)(t1 - t0), elements);
}

int main(void) {
  for (unsigned i = 0; i < sizeof sm_x; i++) sm_x[i] = (int8_t)rnd();
  for (unsigned i = 0; i < sizeof rq_x / 4; i++) rq_x[i] = (int32_t)(rnd() & 0x3FFFF) - 0x20000;
  for (unsigned i = 0; i < 64; i++) w64[i] = (int32_t)(rnd() & 0x3FFFF) - 0x20000;

  static dk_softmax_args_t sm DSIM_L1_BSS;
  sm.x = sm_x;
  sm.y = sm_y;
  sm.rows = SM_ROWS;
  sm.len = SM_LEN;
  sm.coeffA = 1;
  sm.coeffB = 345;
  sm.coeffC = 62395;
  sm.log2 = 255;
  sm.n_levels = 256;
  sm.x_type = DK_I8;
  sm.y_type = DK_U8;
  timed("isoftmax_4x128x128", dk_isoftmax, &sm, SM_ROWS * SM_LEN);
  timed("isoftmax_rows_4x128x128", dk_isoftmax_rows, &sm, SM_ROWS * SM_LEN); /* llm.c's variant */

  static dk_rmsnorm_args_t rn DSIM_L1_BSS;
  rn.x = sm_x;
  rn.w = w64;
  rn.y = sm_y;
  rn.rows = 256;
  rn.len = 64;
  rn.log2d = 16;
  rn.lo = -128;
  rn.hi = 127;
  rn.x_type = DK_I8;
  rn.w_type = DK_I32;
  rn.y_type = DK_I8;
  timed("irmsnorm_256x64", dk_irmsnorm, &rn, 256 * 64);

  static dk_requant_args_t rq DSIM_L1_BSS;
  rq.x = rq_x;
  rq.y = rq_y;
  rq.ndim = 3;
  rq.shape[0] = 16;
  rq.shape[1] = 64;
  rq.shape[2] = 16;
  rq.x_type = DK_I32;
  rq.y_type = DK_I8;
  rq.rq.mul = mul1;
  rq.rq.add = add1;
  rq.rq.log2d = 16;
  rq.rq.lo = -128;
  rq.rq.hi = 127;
  timed("requant_16x64x16", dk_requant, &rq, 16 * 64 * 16);

  static dk_binary_args_t ad DSIM_L1_BSS;
  ad.a = sm_x;
  ad.b = sm_x + 8192;
  ad.y = rq_x;
  ad.ndim = 2;
  ad.shape[0] = 64;
  ad.shape[1] = 128;
  ad.sa[0] = ad.sb[0] = 128;
  ad.sa[1] = ad.sb[1] = 1;
  ad.a_type = ad.b_type = DK_I8;
  ad.y_type = DK_I32;
  timed("add_i8_i8_i32_64x128", dk_add, &ad, 64 * 128);

  static dk_transpose_args_t tr DSIM_L1_BSS;
  tr.x = sm_x;
  tr.y = sm_y;
  tr.ndim = 4;
  tr.in_shape[0] = 1;
  tr.in_shape[1] = 128;
  tr.in_shape[2] = 16;
  tr.in_shape[3] = 4;
  tr.perm[0] = 0;
  tr.perm[1] = 2;
  tr.perm[2] = 1;
  tr.perm[3] = 3;
  tr.elem_size = 1;
  timed("transpose_0213_128x16x4", dk_transpose, &tr, 128 * 16 * 4);
  return 0;
}
