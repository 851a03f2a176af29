/* branchy: integer code with data-dependent branches (sieve, sorting, collatz), plain RV32IMC.
 * Used by the simulator benchmark against qemu-riscv32; -DSCALE=n multiplies the work.
 * Portable C: a host-gcc build prints the same lines. */
#include <stdio.h>
#include <stdint.h>

#ifndef SCALE
#define SCALE 1
#endif
#define SIEVE_N (20000 * SCALE)
#define SORT_N (1500 * SCALE)
#define COLLATZ_N (3000 * SCALE)

static uint8_t composite[SIEVE_N + 1];
static int32_t arr[SORT_N];

static uint32_t lcg_state = 12345;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return lcg_state >> 8;
}

static int sieve(void) {
  int count = 0;
  for (int i = 2; i <= SIEVE_N; i++) {
    if (composite[i]) continue;
    count++;
    for (int j = i * 2; j <= SIEVE_N; j += i) composite[j] = 1;
  }
  return count;
}

static void quicksort(int32_t *a, int lo, int hi) {
  while (hi - lo > 16) {
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
  for (int k = lo + 1; k <= hi; k++) { /* insertion sort for short runs */
    int32_t v = a[k];
    int m = k - 1;
    while (m >= lo && a[m] > v) {
      a[m + 1] = a[m];
      m--;
    }
    a[m + 1] = v;
  }
}

static int collatz_len(uint32_t n) {
  int steps = 0;
  while (n != 1) {
    n = (n & 1) ? 3 * n + 1 : n >> 1;
    steps++;
  }
  return steps;
}

int main(void) {
  int primes = sieve();
  printf("primes <= %d: %d\n", SIEVE_N, primes);

  for (int i = 0; i < SORT_N; i++) arr[i] = (int32_t)(lcg() % 200001) - 100000;
  quicksort(arr, 0, SORT_N - 1);
  int sorted = 1;
  uint32_t hash = 0;
  for (int i = 0; i < SORT_N; i++) {
    if (i > 0 && arr[i - 1] > arr[i]) sorted = 0;
    hash = hash * 31u + (uint32_t)arr[i];
  }
  printf("sort %d: %s, min %d, max %d, hash 0x%08x\n", SORT_N, sorted ? "ok" : "WRONG", arr[0],
         arr[SORT_N - 1], hash);

  int best = 0, best_n = 0;
  for (int n = 1; n <= COLLATZ_N; n++) {
    int len = collatz_len((uint32_t)n);
    if (len > best) {
      best = len;
      best_n = n;
    }
  }
  printf("collatz <= %d: longest %d steps at %d\n", COLLATZ_N, best, best_n);
  return sorted ? 0 : 1;
}
