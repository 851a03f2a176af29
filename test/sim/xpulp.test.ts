// XpulpV2 semantics. Register-to-register instructions: every table id against a plain-C reference
// (test/sim/ref/xpulp_ref.c, built with the host gcc) on edge and seeded random operands.
// Memory, branch and event-load forms: expected values worked out by hand.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { encode, isa, xpulpAlu, type Entry } from '../../isa/index.js';
import { Core } from '../../src/sim/core.js';
import { Memory } from '../../src/sim/memory.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { CODE, DATA, exec } from './exec.js';
import { HAVE_GCC, OUT, REPO, ensureDir } from './helpers.js';

const RD = 10;
const RS1 = 11;
const RS2 = 12;

const EDGES = [0, 1, -1, 0x7fffffff, 0x80000000, 0x7f7f7f7f, 0x80808080, 0x00ff00ff, 0xff00ff00, 0x12345678, 0xdeadbeef,
  0x7fff8000, 0x8000ffff, 0x01020304, 0x00010001, 0x1f, 0x3e0, 0x21f, 0x7f80ff01, 0x00008000].map((v) => v | 0);

/** Immediate values to try, per operand format: [imm, imm2] pairs in their legal ranges. */
function immediates(e: Entry): [number, number][] {
  switch (e.formatName) {
    case 'Format_RRS':
    case 'Format_RRRS':
      return [-32, -3, -1, 0, 1, 7, 8, 15, 16, 31].map((v) => [v, 0]);
    case 'Format_RRU':
    case 'Format_RRRU':
    case 'Format_RRU2':
      return [0, 1, 3, 7, 8, 15, 16, 31, 32, 45, 63].map((v) => [v, 0]);
    case 'Format_RRRU2':
    case 'Format_RRRRU':
    case 'Format_I1U':
      return [0, 1, 2, 7, 8, 15, 16, 30, 31].map((v) => [v, 0]);
    case 'Format_I4U':
    case 'Format_I5U':
      return [[0, 0], [7, 0], [7, 4], [15, 16], [31, 0], [0, 31], [3, 30], [30, 1], [8, 24], [5, 13]];
    default:
      return [[0, 0]];
  }
}

interface Case {
  e: Entry;
  a: number;
  b: number;
  c: number;
  imm: number;
  imm2: number;
}

const aluEntries = isa().entries.filter((e) => e.ext === 'XpulpV2' && xpulpAlu[e.id]);

function cases(): Case[] {
  const rnd = seedrandom('xpulp-alu');
  const r32 = () => (Math.floor(rnd() * 0x100000000) | 0);
  const out: Case[] = [];
  for (const e of aluEntries) {
    const imms = immediates(e);
    let k = 0;
    for (const a of EDGES)
      for (const b of [EDGES[(k * 7) % EDGES.length], EDGES[(k * 3 + 5) % EDGES.length], r32()]) {
        const [imm, imm2] = imms[k++ % imms.length];
        out.push({ e, a, b, c: k % 3 === 0 ? r32() : EDGES[k % EDGES.length], imm, imm2 });
      }
    for (let j = 0; j < 20; j++) {
      const [imm, imm2] = imms[j % imms.length];
      out.push({ e, a: r32(), b: r32(), c: r32(), imm, imm2 });
    }
  }
  return out;
}

describe('XpulpV2 register-to-register instructions vs the plain-C reference', () => {
  let ref = '';
  beforeAll(() => {
    if (!HAVE_GCC) return;
    ref = join(ensureDir(OUT), 'xpulp_ref');
    execFileSync('gcc', ['-O1', '-Wall', '-o', ref, join(REPO, 'test', 'sim', 'ref', 'xpulp_ref.c')]);
  });

  it('covers every XpulpV2 id except memory, branch, hardware-loop and p.elw forms', () => {
    const others = isa().entries.filter((e) => e.ext === 'XpulpV2' && !xpulpAlu[e.id]).map((e) => e.formatName);
    expect(aluEntries.length + others.length).toBe(306);
    const allowed = new Set(['Format_LR', 'Format_LRPOST', 'Format_LPOST', 'Format_SR', 'Format_SRPOST', 'Format_SPOST',
      'Format_SB2', 'Format_HL0', 'Format_HL1', 'Format_L']);
    expect(others.filter((f) => !allowed.has(f))).toEqual([]);
    // p.mac and pv.sdotsp.b have specialised handlers, but keep a table entry too
    expect(aluEntries.length).toBe(306 - others.length);
  });

  it.skipIf(!HAVE_GCC)('every id, edge + random operands, all lanes, .sc and .sci forms', () => {
    const all = cases();
    const memory = new Memory(siracusa);
    const core = new Core(memory);
    core.jit = false;
    const got: number[] = [];
    const word = new Uint8Array(8);
    const dv = new DataView(word.buffer);
    dv.setUint32(4, encode('ebreak'), true);
    for (const t of all) {
      dv.setUint32(0, encode(t.e.id, { rd: RD, rs1: RS1, rs2: RS2, imm: t.imm, imm2: t.imm2 }), true);
      memory.writeBytes(CODE, word);
      core.reset(CODE);
      core.x[RS1] = t.a;
      core.x[RS2] = t.b;
      core.x[RD] = t.c;
      expect(core.step(), t.e.id).toBe('limit');
      got.push(core.x[RD]);
    }
    const input = all.map((t) => `${t.e.id} ${t.a} ${t.b} ${t.c} ${t.imm} ${t.imm2}`).join('\n') + '\n';
    const want = execFileSync(ref, { input, maxBuffer: 64 << 20 }).toString().trim().split('\n').map(Number);
    expect(want.length).toBe(all.length);
    const bad: string[] = [];
    all.forEach((t, k) => {
      if (got[k] !== want[k] && bad.length < 20)
        bad.push(`${t.e.id} a=0x${(t.a >>> 0).toString(16)} b=0x${(t.b >>> 0).toString(16)} rd=0x${(t.c >>> 0).toString(16)} imm=${t.imm},${t.imm2}: sim 0x${(got[k] >>> 0).toString(16)} ref 0x${(want[k] >>> 0).toString(16)}`);
    });
    expect(bad).toEqual([]);
    expect(all.length).toBeGreaterThan(aluEntries.length * 60);
  });

  it('compiled blocks agree with the interpreter on every id', () => {
    for (const e of aluEntries) {
      const [imm, imm2] = immediates(e)[1] ?? [0, 0];
      expect(() => exec([encode(e.id, { rd: RD, rs1: RS1, rs2: RS2, imm, imm2 })], { [RS1]: 0x80ff017f, [RS2]: 0x7f01ff80, [RD]: 0x12345678 }), e.id).not.toThrow();
    }
  });
});

describe('XpulpV2 pinned by hand', () => {
  const one = (id: string, a: number, b: number, c = 0, imm = 0, imm2 = 0) =>
    exec([encode(id, { rd: RD, rs1: RS1, rs2: RS2, imm, imm2 })], { [RS1]: a, [RS2]: b, [RD]: c }).core.x[RD];
  it('p.clipi with Is2 = 0 clamps to [-1, 0] (GVSoC pulp_v2.hpp)', () => {
    expect(one('p.clipi', 100, 0, 0, 0)).toBe(0);
    expect(one('p.clipi', -100, 0, 0, 0)).toBe(-1);
    expect(one('p.clipi', 300, 0, 0, 8)).toBe(127);
    expect(one('p.clipi', -300, 0, 0, 8)).toBe(-128);
    expect(one('p.clipui', -5, 0, 0, 9)).toBe(0);
    expect(one('p.clipui', 300, 0, 0, 9)).toBe(255);
  });
  it('pv.sdotsp.b: 10 + (1*-1 + 2*-2 + 3*3 + 4*-128) = -498', () => {
    expect(one('pv.sdotsp.b', 0x04030201, 0x8003feff | 0, 10)).toBe(10 - 1 - 4 + 9 - 512);
  });
  it('pv.shuffle2.b: selector bit 2 picks rs1, else rd', () => {
    // lanes: sel 0 -> rd.b0, sel 5 -> rs1.b1, sel 2 -> rd.b2, sel 7 -> rs1.b3
    expect(one('pv.shuffle2.b', 0x44332211, 0x07020500, 0xddccbbaa | 0) >>> 0).toBe(0x44cc22aa);
  });
});

describe('XpulpV2 memory, branch and event-load forms', () => {
  const data = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]);
  it('post-increment loads use the old rs1, then add the increment', () => {
    for (const [id, want] of [['LB_POSTINC', -127], ['LBU_POSTINC', 0x81], ['LH_POSTINC', -0x7d7f], ['LHU_POSTINC', 0x8281], ['LW_POSTINC', 0x84838281 | 0]] as const) {
      const { core } = exec([encode(id, { rd: RD, rs1: RS1, imm: -12 })], { [RS1]: DATA }, { data });
      expect([core.x[RD], core.x[RS1]], id).toEqual([want, DATA - 12]);
    }
    const { core } = exec([encode('LW_RR_POSTINC', { rd: RD, rs1: RS1, rs2: RS2 })], { [RS1]: DATA, [RS2]: 4 }, { data });
    expect([core.x[RD], core.x[RS1]]).toEqual([0x84838281 | 0, DATA + 4]);
  });
  it('register-register loads address rs1 + rs2', () => {
    const { core } = exec([encode('LBU_RR', { rd: RD, rs1: RS1, rs2: RS2 })], { [RS1]: DATA, [RS2]: 5 }, { data });
    expect(core.x[RD]).toBe(0x86);
    const h = exec([encode('LH_RR', { rd: RD, rs1: RS1, rs2: RS2 })], { [RS1]: DATA + 8, [RS2]: -8 }, { data });
    expect(h.core.x[RD]).toBe(-0x7d7f);
  });
  it('a post-increment load with rd == rs1 is an illegal instruction', () => {
    const { core } = exec([encode('LW_POSTINC', { rd: RS1, rs1: RS1, imm: 4 })], { [RS1]: DATA });
    expect(core.fault?.cause).toMatch(/illegal instruction/);
  });
  it('stores: register-register, post-increment by register and by immediate', () => {
    const { memory, core } = exec(
      [
        encode('SW_RR', { rs1: RS1, rs2: RS2, rd: 13 }), // mem[rs1 + rs3] = rs2
        encode('SH_RR_POSTINC', { rs1: RS1, rs2: RS2, rd: 14 }), // mem[rs1] = rs2; rs1 += rs3
        encode('SB_POSTINC', { rs1: RS1, rs2: RS2, imm: 3 }),
      ],
      { [RS1]: DATA, [RS2]: 0x11223344, 13: 4, 14: 2 },
    );
    expect(Array.from(memory.readBytes(DATA, 8))).toEqual([0x44, 0x33, 0x44, 0, 0x44, 0x33, 0x22, 0x11]);
    expect(core.x[RS1]).toBe(DATA + 2 + 3);
  });
  it('p.beqimm / p.bneimm compare with the sign-extended 5-bit immediate', () => {
    const prog = (id: string, imm2: number) => [encode(id, { rs1: RS1, imm: 8, imm2 }), encode('addi', { rd: RD, rs1: 0, imm: 1 })];
    expect(exec(prog('p.beqimm', -16), { [RS1]: -16 }).core.x[RD]).toBe(0);
    expect(exec(prog('p.beqimm', -16), { [RS1]: 16 }).core.x[RD]).toBe(1);
    expect(exec(prog('p.bneimm', 15), { [RS1]: 15 }).core.x[RD]).toBe(1);
    expect(exec(prog('p.bneimm', 15), { [RS1]: 14 }).core.x[RD]).toBe(0);
  });
  it('p.elw on plain memory is a word load', () => {
    const { core } = exec([encode('p.elw', { rd: RD, rs1: RS1, imm: 4 })], { [RS1]: DATA }, { data });
    expect(core.x[RD]).toBe(0x88878685 | 0);
  });
});

describe('every XpulpV2 load and store id', () => {
  // memory at DATA: bytes 0x81 0x82 ... 0x88; expected values by hand (little-endian)
  const data = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]);
  const at2 = { LB: -0x7d, LBU: 0x83, LH: -0x7b7d, LHU: 0x8483, LW: 0x86858483 | 0 }; // address DATA + 2
  for (const [size, want] of Object.entries(at2)) {
    it(`${size}: register-register, post-increment immediate, post-increment register`, () => {
      // reg-reg: rs1 = DATA, rs2 = 2
      const rr = exec([encode(`${size}_RR`, { rd: RD, rs1: RS1, rs2: RS2 })], { [RS1]: DATA, [RS2]: 2 }, { data }).core;
      expect([rr.x[RD], rr.x[RS1]]).toEqual([want, DATA]);
      // post-inc immediate: access DATA + 2, then rs1 += 5
      const pi = exec([encode(`${size}_POSTINC`, { rd: RD, rs1: RS1, imm: 5 })], { [RS1]: DATA + 2 }, { data }).core;
      expect([pi.x[RD], pi.x[RS1]]).toEqual([want, DATA + 7]);
      // post-inc register: access DATA + 2, then rs1 += rs2 (-2)
      const pr = exec([encode(`${size}_RR_POSTINC`, { rd: RD, rs1: RS1, rs2: RS2 })], { [RS1]: DATA + 2, [RS2]: -2 }, { data }).core;
      expect([pr.x[RD], pr.x[RS1]]).toEqual([want, DATA]);
    });
  }
  for (const [size, bytes] of [['SB', [0x44]], ['SH', [0x44, 0x33]], ['SW', [0x44, 0x33, 0x22, 0x11]]] as const) {
    it(`${size}: register-register, post-increment immediate, post-increment register`, () => {
      const expectAt = (m: { readBytes(a: number, n: number): Uint8Array }, off: number) =>
        expect(Array.from(m.readBytes(DATA + off, bytes.length))).toEqual([...bytes]);
      const regs = { [RS1]: DATA, [RS2]: 0x11223344, 13: 4 };
      const rr = exec([encode(`${size}_RR`, { rs1: RS1, rs2: RS2, rd: 13 })], regs);
      expectAt(rr.memory, 4);
      expect(rr.core.x[RS1]).toBe(DATA);
      const pi = exec([encode(`${size}_POSTINC`, { rs1: RS1, rs2: RS2, imm: -8 })], regs);
      expectAt(pi.memory, 0);
      expect(pi.core.x[RS1]).toBe(DATA - 8);
      const pr = exec([encode(`${size}_RR_POSTINC`, { rs1: RS1, rs2: RS2, rd: 13 })], regs);
      expectAt(pr.memory, 0);
      expect(pr.core.x[RS1]).toBe(DATA + 4);
    });
  }
});
