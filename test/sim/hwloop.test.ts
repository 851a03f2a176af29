// Hardware loops (xpulpv2.md "Hardware loops"): both setup forms, nesting, counts 1 and large, the
// shortest legal body, and violations reported as faults. Expected values counted by hand.
import { describe, expect, it } from 'vitest';
import { encode } from '../../isa/index.js';
import { CODE, exec } from './exec.js';

const addi = (rd: number, imm = 1) => encode('addi', { rd, rs1: rd, imm });
const NOP = encode('addi', { rd: 0, rs1: 0, imm: 0 });
// lp.setupi L, count, end offset in halfwords from the lp instruction
const setupi = (L: number, count: number, endWords: number) => encode('lp.setupi', { rd: L, imm: count, imm2: endWords * 2 });
const setup = (L: number, rs1: number, endWords: number) => encode('lp.setup', { rd: L, rs1, imm: endWords * 2 });

describe('hardware loops', () => {
  it('lp.setupi: 3-instruction body (the shortest legal one) runs count times', () => {
    const { core } = exec([setupi(0, 4, 3), addi(10), addi(11, 2), addi(12, 3), addi(13)]);
    expect([core.x[10], core.x[11], core.x[12], core.x[13]]).toEqual([4, 8, 12, 1]);
    expect(core.lpCount[0]).toBe(0);
  });

  it('lp.setup with the count in a register: count 1 and a large count', () => {
    const prog = [setup(0, 5, 3), addi(10), addi(11), addi(12), addi(13)];
    expect(exec(prog, { 5: 1 }).core.x.slice(10, 14)).toEqual(Int32Array.from([1, 1, 1, 1]));
    const big = exec(prog, { 5: 100_000 });
    expect(Array.from(big.core.x.slice(10, 14))).toEqual([100_000, 100_000, 100_000, 1]);
    expect(big.core.instret).toBe(1 + 3 * 100_000 + 1);
  });

  it('zero overhead: the loop costs only its body cycles', () => {
    const { core } = exec([setup(0, 5, 3), addi(10), addi(11), addi(12)], { 5: 10 });
    expect(core.cycles).toBe(1 + 30 + 1); // lp.setup, 10 x 3 body, ebreak
  });

  it('lp.starti / lp.endi / lp.counti and lp.count', () => {
    // 0: starti L0 -> 16; 4: endi L0 -> 24; 8: counti L0 5; 12: nop; 16..24 body
    const prog = [
      encode('lp.starti', { rd: 0, imm: 8 }),
      encode('lp.endi', { rd: 0, imm: (24 - 4) / 2 }),
      encode('lp.counti', { rd: 0, imm: 5 }),
      NOP,
      addi(10),
      addi(11),
      addi(12),
      addi(13),
    ];
    const { core } = exec(prog);
    expect(Array.from(core.x.slice(10, 14))).toEqual([5, 5, 5, 1]);
    const viaReg = exec([prog[0], prog[1], encode('lp.count', { rd: 0, rs1: 6 }), NOP, ...prog.slice(4)], { 6: 7 });
    expect(Array.from(viaReg.core.x.slice(10, 14))).toEqual([7, 7, 7, 1]);
  });

  it('a fault in the middle of a long loop is precise (the hot body runs as one JS loop, jit.ts loopOf)', () => {
    // p.lw a0, 4(t0!) walks off the end of L2 in iteration 40 of 100; exec() compares single
    // steps, interpreted and translated blocks (registers, pc, instret, cycles, fault)
    const L2_END = 0x1c200000;
    const body = [encode('LW_POSTINC', { rd: 10, rs1: 5, imm: 4 }), encode('add', { rd: 11, rs1: 11, rs2: 10 }), addi(12)];
    const { core } = exec([setup(0, 6, 3), ...body, addi(13)], { 5: L2_END - 4 * 39, 6: 100 });
    expect(core.fault?.cause).toMatch(/load access fault/);
    expect(core.pc).toBe(CODE + 4);
    expect(core.x[12]).toBe(39);
    expect(core.x[5]).toBe(L2_END);
    expect(core.lpCount[0]).toBe(100 - 39);
    expect(core.instret).toBe(1 + 3 * 39);
  });

  it('nested loops: loop 0 inner with priority, loop 1 outer ending 8+ bytes after', () => {
    // 0: setupi L1 count 3 end=+28 ; 4: setupi L0 count 4 end=+12 (=16)
    // 8,12,16 inner body; 20, 24 outer tail; 28 outer end
    const prog = [setupi(1, 3, 7), setupi(0, 4, 3), addi(10), addi(11), addi(12), addi(13), NOP, addi(14), addi(15)];
    const { core } = exec(prog);
    expect(Array.from(core.x.slice(10, 16))).toEqual([12, 12, 12, 3, 3, 1]);
  });

  it('the loop registers are CSRs (lpstart0/lpend0/lpcount0 = 0x7b0..0x7b2)', () => {
    const prog = [
      setupi(0, 3, 4),
      encode('csrrs', { rd: 20, imm: 0x7b0, rs1: 0 }),
      encode('csrrs', { rd: 21, imm: 0x7b1, rs1: 0 }),
      encode('csrrs', { rd: 22, imm: 0x7b2, rs1: 0 }),
      addi(10),
    ];
    const { core } = exec(prog);
    // last iteration reads count 1
    expect([core.x[20], core.x[21], core.x[22], core.x[10]]).toEqual([CODE + 4, CODE + 16, 1, 3]);
  });

  describe('violations are reported as faults', () => {
    it('body shorter than 3 instructions', () => {
      const { core } = exec([setupi(0, 3, 2), addi(10), addi(11)]);
      expect(core.fault?.cause).toMatch(/hardware loop 0 .*at least 3 instructions/);
    });
    it('compressed instruction in the body', () => {
      // c.addi a0,1 (0x0505) twice in one word
      const { core } = exec([setupi(0, 3, 4), 0x05050505, addi(11), addi(12), addi(13)]);
      expect(core.fault?.cause).toMatch(/compressed instruction .*in the body/);
    });
    it('branch in the body', () => {
      const { core } = exec([setupi(0, 3, 3), addi(10), encode('beq', { rs1: 0, rs2: 1, imm: 8 }), addi(12)], { 1: 5 });
      expect(core.fault?.cause).toMatch(/'beq.*' .* is not allowed in the body/);
    });
    it('outer loop ending less than 8 bytes after the inner one', () => {
      const prog = [setupi(1, 2, 5), setupi(0, 2, 3), addi(10), addi(11), addi(12), addi(13)];
      const { core } = exec(prog);
      expect(core.fault?.cause).toMatch(/outer loop.* must end at least 8 bytes after/);
    });
  });
});
