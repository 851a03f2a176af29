/* int8 matrix multiply C[M][N] = A[M][K] * B[K][N] (int32 accumulators), rows split across the
 * cores of a fork. Prints the cycles of the multiply and a checksum of C. -DNCORES=n. */
#include <dsim.h>
#include <dsim_cluster.h>

#ifndef NCORES
#define NCORES 8
#endif
#ifndef M
#define M 64
#endif
#ifndef N
#define N 32
#endif
#ifndef K
#define K 64
#endif

static DSIM_L1_BSS int8_t A[M][K];
static DSIM_L1_BSS int8_t B[K][N];
static DSIM_L1_BSS int32_t C[M][N];

static void task(void *arg) {
  (void)arg;
  unsigned id = dsim_core_id(), nc = dsim_fork_cores();
  unsigned per = (M + nc - 1) / nc;
  unsigned lo = id * per, hi = lo + per > M ? M : lo + per;
  for (unsigned i = lo; i < hi; i++)
    for (unsigned j = 0; j < N; j++) {
      int32_t acc = 0;
      for (unsigned k = 0; k < K; k++) acc += A[i][k] * B[k][j];
      C[i][j] = acc;
    }
}

int main(void) {
  uint32_t s = 12345;
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) A[i][k] = (int8_t)((s = s * 1103515245u + 12345u) >> 24);
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++) B[k][j] = (int8_t)((s = s * 1103515245u + 12345u) >> 24);
  uint32_t t0 = dsim_cycles();
  dsim_fork(NCORES, task, 0);
  uint32_t t1 = dsim_cycles();
  uint32_t h = 2166136261u;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) h = (h ^ (uint32_t)C[i][j]) * 16777619u;
  printf("matmul cores=%d cycles=%u checksum=%08x\n", NCORES, (unsigned)(t1 - t0), (unsigned)h);
  return 0;
}
