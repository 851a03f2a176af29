/* bench/kernels-gemm.ts: dk_gemm on an M x K by K x N int8 problem (B transposed = K-contiguous,
 * per-tensor requant to int8), timed with the cycle counter around one dsim_fork.
 * -DGEMM_M/_K/_N sizes; -DNCORES=n  cores of the fork;  -DTRANS_B=0 takes B as K x N (packed on the fly);
 * -DRQ=0 writes int32; -DB_L2=1 puts B in L2, -DSTAGE=1 gives the kernel an L1 scratch to DMA it into. Data come from an LCG at run time (no big initialised arrays). */
#include <dsim.h>
#include <dsim_cluster.h>
#include "kernels.h"

#ifndef GEMM_M
#define GEMM_M 64
#endif
#ifndef GEMM_N
#define GEMM_N 64
#endif
#ifndef GEMM_K
#define GEMM_K 256
#endif
#ifndef BENCH_NCORES
#define BENCH_NCORES 8
#endif
#ifndef BENCH_TRANS_B
#define BENCH_TRANS_B 1
#endif
#ifndef BENCH_RQ
#define BENCH_RQ 1
#endif

static int8_t A[GEMM_M * GEMM_K] __attribute__((aligned(4))) DSIM_L1_BSS;
#ifndef BENCH_B_L2
#define BENCH_B_L2 0
#endif
#ifndef BENCH_STAGE
#define BENCH_STAGE 0
#endif
#if BENCH_B_L2 /* weights in L2, as when they do not fit L1 */
static int8_t B[GEMM_K * GEMM_N] __attribute__((aligned(4)));
#else
static int8_t B[GEMM_K * GEMM_N] __attribute__((aligned(4))) DSIM_L1_BSS;
#endif
#if BENCH_STAGE
static int8_t Bstage[GEMM_K * GEMM_N] __attribute__((aligned(4))) DSIM_L1_BSS;
#endif
#if BENCH_RQ
static int8_t Y[GEMM_M * GEMM_N] __attribute__((aligned(4))) DSIM_L1_BSS;
#else
static int32_t Y[GEMM_M * GEMM_N] __attribute__((aligned(4))) DSIM_L1_BSS;
#endif
static int32_t mul[1] DSIM_L1 = {37}, add[1] DSIM_L1 = {-5000};

static uint32_t seed = 12345;
static int8_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return (int8_t)(seed >> 24);
}

int main(void) {
  for (int i = 0; i < GEMM_M * GEMM_K; i++) A[i] = rnd();
  for (int i = 0; i < GEMM_K * GEMM_N; i++) B[i] = rnd();
  static dk_gemm_args_t g DSIM_L1_BSS; /* args in L1, as the generated code places them */
  g.A = A;
  g.B = B;
  g.Y = Y;
  g.M = GEMM_M;
  g.N = GEMM_N;
  g.K = GEMM_K;
  g.batch[0] = g.batch[1] = 1;
  g.alpha = 1;
  g.a_type = DK_I8;
  g.b_type = DK_I8;
  g.trans_b = BENCH_TRANS_B;
#if BENCH_STAGE
  g.scratch = Bstage;
  g.scratch_bytes = sizeof Bstage;
#endif
#if BENCH_RQ
  g.y_type = DK_I8;
  g.rq.mul = mul;
  g.rq.add = add;
  g.rq.log2d = 14;
  g.rq.lo = -128;
  g.rq.hi = 127;
#else
  g.y_type = DK_I32;
#endif
  dsim_fork(BENCH_NCORES, dk_gemm, &g); /* warm-up (instruction cache is not modelled, but keep it fair) */
  uint32_t t0 = dsim_cycles();
  dsim_fork(BENCH_NCORES, dk_gemm, &g);
  uint32_t t1 = dsim_cycles();
  uint32_t sum = 0;
  for (int i = 0; i < GEMM_M * GEMM_N; i++) sum = sum * 31u + (uint32_t)Y[i];
  printf("gemm %dx%dx%d cores %d cycles %u checksum %08x\n", GEMM_M, GEMM_K, GEMM_N, BENCH_NCORES, (unsigned)(t1 - t0), (unsigned)sum);
  return 0;
}
