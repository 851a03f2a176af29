/* 8 cores each issue LOADS word loads; -DSAME_BANK: all words in bank 0 (addresses 64 B apart),
 * else core i reads only bank i. Prints the cycles of the parallel phase. */
#include <dsim.h>
#include <dsim_cluster.h>

#define LOADS 4096
static DSIM_L1_BSS uint32_t buf[16 * 8 * 4] __attribute__((aligned(64)));
static volatile DSIM_L1_BSS uint32_t sink[8];

static void task(void *arg) {
  (void)arg;
  unsigned id = dsim_core_id();
#ifdef SAME_BANK
  const volatile uint32_t *p = &buf[16 * id]; /* word 16*id: bank 0 for every core */
#else
  const volatile uint32_t *p = &buf[id]; /* bank id */
#endif
  /* 64 independent loads per iteration: the loop overhead is small next to them */
  for (int i = 0; i < LOADS / 64; i++)
    __asm__ volatile(".rept 64\n lw t0, 0(%0)\n .endr" : : "r"(p) : "t0", "memory");
  sink[id] = p[0];
}

int main(void) {
  uint32_t t0 = dsim_cycles();
  dsim_fork(8, task, 0);
  uint32_t t1 = dsim_cycles();
  printf("banks cycles=%u\n", (unsigned)(t1 - t0));
  return 0;
}
