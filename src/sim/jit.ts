// Block translation (v86 style), and the semantics of every non-system instruction: GEN holds one
// code template per table id. A run of decoded instructions becomes a block; a block that has run
// HOT times becomes one JS function, so V8 compiles guest code to machine code (operands baked in as
// constants; loads and stores call the core's access methods, which V8 inlines). Until then the
// block runs in the interpreter, which is generated from the same templates with the operands as
// variables: cold code (most of a compiled network's code runs a few hundred times) costs no
// translation and never runs in V8's own bytecode interpreter. A block ends at a jump, before a system instruction (CSR, trap,
// hardware-loop setup, p.elw, illegal: the core's switch runs those), at an active hardware-loop end,
// or after MAX_BLOCK instructions; conditional branches inside are side exits.
//
// Loops of very hot blocks run in regions: one function with its own dispatch loop (see
// regionOf below and docs/simulator.md).
//
// Precise state on a trap inside a block: each memory access first stores its pc in core.jpc; the
// core maps it back to the instruction index to fix up instret and cycles (see Core.run).
import { isa } from '../../isa/table.js';
import { xpulpAlu, type AluFn } from '../../isa/xpulp-semantics.js';
import { CODE_EPOCH, type CodeCache, type Region } from './memory.js';

export const MAX_BLOCK = 48; // memory.ts MAX_BLOCK_BYTES must cover MAX_BLOCK * 4

/** The core's own stall causes (cycles), in the order of Core.stallCtr. */
export const CORE_STALLS = ['loadUse', 'branch', 'jump', 'mul', 'div', 'misaligned'] as const;
export type CoreStall = (typeof CORE_STALLS)[number];
export const ST_LOADUSE = 0;
export const ST_BRANCH = 1;
export const ST_JUMP = 2;
export const ST_MUL = 3;
export const ST_DIV = 4;
export const ST_MISALIGNED = 5;
/** Per-block execution counters have one lane per core (hartId % LANES): blocks are shared by the
 * cores of a cluster. */
export const LANES = 8;

export interface CompiledBlock {
  /** Runs the block; returns the next pc. The interpreter until the block is hot, then its own function. */
  fn: (c: BlockHost, x: Int32Array) => number;
  /** executions so far, up to HOT (then it is translated) */
  runs: number;
  /** the region headed by this block once it is hot (undefined: not built yet; null: none) */
  region: BlockRegion | null | undefined;
  /** runs since translation or since no region was found (REGION_AFTER) */
  noRegion: number;
  /** its code was written (Region.invalidate): regions holding it leave before it */
  dead: boolean;
  /** the block iterated as the body of hardware loop 0 (loopOf; undefined: not built yet) */
  loop: LoopFn | null | undefined;
  /** the interpreter (for this block's branch penalty), and what translation needs */
  readonly interp: Interp;
  readonly helpers: Helpers;
  readonly br: number;
  /** per instruction k, OPS words from k * OPS: table entry, rd, rs1, rs2, imm, imm2, next pc,
   * side exit (1: a conditional branch the block continues past), pc */
  readonly ops: Int32Array;
  /** side exits count themselves in cnt (statistics) */
  readonly counted: boolean;
  readonly start: number;
  /** pc of the last instruction */
  readonly last: number;
  readonly n: number;
  /** static cycles: base costs + load-use stalls inside the block */
  readonly cost: number;
  /** registers read by the first instruction (load-use against the previous block) */
  readonly firstRead: number;
  /** bit of the register loaded by the last instruction, or 0 */
  readonly lastLoad: number;
  /** last - start: an active hardware-loop end inside [start, last) makes the block unusable */
  readonly span: number;
  readonly pcs: Int32Array;
  /** static cycles before instruction k */
  readonly prefix: Int32Array;
  // Statistics without work per instruction: the core counts block executions per exit (slot 0 =
  // ran to the end, slot j+1 = left through side exit j), and stall causes and instruction
  // classes are summed from the static data below when asked (Core.counters()).
  /** instruction class (isa INSTR_CLASSES index) of instruction k */
  readonly icls: Uint8Array;
  /** static cycles of instruction k beyond 1 (jal/jalr, mulh*, div/rem base; cause from its class) */
  readonly extra: Uint8Array;
  /** load-use stall before instruction k from instruction k-1 inside the block (k >= 1) */
  readonly lu: Uint8Array;
  /** instructions run per exit slot: [n, side exit 0's k, ...] */
  readonly exitK: Int32Array;
  /** executions per slot and lane: cnt[slot * LANES + lane] */
  readonly cnt: Float64Array;
}

/** What compiled code may call on the core. */
export interface BlockHost {
  cycles: number;
  /** stall cycles by CORE_STALLS index: the dynamic parts (taken terminal branch, div clz, ...) */
  readonly stallCtr: Float64Array;
  /** counter lane of this core (hartId % LANES) */
  readonly lane: number;
  jpc: number;
  /** set by a side exit: the number of instructions that ran (0 = the whole block) */
  exitN: number;
  /** region state (RegionFn): [instructions retired before the block in progress, the load-use
   * mask (bit of the register the last instruction loaded), the block's index in the region] */
  readonly rst: Int32Array;
  ld8(a: number): number;
  ld16(a: number): number;
  ld32(a: number): number;
  st(a: number, size: number, v: number): void;
  st32(a: number, v: number): void;
}

/** Marks a start address whose first instruction is a system one (the core's switch runs it). */
export const NO_BLOCK: CompiledBlock = {
  fn: () => 0,
  runs: 0,
  region: null,
  noRegion: 0,
  dead: false,
  loop: null,
  interp: () => 0,
  helpers: { mulh: () => 0, mulhu: () => 0, mulhsu: () => 0 },
  br: 0,
  ops: new Int32Array(0),
  counted: false,
  start: 1,
  last: 1,
  span: 0,
  n: 0,
  cost: 0,
  firstRead: 0,
  lastLoad: 0,
  pcs: new Int32Array(0),
  prefix: new Int32Array(0),
  icls: new Uint8Array(0),
  extra: new Uint8Array(0),
  lu: new Uint8Array(0),
  exitK: new Int32Array(1),
  cnt: new Float64Array(LANES),
};

/** Instruction ids that never enter a block. */
const INTERPRETER_ONLY = new Set([
  'csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci', 'ecall', 'ebreak', 'mret', 'wfi', 'fence', 'fence.i',
  'lp.starti', 'lp.endi', 'lp.count', 'lp.counti', 'lp.setup', 'lp.setupi', 'p.elw',
]);

/** Operands of a template: numbers (a translated block: constants) or variable names (the
 * interpreter). Templates fold constants with add/u32 so both produce valid code. */
type Opnd = number | string;
interface Ops {
  rd: Opnd;
  rs1: Opnd;
  rs2: Opnd;
  imm: Opnd;
  imm2: Opnd;
  pc: Opnd;
  next: Opnd;
}
type Gen = (o: Ops) => string;

/** Register read: x0 is the constant 0 in translated code; the interpreter keeps x[0] at 0. */
const X = (r: Opnd) => (r === 0 ? '0' : `x[${r}]`);
const set = (rd: Opnd, expr: string) => (rd === 0 ? '' : `x[${rd}]=${expr};`);
const add = (a: Opnd, b: Opnd) => (typeof a === 'number' && typeof b === 'number' ? `${(a + b) | 0}` : `((${a}+${b})|0)`);
const u32 = (a: Opnd) => (typeof a === 'number' ? `${a >>> 0}` : `(${a}>>>0)`);
const A = (o: Ops) => `(${X(o.rs1)}+${o.imm})|0`;
/** A memory access: its pc first (precise traps); the marker after it is where code that keeps the
 * cycles in a local takes them back from the core (compileRegion, loopOf). */
const ACCESS_END = '/*m*/';
const mem = (pc: Opnd, body: string) => `c.jpc=${pc};${body}${ACCESS_END}`;
/** Block code with the core's cycles in the local `cy`: handed to the core before every memory
 * access (the access methods and the bank model read and add to them) and taken back after it. */
const cyclesAsLocal = (src: string) => src.replace(/\bc\.cycles\b/g, 'cy').replaceAll('c.jpc=', 'c.cycles=cy;c.jpc=').replaceAll(ACCESS_END, 'cy=c.cycles;');

const LOADS: Record<string, string> = { lb: 'c.ld8(a)', lh: 'c.ld16(a)', lw: 'c.ld32(a)', lbu: '(c.ld8(a)&255)', lhu: '(c.ld16(a)&65535)' };
const KIND_LOAD: Record<string, string> = { LB: LOADS.lb, LH: LOADS.lh, LW: LOADS.lw, LBU: LOADS.lbu, LHU: LOADS.lhu };
const STORE_SIZE: Record<string, number> = { SB: 1, SH: 2, SW: 4, sb: 1, sh: 2, sw: 4 };
const store = (size: number, addr: string, v: string) => (size === 4 ? `c.st32(${addr},${v});` : `c.st(${addr},${size},${v});`);

/** Branch conditions, by id: a block either ends with the branch or continues past it (side exit). */
const BRANCH_COND: Record<string, (o: Ops) => string> = {
  beq: (o) => `${X(o.rs1)}===${X(o.rs2)}`,
  bne: (o) => `${X(o.rs1)}!==${X(o.rs2)}`,
  blt: (o) => `${X(o.rs1)}<${X(o.rs2)}`,
  bge: (o) => `${X(o.rs1)}>=${X(o.rs2)}`,
  bltu: (o) => `(${X(o.rs1)}>>>0)<(${X(o.rs2)}>>>0)`,
  bgeu: (o) => `(${X(o.rs1)}>>>0)>=(${X(o.rs2)}>>>0)`,
  'p.beqimm': (o) => `${X(o.rs1)}===${o.imm2}`,
  'p.bneimm': (o) => `${X(o.rs1)}!==${o.imm2}`,
};

const GEN: Record<string, Gen> = {
  lui: (o) => set(o.rd, `${o.imm}`),
  auipc: (o) => set(o.rd, add(o.pc, o.imm)),
  jal: (o) => `${set(o.rd, `${o.next}`)}return ${add(o.pc, o.imm)};`,
  jalr: (o) => `{const t=(${X(o.rs1)}+${o.imm})&-2;${set(o.rd, `${o.next}`)}return t;}`,
  addi: (o) => set(o.rd, `(${X(o.rs1)}+${o.imm})|0`),
  slti: (o) => set(o.rd, `${X(o.rs1)}<${o.imm}?1:0`),
  sltiu: (o) => set(o.rd, `(${X(o.rs1)}>>>0)<${u32(o.imm)}?1:0`),
  xori: (o) => set(o.rd, `${X(o.rs1)}^${o.imm}`),
  ori: (o) => set(o.rd, `${X(o.rs1)}|${o.imm}`),
  andi: (o) => set(o.rd, `${X(o.rs1)}&${o.imm}`),
  slli: (o) => set(o.rd, `${X(o.rs1)}<<${o.imm}`),
  srli: (o) => set(o.rd, `(${X(o.rs1)}>>>${o.imm})|0`),
  srai: (o) => set(o.rd, `${X(o.rs1)}>>${o.imm}`),
  add: (o) => set(o.rd, `(${X(o.rs1)}+${X(o.rs2)})|0`),
  sub: (o) => set(o.rd, `(${X(o.rs1)}-${X(o.rs2)})|0`),
  sll: (o) => set(o.rd, `${X(o.rs1)}<<(${X(o.rs2)}&31)`),
  slt: (o) => set(o.rd, `${X(o.rs1)}<${X(o.rs2)}?1:0`),
  sltu: (o) => set(o.rd, `(${X(o.rs1)}>>>0)<(${X(o.rs2)}>>>0)?1:0`),
  xor: (o) => set(o.rd, `${X(o.rs1)}^${X(o.rs2)}`),
  srl: (o) => set(o.rd, `(${X(o.rs1)}>>>(${X(o.rs2)}&31))|0`),
  sra: (o) => set(o.rd, `${X(o.rs1)}>>(${X(o.rs2)}&31)`),
  or: (o) => set(o.rd, `${X(o.rs1)}|${X(o.rs2)}`),
  and: (o) => set(o.rd, `${X(o.rs1)}&${X(o.rs2)}`),
  mul: (o) => set(o.rd, `Math.imul(${X(o.rs1)},${X(o.rs2)})`),
  mulh: (o) => set(o.rd, `M.mulh(${X(o.rs1)},${X(o.rs2)})`),
  mulhsu: (o) => set(o.rd, `M.mulhsu(${X(o.rs1)},${X(o.rs2)})`),
  mulhu: (o) => set(o.rd, `M.mulhu(${X(o.rs1)},${X(o.rs2)})`),
  div: (o) => `{const a=${X(o.rs1)},b=${X(o.rs2)};{const z=Math.clz32(b);c.cycles+=z;c.stallCtr[${ST_DIV}]+=z;}${set(o.rd, `b===0?-1:(a===-2147483648&&b===-1)?a:(a/b)|0`)}}`,
  divu: (o) => `{const a=${X(o.rs1)}>>>0,b=${X(o.rs2)}>>>0;{const z=Math.clz32(b);c.cycles+=z;c.stallCtr[${ST_DIV}]+=z;}${set(o.rd, `b===0?-1:(a/b)|0`)}}`,
  rem: (o) => `{const a=${X(o.rs1)},b=${X(o.rs2)};{const z=Math.clz32(b);c.cycles+=z;c.stallCtr[${ST_DIV}]+=z;}${set(o.rd, `b===0?a:(a===-2147483648&&b===-1)?0:(a%b)|0`)}}`,
  remu: (o) => `{const a=${X(o.rs1)}>>>0,b=${X(o.rs2)}>>>0;{const z=Math.clz32(b);c.cycles+=z;c.stallCtr[${ST_DIV}]+=z;}${set(o.rd, `b===0?a|0:(a%b)|0`)}}`,
  'p.mac': (o) => set(o.rd, `(${X(o.rd)}+Math.imul(${X(o.rs1)},${X(o.rs2)}))|0`),
  'pv.sdotsp.b': (o) =>
    `{const a=${X(o.rs1)},b=${X(o.rs2)};${set(o.rd, `(${X(o.rd)}+((a<<24)>>24)*((b<<24)>>24)+((a<<16)>>24)*((b<<16)>>24)+((a<<8)>>24)*((b<<8)>>24)+(a>>24)*(b>>24))|0`)}}`,
};
for (const [id, cond] of Object.entries(BRANCH_COND))
  GEN[id] = (o) => `if(${cond(o)}){c.cycles+=BR;c.stallCtr[${ST_BRANCH}]+=BR;return ${add(o.pc, o.imm)};}return ${o.next};`;
for (const id of Object.keys(LOADS)) GEN[id] = (o) => mem(o.pc, `{const a=${A(o)};const v=${LOADS[id]};${set(o.rd, 'v')}}`);
for (const id of ['sb', 'sh', 'sw']) GEN[id] = (o) => mem(o.pc, `${store(STORE_SIZE[id], A(o), X(o.rs2))}`);

/** XpulpV2 memory forms, by format (size/sign from the id prefix, e.g. LBU_RR_POSTINC). */
function xpulpMem(id: string, format: string): Gen | undefined {
  const kind = id.split('_')[0];
  switch (format) {
    case 'Format_LPOST':
      return (o) => mem(o.pc, `{const a=${X(o.rs1)};const v=${KIND_LOAD[kind].replace('a)', 'a)')};x[${o.rs1}]=(a+${o.imm})|0;${set(o.rd, 'v')}}`);
    case 'Format_LR':
      return (o) => mem(o.pc, `{const a=(${X(o.rs1)}+${X(o.rs2)})|0;const v=${KIND_LOAD[kind]};${set(o.rd, 'v')}}`);
    case 'Format_LRPOST':
      return (o) => mem(o.pc, `{const a=${X(o.rs1)};const i=${X(o.rs2)};const v=${KIND_LOAD[kind]};x[${o.rs1}]=(a+i)|0;${set(o.rd, 'v')}}`);
    case 'Format_SR':
      return (o) => mem(o.pc, `${store(STORE_SIZE[kind], `(${X(o.rs1)}+${X(o.rd)})|0`, X(o.rs2))}`);
    case 'Format_SRPOST':
      return (o) => mem(o.pc, `{const a=${X(o.rs1)};const i=${X(o.rd)};${store(STORE_SIZE[kind], 'a', X(o.rs2))}x[${o.rs1}]=(a+i)|0;}`);
    case 'Format_SPOST':
      return (o) => mem(o.pc, `{const a=${X(o.rs1)};${store(STORE_SIZE[kind], 'a', X(o.rs2))}x[${o.rs1}]=(a+${o.imm})|0;}`);
    default:
      return undefined;
  }
}

interface Tables {
  gen: (Gen | undefined)[]; // by entry index
  terminator: Uint8Array;
  /** 1 for jal (a terminator with a static target and no fall-through) */
  jal: Uint8Array;
  cond: ((o: Ops) => string)[]; // by entry index, conditional branches only
  isLoad: Uint8Array;
  icls: Uint8Array;
  alu: AluFn[];
}
let tables: Tables | undefined;
function jitTables(): Tables {
  if (tables) return tables;
  const entries = isa().entries;
  const gen: (Gen | undefined)[] = [];
  const terminator = new Uint8Array(entries.length + 1);
  const jal = new Uint8Array(entries.length + 1);
  const cond: ((o: Ops) => string)[] = [];
  const isLoad = new Uint8Array(entries.length + 1);
  const icls = new Uint8Array(entries.length + 1);
  const alu: AluFn[] = [];
  for (const e of entries) {
    icls[e.index] = e.iclass;
    if (INTERPRETER_ONLY.has(e.id)) continue;
    let g = GEN[e.id] ?? xpulpMem(e.id, e.formatName);
    if (!g && xpulpAlu[e.id]) {
      const k = alu.length;
      alu.push(xpulpAlu[e.id]);
      g = (o) => set(o.rd, `F[${k}](${X(o.rs1)},${X(o.rs2)},${X(o.rd)},${o.imm},${o.imm2})`);
    }
    gen[e.index] = g;
    const op = e.match & 0x7f;
    if (op === 0x63 || e.id === 'jal' || e.id === 'jalr') terminator[e.index] = 1;
    if (e.id === 'jal') jal[e.index] = 1;
    if (BRANCH_COND[e.id]) cond[e.index] = BRANCH_COND[e.id];
    if (op === 0x03 || e.formatName.startsWith('Format_L')) isLoad[e.index] = 1;
  }
  return (tables = { gen, terminator, jal, cond, isLoad, icls, alu });
}

type Interp = (c: BlockHost, x: Int32Array, b: CompiledBlock) => number;
const SIDE_EXITS = process.env.DSIM_NO_SIDE_EXITS === undefined;
/** Executions after which a block is translated to its own JS function (DSIM_HOT overrides: 1 =
 * translate at once, as before the interpreter existed). V8 runs a new function in its bytecode
 * interpreter until it has run about a thousand times (~500 ns per call of a small block, measured),
 * so translating a block that runs less than that costs more than interpreting it here (~10 ns per
 * instruction): docs/simulator.md, "Where the host time goes". Measured on the networks' first runs
 * (CPU time, V8's compile threads included, DSIM_HOT A/B): 4096 -> 16384 made them ~10% faster,
 * with the same branchy speed once regions no longer depend on it (REGION_AFTER, REGION_MEMBER). */
let HOT = Number(process.env.DSIM_HOT ?? 16384) | 0 || 1;
/** Set the translation threshold (tests run every path: 1 translates at once). Returns the old one. */
export function setHotThreshold(n: number): number {
  const old = HOT;
  HOT = Math.max(1, n | 0);
  return old;
}
/** Words per instruction in CompiledBlock.ops, and where each operand is (the interpreter reads them by name). */
const OPS = 9;
const OPERAND_WORD: Record<string, number> = { rd: 1, rs1: 2, rs2: 3, imm: 4, imm2: 5, next: 6, pc: 8 };
type Factory = (F: AluFn[], M: Helpers, BR: number, K: Float64Array) => CompiledBlock['fn'];
const FACTORIES = new Map<string, Factory>();
const FN_CACHE = new Map<string, CompiledBlock['fn']>();

export interface Helpers {
  mulh(a: number, b: number): number;
  mulhu(a: number, b: number): number;
  mulhsu(a: number, b: number): number;
}

/**
 * Build the block of at most `maxLen` instructions starting at `pc`. `decode(off)` fills the
 * decode cache slot of a region offset and returns its class; `illegal` is the class of illegal
 * instructions. Returns NO_BLOCK when the first instruction is a system one. `counted`: side exits
 * count themselves in the block's `cnt` (statistics; costs ~10% on branchy code, so opt-in).
 * The block's operands are copied out of the decode cache: it runs the code it was built from
 * even if a store changes the bytes while it runs (fence.i semantics, docs/simulator.md).
 */
export function compileBlock(
  region: Region,
  cbase: number,
  pc: number,
  maxLen: number,
  decode: (off: number) => number,
  illegal: number,
  ends: readonly number[],
  branchExtra: number,
  loadUse: number,
  M: Helpers,
  counted = false,
  ledger?: CompiledBlock[],
): CompiledBlock {
  const t = jitTables();
  const cc: CodeCache = region.code();
  if (maxLen > MAX_BLOCK) throw new Error(`internal: block of ${maxLen} instructions`);
  const { ops, pcs, prefix, icls, extra, lu, sideK } = SCRATCH;
  let n = 0;
  let sides = 0;
  let cost = 0;
  let prevLoad = 0;
  let firstRead = 0;
  let p = pc;
  while (n < maxLen) {
    const off = (p - cbase) >>> 0;
    if (off + 2 > region.size) break;
    const i = off >>> 1;
    let h = cc.handler[i];
    if (h === 0) {
      // an instruction that cannot be fetched ends the block; it traps when it is reached
      if (n === 0) h = decode(off);
      else
        try {
          h = decode(off);
        } catch {
          break;
        }
    }
    const e = cc.entry[i];
    if (h === illegal || !t.gen[e]) break;
    const next = (p + cc.size[i]) | 0;
    const reads = cc.readMask[i];
    if (n === 0) firstRead = reads;
    prefix[n] = cost;
    const stall = (prevLoad & reads) !== 0 ? loadUse : 0;
    cost += cc.cost[i] + stall;
    icls[n] = t.icls[e];
    extra[n] = cc.cost[i] - 1;
    lu[n] = stall;
    const rd = cc.rd[i];
    prevLoad = t.isLoad[e] && rd !== 0 ? 1 << rd : 0;
    pcs[n++] = p;
    // Conditional branch inside the block: a side exit. The exit corrects the block's static
    // cycles to those of the instructions run so far and tells the core how many retired.
    const side = t.cond[e] !== undefined && SIDE_EXITS && n < maxLen && !ends.includes(p) ? 1 : 0;
    if (side) sideK[sides++] = n;
    const j = (n - 1) * OPS;
    ops[j] = e;
    ops[j + 1] = rd;
    ops[j + 2] = cc.rs1[i];
    ops[j + 3] = cc.rs2[i];
    ops[j + 4] = cc.imm[i];
    ops[j + 5] = cc.imm2[i];
    ops[j + 6] = next;
    ops[j + 7] = side;
    ops[j + 8] = p;
    if (!side && t.terminator[e]) break;
    if (ends.includes(p)) break;
    p = next;
  }
  if (n === 0) return NO_BLOCK;
  const last = pcs[n - 1];
  const exitK = PAGES.i32(sides + 1);
  exitK[0] = n;
  exitK.set(sideK.subarray(0, sides), 1);
  const block: CompiledBlock = {
    fn: NO_BLOCK.fn,
    runs: 0,
    region: undefined,
    noRegion: 0,
    dead: false,
    loop: undefined,
    interp: interpreter(t, M, branchExtra),
    helpers: M,
    br: branchExtra,
    ops: copyOf(PAGES.i32(n * OPS), ops),
    counted,
    start: pc,
    last,
    span: (last - pc) >>> 0,
    n,
    cost,
    firstRead,
    lastLoad: prevLoad,
    pcs: copyOf(PAGES.i32(n), pcs),
    prefix: copyOf(PAGES.i32(n), prefix),
    icls: copyOf(PAGES.u8(n), icls),
    extra: copyOf(PAGES.u8(n), extra),
    lu: copyOf(PAGES.u8(n), lu),
    exitK,
    cnt: PAGES.f64(exitK.length * LANES),
  };
  ledger?.push(block); // every block with counters, for the statistics (Core.counters)
  return block;
}

/**
 * Typed arrays of blocks as views of shared pages: one ArrayBuffer per PAGE bytes instead of eight
 * small ones per block. A compiled network builds thousands of blocks that live to the end of the
 * run; their buffers were most of the heap's growth during a first run, which the young
 * generation's collector copied (twice) and tracked as external memory. A page lives as long as
 * any view of it. (One class, no allocator callbacks: a call through a per-instance function
 * deoptimised compileBlock.)
 */
class Pages {
  private buf = new ArrayBuffer(PAGE);
  private used = 0;
  /** `bytes` zeroed bytes at a multiple of `align` */
  private at(bytes: number, align: number): number {
    let o = (this.used + align - 1) & -align;
    if (o + bytes > this.buf.byteLength) {
      this.buf = new ArrayBuffer(Math.max(PAGE, bytes));
      o = 0;
    }
    this.used = o + bytes;
    return o;
  }
  // (the offset first: at() may start a new buffer)
  i32(n: number): Int32Array {
    const o = this.at(n * 4, 4);
    return new Int32Array(this.buf, o, n);
  }
  u8(n: number): Uint8Array {
    const o = this.at(n, 1);
    return new Uint8Array(this.buf, o, n);
  }
  f64(n: number): Float64Array {
    const o = this.at(n * 8, 8);
    return new Float64Array(this.buf, o, n);
  }
}
const PAGE = 1 << 16;
const PAGES = new Pages();
/** to, filled from the start of from */
function copyOf<T extends Int32Array | Uint8Array>(to: T, from: T): T {
  to.set(from.subarray(0, to.length));
  return to;
}

/** Where compileBlock builds a block before copying it out (no arrays growing per block: they were
 * most of the garbage of a compiled network's first run). */
const SCRATCH = {
  ops: new Int32Array(MAX_BLOCK * OPS),
  pcs: new Int32Array(MAX_BLOCK),
  prefix: new Int32Array(MAX_BLOCK),
  icls: new Uint8Array(MAX_BLOCK),
  extra: new Uint8Array(MAX_BLOCK),
  lu: new Uint8Array(MAX_BLOCK),
  sideK: new Int32Array(MAX_BLOCK),
};

/** Template operands of instruction k of a block (constants). */
function opsAt(b: CompiledBlock, k: number): Ops {
  const o = b.ops;
  const j = k * OPS;
  return { rd: o[j + 1], rs1: o[j + 2], rs2: o[j + 3], imm: o[j + 4], imm2: o[j + 5], pc: b.pcs[k], next: o[j + 6] };
}

/**
 * Run a block: in the interpreter until it has run HOT times, then as its own JS function. One
 * small function for every call site (the core's loop), so V8 optimises it at once.
 */
export function runBlock(c: BlockHost, x: Int32Array, b: CompiledBlock): number {
  if (b.runs >= HOT) return b.fn(c, x);
  if (++b.runs < HOT) return b.interp(c, x, b);
  b.fn = translate(b);
  return b.fn(c, x);
}

/**
 * Source of block b: its instructions' templates with the operands as constants. A template's
 * `return <pc>;` leaves the block; `side(k, j, target)` is the rest of side exit j (after
 * instruction k), once the exit has given back the static cycles of the instructions it skips.
 */
function blockSource(b: CompiledBlock, side: (k: number, j: number, target: string) => string): string {
  const t = jitTables();
  const parts: string[] = [];
  let j = 0;
  for (let k = 0; k < b.n; k++) {
    const e = b.ops[k * OPS];
    const o = opsAt(b, k);
    if (b.ops[k * OPS + 7]) {
      const ran = k + 1 < b.n ? b.prefix[k + 1] : b.cost; // static cycles of instructions 0..k
      parts.push(`if(${t.cond[e](o)}){c.cycles+=BR-${b.cost - ran};${side(k, j, add(o.pc, o.imm))}}`);
      j++;
    } else parts.push(t.gen[e]!(o));
  }
  const lastE = b.ops[(b.n - 1) * OPS];
  if (b.ops[(b.n - 1) * OPS + 7] || !t.terminator[lastE]) parts.push(`return ${b.ops[(b.n - 1) * OPS + 6]};`);
  return parts.join('\n');
}

/** The block as one JS function. */
function translate(b: CompiledBlock): CompiledBlock['fn'] {
  const t = jitTables();
  const M = b.helpers;
  const branchExtra = b.br;
  // K: this block's exit counters (a side exit counts itself; the core counts full runs)
  const body = blockSource(b, (k, j, target) => `${b.counted ? `K[${(j + 1) * LANES}+c.lane]++;` : ''}c.exitN=${k + 1};return ${target};`);
  // The same code (same program, another Memory or a re-run) reuses the function V8 has already
  // optimised: block functions hold no per-run state.
  // With `counted`, each block gets its own closure (over its counters K) from a factory shared by
  // equal code; otherwise equal code shares one closure (V8 then specialises on its constants).
  const key = `${branchExtra}|${body}`;
  let fn = b.counted ? undefined : FN_CACHE.get(key);
  if (!fn) {
    let factory = FACTORIES.get(key);
    if (!factory) {
      factory = new Function('F', 'M', 'BR', 'K', `return function block_${(b.start >>> 0).toString(16)}(c,x){\n${body}\n};`) as Factory;
      if (FACTORIES.size > 100_000) FACTORIES.clear();
      FACTORIES.set(key, factory);
    }
    fn = factory(t.alu, M, branchExtra, b.cnt);
    if (!b.counted) {
      if (FN_CACHE.size > 100_000) FN_CACHE.clear();
      FN_CACHE.set(key, fn);
    }
  }
  return fn;
}

// ---------------- regions ----------------
//
// A region is a hot block and the hot blocks it leads to (its static successors, breadth first),
// compiled into one JS function with an internal dispatch loop (`switch (pc)`): a loop of blocks
// runs as a JS loop, without returning to the core between blocks (the core's per-block dispatch
// was half of the host time on branchy code). Each block inside does exactly what the core does
// around a block — charge its static cycles (and the load-use stall against the previous block)
// before it runs, count it, add its instructions to those retired — so cycles, statistics and bank
// timing are the same as block by block. The region returns to the core (which then does the
// same as without regions) before a block that is dead (its code was written: fence.i semantics
// as for blocks), when fewer than MAX_BLOCK instructions are left in the budget (the core then
// runs one-instruction blocks), before a block containing an active hardware-loop end (the core
// runs the loop), and at any pc outside the region (jalr, system instructions, cold code).

/** A translated block heads a region after REGION_AFTER more runs (and is looked for again as
 * often when it had none: its successors may be hot by then); 16384 + 53248 = 69632 runs in all.
 * V8 compiles a region function in 10-50 ms (on a loaded machine), and runs it in its bytecode
 * interpreter meanwhile: regions of code that is only warm made a compiled network's first run
 * 10-25% slower. DSIM_REGION_AFTER overrides. */
let REGION_AFTER = Number(process.env.DSIM_REGION_AFTER ?? 53248);
/** Blocks that have run this often (or HOT times, if less) join a region (translated then). */
const REGION_MEMBER = 1024;
/** The most blocks looked at for a region, and the most instructions in one. */
const MAX_REGION_BLOCKS = 32;
const MAX_REGION_INSNS = 192;
/** A region of at most this many instructions holds a copy of its blocks' code (one function for
 * V8 to optimise: the fastest once compiled); a larger one calls the blocks' own functions (V8
 * took up to 0.6 s to compile a region of 100-200 instructions of kernel code, on a loaded
 * machine, and ran it in its bytecode interpreter meanwhile). */
let INLINE_REGION_INSNS = Number(process.env.DSIM_INLINE_REGION_INSNS ?? 64);
let REGIONS = process.env.DSIM_NO_REGIONS === undefined;
/** Guest registers as JS locals in inline regions (registersAsLocals; DSIM_NO_LOCAL_REGS=1: off, for A/B). */
const LOCAL_REGS = process.env.DSIM_NO_LOCAL_REGS === undefined;
let regionsBuilt = 0;
/** Regions compiled so far in this process (tests check that a program really ran in regions). */
export function regionCount(): number {
  return regionsBuilt;
}
export interface RegionOptions {
  on: boolean;
  /** REGION_AFTER */
  after: number;
  /** INLINE_REGION_INSNS */
  inlineInsns: number;
}
/** Set region options (A/B measurements and tests: every path). Returns the old ones. */
export function setRegions(o: Partial<RegionOptions>): RegionOptions {
  const old = { on: REGIONS, after: REGION_AFTER, inlineInsns: INLINE_REGION_INSNS };
  REGIONS = o.on ?? REGIONS;
  REGION_AFTER = o.after ?? REGION_AFTER;
  INLINE_REGION_INSNS = o.inlineInsns ?? INLINE_REGION_INSNS;
  return old;
}

/** Runs blocks from the head's start; returns the next pc with c.rst[0] (instructions retired) and
 * c.rst[1] (load-use mask) set (c.rst[1] is the mask at entry). `budget`: instructions the core may still retire; e0/e1: the
 * active hardware-loop ends (1 when inactive). */
export type RegionFn = (c: BlockHost, x: Int32Array, budget: number, e0: number, e1: number, r: BlockRegion) => number;
export interface BlockRegion {
  readonly fn: RegionFn;
  readonly blocks: readonly CompiledBlock[];
  /** the blocks' exit counters and (a region that calls them) their functions: per Memory, so
   * passed in rather than closed over (one closure serves every run of the same code) */
  readonly K: readonly Float64Array[];
  readonly B: readonly CompiledBlock['fn'][];
  /** CODE_EPOCH when its blocks were last known alive */
  epoch: number;
}
type RegionFactory = (F: AluFn[], M: Helpers, BR: number, LU: number, G: Int32Array) => RegionFn;
/** Region functions by source and constants. One closure for the same code in every Memory: a new
 * closure per run (each runProgram builds a new Memory) had V8 compile the region again every
 * other run (20-60 ms each, in its baseline tiers meanwhile). */
const REGION_FNS = new Map<string, { M: Helpers; fn: RegionFn }>();

/** Static successors of a block: side-exit targets, the taken target of its last branch or jal, and
 * its fall-through (a jalr's target is known only when it runs). */
function successors(b: CompiledBlock): number[] {
  const t = jitTables();
  const out: number[] = [];
  for (let k = 0; k < b.n; k++) {
    const j = k * OPS;
    const e = b.ops[j];
    const target = (b.ops[j + 8] + b.ops[j + 4]) | 0;
    if (b.ops[j + 7] !== 0) out.push(target);
    else if (k === b.n - 1 && t.terminator[e]) {
      if (t.cond[e]) out.push(target, b.ops[j + 6]);
      else if (t.jal[e]) out.push(target);
      return out;
    }
  }
  out.push(b.ops[(b.n - 1) * OPS + 6]);
  return out;
}

/** The long block starting at pc in the decode cache, if there is one. */
function blockAt(cc: CodeCache, cbase: number, pc: number): CompiledBlock | undefined {
  const off = (pc - cbase) >>> 0;
  if (off >= cc.slots * 2) return undefined;
  const ix = cc.blockIx[off >>> 1];
  return ix === 0 ? undefined : (cc.list[ix - 1] ?? undefined);
}

/**
 * The region headed by long block b of decode cache cc (code base cbase), or null: built once b is
 * hot (it has been translated), from the blocks already built that have run at least a quarter as
 * often. A block that leads only elsewhere gets no region (the core runs it as before).
 */
export function regionOf(b: CompiledBlock, cc: CodeCache, cbase: number, loadUse: number): BlockRegion | null {
  // small, for V8 to inline into the core's loop; the rest is a call (a deopt inside an inlined
  // builder would throw away the core loop's optimised code)
  if (!REGIONS || b.runs < HOT) return null;
  const r = b.region;
  if (r && r.epoch === CODE_EPOCH[0]) return r;
  if (++b.noRegion < REGION_AFTER + 16) return null;
  return findRegion(b, cc, cbase, loadUse);
}

function findRegion(b: CompiledBlock, cc: CodeCache, cbase: number, loadUse: number): BlockRegion | null {
  b.noRegion = 0;
  const r = b.region;
  if (r) {
    // code was written somewhere since: a region holding a dropped block is built again
    if (!r.blocks.some((m) => m.dead)) {
      r.epoch = CODE_EPOCH[0];
      return r;
    }
  }
  // candidates: hot blocks reachable from b, breadth first
  const found = [b];
  const starts = new Set([b.start]);
  for (let q = 0; q < found.length; q++)
    for (const s of successors(found[q])) {
      if (starts.has(s) || found.length >= MAX_REGION_BLOCKS) continue;
      const nb = blockAt(cc, cbase, s);
      if (!nb || nb.n === 0 || nb.dead || nb.runs < Math.min(HOT, REGION_MEMBER)) continue;
      starts.add(s);
      found.push(nb);
    }
  // Only the blocks on a loop through b: a block that leads away runs once per region call, and a
  // region's compile time grows fast with its size (V8 took 0.6 s for 32 blocks of SIMD code).
  const loops = new Set([b.start]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of found)
      if (!loops.has(f.start) && successors(f).some((s) => loops.has(s))) {
        loops.add(f.start);
        grew = true;
      }
  }
  if (!successors(b).some((s) => loops.has(s))) return (b.region = null);
  const blocks: CompiledBlock[] = [];
  let size = 0;
  for (const f of found)
    if (loops.has(f.start) && size + f.n <= MAX_REGION_INSNS) {
      blocks.push(f);
      size += f.n;
    }
  return (b.region = compileRegion(blocks, loadUse));
}

function compileRegion(blocks: CompiledBlock[], loadUse: number): BlockRegion {
  regionsBuilt++;
  const inline = blocks.reduce((a, b) => a + b.n, 0) <= INLINE_REGION_INSNS;
  for (const b of blocks)
    if (b.runs < HOT) {
      // a warm member: translated now (regions call or copy translated code)
      b.runs = HOT;
      b.fn = translate(b);
    }
  // Inline regions keep the guest registers and the cycles in JS locals (registersAsLocals); the
  // cycles go back to the core around every memory access (the access methods and the cluster's
  // bank model read and add to them) and when the region is left normally (a trap leaves them
  // where the access put them).
  const local = inline && LOCAL_REGS;
  const CY = local ? 'cy' : 'c.cycles';
  const count = (b: CompiledBlock, i: number, slot: number) => (b.counted ? `K[${i}][${slot * LANES}+c.lane]++;` : '');
  const bodies = blocks.map((b, i) => {
    if (!inline)
      // the block's own function: it charges a side exit's cycles, counts it and sets exitN
      return `pc=B[${i}](c,x);\nif(c.exitN!==0){n+=c.exitN;c.exitN=0;pend=0;continue L;}\n`;
    const side = (k: number, j: number, target: string) => `${count(b, i, j + 1)}n+=${k + 1};pend=0;pc=${target};continue L;`;
    const body = `B:{\n${blockSource(b, side).replace(/return ([^;]+);/g, (_, v: string) => `{pc=${v};break B;}`)}\n}\n`;
    return local ? cyclesAsLocal(body) : body;
  });
  // Code can only be written by a memory access (a store, or a device access that starts a
  // transfer) of the region itself: without any, the epoch check before each block is left out.
  const epoch = !inline || bodies.some((body) => body.includes('c.jpc=')) ? 'G[0]!==g||' : '';
  const cases = blocks.map((b, i) => {
    const lu = b.firstRead !== 0 ? `if((pend&${b.firstRead})!==0){${CY}+=LU;c.stallCtr[${ST_LOADUSE}]+=LU;}` : '';
    return (
      `case ${b.start}:{\n` +
      `if(${epoch}budget-n<${MAX_BLOCK}||H&&(inr(e0,${b.start},${b.span})||inr(e1,${b.start},${b.span})))break L;\n` +
      `${lu}${CY}+=${b.cost};bi=${i};\n${bodies[i]}${count(b, i, 0)}n+=${b.n};pend=${b.lastLoad};continue L;}`
    );
  });
  const head = blocks[0];
  // The state for the core (R: instructions retired, load-use mask, block in progress) is stored
  // once, however the region is left (a trap inside a block included); in a typed array: stores
  // to fields of the core allocated (GC went from 4% to 20% on branchy code).
  let loop = `L:for(;;){switch(pc){\n${cases.join('\n')}\n}break;}${local ? 'c.cycles=cy;' : ''}`;
  let load = '';
  let save = 'R[0]=n;R[1]=pend;R[2]=bi;';
  if (local) [load, loop, save] = registersAsLocals(loop, save);
  const src =
    // H: a hardware loop is active (its end inside a block hands the block back to the core);
    // inr(): is e in [s, s + span] (int32 arithmetic: a uint32 comparison made V8 use doubles)
    `const inr=(e,s,span)=>{const d=(e-s)|0;return d>=0&&d<=span;};\n` +
    `return function region_${(head.start >>> 0).toString(16)}(c,x,budget,e0,e1,r){const R=c.rst,K=r.K,B=r.B,g=G[0],H=e0!==1||e1!==1;` +
    `let pc=${head.start},n=0,pend=R[1],bi=0${local ? ',cy=c.cycles' : ''};\n` +
    `${load}try{\n${loop}\n}finally{${save}}\nreturn pc;};`;
  const key = `${head.br}|${loadUse}|${src}`;
  let cached = REGION_FNS.get(key);
  if (!cached || cached.M !== head.helpers) {
    const factory = new Function('F', 'M', 'BR', 'LU', 'G', src) as RegionFactory;
    if (REGION_FNS.size > 10_000) REGION_FNS.clear();
    REGION_FNS.set(key, (cached = { M: head.helpers, fn: factory(jitTables().alu, head.helpers, head.br, loadUse, CODE_EPOCH) }));
  }
  return { fn: cached.fn, blocks, K: blocks.map((b) => b.cnt), B: blocks.map((b) => b.fn), epoch: CODE_EPOCH[0] };
}

// ---------------- hardware-loop bodies ----------------

/** Runs `iters` iterations of a hardware-loop body block, charging `per` cycles before each, and
 * takes them off lc[0] (also when an access throws: the iterations before it are done). */
export type LoopFn = (c: BlockHost, x: Int32Array, lc: Int32Array, per: number, iters: number) => void;
const LOOP_FNS = new Map<string, LoopFn>();
/** Iterations of a body block (counted while it is interpreted) after which it runs as a JS loop:
 * earlier than translation (HOT), since one call runs many iterations. DSIM_LOOP_HOT overrides (the
 * networks' first runs were the same within noise from 4096 to never, A/B). */
const LOOP_HOT = Number(process.env.DSIM_LOOP_HOT ?? 4096);

/**
 * The body of hardware loop 0 as one JS loop (registers and cycles in locals, as in regions), for a
 * block that is exactly that body and has run LOOP_HOT iterations (cold ones are iterated by the
 * core block by block: no V8 compile time for them). A loop body has no
 * branch or jump (xpulpv2.md), so the block runs to its end every iteration.
 */
export function loopOf(b: CompiledBlock): LoopFn | null {
  if (b.runs < Math.min(HOT, LOOP_HOT) || !LOCAL_REGS) return null;
  if (b.loop !== undefined) return b.loop;
  if (b.exitK.length !== 1) return (b.loop = null);
  const body = cyclesAsLocal(blockSource(b, () => '').replace(/return [^;]+;$/, ''));
  if (body.includes('return')) return (b.loop = null);
  const [load, code, save] = registersAsLocals(`for(;i<iters;i++){cy+=per;\n${body}\n}c.cycles=cy;`, 'lc[0]-=i;');
  const src = `return function hwloop_${(b.start >>> 0).toString(16)}(c,x,lc,per,iters){let cy=c.cycles,i=0;\n${load}try{\n${code}\n}finally{${save}}};`;
  const key = `${b.br}|${src}`;
  let fn = LOOP_FNS.get(key);
  if (!fn) {
    fn = (new Function('F', 'M', 'BR', src) as (F: AluFn[], M: Helpers, BR: number) => LoopFn)(jitTables().alu, b.helpers, b.br);
    if (LOOP_FNS.size > 10_000) LOOP_FNS.clear();
    LOOP_FNS.set(key, fn);
  }
  return (b.loop = fn);
}

/**
 * The guest registers of an inline region's code as JS locals (V8 keeps them in machine registers
 * instead of loading and storing the register file around every instruction): loaded once on
 * entry (the first string returned), and the written ones stored back however the region is left
 * (added to `save`, the region's `finally`) — a return, or a trap, sleep or exit thrown by a
 * memory access, whose instruction has not written its destination yet, so the register file is
 * exactly that of block-by-block execution. Only for inline regions: a block's own function
 * works on the register file.
 */
function registersAsLocals(code: string, save: string): [string, string, string] {
  const used = new Set<number>();
  const written = new Set<number>();
  const body = code.replace(/\bx\[(\d+)\](=(?!=))?/g, (_, r: string, w: string | undefined) => {
    used.add(Number(r));
    if (w) written.add(Number(r));
    return `x${r}${w ?? ''}`;
  });
  const regs = [...used].sort((a, b) => a - b);
  if (regs.length === 0) return ['', code, save];
  const load = `let ${regs.map((r) => `x${r}=x[${r}]`).join(',')};`;
  const store = [...written].sort((a, b) => a - b).map((r) => `x[${r}]=x${r};`).join('');
  return [`${load}\n`, body, save + store];
}

const INTERPRETERS = new Map<string, Interp>();

/** An instruction of the interpreter: operands from ops[j..]; returns the next pc. */
type Handler = (c: BlockHost, x: Int32Array, o: Int32Array, j: number) => number;
type Cond = (x: Int32Array, o: Int32Array, j: number) => boolean;

/** `const rd=o[j+1];...` for the operands a template's code uses. */
function operandLoads(code: string): string {
  return Object.entries(OPERAND_WORD)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code))
    .map(([name, w]) => `const ${name}=o[j+${w}];`)
    .join('');
}

/**
 * The interpreter of blocks, made from the same templates as translated blocks with the operands
 * as parameters: one small function per table entry (a handler returns the next pc) and one per
 * branch condition. Small functions, each shared by every block that uses its instruction, are
 * optimised by V8 within milliseconds (one function with a case per entry took V8 0.1-0.4 s to
 * optimise, again after every new case). A block's cycles, side exits, counters and precise-trap
 * pcs are those of its translation; x[0] is kept 0 after every instruction (the templates skip
 * writes to x0 only when the register is a constant).
 */
function interpreter(t: Tables, M: Helpers, branchExtra: number): Interp {
  const key = `${branchExtra}`;
  let f = INTERPRETERS.get(key);
  if (f) return f;
  const sym: Ops = { rd: 'rd', rs1: 'rs1', rs2: 'rs2', imm: 'imm', imm2: 'imm2', pc: 'pc', next: 'next' };
  // one source for all of them: a new Function per handler took ~250 ms at start-up
  const src: string[] = [];
  t.gen.forEach((g, e) => {
    if (!g) return;
    const body = `${g(sym)}return next;`;
    src.push(`H[${e}]=function op_${e}(c,x,o,j){${operandLoads(body)}${body}};`);
    const cond = t.cond[e];
    if (cond) {
      const test = `return ${cond(sym)};`;
      src.push(`C[${e}]=function cond_${e}(x,o,j){${operandLoads(test)}${test}};`);
    }
  });
  const H: Handler[] = [];
  const C: Cond[] = [];
  new Function('F', 'M', 'BR', 'H', 'C', src.join('\n'))(t.alu, M, branchExtra, H, C);
  // holes would make the tables slow (dictionary elements): fill them
  for (let e = 0; e < t.gen.length; e++) {
    H[e] ??= () => {
      throw new Error(`internal: no template for table entry ${e}`);
    };
    C[e] ??= () => false;
  }
  f = (c, x, b) => {
    const o = b.ops;
    const n = b.n;
    let s = 0;
    x[0] = 0;
    for (let k = 0; ; k++) {
      const j = k * OPS;
      const e = o[j];
      if (o[j + 7] !== 0) {
        // side exit: the branch is taken here, or the block goes on
        if (C[e](x, o, j)) {
          c.cycles += branchExtra - (b.cost - (k + 1 < n ? b.prefix[k + 1] : b.cost));
          if (b.counted) b.cnt[(s + 1) * LANES + c.lane]++;
          c.exitN = k + 1;
          return (o[j + 8] + o[j + 4]) | 0;
        }
        s++;
        if (k + 1 === n) return o[j + 6];
        continue;
      }
      const next = H[e](c, x, o, j);
      x[0] = 0;
      if (k + 1 === n) return next;
    }
  };
  INTERPRETERS.set(key, f);
  return f;
}
