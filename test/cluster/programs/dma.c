/* DMA checks (-DMODE=...):
 *  1: 1D and 2D copies both directions, bit-exact (prints "dma-exact ok" or the first mismatch)
 *  2: one 64 KiB L2 -> L1 copy: prints its cycles (program + wait)
 *  4: the destination read before and after the wait
 *  5: 8 cores with 2 transfers each in flight
 *  3: NBLK blocks of BLK bytes: serial (copy, wait, compute) vs double-buffered; prints both and
 *     the cycles of one compute block and of one lone copy, for the test's prediction.  */
#include <dsim.h>
#include <dsim_cluster.h>

#ifndef MODE
#define MODE 1
#endif

#if MODE == 1
static uint8_t src[4096];
static uint8_t back[4096];
static DSIM_L1_BSS uint8_t l1[4096];
int main(void) {
  for (int i = 0; i < 4096; i++) src[i] = (uint8_t)(i * 31 + (i >> 8));
  dsim_dma_wait(dsim_dma_copy_1d(l1, src + 3, 1001, 1));
  for (int i = 0; i < 1001; i++) if (l1[i] != src[3 + i]) { printf("1d in mismatch at %d\n", i); return 1; }
  dsim_dma_wait(dsim_dma_copy_1d(l1 + 5, back + 7, 999, 0));
  for (int i = 0; i < 999; i++) if (back[7 + i] != l1[5 + i]) { printf("1d out mismatch at %d\n", i); return 1; }
  /* 2D: 7 rows of 24 bytes, 100 bytes apart in L2, plus a partial row of 10 */
  uint32_t id = dsim_dma_copy_2d(l1 + 2048, src + 11, 7 * 24 + 10, 24, 100, 1);
  dsim_dma_wait(id);
  for (int r = 0; r < 8; r++)
    for (int i = 0; i < (r < 7 ? 24 : 10); i++)
      if (l1[2048 + r * 24 + i] != src[11 + r * 100 + i]) { printf("2d in mismatch at row %d byte %d\n", r, i); return 1; }
  for (int i = 0; i < 4096; i++) back[i] = 0;
  dsim_dma_wait(dsim_dma_copy_2d(l1 + 2048, back + 1, 7 * 24 + 10, 24, 50, 0));
  for (int r = 0; r < 8; r++)
    for (int i = 0; i < 50; i++) {
      uint8_t want = i < (r < 7 ? 24 : 10) ? l1[2048 + r * 24 + i] : 0;
      if (r * 50 + i + 1 < 4096 && back[1 + r * 50 + i] != want) { printf("2d out mismatch at row %d byte %d\n", r, i); return 1; }
    }
  printf("dma-exact ok\n");
  return 0;
}
#elif MODE == 2
static uint8_t big[65536];
static DSIM_L1_BSS uint8_t l1big[65536];
int main(void) {
  for (int i = 0; i < 65536; i += 4) *(uint32_t *)&big[i] = (uint32_t)i * 2654435761u;
  uint32_t t0 = dsim_cycles();
  dsim_dma_wait(dsim_dma_copy_1d(l1big, big, 65536, 1));
  uint32_t t1 = dsim_cycles();
  for (int i = 0; i < 65536; i += 4) if (*(uint32_t *)&l1big[i] != (uint32_t)i * 2654435761u) { printf("mismatch\n"); return 1; }
  printf("dma64k cycles=%u\n", (unsigned)(t1 - t0));
  return 0;
}
#elif MODE == 4
/* reading the destination before waiting shows the old bytes; after the wait, the new ones */
static uint8_t src4[64];
static DSIM_L1_BSS volatile uint8_t dst4[64];
int main(void) {
  for (int i = 0; i < 64; i++) { src4[i] = (uint8_t)(i + 1); dst4[i] = 0xAA; }
  uint32_t id = dsim_dma_copy_1d((void *)dst4, src4, 64, 1);
  unsigned early = dst4[5];
  dsim_dma_wait(id);
  unsigned late = dst4[5];
  printf("race early=%u late=%u\n", early, late);
  return 0;
}
#elif MODE == 5
/* 8 cores at once, each with two transfers in flight (its queue depth): every core's completion
 * event reaches that core, channels are shared, and all the bytes arrive */
static uint8_t src5[8][2048];
static DSIM_L1_BSS uint8_t dst5[8][2048];
static DSIM_L1_BSS volatile uint32_t bad5[8];
static void task5(void *arg) {
  (void)arg;
  unsigned id = dsim_core_id();
  uint32_t a = dsim_dma_copy_1d(dst5[id], src5[id], 1024, 1);
  uint32_t b = dsim_dma_copy_2d(dst5[id] + 1024, src5[id] + 1024, 1024, 64, 64, 1);
  dsim_dma_wait(b);
  dsim_dma_wait(a);
  for (int i = 0; i < 2048; i++) if (dst5[id][i] != (uint8_t)(i * 3 + id)) bad5[id]++;
}
int main(void) {
  for (int c = 0; c < 8; c++) for (int i = 0; i < 2048; i++) src5[c][i] = (uint8_t)(i * 3 + c);
  dsim_fork(8, task5, 0);
  uint32_t bad = 0;
  for (int c = 0; c < 8; c++) bad += bad5[c];
  printf("dma8 bad=%u\n", (unsigned)bad);
  return bad != 0;
}
#else
#ifndef BLK
#define BLK 2048
#endif
#ifndef NBLK
#define NBLK 8
#endif
#ifndef WORK
#define WORK 2
#endif
static uint8_t ext[NBLK * BLK];
static DSIM_L1_BSS uint8_t buf[2][BLK];
static volatile uint32_t total;
static uint32_t compute(const uint8_t *p) {
  uint32_t s = 0;
  for (int w = 0; w < WORK; w++)
    for (int i = 0; i < BLK; i += 4) s += *(const uint32_t *)(p + i) ^ (uint32_t)w;
  return s;
}
int main(void) {
  for (int i = 0; i < NBLK * BLK; i++) ext[i] = (uint8_t)(i * 7);
  uint32_t t0 = dsim_cycles();
  uint32_t s = 0;
  for (int b = 0; b < NBLK; b++) {
    dsim_dma_wait(dsim_dma_copy_1d(buf[0], ext + b * BLK, BLK, 1));
    s += compute(buf[0]);
  }
  uint32_t t1 = dsim_cycles();
  uint32_t s2 = 0;
  uint32_t id = dsim_dma_copy_1d(buf[0], ext, BLK, 1);
  for (int b = 0; b < NBLK; b++) {
    dsim_dma_wait(id);
    if (b + 1 < NBLK) id = dsim_dma_copy_1d(buf[(b + 1) & 1], ext + (b + 1) * BLK, BLK, 1);
    s2 += compute(buf[b & 1]);
  }
  uint32_t t2 = dsim_cycles();
  uint32_t c0 = dsim_cycles();
  total = compute(buf[0]);
  uint32_t c1 = dsim_cycles();
  uint32_t d0 = dsim_cycles();
  dsim_dma_wait(dsim_dma_copy_1d(buf[0], ext, BLK, 1));
  uint32_t d1 = dsim_cycles();
  printf("dbuf serial=%u double=%u compute=%u copy=%u same=%d\n", (unsigned)(t1 - t0), (unsigned)(t2 - t1),
         (unsigned)(c1 - c0), (unsigned)(d1 - d0), s == s2);
  return s != s2;
}
#endif
