// Operand fields: how each operand format of the tables maps to instruction bits (the role of
// riscv-opcodes' arg_lut.csv). Every decoded instruction carries the same five slots, so the core can
// keep them in typed arrays: rd, rs1, rs2 (register numbers), imm and imm2 (integers). Formats that
// have a third source register (rs3 of the register-register stores) or a loop index put it in `rd`.

/** Decoded operand slots. `rd` doubles as rs3 (stores) and as the loop index L (lp.*). */
export interface Operands {
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  imm2: number;
}

const bits = (w: number, lo: number, n: number): number => (w >>> lo) & ((1 << n) - 1);
const sext = (v: number, n: number): number => (v << (32 - n)) >> (32 - n);

function sImm(w: number): number {
  return sext((bits(w, 25, 7) << 5) | bits(w, 7, 5), 12);
}
function bImm(w: number): number {
  return sext((bits(w, 31, 1) << 12) | (bits(w, 7, 1) << 11) | (bits(w, 25, 6) << 5) | (bits(w, 8, 4) << 1), 13);
}
function jImm(w: number): number {
  return sext((bits(w, 31, 1) << 20) | (bits(w, 12, 8) << 12) | (bits(w, 20, 1) << 11) | (bits(w, 21, 10) << 1), 21);
}
/** pv.*.sci immediate: imm[0] = bit 25, imm[5:1] = bits 24:20 (xpulpv2.md, Format_RRS). */
function imm6(w: number): number {
  return (bits(w, 20, 5) << 1) | bits(w, 25, 1);
}

function encS(v: number): number {
  return (bits(v, 5, 7) << 25) | (bits(v, 0, 5) << 7);
}
function encB(v: number): number {
  return (bits(v, 12, 1) << 31) | (bits(v, 5, 6) << 25) | (bits(v, 1, 4) << 8) | (bits(v, 11, 1) << 7);
}
function encJ(v: number): number {
  return (bits(v, 20, 1) << 31) | (bits(v, 1, 10) << 21) | (bits(v, 11, 1) << 20) | (bits(v, 12, 8) << 12);
}
function encImm6(v: number): number {
  return (bits(v, 1, 5) << 20) | (bits(v, 0, 1) << 25);
}

/** One operand format: which slots it uses, how to read them from a word and write them back. */
export interface Format {
  /** Operand slots in assembly order, as the disassembler prints them (see disasm.ts). */
  readonly slots: readonly (keyof Operands)[];
  /** Registers read: used for load-use stall detection. 'rd' means rd is also a source. */
  readonly reads: readonly ('rd' | 'rs1' | 'rs2')[];
  /** Registers written. */
  readonly writes: readonly ('rd' | 'rs1')[];
  decode(w: number, o: Operands): void;
  encode(o: Partial<Operands>): number;
}

const R = (w: number, o: Operands) => {
  o.rd = bits(w, 7, 5);
  o.rs1 = bits(w, 15, 5);
  o.rs2 = bits(w, 20, 5);
};
const encR = (o: Partial<Operands>) => ((o.rd ?? 0) << 7) | ((o.rs1 ?? 0) << 15) | ((o.rs2 ?? 0) << 20);

function fmt(
  slots: Format['slots'],
  reads: Format['reads'],
  writes: Format['writes'],
  decode: Format['decode'],
  encode: Format['encode'],
): Format {
  return { slots, reads, writes, decode, encode };
}

// Register fields in the standard places, plus one immediate extractor.
function withImm(
  slots: Format['slots'],
  reads: Format['reads'],
  writes: Format['writes'],
  imm: (w: number) => number,
  encImm: (v: number) => number,
  imm2?: (w: number) => number,
  encImm2?: (v: number) => number,
): Format {
  return fmt(
    slots,
    reads,
    writes,
    (w, o) => {
      R(w, o);
      o.imm = imm(w);
      o.imm2 = imm2 ? imm2(w) : 0;
    },
    // only the register fields this format has: the others hold immediate bits
    (o) =>
      encR({
        rd: slots.includes('rd') ? o.rd : 0,
        rs1: slots.includes('rs1') ? o.rs1 : 0,
        rs2: slots.includes('rs2') ? o.rs2 : 0,
      }) |
      encImm(o.imm ?? 0) |
      (encImm2 ? encImm2(o.imm2 ?? 0) : 0),
  );
}

const none = () => 0;
const i12 = (w: number) => w >> 20;
const encI12 = (v: number) => (v & 0xfff) << 20;
const u5at = (lo: number) => (w: number) => bits(w, lo, 5);
const encU5at = (lo: number) => (v: number) => (v & 31) << lo;

export const formats: Record<string, Format> = {
  // RV32I / M / Zicsr
  R: withImm(['rd', 'rs1', 'rs2'], ['rs1', 'rs2'], ['rd'], none, none),
  I: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], i12, encI12),
  ISH: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], u5at(20), encU5at(20)),
  S: withImm(['rs2', 'imm', 'rs1'], ['rs1', 'rs2'], [], sImm, encS),
  B: withImm(['rs1', 'rs2', 'imm'], ['rs1', 'rs2'], [], bImm, encB),
  U: withImm(['rd', 'imm'], [], ['rd'], (w) => w & 0xfffff000, (v) => v & 0xfffff000),
  J: withImm(['rd', 'imm'], [], ['rd'], jImm, encJ),
  CSR: withImm(['rd', 'imm', 'rs1'], ['rs1'], ['rd'], (w) => w >>> 20, encI12),
  CSRI: withImm(['rd', 'imm', 'rs1'], [], ['rd'], (w) => w >>> 20, encI12),
  FENCE: withImm(['imm'], [], [], (w) => bits(w, 20, 8), (v) => (v & 0xff) << 20),
  NONE: withImm([], [], [], none, none),
  // XpulpV2 (xpulpv2.md "Operand formats")
  Format_R: withImm(['rd', 'rs1', 'rs2'], ['rs1', 'rs2'], ['rd'], none, none),
  Format_R1: withImm(['rd', 'rs1'], ['rs1'], ['rd'], none, none),
  Format_RRRR: withImm(['rd', 'rs1', 'rs2'], ['rd', 'rs1', 'rs2'], ['rd'], none, none),
  Format_RRRR2: withImm(['rd', 'rs1', 'rs2'], ['rd', 'rs1', 'rs2'], ['rd'], none, none),
  Format_RRS: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], (w) => sext(imm6(w), 6), encImm6),
  Format_RRU: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], imm6, encImm6),
  Format_RRU2: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], imm6, encImm6),
  Format_RRRS: withImm(['rd', 'rs1', 'imm'], ['rd', 'rs1'], ['rd'], (w) => sext(imm6(w), 6), encImm6),
  Format_RRRU: withImm(['rd', 'rs1', 'imm'], ['rd', 'rs1'], ['rd'], imm6, encImm6),
  Format_RRRU2: withImm(['rd', 'rs1', 'rs2', 'imm'], ['rs1', 'rs2'], ['rd'], u5at(25), encU5at(25)),
  Format_RRRRU: withImm(['rd', 'rs1', 'rs2', 'imm'], ['rd', 'rs1', 'rs2'], ['rd'], u5at(25), encU5at(25)),
  Format_I1U: withImm(['rd', 'rs1', 'imm'], ['rs1'], ['rd'], u5at(20), encU5at(20)),
  Format_I4U: withImm(['rd', 'rs1', 'imm', 'imm2'], ['rs1'], ['rd'], u5at(25), encU5at(25), u5at(20), encU5at(20)),
  Format_I5U: withImm(['rd', 'rs1', 'imm', 'imm2'], ['rd', 'rs1'], ['rd'], u5at(25), encU5at(25), u5at(20), encU5at(20)),
  Format_I5U2: withImm(['rd', 'rs1', 'rs2'], ['rd', 'rs1', 'rs2'], ['rd'], none, none),
  Format_LR: withImm(['rd', 'rs2', 'rs1'], ['rs1', 'rs2'], ['rd'], none, none),
  Format_LRPOST: withImm(['rd', 'rs2', 'rs1'], ['rs1', 'rs2'], ['rd', 'rs1'], none, none),
  Format_LPOST: withImm(['rd', 'imm', 'rs1'], ['rs1'], ['rd', 'rs1'], i12, encI12),
  Format_L: withImm(['rd', 'imm', 'rs1'], ['rs1'], ['rd'], i12, encI12),
  // rs3 lives in the rd slot for the register-register stores
  Format_SR: withImm(['rs2', 'rd', 'rs1'], ['rs1', 'rs2', 'rd'], [], none, none),
  Format_SRPOST: withImm(['rs2', 'rd', 'rs1'], ['rs1', 'rs2', 'rd'], ['rs1'], none, none),
  Format_SPOST: withImm(['rs2', 'imm', 'rs1'], ['rs1', 'rs2'], ['rs1'], sImm, encS),
  // p.beqimm rs1, simm5, target: imm = branch offset, imm2 = simm5 (in the rs2 field)
  Format_SB2: withImm(['rs1', 'imm2', 'imm'], ['rs1'], [], bImm, encB, (w) => sext(bits(w, 20, 5), 5), encU5at(20)),
  // lp.*: the loop index L is bit 7, kept in rd
  Format_HL0: fmt(
    ['rd', 'rs1', 'imm'],
    ['rs1'],
    [],
    (w, o) => {
      o.rd = bits(w, 7, 1);
      o.rs1 = bits(w, 15, 5);
      o.rs2 = 0;
      o.imm = w >>> 20;
      o.imm2 = 0;
    },
    (o) => ((o.rd ?? 0) << 7) | ((o.rs1 ?? 0) << 15) | (((o.imm ?? 0) & 0xfff) << 20),
  ),
  Format_HL1: fmt(
    ['rd', 'imm', 'imm2'],
    [],
    [],
    (w, o) => {
      o.rd = bits(w, 7, 1);
      o.rs1 = 0;
      o.rs2 = 0;
      o.imm = w >>> 20;
      o.imm2 = bits(w, 15, 5);
    },
    (o) => ((o.rd ?? 0) << 7) | (((o.imm2 ?? 0) & 31) << 15) | (((o.imm ?? 0) & 0xfff) << 20),
  ),
};

// ---- RVC fields (unprivileged spec, table 16.2 and the per-instruction immediate layouts) ----
const b = bits;
export const cFields: Record<string, (h: number) => number> = {
  rd: (h) => b(h, 7, 5),
  rs1: (h) => b(h, 7, 5),
  rs2: (h) => b(h, 2, 5),
  rdp: (h) => 8 + b(h, 2, 3),
  rs1p: (h) => 8 + b(h, 7, 3),
  rs2p: (h) => 8 + b(h, 2, 3),
  imm_addi4spn: (h) => (b(h, 7, 4) << 6) | (b(h, 11, 2) << 4) | (b(h, 5, 1) << 3) | (b(h, 6, 1) << 2),
  imm_lsw: (h) => (b(h, 5, 1) << 6) | (b(h, 10, 3) << 3) | (b(h, 6, 1) << 2),
  imm_ci: (h) => sext((b(h, 12, 1) << 5) | b(h, 2, 5), 6),
  imm_lui: (h) => sext((b(h, 12, 1) << 17) | (b(h, 2, 5) << 12), 18),
  imm_addi16sp: (h) =>
    sext((b(h, 12, 1) << 9) | (b(h, 3, 2) << 7) | (b(h, 5, 1) << 6) | (b(h, 2, 1) << 5) | (b(h, 6, 1) << 4), 10),
  imm_lwsp: (h) => (b(h, 2, 2) << 6) | (b(h, 12, 1) << 5) | (b(h, 4, 3) << 2),
  imm_swsp: (h) => (b(h, 7, 2) << 6) | (b(h, 9, 4) << 2),
  imm_cj: (h) =>
    sext(
      (b(h, 12, 1) << 11) |
        (b(h, 8, 1) << 10) |
        (b(h, 9, 2) << 8) |
        (b(h, 6, 1) << 7) |
        (b(h, 7, 1) << 6) |
        (b(h, 2, 1) << 5) |
        (b(h, 11, 1) << 4) |
        (b(h, 3, 3) << 1),
      12,
    ),
  imm_cb: (h) =>
    sext((b(h, 12, 1) << 8) | (b(h, 5, 2) << 6) | (b(h, 2, 1) << 5) | (b(h, 10, 2) << 3) | (b(h, 3, 2) << 1), 9),
  shamt_c: (h) => b(h, 2, 5),
};
