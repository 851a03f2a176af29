/* matmul-int8: C[M][N] = A[M][K] * B[K][N] on int8 data with int32 accumulation, once in plain C
 * and once with XpulpV2 (pv.sdotsp.b in a hardware loop over K, post-increment loads). The two
 * must agree; prints the checksum and the cycles of each (mcycle via dsim_cycles()).
 * -DNO_XPULP leaves the XpulpV2 version out, so the program runs under qemu-riscv32. */
#include <dsim.h>

#define M 16
#define N 16
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
/* acc += sum over n words of a . b, 4 int8 lanes per word; n >= 1 */
static inline int32_t dot_int8_hwloop(const int8_t *a, const int8_t *b, int32_t n, int32_t acc) {
  int32_t x, y;
  __asm__ volatile(
      PULP_HWLOOP_BEGIN(0, "%[n]", 3)
        PULP_ASM_LW_POSTINC("%[x]", "%[pa]", 4)
        PULP_ASM_LW_POSTINC("%[y]", "%[pb]", 4)
        PULP_ASM_SDOTSP_B("%[acc]", "%[x]", "%[y]")
      PULP_HWLOOP_END(0, 3)
      : [acc] "+r"(acc), [pa] "+r"(a), [pb] "+r"(b), [x] "=&r"(x), [y] "=&r"(y)
      : [n] "r"(n)
      : "memory");
  return acc;
}

static void matmul_xpulp(void) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) C_simd[i][j] = dot_int8_hwloop(A[i], Bt[j], K / 4, 0);
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
