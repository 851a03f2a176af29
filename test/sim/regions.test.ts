// Regions of chained blocks (jit.ts): hot blocks compiled into one function with its own dispatch
// loop must behave exactly like the same blocks run one by one by the core — same registers,
// counters, statistics, faults and cluster timing — including where a bug would not show in the
// cycle baseline: a store into a block of the running region (no fence.i: the core picks up the
// new code at the next block, so the region must hand back), a trap in the middle of a region, a
// hardware loop whose end lies inside a region's block, and eight cores sharing L1 banks.
import { join } from 'node:path';
import { encode } from '../../isa/index.js';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { runCluster, type ClusterResult } from '../../src/sim/cluster/cluster.js';
import { Core, type CoreCounters } from '../../src/sim/core.js';
import { loadElf, parseElf, readElfFile } from '../../src/sim/elf.js';
import { regionCount, setHotThreshold, setRegions, type RegionOptions } from '../../src/sim/jit.js';
import { Memory } from '../../src/sim/memory.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { CLUSTER_C, OUT as CLUSTER_OUT } from '../cluster/helpers.js';
import { assemble, HAVE_TOOLCHAIN, REPO } from './helpers.js';

/** A two-block loop; in iteration 100 block A stores a new instruction over one of block B's
 * (no fence.i). Block by block, B is dropped by the store and decoded anew before it runs again,
 * so iterations 100..0 add 7: a3 = 99 * 1 + 101 * 7 = 806. */
const SMC = `
  .option norvc
  .text
  .globl _start
_start:
  la t0, newinsn
  lw a0, 0(t0)
  la a5, patch
  li a3, 0
  li a4, 200
  li s1, 100
loop:
  addi a4, a4, -1
  bne a4, s1, 1f
  sw a0, 0(a5)
1:
  j body
body:
patch:
  addi a3, a3, 1
  bnez a4, loop
  li t1, 806
  bne a3, t1, fail
  li a0, 0
  li a7, 93
  ecall
fail:
  li a0, 1
  li a7, 93
  ecall
  .data
newinsn:
  addi a3, a3, 7
`;

/** A loop of loads walking up to the end of L2: a load access fault in the middle of a region
 * (no trap handler: the run stops with the fault at the load). */
const TRAP = `
  .option norvc
  .text
  .globl _start
_start:
  li a1, 0x1c200000 - 64 * 300
  li a3, 0
loop:
  lw a2, 0(a1)
  addi a1, a1, 64
  add a3, a3, a2
  andi a4, a3, 1
  beqz a4, 1f
  addi a3, a3, 3
1:
  j loop
`;

/** Hardware loop 0 whose end is the last instruction of a hot block of a region: the region hands
 * the block back to the core, which runs the loop. (lp.setup as a word: GNU as has no XpulpV2.) */
const HWLOOP = `
  .option norvc
  .text
  .globl _start
_start:
  li s0, 40
  li a3, 0
outer:
  li a4, 5
  .word ${encode('lp.setup', { rd: 0, rs1: 14, imm: 3 * 2 })}
  addi a3, a3, 1
  addi a3, a3, 2
  addi a3, a3, 3
  addi s0, s0, -1
  bnez s0, outer
  li a5, 30
3:addi a3, a3, 1
  addi a3, a3, 2
  addi a3, a3, 3
  addi a5, a5, -1
  bnez a5, 3b
  mv a0, a3
  li a7, 93
  ecall
`;

interface Outcome {
  x: number[];
  pc: number;
  instret: number;
  cycles: number;
  exitCode?: number;
  fault?: string;
  counters?: CoreCounters;
}

/** Regions built soon after translation; their blocks' code copied in, or called. */
const MODES: Record<string, Partial<RegionOptions>> = { copied: { after: 0, inlineInsns: 10_000 }, called: { after: 0, inlineInsns: 0 } };

/** Run an ELF on one core (with statistics) with regions on or off at translation threshold hot. */
function runCore(elf: string, regions: Partial<RegionOptions>, hot: number): { out: Outcome; built: number } {
  const oldHot = setHotThreshold(hot);
  const oldRegions = setRegions(regions);
  const built = regionCount();
  try {
    const img = parseElf(readElfFile(elf), elf);
    const memory = new Memory(siracusa);
    loadElf(img, memory, elf);
    const core = new Core(memory, { stats: true });
    core.reset(img.entry);
    // budgets that are not multiples of anything: regions must stop where the core would
    for (let k = 0; k < 2000 && core.run(k % 2 ? 333 : 1000) === 'limit'; k++);
    const out: Outcome = {
      x: [...core.x], pc: core.pc, instret: core.instret, cycles: core.cycles, exitCode: core.exitCode, fault: core.fault?.cause,
      counters: core.counters(),
    };
    return { out, built: regionCount() - built };
  } finally {
    setHotThreshold(oldHot);
    setRegions(oldRegions);
  }
}

/** Regions off and on must agree on everything; returns the outcome with regions. */
function sameWithRegions(elf: string, hot: number, mode: Partial<RegionOptions>): Outcome {
  const off = runCore(elf, { on: false }, hot);
  const on = runCore(elf, { ...mode, on: true }, hot);
  expect(off.built).toBe(0);
  expect(on.built).toBeGreaterThan(0); // the program really ran in regions
  expect(on.out).toEqual(off.out);
  return on.out;
}

describe.skipIf(!HAVE_TOOLCHAIN)('regions of chained blocks', () => {
  for (const [name, mode] of Object.entries(MODES))
    for (const hot of [1, 8]) {
      it(`${name}: a store into a block of the running region hands back to the core (no fence.i), hot=${hot}`, () => {
        const out = sameWithRegions(assemble('regions_smc', SMC), hot, mode);
        expect(out.exitCode).toBe(0);
      });
      it(`${name}: a trap inside a region is precise (pc, instret, cycles, statistics), hot=${hot}`, () => {
        const out = sameWithRegions(assemble('regions_trap', TRAP), hot, mode);
        expect(out.fault).toContain('load access fault');
        expect(out.pc).toBe(0x1c000000 + 12); // the lw (after lui + addi and li)
      });
      it(`${name}: a hardware-loop end inside a region's block is run by the core, hot=${hot}`, () => {
        const out = sameWithRegions(assemble('regions_hwloop', HWLOOP), hot, mode);
        expect(out.exitCode).toBe((40 * 5 * 6 + 30 * 6) & 0xff);
      });
    }

  it('8 cores with L1 bank conflicts: the same cycles and statistics with and without regions', async () => {
    const elf = join(CLUSTER_OUT, 'regions-matmul-8.elf');
    await buildProgram({ sources: [join(REPO, 'test', 'cluster', 'programs', 'matmul.c'), CLUSTER_C], out: elf, defines: ['M=32', 'N=16', 'K=32', 'NCORES=8'] });
    const run = (regions: Partial<RegionOptions>): { r: ClusterResult; built: number } => {
      const oldHot = setHotThreshold(8);
      const old = setRegions(regions);
      const built = regionCount();
      try {
        const r = runCluster(elf, { stats: true });
        return { r, built: regionCount() - built };
      } finally {
        setHotThreshold(oldHot);
        setRegions(old);
      }
    };
    const strip = (r: ClusterResult) => ({ ...r, trace: undefined, energy: undefined });
    const off = run({ on: false });
    expect(off.r.fault).toBeUndefined();
    expect(off.r.bankConflicts).toBeGreaterThan(0);
    for (const mode of Object.values(MODES)) {
      const on = run({ ...mode, on: true });
      expect(on.built).toBeGreaterThan(0);
      expect(strip(on.r)).toEqual(strip(off.r));
    }
  });
});
