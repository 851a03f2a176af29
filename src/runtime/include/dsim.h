/* dsim.h: the bare-metal runtime of deeploy-sim programs (siracusa cluster, RV32IMC + XpulpV2).
 * One umbrella header: core id, cycle counter, console, exit, memory functions, section
 * attributes. The XpulpV2 instruction wrappers are in pulp.h (included here).
 * Console and exit are Linux RV32 ecalls, so the same ELF runs on deeploy-sim and qemu-riscv32. */
#ifndef DSIM_H
#define DSIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSIM_NUM_CORES 8

/* ---- placement: put a global in a memory level (see siracusa.ld / docs/runtime.md) ---- */
#define DSIM_L1      __attribute__((section(".l1")))      /* L1 TCDM, loaded with the ELF */
#define DSIM_L1_BSS  __attribute__((section(".l1_bss")))  /* L1 TCDM, zeroed by crt0 */
#define DSIM_WMEM    __attribute__((section(".wmem")))    /* weight memory, loaded with the ELF */
#define DSIM_L2                                           /* default: .data/.bss/.rodata are in L2 */

/* Linker-script symbols (addresses only: declare as arrays, take no value). */
extern char __l1_start[], __l1_heap_start[], __l1_heap_end[];
extern char __l2_heap_start[], __l2_heap_end[];
extern char __wmem_start[], __wmem_free_start[], __wmem_end[];
extern char __stack_top[], __stack_bottom[], __stack_size[];

/* 1 when running under Linux user mode (qemu-riscv32): set by crt0 before main. */
extern volatile int __dsim_hosted;

/* Core id 0..7. crt0 copies mhartid into tp (which GCC never allocates); reading mhartid itself
 * would trap under qemu-user. */
static inline int dsim_core_id(void) {
  int id;
  __asm__("mv %0, tp" : "=r"(id));
  return id;
}

/* Raw mhartid (machine mode only: traps under qemu-user). */
static inline uint32_t dsim_mhartid(void) {
  uint32_t v;
  __asm__ volatile("csrr %0, mhartid" : "=r"(v));
  return v;
}

/* Cycle counter, low 32 bits. `cycle` (0xC00) is the user-readable shadow of mcycle: same value
 * on deeploy-sim, and readable under qemu-user where mcycle traps. */
static inline uint32_t dsim_cycles(void) {
  uint32_t v;
  __asm__ volatile("rdcycle %0" : "=r"(v));
  return v;
}

/* 64-bit cycle counter (cycleh:cycle, re-read if the low word wrapped in between). */
static inline uint64_t dsim_cycles64(void) {
  uint32_t hi, lo, hi2;
  do {
    __asm__ volatile("rdcycleh %0" : "=r"(hi));
    __asm__ volatile("rdcycle %0" : "=r"(lo));
    __asm__ volatile("rdcycleh %0" : "=r"(hi2));
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

/* Retired instructions, low 32 bits (instret, the shadow of minstret). */
static inline uint32_t dsim_instret(void) {
  uint32_t v;
  __asm__ volatile("rdinstret %0" : "=r"(v));
  return v;
}

/* ---- host calls (Linux RV32 numbers, contracts.md) ---- */
long dsim_write(int fd, const void *buf, size_t len);
__attribute__((noreturn)) void exit(int code);
__attribute__((noreturn)) void abort(void);

/* ---- console: fd 1, unbuffered across calls (each printf is one write when <= 256 bytes) ---- */
int putchar(int c);
int puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- memory and strings (gcc emits calls to the first four) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
int abs(int x);

/* Check a condition even in optimised builds: prints file:line and exits with code 134. */
#define dsim_assert(cond)                                                         \
  do {                                                                            \
    if (!(cond)) __dsim_assert_fail(#cond, __FILE__, __LINE__);                   \
  } while (0)
__attribute__((noreturn)) void __dsim_assert_fail(const char *expr, const char *file, int line);

#ifdef __cplusplus
}
#endif

#include "pulp.h"

#endif /* DSIM_H */
