/* Simulator speed benchmark (a): int8 matrix multiply with XpulpV2 SIMD: pv.sdotsp.b in a
 * hardware loop over K with post-increment loads, repeated REPS times. Prints a checksum. */
#include <dsim.h>

#ifndef REPS
#define REPS 40
#endif
#define M 32
#define N 32
#define K 256

static int8_t A[M][K];
static int8_t Bt[N][K];
static int32_t C[M][N];

static uint32_t seed = 7;
static int8_t next_int8(void) {
  seed = seed * 1664525u + 1013904223u;
  return (int8_t)(seed >> 24);
}

static inline int32_t dot(const int8_t *a, const int8_t *b, int32_t n, int32_t acc) {
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

int main(void) {
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) A[i][k] = next_int8();
  for (int j = 0; j < N; j++)
    for (int k = 0; k < K; k++) Bt[j][k] = next_int8();
  uint32_t sum = 0;
  for (int r = 0; r < REPS; r++) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[i][j] = dot(A[i], Bt[j], K / 4, r);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) sum = sum * 31u + (uint32_t)C[i][j];
  }
  printf("sim-matmul checksum 0x%08x\n", sum);
  return 0;
}
