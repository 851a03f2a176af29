/* hello: the smallest useful program for the siracusa runtime. Portable C (also builds with a
 * host gcc, which is how test/runtime derives the expected output). */
#include <stdio.h>
#include <stdint.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t gcd(uint32_t a, uint32_t b) {
  while (b) {
    uint32_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int main(void) {
  printf("Hello from the siracusa cluster!\n");
  printf("fib(20) = %d\n", fib(20));
  printf("gcd(1071, 462) = %u\n", gcd(1071, 462));
  int32_t x = -123456789;
  printf("x = %d, x / 7 = %d, x %% 7 = %d, x >> 3 = %d\n", x, x / 7, x % 7, x >> 3);
  uint32_t u = 0xDEADBEEFu;
  printf("u = %u = 0x%08x = 0x%X, u * 3 = %u\n", u, u, u, u * 3u);
  long long big = (long long)x * 1000003;
  printf("64-bit: %lld, /10 = %lld, unsigned %llu\n", big, big / 10, (unsigned long long)big);
  int64_t f = 1;
  for (int i = 2; i <= 20; i++) f *= i;
  printf("20! = %lld\n", (long long)f);
  printf("[%5d] [%-5d] [%05d] [%+d] [%c] [%s]\n", 42, 42, 42, 42, 'Z', "str");
  return 0;
}
