/* Self-checking program for crt0, the link script and the memory functions. Prints "FAIL ..." for
 * each failed check and "checks: <n> failed" at the end; exits with the number of failures. */
#include <dsim.h>

static int failures;
#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      printf("FAIL line %d: %s\n", __LINE__, #cond);                    \
      failures++;                                                       \
    }                                                                   \
  } while (0)

static const int32_t table_l1[4] DSIM_L1 = {11, 22, 33, 44};
static int32_t zero_l1[64] DSIM_L1_BSS;
static const int8_t weights[8] DSIM_WMEM = {1, -2, 3, -4, 5, -6, 7, -8};
static int32_t zero_bss[100];
static int32_t data_init = 1234;

static void ref_memset(unsigned char *d, int c, size_t n) { for (size_t i = 0; i < n; i++) d[i] = (unsigned char)c; }

static void check_mem(void) {
  static unsigned char src[96], dst[96], ref[96];
  for (int off_s = 0; off_s < 4; off_s++)
    for (int off_d = 0; off_d < 4; off_d++)
      for (int n = 0; n <= 41; n++) {
        for (int i = 0; i < 96; i++) {
          src[i] = (unsigned char)(i * 7 + 3);
          dst[i] = ref[i] = (unsigned char)(200 - i);
        }
        memcpy(dst + off_d, src + off_s, (size_t)n);
        for (int i = 0; i < n; i++) ref[off_d + i] = src[off_s + i];
        CHECK(memcmp(dst, ref, 96) == 0);
        memset(dst + off_d, 0x5A + n, (size_t)n);
        ref_memset(ref + off_d, 0x5A + n, (size_t)n);
        CHECK(memcmp(dst, ref, 96) == 0);
      }
  /* memmove, both overlap directions, against a copy through a temporary */
  for (int shift = -5; shift <= 5; shift++)
    for (int n = 0; n <= 40; n++) {
      unsigned char tmp[96];
      for (int i = 0; i < 96; i++) dst[i] = ref[i] = (unsigned char)(i + 1);
      for (int i = 0; i < n; i++) tmp[i] = ref[20 + i];
      for (int i = 0; i < n; i++) ref[20 + shift + i] = tmp[i];
      memmove(dst + 20 + shift, dst + 20, (size_t)n);
      CHECK(memcmp(dst, ref, 96) == 0);
    }
  CHECK(memcmp("abc", "abd", 3) < 0);
  CHECK(memcmp("abd", "abc", 3) > 0);
  CHECK(memcmp("ab\x80", "ab\x01", 3) > 0); /* unsigned comparison */
  CHECK(memcmp("xyz", "xyq", 2) == 0);
  /* aligned buffers (the word-at-a-time path): a difference in every byte position of a later
     word, ordered by its first differing byte, and an unaligned tail after equal words */
  static uint32_t wa[8], wb[8];
  for (int pos = 0; pos < 32; pos++) {
    for (int i = 0; i < 8; i++) wa[i] = wb[i] = 0x80808080u + (uint32_t)i;
    ((unsigned char *)wb)[pos] ^= 0x81;
    int want = ((unsigned char *)wa)[pos] < ((unsigned char *)wb)[pos] ? -1 : 1;
    int got = memcmp(wa, wb, 32);
    CHECK((got < 0 ? -1 : got > 0) == want);
    CHECK(memcmp(wa, wb, (size_t)pos) == 0);
    CHECK(memcmp(wa, wb, (size_t)pos + 1) != 0);
  }
  CHECK(strlen("") == 0 && strlen("hello") == 5);
  CHECK(strcmp("abc", "abc") == 0 && strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0);
  CHECK(strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abcdef", "abcxyz", 4) < 0);
}

int main(void) {
  int local = 0;
  uintptr_t sp_addr = (uintptr_t)&local;
  CHECK(dsim_core_id() == 0);
  CHECK(__dsim_hosted == 1); /* this test runs under qemu-user */
  CHECK(sp_addr >= (uintptr_t)__stack_bottom && sp_addr < (uintptr_t)__stack_bottom + (uintptr_t)__stack_size);
  CHECK((uintptr_t)__stack_bottom == 0x10000000u);
  CHECK((uintptr_t)__stack_top == 0x10000000u + DSIM_NUM_CORES * (uintptr_t)__stack_size);
  CHECK(((uintptr_t)table_l1 >> 18) == (0x10000000u >> 18)); /* inside the 256 KiB of L1 */
  CHECK(table_l1[0] + table_l1[1] + table_l1[2] + table_l1[3] == 110);
  CHECK((uintptr_t)weights == 0x10800000u);
  CHECK(weights[7] == -8 && weights[2] == 3);
  CHECK(((uintptr_t)&data_init >> 21) == (0x1C000000u >> 21) && data_init == 1234);
  CHECK(((uintptr_t)zero_bss >> 21) == (0x1C000000u >> 21));
  int nz = 0;
  for (int i = 0; i < 100; i++) nz |= zero_bss[i];
  for (int i = 0; i < 64; i++) nz |= zero_l1[i];
  CHECK(nz == 0);
  /* the free arenas are mapped to the end of each region, also under qemu-user */
  CHECK((uintptr_t)__l1_heap_end == 0x10040000u && (uintptr_t)__l2_heap_end == 0x1C200000u &&
        (uintptr_t)__wmem_end == 0x10C00000u);
  CHECK((uintptr_t)__l1_heap_start >= (uintptr_t)(zero_l1 + 64));
  volatile int32_t *ends[] = {(int32_t *)__l1_heap_start, (int32_t *)__l1_heap_end - 1, (int32_t *)__l2_heap_start,
                              (int32_t *)__l2_heap_end - 1, (int32_t *)__wmem_free_start, (int32_t *)__wmem_end - 1};
  for (int i = 0; i < 6; i++) {
    *ends[i] = 0x600D0000 + i;
    CHECK(*ends[i] == 0x600D0000 + i);
  }
  uint32_t c0 = dsim_cycles();
  for (volatile int i = 0; i < 1000; i++) {
  }
  CHECK(dsim_cycles() != c0);
  check_mem();
  printf("checks: %d failed\n", failures);
  return failures;
}
