// RV32IM semantics with edge values; expected values worked out by hand from the ISA manual.
import { describe, expect, it } from 'vitest';
import { encode } from '../../isa/index.js';
import { CODE, DATA, exec, one } from './exec.js';

const MIN = -0x80000000;
const MAX = 0x7fffffff;
const A = 10; // a0 = rd
const B = 11; // a1 = rs1
const C = 12; // a2 = rs2

// [id, rs1 value, rs2 value, expected rd]
const RR: [string, number, number, number][] = [
  ['add', MAX, 1, MIN], // overflow wraps
  ['add', -1, -1, -2],
  ['sub', 0, 1, -1],
  ['sub', MIN, 1, MAX],
  ['sll', 1, 31, MIN],
  ['sll', 1, 33, 2], // shift amount mod 32
  ['srl', MIN, 31, 1],
  ['srl', -1, 32, -1],
  ['sra', MIN, 31, -1],
  ['sra', MIN, 4, -0x08000000],
  ['slt', -1, 1, 1],
  ['slt', 1, -1, 0],
  ['sltu', -1, 1, 0], // 0xffffffff > 1 unsigned
  ['sltu', 1, -1, 1],
  ['xor', 0x0f0f0f0f, -1, -0x0f0f0f10],
  ['or', 0x00ff0000, 0x0000ff00, 0x00ffff00],
  ['and', -1, 0x1234, 0x1234],
  ['mul', MAX, 2, -2],
  ['mul', 0x10000, 0x10000, 0],
  ['mulh', MIN, MIN, 0x40000000],
  ['mulh', -1, -1, 0], // 1
  ['mulh', MAX, -1, -1], // -0x7fffffff -> high word all ones
  ['mulhu', -1, -1, -2], // 0xffffffff^2 = 0xfffffffe_00000001
  ['mulhu', 0x10000, 0x10000, 1],
  ['mulhsu', -1, -1, -1], // -1 * 0xffffffff = -0xffffffff -> high 0xffffffff
  ['mulhsu', 2, -1, 1], // 2 * 0xffffffff = 0x1_fffffffe
  ['div', -7, 2, -3], // rounds toward zero
  ['div', MIN, -1, MIN], // overflow
  ['div', 5, 0, -1], // division by zero
  ['divu', -1, 2, MAX],
  ['divu', 5, 0, -1],
  ['rem', -7, 2, -1],
  ['rem', MIN, -1, 0],
  ['rem', 5, 0, 5],
  ['remu', -1, 10, 5], // 4294967295 % 10
  ['remu', -7, 0, -7],
];

// [id, rs1 value, imm, expected]
const RI: [string, number, number, number][] = [
  ['addi', MAX, 1, MIN],
  ['addi', 5, -2048, -2043],
  ['slti', -5, -4, 1],
  ['sltiu', 5, -1, 1], // imm sign-extended then compared unsigned: 5 < 0xffffffff
  ['sltiu', -1, -1, 0],
  ['xori', 0x0f, -1, -0x10],
  ['ori', 0x100, 0x0ff, 0x1ff],
  ['andi', -1, -2048, -2048],
  ['slli', 3, 31, MIN],
  ['srli', MIN, 31, 1],
  ['srai', MIN, 31, -1],
  ['srai', 0x40000000, 30, 1],
];

describe('RV32IM register-register', () => {
  for (const [id, a, b, want] of RR)
    it(`${id} ${a}, ${b} = ${want}`, () => {
      expect(one(id, { rd: A, rs1: B, rs2: C }, { [B]: a, [C]: b })).toBe(want | 0);
    });
});

describe('RV32I register-immediate', () => {
  for (const [id, a, imm, want] of RI)
    it(`${id} ${a}, ${imm} = ${want}`, () => {
      expect(one(id, { rd: A, rs1: B, imm }, { [B]: a })).toBe(want | 0);
    });
  it('lui and auipc', () => {
    expect(one('lui', { rd: A, imm: 0xfffff000 | 0 }, {})).toBe(-4096);
    const { core } = exec([encode('addi', { rd: 1, rs1: 0, imm: 1 }), encode('auipc', { rd: A, imm: 0x12345000 })]);
    expect(core.x[A]).toBe((CODE + 4 + 0x12345000) | 0);
  });
  it('x0 as destination stays zero', () => {
    const { core } = exec([encode('addi', { rd: 0, rs1: 0, imm: 5 }), encode('lui', { rd: 0, imm: 0x1000 }), encode('add', { rd: A, rs1: 0, rs2: 0 })]);
    expect(core.x[0]).toBe(0);
    expect(core.x[A]).toBe(0);
  });
});

describe('RV32I loads and stores', () => {
  const data = Uint8Array.from([0x80, 0xff, 0x34, 0x12, 0x78, 0x56, 0x34, 0x92]);
  const ld = (id: string, imm: number) => exec([encode(id, { rd: A, rs1: B, imm })], { [B]: DATA }, { data }).core.x[A];
  it('sign and zero extension', () => {
    expect(ld('lb', 0)).toBe(-128);
    expect(ld('lbu', 0)).toBe(0x80);
    expect(ld('lh', 0)).toBe(-128); // 0xff80
    expect(ld('lhu', 0)).toBe(0xff80);
    expect(ld('lw', 0)).toBe(0x1234ff80);
    expect(ld('lw', 4)).toBe(0x92345678 | 0);
  });
  it('misaligned loads work (RI5CY splits them) and cost one extra cycle', () => {
    expect(ld('lw', 1)).toBe(0x781234ff);
    expect(ld('lh', 3)).toBe(0x7812);
    const aligned = exec([encode('lw', { rd: A, rs1: B, imm: 0 })], { [B]: DATA }, { data }).core.cycles;
    const mis = exec([encode('lw', { rd: A, rs1: B, imm: 1 })], { [B]: DATA }, { data }).core.cycles;
    expect(mis - aligned).toBe(1);
  });
  it('stores of every size, and a load from L1 through its 0x0 alias', () => {
    const { memory } = exec(
      [
        encode('sw', { rs1: B, rs2: C, imm: 0 }),
        encode('sh', { rs1: B, rs2: C, imm: 4 }),
        encode('sb', { rs1: B, rs2: C, imm: 7 }),
      ],
      { [B]: 0x10001000, [C]: 0x89abcdef | 0 },
    );
    expect(Array.from(memory.readBytes(0x1000, 8))).toEqual([0xef, 0xcd, 0xab, 0x89, 0xef, 0xcd, 0, 0xef]);
  });
  it('an unmapped load is an access fault naming the address', () => {
    const { core } = exec([encode('lw', { rd: A, rs1: B, imm: 0 })], { [B]: 0x30000000 });
    expect(core.fault?.cause).toMatch(/load access fault.*0x30000000/);
    expect(core.fault?.pc).toBe(CODE);
  });
});

describe('RV32I control transfer', () => {
  it('branches: taken and not taken, with the cycle cost of platform.md (taken 3, not taken 1)', () => {
    for (const [id, a, b, taken] of [
      ['beq', 1, 1, true], ['beq', 1, 2, false], ['bne', 1, 2, true], ['blt', -1, 0, true], ['blt', 0, -1, false],
      ['bge', 0, 0, true], ['bltu', 0, -1, true], ['bltu', -1, 0, false], ['bgeu', -1, 0, true],
    ] as [string, number, number, boolean][]) {
      // branch +8 skips the addi a0,a0,1
      const { core } = exec([encode(id, { rs1: B, rs2: C, imm: 8 }), encode('addi', { rd: A, rs1: A, imm: 1 })], { [B]: a, [C]: b });
      expect(core.x[A], `${id} ${a} ${b}`).toBe(taken ? 0 : 1);
      expect(core.cycles, `${id} cycles`).toBe(taken ? 3 + 1 : 1 + 1 + 1); // + the ebreak
    }
  });
  it('jal and jalr link the return address; jalr clears bit 0', () => {
    const { core } = exec([encode('jal', { rd: 1, imm: 8 }), encode('addi', { rd: A, rs1: 0, imm: 1 }), encode('jalr', { rd: 5, rs1: B, imm: 1 })], {
      [B]: CODE + 12,
    });
    expect(core.x[1]).toBe(CODE + 4);
    expect(core.x[5]).toBe(CODE + 12);
    expect(core.x[A]).toBe(0);
    expect(core.pc).toBe(CODE + 12); // landed on the ebreak at CODE+12
  });
});

describe('timing of platform.md (manual column)', () => {
  const cyc = (words: number[], regs: Record<number, number> = {}) => exec(words, regs).core.cycles - 1; // minus ebreak
  it('mulh* 5 cycles, mul 1, div 3 + clz(divisor)', () => {
    expect(cyc([encode('mul', { rd: A, rs1: B, rs2: C })])).toBe(1);
    expect(cyc([encode('mulh', { rd: A, rs1: B, rs2: C })])).toBe(5);
    expect(cyc([encode('div', { rd: A, rs1: B, rs2: C })], { [C]: 1 })).toBe(3 + 31);
    expect(cyc([encode('divu', { rd: A, rs1: B, rs2: C })], { [C]: -1 })).toBe(3);
    expect(cyc([encode('rem', { rd: A, rs1: B, rs2: C })], { [C]: 0 })).toBe(35);
  });
  it('load-use stall +1; L2 load latency 14', () => {
    const l1 = { [B]: 0x10000000 };
    const loadThenUse = [encode('lw', { rd: A, rs1: B, imm: 0 }), encode('addi', { rd: C, rs1: A, imm: 1 })];
    const loadThenOther = [encode('lw', { rd: A, rs1: B, imm: 0 }), encode('addi', { rd: C, rs1: B, imm: 1 })];
    expect(cyc(loadThenUse, l1)).toBe(3);
    expect(cyc(loadThenOther, l1)).toBe(2);
    expect(cyc([encode('lw', { rd: A, rs1: B, imm: 0 })], { [B]: DATA })).toBe(1 + 14);
  });
});

describe('self-modifying code', () => {
  it('a store over already-executed code is seen the next time it runs (decode cache and blocks dropped)', () => {
    // 0: addi a0,a0,1 ; 4: sw a2,0(a1) (overwrites the instruction at 0 with addi a0,a0,100)
    // 8: addi a3,a3,1 ; 12: bne a3,a4,-12 (back to 0, runs twice)
    const { core } = exec(
      [
        encode('addi', { rd: A, rs1: A, imm: 1 }),
        encode('sw', { rs1: B, rs2: C, imm: 0 }),
        encode('addi', { rd: 13, rs1: 13, imm: 1 }),
        encode('bne', { rs1: 13, rs2: 14, imm: -12 }),
      ],
      { [B]: CODE, [C]: encode('addi', { rd: A, rs1: A, imm: 100 }), 14: 2 },
    );
    expect(core.x[A]).toBe(101);
  });
});

describe('fetch at the end of memory', () => {
  it('a 32-bit instruction running past the end of L1 is an instruction access fault at its own pc', async () => {
    const { Core } = await import('../../src/sim/core.js');
    const { Memory } = await import('../../src/sim/memory.js');
    const { siracusa } = await import('../../src/sim/platform/siracusa.js');
    const end = 0x10000000 + 256 * 1024;
    for (const jit of [true, false]) {
      const memory = new Memory(siracusa);
      // addi a0,a0,1 ; c.nop ; then the low half of a 32-bit instruction in the last 2 bytes
      const dv = new DataView(new ArrayBuffer(8));
      dv.setUint32(0, encode('addi', { rd: A, rs1: A, imm: 1 }), true);
      dv.setUint16(4, 0x0001, true);
      dv.setUint16(6, 0x0513, true);
      memory.writeBytes(end - 8, new Uint8Array(dv.buffer));
      const core = new Core(memory);
      core.jit = jit;
      core.reset(end - 8);
      expect(core.run(1000)).toBe('fault');
      expect(core.fault?.cause).toMatch(/instruction access fault/);
      expect([core.x[A], core.instret, core.fault?.pc]).toEqual([1, 2, end - 2]);
    }
  });
});
