/* Self-modifying code across cores (Zifencei): core 0 writes a tiny function into L2, core 1 runs
 * it (so it is decoded and compiled), core 0 rewrites it, a barrier, core 1 runs fence.i and then
 * the function again: it must see the new instruction. Every core calls it at the end too. */
#include <dsim.h>
#include <dsim_cluster.h>

/* addi a0, zero, K ; jalr zero, 0(ra) */
#define LI_A0(k) (0x00000513u | ((uint32_t)(k) << 20))
#define RET 0x00008067u

static volatile uint32_t code[2] __attribute__((aligned(4)));
static volatile uint32_t seen[8][2];

typedef int (*fn_t)(void);

static int call(void) { return ((fn_t)(uintptr_t)code)(); }

static void task(void *arg) {
  (void)arg;
  unsigned id = dsim_core_id();
  if (id == 1) for (int k = 0; k < 50; k++) seen[1][0] += call(); /* 50 x old code: hot, compiled */
  dsim_barrier();
  if (id == 0) code[0] = LI_A0(7); /* another core rewrites the first instruction */
  dsim_barrier();
  __asm__ volatile("fence.i" ::: "memory");
  seen[id][1] = call();
}

int main(void) {
  code[0] = LI_A0(1);
  code[1] = RET;
  __asm__ volatile("fence.i" ::: "memory");
  dsim_fork(8, task, 0);
  unsigned bad = 0;
  for (int c = 0; c < 8; c++) bad += seen[c][1] != 7;
  printf("fence.i old=%u new1=%u bad=%u\n", (unsigned)seen[1][0], (unsigned)seen[1][1], bad);
  return seen[1][0] != 50 || bad != 0;
}
