// The instruction tables: transcription of the XpulpV2 spec, overlap check, encoder/decoder.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { decoder, disassemble, encode, isa, unexpectedOverlaps, type IsaTables } from '../../isa/index.js';
import { AS, HAVE_TOOLCHAIN, OBJDUMP, OUT, REPO, ensureDir } from '../sim/helpers.js';

const TSV = join(REPO, '..', 'shared', 'spec', 'xpulpv2-encodings.tsv');

describe.skipIf(!existsSync(TSV))('XpulpV2 table vs ../shared/spec/xpulpv2-encodings.tsv', () => {
  const rows = readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  it('has all 306 rows with the same mnemonic, id, format and bit pattern', () => {
    expect(rows.length).toBe(306);
    const x = isa().entries.filter((e) => e.ext === 'XpulpV2');
    expect(x.length).toBe(306);
    for (const [k, [mnemonic, id, format, bits]] of rows.entries()) {
      const e = x[k];
      expect([e.mnemonic, e.id, e.formatName]).toEqual([mnemonic, id, format]);
      const p = bits.replace(/\s/g, '');
      let mask = 0;
      let match = 0;
      for (let b = 0; b < 32; b++) {
        const ch = p[31 - b];
        if (ch !== '-') mask |= 1 << b;
        if (ch === '1') match |= 1 << b;
      }
      expect([e.mask, e.match], id).toEqual([mask >>> 0, match >>> 0]);
    }
  });
});

describe('overlap check', () => {
  it('finds no overlap beyond the explicitly allowed ones', () => {
    expect(unexpectedOverlaps()).toEqual([]);
  });
  it('reports an overlap that is not allowed', () => {
    const t = isa();
    const lw = t.byId.get('lw')!;
    // a fake instruction in LOAD funct3=010 (lw's slot) must be caught
    const fake = { ...lw, id: 'fake.lw', mnemonic: 'fake.lw', mask: 0xfe00707f, match: 0x00002003 };
    const bad: IsaTables = { ...t, entries: [...t.entries, fake] };
    expect(unexpectedOverlaps(bad)).toContainEqual({ a: 'lw', b: 'fake.lw' });
  });
  it('register-register loads, p.elw and p.beqimm sit in free slots of the base opcodes', () => {
    const d = decoder();
    expect(d.decode(encode('LW_RR', { rd: 10, rs1: 11, rs2: 12 })).entry?.id).toBe('LW_RR');
    expect(d.decode(encode('lw', { rd: 10, rs1: 11, imm: -4 })).entry?.id).toBe('lw');
    expect(d.decode(encode('p.elw', { rd: 10, rs1: 11, imm: 8 })).entry?.id).toBe('p.elw');
    expect(d.decode(encode('p.beqimm', { rs1: 10, imm: 16, imm2: -3 })).entry?.id).toBe('p.beqimm');
    expect(d.decode(encode('beq', { rs1: 10, rs2: 3, imm: 16 })).entry?.id).toBe('beq');
    // p.muls is the N=0 case of p.mulsN: the specific row wins
    expect(d.decode(encode('p.mulsN', { rd: 1, rs1: 2, rs2: 3, imm: 0 })).entry?.id).toBe('p.muls');
    expect(d.decode(encode('p.mulsN', { rd: 1, rs1: 2, rs2: 3, imm: 5 })).entry?.id).toBe('p.mulsN');
  });
});

describe('encoder and decoder', () => {
  it('round-trip every 32-bit instruction with every operand slot exercised', () => {
    const d = decoder();
    for (const e of isa().entries) {
      const ops = { rd: 5, rs1: 17, rs2: 30, imm: e.formatName === 'U' ? 0x6000 : 6, imm2: 2 };
      const w = encode(e.id, ops);
      const got = d.decode(w);
      expect(got.entry?.id, e.id).toBe(
        // the N=0-equivalent rows decode as their specific twin only when N=0; here N=3
        e.id,
      );
      for (const s of e.format.slots) {
        const want = e.formatName === 'Format_HL0' || e.formatName === 'Format_HL1' ? (s === 'rd' ? 1 : ops[s]) : ops[s];
        expect(got[s], `${e.id}.${s}`).toBe(want);
      }
    }
  });
  it('illegal words decode to nothing', () => {
    expect(decoder().decode(0xffffffff).entry).toBeUndefined();
    expect(decoder().decode(0x0000).entry).toBeUndefined(); // c.unimp (c.addi4spn with imm 0)
    expect(disassemble(0x0000)).toBe('unimp');
  });
  it('RVC expands to the 32-bit forms (hand-decoded)', () => {
    // c.addi sp,-16 = 0x1141 -> addi sp,sp,-16; c.lw a0,4(a1) = 0x41c8; c.j +0 = 0xa001
    const d = decoder();
    const a = d.decode(0x1141);
    expect([a.entry?.id, a.rd, a.rs1, a.imm, a.size]).toEqual(['addi', 2, 2, -16, 2]);
    const b = d.decode(0x41c8);
    expect([b.entry?.id, b.rd, b.rs1, b.imm]).toEqual(['lw', 10, 11, 4]);
    const c = d.decode(0xa001);
    expect([c.entry?.id, c.rd, c.imm]).toEqual(['jal', 0, 0]);
  });
});

describe.skipIf(!HAVE_TOOLCHAIN)('encoder vs GNU as .insn', () => {
  it('R-type XpulpV2 instructions encode as `.insn r opcode, funct3, funct7` assembles them', () => {
    // bit 25 is an operand bit ('-') in the pv.* rows; .insn r sets it to 0 like the encoder does
    const rs = isa().entries.filter(
      (e) => e.ext === 'XpulpV2' && (e.mask | 0x02000000) >>> 0 === 0xfe00707f && e.format.slots.includes('rs2') && !e.format.slots.includes('imm'),
    );
    expect(rs.length).toBeGreaterThan(80);
    const src = rs.map((e) => `.insn r 0x${(e.match & 0x7f).toString(16)}, ${(e.match >>> 12) & 7}, 0x${(e.match >>> 25).toString(16)}, a0, a1, t6`);
    const dir = ensureDir(OUT);
    const s = join(dir, 'insn-r.s');
    const o = join(dir, 'insn-r.o');
    writeFileSync(s, src.join('\n') + '\n');
    execFileSync(AS, ['-march=rv32imc', s, '-o', o]);
    const words = execFileSync(OBJDUMP, ['-d', o]).toString().split('\n')
      .map((l) => /^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s/.exec(l)?.[1]).filter((x): x is string => !!x).map((h) => parseInt(h, 16));
    expect(words.length).toBe(rs.length);
    rs.forEach((e, k) => expect(encode(e.id, { rd: 10, rs1: 11, rs2: 31 }), e.id).toBe(words[k]));
  });
});

describe('XpulpV2 disassembly (PULP binutils style)', () => {
  const d = (id: string, ops: Parameters<typeof encode>[1], pc = 0x1c000000) => disassemble(encode(id, ops), pc);
  it('memory forms show the post-increment with "!"', () => {
    expect(d('LW_POSTINC', { rd: 10, rs1: 11, imm: 4 })).toBe('p.lw\ta0,4(a1!)');
    expect(d('LBU_RR_POSTINC', { rd: 10, rs1: 11, rs2: 12 })).toBe('p.lbu\ta0,a2(a1!)');
    expect(d('LH_RR', { rd: 10, rs1: 11, rs2: 12 })).toBe('p.lh\ta0,a2(a1)');
    expect(d('SW_RR', { rs2: 10, rs1: 11, rd: 13 })).toBe('p.sw\ta0,a3(a1)');
    expect(d('SB_POSTINC', { rs2: 10, rs1: 11, imm: -1 })).toBe('p.sb\ta0,-1(a1!)');
    expect(d('p.elw', { rd: 10, rs1: 11, imm: 60 })).toBe('p.elw\ta0,60(a1)');
  });
  it('hardware loops print the loop index and absolute addresses', () => {
    expect(d('lp.setup', { rd: 0, rs1: 12, imm: 6 })).toBe('lp.setup\t0,a2,1c00000c');
    expect(d('lp.setupi', { rd: 1, imm: 100, imm2: 8 })).toBe('lp.setupi\t1,100,1c000010');
    expect(d('lp.counti', { rd: 1, imm: 7 })).toBe('lp.counti\t1,7');
    expect(d('lp.starti', { rd: 0, imm: 4 })).toBe('lp.starti\t0,1c000008');
  });
  it('ALU, SIMD and branch forms', () => {
    expect(d('pv.sdotsp.b', { rd: 15, rs1: 17, rs2: 6 })).toBe('pv.sdotsp.b\ta5,a7,t1');
    expect(d('pv.add.sci.h', { rd: 10, rs1: 11, imm: -3 })).toBe('pv.add.sci.h\ta0,a1,-3');
    expect(d('p.extracti', { rd: 10, rs1: 11, imm: 7, imm2: 8 })).toBe('p.extracti\ta0,a1,7,8');
    expect(d('p.beqimm', { rs1: 10, imm: -8, imm2: -5 })).toBe('p.beqimm\ta0,-5,1bfffff8');
  });
});
