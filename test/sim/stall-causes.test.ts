// Per-cause stall cycles and per-class instruction counts (Core `stats`, Cluster `stats`): exact on
// hand-counted snippets (timing from platform.md's "manual" column: load-use +1, taken branch 3,
// jal/jalr 2, mulh 5, div/rem 3 + clz32(divisor), misaligned +1), the same with compiled blocks and
// single steps (the --itrace path), and adding up to the cycles on real programs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode } from '../../isa/encoder.js';
import { buildProgram, RUNTIME_DIR } from '../../src/runtime/build.js';
import { runCluster, type ClusterResult } from '../../src/sim/cluster/cluster.js';
import { energyTable } from '../../src/sim/energy.js';
import { assemble, HAVE_TOOLCHAIN, OUT, REPO } from './helpers.js';

const word = (w: number) => `.word 0x${(w >>> 0).toString(16)}`;

/** Run on one cluster core with statistics: compiled blocks, or single steps like --itrace. */
function run(elf: string, single: boolean, cores = 1): ClusterResult {
  const r = runCluster(elf, { cores, stats: true, onRetire: single ? () => {} : undefined });
  expect(r.fault).toBeUndefined();
  expect(r.exitCode).toBe(0);
  return r;
}

const zeroClasses = { alu: 0, mul: 0, div: 0, load: 0, store: 0, branch: 0, jump: 0, simd: 0, system: 0, hwloop: 0 };

describe.skipIf(!HAVE_TOOLCHAIN)('stall causes and instruction classes', () => {
  // t0 -> L1 (1-cycle loads, one core never conflicts with itself), no L2 data accesses.
  const scalar = `
  .option norvc
  .globl _start
_start:
  lui t0, 0x10000          # alu
  addi t1, zero, 5         # alu
  lw t2, 0(t0)             # load
  add t3, t2, t1           # alu, load-use +1
  mulh t4, t1, t1          # mul, 5 cycles: +4
  mul t5, t1, t1           # mul, 1 cycle
  addi a1, zero, 7         # alu
  div t6, t1, a1           # div, 3 + clz32(7) = 32 cycles: +31
  remu a2, t1, zero        # div, 3 + clz32(0) = 35 cycles: +34
  jal ra, f                # jump +1
  jal zero, done           # jump +1
f:
  addi s0, zero, 3         # alu
1:
  addi s0, s0, -1          # alu x3
  bne s0, zero, 1b         # branch x3, taken twice: +2 +2
  lw s1, 1(t0)             # load, misaligned +1
  addi s3, zero, 1         # alu (the next one does not use the load)
  sw s1, 4(t0)             # store
  jalr zero, 0(ra)         # jump +1
done:
  csrr s2, mcycle          # system
  addi a7, zero, 93        # alu
  addi a0, zero, 0         # alu
  ecall                    # system (exit 0)
  .data
  .word 1, 2, 3, 4
`;
  const scalarClasses = { ...zeroClasses, alu: 11, mul: 2, div: 2, load: 2, store: 1, branch: 3, jump: 3, system: 2 };
  const scalarStalls = { loadUse: 1, branch: 4, jump: 3, mul: 4, div: 31 + 34, misaligned: 1 };

  // A hardware loop of 20 iterations over p.lw x!, p.lw y!, pv.sdotsp.b (the sdotsp uses y loaded
  // just before it: +1 per iteration; the body's last instruction loads nothing: no wrap stall).
  const hwloop = `
  .option norvc
  .globl _start
_start:
  lui a0, 0x10000          # alu
  addi a1, a0, 256         # alu
  addi a2, zero, 0         # alu
  .balign 4
  ${word(encode('lp.setupi', { rd: 0, imm: 20, imm2: 6 }))}   # hwloop: body = the next 3 instructions
  ${word(encode('LW_POSTINC', { rd: 5, rs1: 10, imm: 4 }))}   # p.lw t0, 4(a0!)   load
  ${word(encode('LW_POSTINC', { rd: 6, rs1: 11, imm: 4 }))}   # p.lw t1, 4(a1!)   load
  ${word(encode('pv.sdotsp.b', { rd: 12, rs1: 5, rs2: 6 }))}  # pv.sdotsp.b a2, t0, t1: simd, load-use +1
  ${word(encode('p.mac', { rd: 12, rs1: 5, rs2: 6 }))}        # p.mac a2, t0, t1: mul (t1 not loaded just before)
  addi a7, zero, 93        # alu
  addi a0, zero, 0         # alu
  ecall                    # system
`;
  const hwClasses = { ...zeroClasses, alu: 5, load: 40, simd: 20, mul: 1, hwloop: 1, system: 1 };
  const hwStalls = { loadUse: 20, branch: 0, jump: 0, mul: 0, div: 0, misaligned: 0 };

  const cases = [
    ['scalar', scalar, scalarClasses, scalarStalls],
    ['hwloop', hwloop, hwClasses, hwStalls],
  ] as const;
  for (const [name, src, classes, stalls] of cases) {
    for (const single of [false, true]) {
      it(`${name}: exact per cause and class (${single ? 'single steps' : 'compiled blocks'})`, () => {
        const elf = assemble(`stall-${name}`, src, { dataAddr: 0x10000000 });
        const r = run(elf, single);
        const c = r.cores[0]!;
        const n = Object.values(classes).reduce((a, b) => a + b, 0);
        const s = Object.values(stalls).reduce((a, b) => a + b, 0);
        expect(c.instructions).toBe(n);
        expect(c.instrClasses).toEqual(classes);
        expect(r.instrClasses).toEqual(classes);
        expect(c.stalls).toMatchObject({ ...stalls, pipeline: s, bankConflict: 0, l2: 0, wmem: 0, event: 0, dmaQueue: 0 });
        expect(r.cycles).toBe(n + s);
      });
    }
  }

  it('energy: instructions charged per class', () => {
    const r = run(assemble('stall-hwloop', hwloop, { dataAddr: 0x10000000 }), false);
    const e = r.energy.byEntryUJ;
    // 40 loads, 20 dot products, 1 mac, 5 alu, 2 system/hwloop, each at its class's entry
    const t = energyTable;
    expect(e.instrLoadStore).toBeCloseTo(40 * t.instrLoadStore.pj * 1e-6, 12);
    expect(e.instrSimd).toBeCloseTo(20 * t.instrSimd.pj * 1e-6, 12);
    expect(e.instrMulMac).toBeCloseTo(t.instrMulMac.pj * 1e-6, 12);
    expect(e.instrAlu).toBeCloseTo(5 * t.instrAlu.pj * 1e-6, 12);
    expect(e.instrSystem).toBeCloseTo(2 * t.instrSystem.pj * 1e-6, 12);
  });

  it('without stats: no per-cause keys, pipeline is the remainder as before', () => {
    const elf = assemble('stall-scalar', scalar, { dataAddr: 0x10000000 });
    const r = runCluster(elf, { cores: 1 });
    expect(Object.keys(r.cores[0]!.stalls).sort()).toEqual(['bankConflict', 'dmaQueue', 'event', 'l2', 'pipeline', 'wmem']);
    expect(r.cores[0]!.stalls.pipeline).toBe(78);
    expect(r.instrClasses).toBeUndefined();
  });

  // The causes add up: cycles = sleep + instructions + the core's causes + the cluster's ones.
  const programs: [string, () => Promise<string>, number][] = [
    ['examples/matmul-int8', async () => {
      const out = join(OUT, 'stall-matmul-int8.elf');
      await buildProgram({ sources: [join(REPO, 'examples', 'matmul-int8', 'main.c')], out });
      return out;
    }, 8],
    ['test/cluster/programs/matmul.c on 8 cores', async () => {
      const out = join(OUT, 'stall-cluster-matmul.elf');
      await buildProgram({
        sources: [join(REPO, 'test', 'cluster', 'programs', 'matmul.c'), join(RUNTIME_DIR, 'cluster.c')],
        out, defines: ['M=32', 'N=16', 'K=32', 'NCORES=8'],
      });
      return out;
    }, 8],
  ];
  for (const [name, build, cores] of programs) {
    it(`${name}: causes sum to cycles - sleep - instructions - other stalls; blocks = single steps; deterministic`, async () => {
      const elf = await build();
      const a = run(elf, false, cores);
      for (const c of a.cores) {
        const st = c.stalls;
        const own = st.loadUse! + st.branch! + st.jump! + st.mul! + st.div! + st.misaligned!;
        expect(st.pipeline).toBe(own);
        const core = c.cycles; // end of run; a core still asleep has its tail in sleepCycles
        expect(own).toBe(core - c.sleepCycles - c.instructions - st.bankConflict - st.l2 - st.wmem - st.event - st.dmaQueue);
        expect(Object.values(c.instrClasses!).reduce((x, y) => x + y, 0)).toBe(c.instructions);
      }
      expect(a.cores[0]!.stalls.loadUse).toBeGreaterThan(0);
      expect(a.cores[0]!.stalls.branch).toBeGreaterThan(0);
      const b = run(elf, false, cores);
      expect(b.cores).toEqual(a.cores);
      if (cores === 8 && name.startsWith('examples')) {
        // single-core program: single steps give the same counts as compiled blocks on core 0
        const s = run(elf, true, 1);
        const j = run(elf, false, 1);
        expect(s.cores[0]!.instrClasses).toEqual(j.cores[0]!.instrClasses);
        expect(s.cores[0]!.stalls).toEqual(j.cores[0]!.stalls);
        expect(s.cycles).toBe(j.cycles);
        expect(s.cores[0]!.instructions).toBe(j.cores[0]!.instructions);
      }
    }, 60_000);
  }
});
