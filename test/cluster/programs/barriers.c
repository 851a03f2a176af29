/* 1000 barriers across all cores with seeded random work between them. After each barrier every
 * core checks that every other core has published the same phase: a lost wake-up or a core that
 * runs through a barrier shows up as a wrong phase (or as a deadlock the simulator reports). */
#include <dsim.h>
#include <dsim_cluster.h>

#ifndef ROUNDS
#define ROUNDS 1000
#endif

static volatile DSIM_L1_BSS uint32_t phase[8];
static volatile DSIM_L1_BSS uint32_t errors[8];

static void task(void *arg) {
  (void)arg;
  unsigned id = dsim_core_id(), nc = dsim_fork_cores();
  uint32_t s = 0x9e3779b9u * (id + 1);
  for (uint32_t p = 1; p <= ROUNDS; p++) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    for (volatile uint32_t w = s & 63; w; w--) {}
    phase[id] = p;
    dsim_barrier();
    for (unsigned c = 0; c < nc; c++) if (phase[c] != p) errors[id]++;
    dsim_barrier();
  }
}

int main(void) {
  dsim_fork(8, task, 0);
  uint32_t e = 0;
  for (int c = 0; c < 8; c++) e += errors[c];
  printf("barriers rounds=%d errors=%u\n", ROUNDS, (unsigned)e);
  return e != 0;
}
