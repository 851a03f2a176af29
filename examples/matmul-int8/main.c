/* matmul-int8: C[M][N] = A[M][K] * B[K][N] on int8 data with int32 accumulation, once in plain C
 * and once with XpulpV2 (pv.sdotsp.b in a hardware loop over K, post-increment loads, two
 * output columns per loop). The two
 * must agree; prints the checksum and the cycles of each (mcycle via dsim_cycles()).
 * -DNO_XPULP leaves the XpulpV2 version out, so the program runs under qemu-riscv32. */
#include <dsim.h>

#define M 16
#define N 16 /* even: the SIMD kernel computes two columns per loop */
#define K 64 /* multiple of 4: the SIMD loop consumes 4 bytes per step */

/* Operands in L1 TCDM (1-cycle loads), as a tiled kernel would have them after DMA. */
static int8_t A[M][K] DSIM_L1_BSS;
static int8_t Bt[N][K] DSIM_L1_BSS; /* B transposed: the dot products run over contiguous K */
static int32_t C_ref[M][N];
#ifndef NO_XPULP
static int32_t C_simd[M][N];
#endif

static uint32_t seed = 1;
static int8_t next_int8(void) {
  seed = seed * 1664525u + 1013904223u;
  return (int8_t)(seed >> 24);
}

static void matmul_plain(void) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      int32_t acc = 0;
      for (int k = 0; k < K; k++) acc += (int32_t)A[i][k] * (int32_t)Bt[j][k];
      C_ref[i][j] = acc;
    }
}

#ifndef NO_XPULP
/* Two outputs of one row at once: c0 = a . b0, c1 = a . b1 over n words (4 int8 lanes each),
 * n >= 1. The word of a is loaded once for both; b1 is loaded between the load of b0 and its use,
 * so no instruction waits for a load (load-use stall). 5 instructions per 8 MACs. */
static inline void dot2_int8_hwloop(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n, int32_t *c0,
                                    int32_t *c1) {
  int32_t acc0 = 0, acc1 = 0, x, y0, y1;
  __asm__ volatile(
      PULP_HWLOOP_BEGIN(0, "%[n]", 5)
        PULP_ASM_LW_POSTINC("%[x]", "%[pa]", 4)
        PULP_ASM_LW_POSTINC("%[y0]", "%[pb0]", 4)
        PULP_ASM_LW_POSTINC("%[y1]", "%[pb1]", 4)
        PULP_ASM_SDOTSP_B("%[acc0]", "%[x]", "%[y0]")
        PULP_ASM_SDOTSP_B("%[acc1]", "%[x]", "%[y1]")
      PULP_HWLOOP_END(0, 5)
      : [acc0] "+r"(acc0), [acc1] "+r"(acc1), [pa] "+r"(a), [pb0] "+r"(b0), [pb1] "+r"(b1), [x] "=&r"(x),
        [y0] "=&r"(y0), [y1] "=&r"(y1)
      : [n] "r"(n)
      : "memory");
  *c0 = acc0;
  *c1 = acc1;
}

static void matmul_xpulp(void) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j += 2) dot2_int8_hwloop(A[i], Bt[j], Bt[j + 1], K / 4, &C_simd[i][j], &C_simd[i][j + 1]);
}
#endif

int main(void) {
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) A[i][k] = next_int8();
  for (int j = 0; j < N; j++)
    for (int k = 0; k < K; k++) Bt[j][k] = next_int8();

  uint32_t t0 = dsim_cycles();
  matmul_plain();
  uint32_t t_plain = dsim_cycles() - t0;

  uint32_t checksum = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) checksum = checksum * 31u + (uint32_t)C_ref[i][j];
  printf("matmul-int8 %dx%dx%d checksum 0x%08x C[0][0]=%d C[%d][%d]=%d\n", M, K, N, checksum, C_ref[0][0],
         M - 1, N - 1, C_ref[M - 1][N - 1]);
  printf("plain C: %u cycles\n", t_plain);

#ifndef NO_XPULP
  t0 = dsim_cycles();
  matmul_xpulp();
  uint32_t t_simd = dsim_cycles() - t0;
  int errors = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      if (C_simd[i][j] != C_ref[i][j]) {
        if (errors < 5) printf("mismatch C[%d][%d]: xpulp %d, plain %d\n", i, j, C_simd[i][j], C_ref[i][j]);
        errors++;
      }
  printf("xpulpv2 (pv.sdotsp.b + hardware loop): %u cycles, %d mismatches\n", t_simd, errors);
  if (errors) return 1;
#endif
  printf("OK\n");
  return 0;
}
