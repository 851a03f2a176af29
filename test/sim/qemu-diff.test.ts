// Differential tests against qemu-riscv32 (user mode, Linux ecalls): C programs built with the
// runtime's buildProgram give the same console output and exit code; seeded random RV32IMC
// instruction sequences leave the same register file and memory. Every program runs twice: with
// blocks in the block interpreter and with every block translated to a JS function (jit.ts HOT).
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { buildProgram } from '../../src/runtime/build.js';
import { setHotThreshold } from '../../src/sim/jit.js';
import { runProgram, type RunOptions, type RunResult } from '../../src/sim/run.js';
import { assemble, ensureDir, HAVE_QEMU, HAVE_TOOLCHAIN, OUT, qemu, REPO } from './helpers.js';

const EXIT_PROGRAM = `
#include <stdio.h>
#include <stdint.h>
static volatile int32_t v[64];
int main(void) {
  int64_t acc = 0;
  for (int i = 0; i < 64; i++) v[i] = (i * 2654435761u) >> 7;
  for (int i = 0; i < 64; i++) acc += (int64_t)v[i] * v[63 - i] / (i + 1) - v[i] % 7;
  printf("acc=%lld hex=%08x neg=%d\\n", (long long)acc, (unsigned)(acc >> 3), (int)(-acc % 1000));
  return (int)(acc & 0x3f) | 0x40;
}
`;

/** runProgram on both block paths; the two runs must agree on everything (output, exit, counters). */
function runBoth(elf: string, opts: RunOptions = {}): RunResult {
  const runs = [1e9, 1].map((hot) => {
    const before = setHotThreshold(hot);
    try {
      return runProgram(elf, opts);
    } finally {
      setHotThreshold(before);
    }
  });
  expect(runs[1]).toEqual(runs[0]);
  return runs[0]!;
}

describe.skipIf(!HAVE_QEMU || !HAVE_TOOLCHAIN)('same behaviour as qemu-riscv32', () => {
  for (const ex of ['hello', 'branchy']) {
    it(`examples/${ex}: same stdout and exit code`, async () => {
      const elf = join(OUT, `qemu-${ex}.elf`);
      await buildProgram({ sources: [join(REPO, 'examples', ex, 'main.c')], out: elf });
      const q = qemu(elf);
      const r = runBoth(elf);
      expect(r.fault?.message).toBeUndefined();
      expect(Buffer.from(r.stdout).toString()).toBe(q.stdout.toString());
      expect(r.exitCode).toBe(q.status);
      expect(q.stdout.length).toBeGreaterThan(10);
    });
  }

  it('a program with 64-bit arithmetic (libgcc) and a non-zero exit code', async () => {
    const src = join(ensureDir(OUT), 'exitcode.c');
    writeFileSync(src, EXIT_PROGRAM);
    const elf = join(OUT, 'exitcode.elf');
    await buildProgram({ sources: [src], out: elf, optLevel: 1 });
    const q = qemu(elf);
    const r = runBoth(elf);
    expect(Buffer.from(r.stdout).toString()).toBe(q.stdout.toString());
    expect(r.exitCode).toBe(q.status);
    expect(r.exitCode).toBeGreaterThanOrEqual(0x40);
  });

  it('seeded random RV32IMC sequences (>= 100,000 instructions) leave identical registers and memory', () => {
    let total = 0;
    for (const seed of ['a', 'b', 'c', 'd']) {
      const { source, count } = randomProgram(`rv32-random-${seed}`, 450);
      total += count;
      const elf = assemble(`random-${seed}`, source);
      const q = qemu(elf);
      const r = runBoth(elf, { maxInstructions: 10_000_000 });
      expect(r.fault?.message).toBeUndefined();
      expect(q.status).toBe(0);
      expect(r.stdout.length).toBe(q.stdout.length);
      const ours = Buffer.from(r.stdout);
      if (!ours.equals(q.stdout)) {
        // name the first differing block and register
        for (let k = 0; k < ours.length; k += 4)
          if (ours.readInt32LE(k) !== q.stdout.readInt32LE(k))
            throw new Error(`seed ${seed}: dump word ${k / 4} (block ${Math.floor(k / 128)}, x${(k / 4) % 32}) sim ${ours.readInt32LE(k)} qemu ${q.stdout.readInt32LE(k)}`);
      }
    }
    expect(total).toBeGreaterThanOrEqual(100_000); // random operations, not counting the register set-up and dumps
  });
});

const R = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
// s0 = scratch buffer, s1 = register dump area; sp/gp/tp differ between qemu and bare metal: unused
const USABLE = [1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
// x8..x15 appear often so that the assembler can use compressed forms
const FAVOURED = [10, 11, 12, 13, 14, 15];

/**
 * Blocks of random instructions; each starts by loading random values into the registers and ends
 * by storing the register file to the dump area and write()-ing it to stdout. Returns the source
 * and the number of random operations (set-up and dumps not counted).
 */
function randomProgram(seed: string, blocks: number): { source: string; count: number } {
  const rnd = seedrandom(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const reg = () => (rnd() < 0.4 ? pick(FAVOURED) : pick(USABLE));
  const src = () => (rnd() < 0.08 ? 0 : reg());
  const specials = [0, 1, -1, 0x7fffffff, -0x80000000, 0x80, 0xff, 0x7fff, -0x8000, 31, 32, 33];
  const value = () => (rnd() < 0.4 ? pick(specials) : Math.floor(rnd() * 0x100000000) | 0);
  const L: string[] = ['.option rvc', '.text', '.globl _start', '_start:', 'la s0, scratch', 'la s1, dump'];
  let count = 0;
  let label = 0;
  const RR = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];
  const RI = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi'];
  const SH = ['slli', 'srli', 'srai'];
  const LD: [string, number][] = [['lb', 1], ['lbu', 1], ['lh', 2], ['lhu', 2], ['lw', 4]];
  const ST: [string, number][] = [['sb', 1], ['sh', 2], ['sw', 4]];
  for (let b = 0; b < blocks; b++) {
    for (const r of USABLE) L.push(`li ${R[r]}, ${value()}`);
    const n = 40 + Math.floor(rnd() * 40);
    for (let k = 0; k < n; k++) {
      const p = rnd();
      count++;
      if (p < 0.35) L.push(`${pick(RR)} ${R[reg()]}, ${R[src()]}, ${R[src()]}`);
      else if (p < 0.55) L.push(`${pick(RI)} ${R[reg()]}, ${R[src()]}, ${Math.floor(rnd() * 4096) - 2048}`);
      else if (p < 0.62) L.push(`${pick(SH)} ${R[reg()]}, ${R[src()]}, ${Math.floor(rnd() * 32)}`);
      else if (p < 0.66) L.push(`${pick(['lui', 'auipc'])} ${R[reg()]}, ${Math.floor(rnd() * 0x100000)}`);
      else if (p < 0.78) {
        const [op, size] = pick(LD);
        L.push(`${op} ${R[reg()]}, ${Math.floor(rnd() * (1024 / size)) * size}(s0)`);
      } else if (p < 0.88) {
        const [op, size] = pick(ST);
        L.push(`${op} ${R[src()]}, ${Math.floor(rnd() * (1024 / size)) * size}(s0)`);
      } else if (p < 0.97) {
        // forward branch over 1..3 instructions
        const op = pick(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']);
        const l = `.Lf${label++}`;
        L.push(`${op} ${R[src()]}, ${R[src()]}, ${l}`);
        const skip = 1 + Math.floor(rnd() * 3);
        for (let s = 0; s < skip; s++) L.push(`addi ${R[reg()]}, ${R[src()]}, ${Math.floor(rnd() * 64) - 32}`);
        count += skip;
        L.push(`${l}:`);
      } else {
        const l = `.Lj${label++}`;
        L.push(`jal ${R[pick([0, 1, 5])]}, ${l}`, `addi ${R[reg()]}, zero, 1`, `${l}:`);
        count++;
      }
    }
    // dump x0..x31 (sp, gp, tp as 0): 128 bytes
    for (let r = 0; r < 32; r++) L.push(`sw ${R[r === 2 || r === 3 || r === 4 ? 0 : r]}, ${4 * r}(s1)`);
    L.push('li a7, 64', 'li a0, 1', 'mv a1, s1', 'li a2, 128', 'ecall');
  }
  L.push('li a7, 64', 'li a0, 1', 'mv a1, s0', 'li a2, 1024', 'ecall', 'li a7, 93', 'li a0, 0', 'ecall');
  L.push('.data', '.balign 16', 'scratch: .zero 1024', 'dump: .zero 128');
  return { source: L.join('\n') + '\n', count };
}
