// Parses the checked-in instruction tables (isa/*.opcodes) once. Everything else in isa/ — decoder,
// disassembler, encoder, overlap check — is derived from the parsed entries.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { cFields, formats, type Format, type Operands } from './fields.js';

/** One 32-bit instruction of a table. `index` is its dense number, used by the core's handler table. */
export interface Entry {
  readonly index: number;
  readonly mnemonic: string;
  /** Unique id: the mnemonic for RV tables, the TSV id column for XpulpV2 (p.lw has three). */
  readonly id: string;
  readonly ext: string;
  readonly formatName: string;
  readonly format: Format;
  readonly mask: number;
  readonly match: number;
  /** Instruction class (index into INSTR_CLASSES): per-class counters and energy (src/sim/energy.ts). */
  readonly iclass: number;
}

/** Instruction classes for statistics and the energy model; `mul` includes MAC, `simd` all pv.*
 * (SIMD ALU and dot products), `system` CSR/ecall/ebreak/mret/wfi/fence/fence.i, `hwloop` the lp.* setup. */
export const INSTR_CLASSES = ['alu', 'mul', 'div', 'load', 'store', 'branch', 'jump', 'simd', 'system', 'hwloop'] as const;
export type InstrClass = (typeof INSTR_CLASSES)[number];

/** The class of a table id (ids as in the .opcodes files; XpulpV2 memory ids are LW_RR, SW_POSTINC, ...). */
export function classOfId(id: string): InstrClass {
  if (id === 'jal' || id === 'jalr') return 'jump';
  if (/^(beq|bne|blt|bge|bltu|bgeu|p\.beqimm|p\.bneimm)$/.test(id)) return 'branch';
  if (/^(lb|lh|lw|lbu|lhu|p\.elw)$/.test(id) || /^L(B|H|W|BU|HU)_/.test(id)) return 'load';
  if (/^(sb|sh|sw)$/.test(id) || /^S[BHW]_/.test(id)) return 'store';
  if (/^(div|divu|rem|remu)$/.test(id)) return 'div';
  if (/^(mul|mulh|mulhsu|mulhu|p\.msu)$/.test(id) || /^p\.(mul|mac)/.test(id)) return 'mul';
  if (id.startsWith('pv.')) return 'simd';
  if (/^(csrr[wsc]i?|ecall|ebreak|mret|wfi|fence|fence\.i)$/.test(id)) return 'system';
  if (id.startsWith('lp.')) return 'hwloop';
  return 'alu';
}

/** A compressed form: a 16-bit pattern and how it expands to one 32-bit entry. */
export interface CEntry {
  readonly mnemonic: string;
  readonly mask: number;
  readonly match: number;
  readonly target: Entry;
  /** operand slot -> field extractor or constant */
  readonly operands: readonly { slot: keyof Operands; get: (h: number) => number }[];
  readonly nonzero: readonly (keyof Operands)[];
}

export interface AllowedOverlap {
  readonly specific: string;
  readonly general: string;
}

export interface IsaTables {
  readonly entries: readonly Entry[];
  readonly compressed: readonly CEntry[];
  readonly byId: ReadonlyMap<string, Entry>;
  readonly allowedOverlaps: readonly AllowedOverlap[];
}

/** The directory holding the .opcodes files, both from isa/*.ts (vitest) and dist/isa/*.js. */
export function isaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const d of [here, join(here, '..', '..', 'isa')]) if (existsSync(join(d, 'rv32i.opcodes'))) return d;
  throw new Error(`instruction tables (rv32i.opcodes) not found next to ${here}`);
}

const TABLES32 = [
  ['rv32i.opcodes', 'I'],
  ['rv32m.opcodes', 'M'],
  ['zicsr.opcodes', 'Zicsr'],
  ['zifencei.opcodes', 'Zifencei'],
  ['xpulpv2.opcodes', 'XpulpV2'],
] as const;

function lines(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(/\s+/));
}

function pattern(bitsText: string, width: number, where: string): { mask: number; match: number } {
  const p = bitsText.replace(/\s+/g, '');
  if (p.length !== width || !/^[01-]+$/.test(p)) throw new Error(`${where}: bad ${width}-bit pattern '${bitsText}'`);
  let mask = 0;
  let match = 0;
  for (let i = 0; i < width; i++) {
    const c = p[width - 1 - i];
    if (c !== '-') {
      mask |= 1 << i;
      if (c === '1') match |= 1 << i;
    }
  }
  return { mask: mask >>> 0, match: match >>> 0 };
}

export function loadTables(dir = isaDir()): IsaTables {
  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  for (const [file, ext] of TABLES32) {
    for (const [i, cols] of lines(join(dir, file)).entries()) {
      const where = `${file} row ${i + 1}`;
      const [mnemonic, id, formatName, ...bitCols] = cols;
      const format = formats[formatName];
      if (!format) throw new Error(`${where}: unknown operand format '${formatName}'`);
      const { mask, match } = pattern(bitCols.join(''), 32, where);
      if (byId.has(id)) throw new Error(`${where}: duplicate id '${id}'`);
      const iclass = INSTR_CLASSES.indexOf(classOfId(id));
      const e: Entry = { index: entries.length + 1, mnemonic, id, ext, formatName, format, mask, match, iclass };
      entries.push(e);
      byId.set(id, e);
    }
  }
  const compressed: CEntry[] = [];
  for (const [i, cols] of lines(join(dir, 'rv32c.opcodes')).entries()) {
    const where = `rv32c.opcodes row ${i + 1}`;
    const [mnemonic, bitsText, arrow, targetId, ...ops] = cols;
    if (arrow !== '=>') throw new Error(`${where}: expected '=>'`);
    const target = byId.get(targetId);
    if (!target) throw new Error(`${where}: unknown expansion '${targetId}'`);
    const { mask, match } = pattern(bitsText, 16, where);
    const operands: { slot: keyof Operands; get: (h: number) => number }[] = [];
    const nonzero: (keyof Operands)[] = [];
    for (const op of ops) {
      const [k, v] = op.split('=');
      if (k === 'nonzero') {
        nonzero.push(v as keyof Operands);
        continue;
      }
      if (!['rd', 'rs1', 'rs2', 'imm'].includes(k)) throw new Error(`${where}: unknown operand '${k}'`);
      if (/^-?\d+$/.test(v)) {
        const n = Number(v);
        operands.push({ slot: k as keyof Operands, get: () => n });
      } else {
        const f = cFields[v];
        if (!f) throw new Error(`${where}: unknown field '${v}'`);
        operands.push({ slot: k as keyof Operands, get: f });
      }
    }
    compressed.push({ mnemonic, mask, match, target, operands, nonzero });
  }
  const allowedOverlaps = lines(join(dir, 'overlaps.allowed')).map(([specific, general]) => ({ specific, general }));
  return { entries, compressed, byId, allowedOverlaps };
}

let cached: IsaTables | undefined;
/** The tables, parsed once per process. */
export function isa(): IsaTables {
  return (cached ??= loadTables());
}
