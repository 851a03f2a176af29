// Decoder derived from the tables: bucket by major opcode (32-bit) or quadrant+funct3 (16-bit), then
// the first matching pattern in order of specificity (most fixed bits first), so the allowed
// overlaps of overlaps.allowed resolve to the specific form.
import type { Operands } from './fields.js';
import { isa, type CEntry, type Entry, type IsaTables } from './table.js';

export interface Decoded extends Operands {
  /** The 32-bit table entry (compressed forms are already expanded); undefined = illegal. */
  entry: Entry | undefined;
  /** The compressed form it came from, if any. */
  compressed: CEntry | undefined;
  size: 2 | 4;
  raw: number;
}

const popcount = (v: number) => {
  let n = 0;
  for (let x = v >>> 0; x; x &= x - 1) n++;
  return n;
};
/** Most fixed bits first (a stable sort keeps table order among equals); the counts are made once
 * per entry, not per comparison (this ran at every start, before V8 had optimised anything). */
function bySpecificity<T extends { mask: number }>(list: T[]): void {
  const bits = new Map(list.map((e) => [e, popcount(e.mask)]));
  list.sort((a, b) => bits.get(b)! - bits.get(a)!);
}

export class Decoder {
  private readonly buckets32: Entry[][] = Array.from({ length: 128 }, () => []);
  private readonly buckets16: CEntry[][] = Array.from({ length: 32 }, () => []);

  constructor(readonly tables: IsaTables = isa()) {
    for (const e of tables.entries) {
      if ((e.mask & 0x7f) !== 0x7f) throw new Error(`${e.id}: opcode bits must be fixed`);
      this.buckets32[e.match & 0x7f].push(e);
    }
    for (const c of tables.compressed) {
      if ((c.mask & 0xe003) !== 0xe003) throw new Error(`${c.mnemonic}: quadrant and funct3 must be fixed`);
      this.buckets16[key16(c.match)].push(c);
    }
    for (const b of this.buckets32) bySpecificity(b);
    for (const b of this.buckets16) bySpecificity(b);
  }

  /** Is the instruction starting with this halfword 32 bits long? */
  static isLong(lowHalf: number): boolean {
    return (lowHalf & 3) === 3;
  }

  /** Decode one instruction. `word` holds 32 bits from the pc (the upper half is ignored for RVC). */
  decode(word: number, out: Decoded = emptyDecoded()): Decoded {
    out.entry = undefined;
    out.compressed = undefined;
    out.rd = out.rs1 = out.rs2 = out.imm = out.imm2 = 0;
    if ((word & 3) === 3) {
      out.size = 4;
      out.raw = word >>> 0;
      // (indexed loops, no closures: a network's run decodes tens of thousands of instructions,
      // mostly before V8 optimises this, where iterators and closures allocate)
      const bucket = this.buckets32[word & 0x7f];
      for (let k = 0; k < bucket.length; k++) {
        const e = bucket[k];
        if (((word & e.mask) >>> 0) === e.match) {
          out.entry = e;
          e.format.decode(word, out);
          break;
        }
      }
      return out;
    }
    const h = word & 0xffff;
    out.size = 2;
    out.raw = h;
    const bucket = this.buckets16[key16(h)];
    for (let k = 0; k < bucket.length; k++) {
      const c = bucket[k];
      if ((h & c.mask) !== c.match) continue;
      for (let m = 0; m < c.operands.length; m++) out[c.operands[m].slot] = c.operands[m].get(h);
      if (hasZero(out, c.nonzero)) break; // reserved encoding
      out.entry = c.target;
      out.compressed = c;
      return out;
    }
    out.rd = out.rs1 = out.rs2 = out.imm = out.imm2 = 0;
    return out;
  }
}

function hasZero(out: Operands, slots: readonly (keyof Operands)[]): boolean {
  for (let k = 0; k < slots.length; k++) if (out[slots[k]] === 0) return true;
  return false;
}

function key16(h: number): number {
  return ((h >>> 13) << 2) | (h & 3);
}

export function emptyDecoded(): Decoded {
  return { entry: undefined, compressed: undefined, size: 4, raw: 0, rd: 0, rs1: 0, rs2: 0, imm: 0, imm2: 0 };
}

let shared: Decoder | undefined;
export function decoder(): Decoder {
  return (shared ??= new Decoder());
}
