/* printf formatting cases: built for the target (our runtime) and for the host (glibc); the two
 * outputs must be identical. Only formats whose host meaning equals the ILP32 meaning appear
 * (no %p, long values kept in 32-bit range). */
#include <stdio.h>
#include <stdint.h>
#include <limits.h>

int main(void) {
  printf("plain text, no conversions\n");
  printf("%d %i %d %d %d\n", 0, 1, -1, INT_MAX, INT_MIN);
  printf("%u %u %u\n", 0u, 4000000000u, UINT_MAX);
  printf("%x %X %x %X %x\n", 0u, 0xABCDEFu, 0xdeadbeefu, 0xdeadbeefu, 255u);
  printf("%o %o\n", 8u, 0777u);
  printf("[%c][%c][%3c][%-3c]\n", 'a', '0', 'z', 'y');
  printf("[%s][%10s][%-10s][%.3s][%10.2s][%-6.4s]\n", "hello", "right", "left", "truncate", "ab", "abcdefgh");
  printf("[%5d][%-5d][%05d][%5d][%05d][%-05d]\n", 42, 42, 42, -42, -42, -42);
  printf("[%+d][%+d][% d][% d][%+5d][%+05d]\n", 7, -7, 7, -7, 7, 7);
  printf("[%08x][%8X][%-8x][%02x][%2x]\n", 0xbeefu, 0xBEEFu, 0xbeefu, 0xabcu, 0xabcu);
  printf("[%.5d][%8.5d][%-8.5d][%08.5d][%.0d][%.0d]\n", 42, -42, 42, 42, 0, 5);
  printf("[%*d][%-*d][%.*d][%*s]\n", 6, 12, 6, 12, 4, 7, -5, "x");
  printf("[%ld][%li][%lu][%lx][%lX]\n", (long)-123456, (long)2147483647, (unsigned long)4294967295u,
         (unsigned long)0xcafef00du, (unsigned long)0xcafef00du);
  printf("[%lld][%lld][%llu][%llx][%20lld][%-20lld]\n", (long long)-9223372036854775807LL - 1,
         9223372036854775807LL, 18446744073709551615ULL, 0x123456789abcdefULL, -1234567890123LL,
         1234567890123LL);
  printf("[%hd][%hu][%hhd][%hhu][%hx]\n", (short)-2, (unsigned short)65535, (signed char)-3, (unsigned char)250,
         (unsigned short)0xfffe);
  printf("[%zu][%zd]\n", (size_t)123, (size_t)456);
  printf("100%% done, %%d stays\n");
  printf("%d%s%c%u%x\n", 1, "two", '3', 4u, 5u);
  printf("%s\n", "");
  printf("[%3s][%-3s][%.0s]\n", "", "", "gone");
  int n = printf("count me\n");
  printf("printf returned %d\n", n);
  char buf[16];
  int m = snprintf(buf, sizeof buf, "%s-%d-%x", "abcdefghij", 12345, 0xffu);
  printf("snprintf %d [%s]\n", m, buf);
  m = snprintf(buf, 4, "%d", 123456);
  printf("snprintf %d [%s]\n", m, buf);
  m = snprintf(NULL, 0, "%s%d", "xyz", -77);
  printf("snprintf %d\n", m);
  m = sprintf(buf, "%05d|%c", 77, 'q');
  printf("sprintf %d [%s]\n", m, buf);
  for (int i = 0; i < 300; i++) putchar('a' + i % 26); /* longer than the 256-byte printf buffer */
  putchar('\n');
  printf("%s|%s|%s|%s\n",
         "a fairly long string that, together with the others, makes this one printf call produce",
         "more than two hundred and fifty-six characters, so that the formatter has to flush its",
         "stack buffer in the middle of a conversion and continue; the host prints it in one piece",
         "and the two outputs must still agree byte for byte.");
  puts("puts adds a newline");
  return 0;
}
