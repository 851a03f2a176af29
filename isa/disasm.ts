// Disassembler derived from the tables. For RV32IMC the text matches `riscv64-unknown-elf-objdump -d`
// (binutils 2.40): same aliases (li, mv, ret, beqz, csrr ...), ABI register names, operand order,
// decimal immediates except lui/auipc/shift amounts/CSR numbers (hex), absolute branch targets
// (objdump's " <symbol+off>" suffix is not produced). XpulpV2 follows PULP binutils' style:
// `p.lw a0,4(a1!)` for post-increment, `lp.setup 0,a0,<end address>`.
import { decoder, type Decoded } from './decoder.js';

export const ABI = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

/** CSR names as binutils prints them (only the ones a machine-mode RV32 program may meet). */
export const CSR_NAMES: Readonly<Record<number, string>> = {
  0x300: 'mstatus', 0x301: 'misa', 0x302: 'medeleg', 0x303: 'mideleg', 0x304: 'mie', 0x305: 'mtvec',
  0x306: 'mcounteren', 0x340: 'mscratch', 0x341: 'mepc', 0x342: 'mcause', 0x343: 'mtval', 0x344: 'mip',
  0xb00: 'mcycle', 0xb02: 'minstret', 0xb80: 'mcycleh', 0xb82: 'minstreth',
  0xc00: 'cycle', 0xc01: 'time', 0xc02: 'instret', 0xc80: 'cycleh', 0xc81: 'timeh', 0xc82: 'instreth',
  0xf11: 'mvendorid', 0xf12: 'marchid', 0xf13: 'mimpid', 0xf14: 'mhartid',
  0x7b0: 'dcsr', 0x7b1: 'dpc', 0x7b2: 'dscratch0', 0x7b3: 'dscratch1',
};

const hex = (v: number) => (v >>> 0).toString(16);
const r = (n: number) => ABI[n];
const csrName = (n: number) => CSR_NAMES[n] ?? `0x${hex(n)}`;

type Alias = (d: Decoded, pc: number) => string | undefined;

// objdump's preferred aliases, keyed by instruction id.
const ALIASES: Record<string, Alias> = {
  addi: (d) =>
    d.rd === 0 && d.rs1 === 0 && d.imm === 0
      ? 'nop'
      : d.rs1 === 0
        ? `li\t${r(d.rd)},${d.imm}`
        : d.imm === 0
          ? `mv\t${r(d.rd)},${r(d.rs1)}`
          : `add\t${r(d.rd)},${r(d.rs1)},${d.imm}`,
  // binutils prefers its "register op immediate" aliases (add/xor/or/and/sll/srl/sra with an immediate)
  xori: (d) => (d.imm === -1 ? `not\t${r(d.rd)},${r(d.rs1)}` : `xor\t${r(d.rd)},${r(d.rs1)},${d.imm}`),
  ori: (d) => `or\t${r(d.rd)},${r(d.rs1)},${d.imm}`,
  andi: (d) => (d.imm === 255 ? `zext.b\t${r(d.rd)},${r(d.rs1)}` : `and\t${r(d.rd)},${r(d.rs1)},${d.imm}`),
  slli: (d) => `sll\t${r(d.rd)},${r(d.rs1)},0x${hex(d.imm)}`,
  srli: (d) => `srl\t${r(d.rd)},${r(d.rs1)},0x${hex(d.imm)}`,
  srai: (d) => `sra\t${r(d.rd)},${r(d.rs1)},0x${hex(d.imm)}`,
  add: (d) => (d.compressed && d.rs1 === 0 ? `mv\t${r(d.rd)},${r(d.rs2)}` : undefined),
  sltiu: (d) => (d.imm === 1 ? `seqz\t${r(d.rd)},${r(d.rs1)}` : undefined),
  sub: (d) => (d.rs1 === 0 ? `neg\t${r(d.rd)},${r(d.rs2)}` : undefined),
  sltu: (d) => (d.rs1 === 0 ? `snez\t${r(d.rd)},${r(d.rs2)}` : undefined),
  slt: (d) =>
    d.rs2 === 0 ? `sltz\t${r(d.rd)},${r(d.rs1)}` : d.rs1 === 0 ? `sgtz\t${r(d.rd)},${r(d.rs2)}` : undefined,
  beq: (d, pc) => (d.rs2 === 0 ? `beqz\t${r(d.rs1)},${hex(pc + d.imm)}` : undefined),
  bne: (d, pc) => (d.rs2 === 0 ? `bnez\t${r(d.rs1)},${hex(pc + d.imm)}` : undefined),
  bge: (d, pc) =>
    d.rs1 === 0
      ? `blez\t${r(d.rs2)},${hex(pc + d.imm)}`
      : d.rs2 === 0
        ? `bgez\t${r(d.rs1)},${hex(pc + d.imm)}`
        : undefined,
  blt: (d, pc) =>
    d.rs2 === 0
      ? `bltz\t${r(d.rs1)},${hex(pc + d.imm)}`
      : d.rs1 === 0
        ? `bgtz\t${r(d.rs2)},${hex(pc + d.imm)}`
        : undefined,
  jal: (d, pc) =>
    d.rd === 0 ? `j\t${hex(pc + d.imm)}` : d.rd === 1 ? `jal\t${hex(pc + d.imm)}` : `jal\t${r(d.rd)},${hex(pc + d.imm)}`,
  jalr: (d) => {
    if (d.rd === 0 && d.rs1 === 1 && d.imm === 0) return 'ret';
    if (d.rd === 0) return d.imm === 0 ? `jr\t${r(d.rs1)}` : `jr\t${d.imm}(${r(d.rs1)})`;
    if (d.rd === 1) return d.imm === 0 ? `jalr\t${r(d.rs1)}` : `jalr\t${d.imm}(${r(d.rs1)})`;
    return d.imm === 0 ? `jalr\t${r(d.rd)},${r(d.rs1)}` : `jalr\t${r(d.rd)},${d.imm}(${r(d.rs1)})`;
  },
  csrrs: (d) =>
    d.rs1 === 0
      ? d.imm === 0xc00 || d.imm === 0xc02 || d.imm === 0xc01 || d.imm === 0xc80 || d.imm === 0xc82 || d.imm === 0xc81
        ? `rd${csrName(d.imm)}\t${r(d.rd)}`
        : `csrr\t${r(d.rd)},${csrName(d.imm)}`
      : d.rd === 0
        ? `csrs\t${csrName(d.imm)},${r(d.rs1)}`
        : undefined,
  csrrw: (d) =>
    d.rd === 0 ? (d.imm === 0xc00 && d.rs1 === 0 ? 'unimp' : `csrw\t${csrName(d.imm)},${r(d.rs1)}`) : undefined,
  csrrc: (d) => (d.rd === 0 ? `csrc\t${csrName(d.imm)},${r(d.rs1)}` : undefined),
  // binutils prints the immediate CSR forms under the register mnemonics (csrw mstatus,5)
  csrrwi: (d) => (d.rd === 0 ? `csrw\t${csrName(d.imm)},${d.rs1}` : `csrrw\t${r(d.rd)},${csrName(d.imm)},${d.rs1}`),
  csrrsi: (d) => (d.rd === 0 ? `csrs\t${csrName(d.imm)},${d.rs1}` : `csrrs\t${r(d.rd)},${csrName(d.imm)},${d.rs1}`),
  csrrci: (d) => (d.rd === 0 ? `csrc\t${csrName(d.imm)},${d.rs1}` : `csrrc\t${r(d.rd)},${csrName(d.imm)},${d.rs1}`),
  fence: (d) => (d.imm === 0xff ? 'fence' : `fence\t${fenceSet(d.imm >> 4)},${fenceSet(d.imm & 15)}`),
};

function fenceSet(v: number): string {
  return (v & 8 ? 'i' : '') + (v & 4 ? 'o' : '') + (v & 2 ? 'r' : '') + (v & 1 ? 'w' : '') || '0';
}

/** Text of one decoded instruction at `pc`: "mnemonic\toperands", objdump style. */
export function formatDecoded(d: Decoded, pc: number): string {
  const e = d.entry;
  if (!e) return d.size === 2 ? (d.raw === 0 ? 'unimp' : `.2byte\t0x${hex(d.raw)}`) : `.4byte\t0x${hex(d.raw)}`;
  const alias = ALIASES[e.id]?.(d, pc);
  if (alias !== undefined) return alias;
  const opcode = e.match & 0x7f;
  const m = e.mnemonic;
  const f = e.formatName;
  switch (f) {
    case 'NONE':
      return m;
    case 'U':
      return `${m}\t${r(d.rd)},0x${hex(d.imm >>> 12)}`;
    case 'ISH':
      return `${m}\t${r(d.rd)},${r(d.rs1)},0x${hex(d.imm)}`;
    case 'I':
      return opcode === 0x03 ? `${m}\t${r(d.rd)},${d.imm}(${r(d.rs1)})` : `${m}\t${r(d.rd)},${r(d.rs1)},${d.imm}`;
    case 'S':
      return `${m}\t${r(d.rs2)},${d.imm}(${r(d.rs1)})`;
    case 'B':
      return `${m}\t${r(d.rs1)},${r(d.rs2)},${hex(pc + d.imm)}`;
    case 'J':
      return `${m}\t${r(d.rd)},${hex(pc + d.imm)}`;
    case 'CSR':
      return `${m}\t${r(d.rd)},${csrName(d.imm)},${r(d.rs1)}`;
    case 'CSRI':
      return `${m}\t${r(d.rd)},${csrName(d.imm)},${d.rs1}`;
    // XpulpV2
    case 'Format_LR':
      return `${m}\t${r(d.rd)},${r(d.rs2)}(${r(d.rs1)})`;
    case 'Format_LRPOST':
      return `${m}\t${r(d.rd)},${r(d.rs2)}(${r(d.rs1)}!)`;
    case 'Format_LPOST':
      return `${m}\t${r(d.rd)},${d.imm}(${r(d.rs1)}!)`;
    case 'Format_L':
      return `${m}\t${r(d.rd)},${d.imm}(${r(d.rs1)})`;
    case 'Format_SR':
      return `${m}\t${r(d.rs2)},${r(d.rd)}(${r(d.rs1)})`;
    case 'Format_SRPOST':
      return `${m}\t${r(d.rs2)},${r(d.rd)}(${r(d.rs1)}!)`;
    case 'Format_SPOST':
      return `${m}\t${r(d.rs2)},${d.imm}(${r(d.rs1)}!)`;
    case 'Format_SB2':
      return `${m}\t${r(d.rs1)},${d.imm2},${hex(pc + d.imm)}`;
    case 'Format_HL0':
      if (e.id === 'lp.count') return `${m}\t${d.rd},${r(d.rs1)}`;
      if (e.id === 'lp.counti') return `${m}\t${d.rd},${d.imm}`;
      if (e.id === 'lp.setup') return `${m}\t${d.rd},${r(d.rs1)},${hex(pc + (d.imm << 1))}`;
      return `${m}\t${d.rd},${hex(pc + (d.imm << 1))}`;
    case 'Format_HL1':
      return `${m}\t${d.rd},${d.imm},${hex(pc + (d.imm2 << 1))}`;
    default: {
      const ops = e.format.slots.map((s) => (s === 'imm' || s === 'imm2' ? String(d[s]) : r(d[s])));
      return ops.length ? `${m}\t${ops.join(',')}` : m;
    }
  }
}

/** Disassemble the instruction whose bits are `word` (low half only for RVC) at `pc`. */
export function disassemble(word: number, pc = 0): string {
  return formatDecoded(decoder().decode(word), pc);
}
