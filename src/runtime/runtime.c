/* The C part of the deeploy-sim runtime: host calls, console, printf family, memory functions.
 * Freestanding: no libc exists for this target. Compiled into every program by build.ts. */
#include "dsim.h"

/* gcc turns byte loops into calls to memset/memcpy: inside those functions that would recurse. */
/* word accesses to byte buffers: tell gcc they alias anything */
typedef uint32_t __attribute__((may_alias)) u32a;

#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

enum { SYS_write = 64, SYS_exit = 93 };

static inline long syscall3(long n, long a0, long a1, long a2) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
  return r_a0;
}

long dsim_write(int fd, const void *buf, size_t len) { return syscall3(SYS_write, fd, (long)buf, (long)len); }

void exit(int code) {
  for (;;) syscall3(SYS_exit, code, 0, 0);
}

void abort(void) {
  static const char msg[] = "abort()\n";
  dsim_write(2, msg, sizeof msg - 1);
  exit(134);
}

/* ---- output sinks: a bounded string, or a stack buffer flushed to fd 1 ---- */
typedef struct {
  char *buf;
  size_t pos, cap; /* cap counts the bytes usable in buf */
  int fd;          /* < 0: string sink (keeps the first cap bytes), else flush to fd when full */
  int total;       /* characters produced (the printf return value) */
} Sink;

static void sink_flush(Sink *s) {
  if (s->fd >= 0 && s->pos > 0) {
    dsim_write(s->fd, s->buf, s->pos);
    s->pos = 0;
  }
}

static void sink_put(Sink *s, char c) {
  s->total++;
  if (s->pos >= s->cap) {
    if (s->fd < 0) return;
    sink_flush(s);
  }
  s->buf[s->pos++] = c;
}

static void sink_repeat(Sink *s, char c, int n) {
  while (n-- > 0) sink_put(s, c);
}

int putchar(int c) {
  char ch = (char)c;
  dsim_write(1, &ch, 1);
  return (unsigned char)c;
}

int puts(const char *s) {
  dsim_write(1, s, strlen(s));
  dsim_write(1, "\n", 1);
  return 1;
}

/* ---- the formatter: %d %i %u %x %X %o %c %s %p %% with flags - 0 + space, width, precision,
 * '*' for both, and length modifiers hh h l ll z t j ---- */
enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8 };

static void emit_number(Sink *s, unsigned long long v, int neg, unsigned base, int upper, int flags,
                        int width, int prec, const char *prefix) {
  char digits[24];
  int nd = 0;
  const char *tab = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (v <= 0xFFFFFFFFull) { /* 32-bit path: no 64-bit division (libgcc) for the common case */
    uint32_t w = (uint32_t)v;
    while (w) {
      digits[nd++] = tab[w % base];
      w /= base;
    }
  } else {
    while (v) {
      digits[nd++] = tab[v % base];
      v /= base;
    }
  }
  if (prec < 0) prec = 1;         /* default: at least one digit */
  else flags &= ~F_ZERO;          /* C: a precision disables zero padding */
  int zeros = prec > nd ? prec - nd : 0;
  char sign = neg ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
  int plen = 0;
  while (prefix && prefix[plen]) plen++;
  int len = nd + zeros + (sign ? 1 : 0) + plen;
  int pad = width > len ? width - len : 0;
  if (!(flags & (F_LEFT | F_ZERO))) sink_repeat(s, ' ', pad);
  if (sign) sink_put(s, sign);
  for (int i = 0; i < plen; i++) sink_put(s, prefix[i]);
  if (flags & F_ZERO && !(flags & F_LEFT)) sink_repeat(s, '0', pad);
  sink_repeat(s, '0', zeros);
  while (nd) sink_put(s, digits[--nd]);
  if (flags & F_LEFT) sink_repeat(s, ' ', pad);
}

static void emit_string(Sink *s, const char *str, int flags, int width, int prec) {
  int n = 0;
  while (str[n] && (prec < 0 || n < prec)) n++;
  int pad = width > n ? width - n : 0;
  if (!(flags & F_LEFT)) sink_repeat(s, ' ', pad);
  for (int i = 0; i < n; i++) sink_put(s, str[i]);
  if (flags & F_LEFT) sink_repeat(s, ' ', pad);
}

static void format(Sink *s, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      sink_put(s, *fmt);
      continue;
    }
    const char *start = fmt++;
    int flags = 0, width = 0, prec = -1, len = 0; /* len: -2 hh, -1 h, 0 int, 1 l, 2 ll */
    for (;; fmt++) {
      if (*fmt == '-') flags |= F_LEFT;
      else if (*fmt == '0') flags |= F_ZERO;
      else if (*fmt == '+') flags |= F_PLUS;
      else if (*fmt == ' ') flags |= F_SPACE;
      else break;
    }
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        flags |= F_LEFT;
        width = -width;
      }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      prec = 0;
      if (*fmt == '*') {
        prec = va_arg(ap, int);
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
      }
    }
    for (;; fmt++) {
      if (*fmt == 'h') len--;
      else if (*fmt == 'l') len++;
      else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') len = (*fmt == 'j') ? 2 : 1;
      else break;
    }
    char c = *fmt;
    switch (c) {
    case 'd':
    case 'i': {
      long long v = len >= 2 ? va_arg(ap, long long) : len == 1 ? va_arg(ap, long) : va_arg(ap, int);
      if (len == -1) v = (short)v;
      if (len <= -2) v = (signed char)v;
      unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
      emit_number(s, mag, v < 0, 10, 0, flags, width, prec, 0);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      unsigned long long v = len >= 2 ? va_arg(ap, unsigned long long)
                             : len == 1 ? va_arg(ap, unsigned long)
                                        : va_arg(ap, unsigned int);
      if (len == -1) v = (unsigned short)v;
      if (len <= -2) v = (unsigned char)v;
      unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
      emit_number(s, v, 0, base, c == 'X', flags & ~(F_PLUS | F_SPACE), width, prec, 0);
      break;
    }
    case 'p': {
      void *p = va_arg(ap, void *);
      if (p) emit_number(s, (uintptr_t)p, 0, 16, 0, flags & F_LEFT, width, -1, "0x");
      else emit_string(s, "(nil)", flags, width, -1); /* as glibc prints it */
      break;
    }
    case 'c': {
      char ch = (char)va_arg(ap, int);
      int pad = width > 1 ? width - 1 : 0;
      if (!(flags & F_LEFT)) sink_repeat(s, ' ', pad);
      sink_put(s, ch);
      if (flags & F_LEFT) sink_repeat(s, ' ', pad);
      break;
    }
    case 's': {
      const char *str = va_arg(ap, const char *);
      emit_string(s, str ? str : "(null)", flags, width, prec);
      break;
    }
    case '%':
      sink_put(s, '%');
      break;
    default: /* unknown conversion (or a lone '%' at the end): print it as written */
      for (const char *q = start; q <= fmt && *q; q++) sink_put(s, *q);
      if (!c) fmt--;
      break;
    }
  }
}

int vprintf(const char *fmt, va_list ap) {
  char buf[256];
  Sink s = {buf, 0, sizeof buf, 1, 0};
  format(&s, fmt, ap);
  sink_flush(&s);
  return s.total;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  char dummy;
  Sink s = {size ? buf : &dummy, 0, size ? size - 1 : 0, -1, 0};
  format(&s, fmt, ap);
  if (size) buf[s.pos] = 0;
  return s.total;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int sprintf(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, 0x7FFFFFFF, fmt, ap);
  va_end(ap);
  return n;
}

void __dsim_assert_fail(const char *expr, const char *file, int line) {
  printf("%s:%d: assertion failed: %s\n", file, line, expr);
  exit(134);
}

/* ---- memory ---- */
NO_LIBCALLS void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
    while (n >= 16) {
      uint32_t a = ((const u32a *)s)[0], b = ((const u32a *)s)[1];
      uint32_t c = ((const u32a *)s)[2], e = ((const u32a *)s)[3];
      ((u32a *)d)[0] = a;
      ((u32a *)d)[1] = b;
      ((u32a *)d)[2] = c;
      ((u32a *)d)[3] = e;
      d += 16;
      s += 16;
      n -= 16;
    }
    while (n >= 4) {
      *(u32a *)d = *(const u32a *)s;
      d += 4;
      s += 4;
      n -= 4;
    }
  }
  while (n--) *d++ = *s++;
  return dst;
}

NO_LIBCALLS void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n]; /* overlapping with dst above src: copy backwards */
  return dst;
}

NO_LIBCALLS void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  unsigned char b = (unsigned char)c;
  while (n && ((uintptr_t)d & 3)) {
    *d++ = b;
    n--;
  }
  uint32_t w = b * 0x01010101u;
  while (n >= 4) {
    *(u32a *)d = w;
    d += 4;
    n -= 4;
  }
  while (n--) *d++ = b;
  return dst;
}

NO_LIBCALLS int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  /* equal words are skipped four bytes at a time (the harness compares whole outputs in L2); the
     first differing word is then ordered byte by byte below */
  if ((((uintptr_t)p | (uintptr_t)q) & 3) == 0)
    while (n >= 4 && *(const u32a *)p == *(const u32a *)q) {
      p += 4;
      q += 4;
      n -= 4;
    }
  for (size_t i = 0; i < n; i++)
    if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
  return 0;
}

NO_LIBCALLS size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (!*a) return 0;
  }
  return 0;
}

NO_LIBCALLS char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++)) {
  }
  return dst;
}

int abs(int x) { return x < 0 ? -x : x; }
