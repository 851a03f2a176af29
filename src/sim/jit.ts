// Block translation (v86 style), and the semantics of every non-system instruction: GEN holds one
// code template per table id. A run of decoded instructions becomes one JS function, so V8 compiles
// guest code to machine code; operands are baked in as constants; loads and stores call the core's
// access methods (which V8 inlines). A block ends at a jump, before a system instruction (CSR, trap,
// hardware-loop setup, p.elw, illegal: the core's switch runs those), at an active hardware-loop end,
// or after MAX_BLOCK instructions; conditional branches inside are side exits.
//
// Precise state on a trap inside a block: each memory access first stores its pc in core.jpc; the
// core maps it back to the instruction index to fix up instret and cycles (see Core.run).
import { isa } from '../../isa/table.js';
import { xpulpAlu, type AluFn } from '../../isa/xpulp-semantics.js';
import type { CodeCache, Region } from './memory.js';

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
  /** Runs the block; returns the next pc. */
  readonly fn: (c: BlockHost, x: Int32Array) => number;
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
  readonly prefix: Float64Array;
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
  ld8(a: number): number;
  ld16(a: number): number;
  ld32(a: number): number;
  st(a: number, size: number, v: number): void;
  st32(a: number, v: number): void;
}

/** Marks a start address whose first instruction is a system one (the core's switch runs it). */
export const NO_BLOCK: CompiledBlock = {
  fn: () => 0,
  start: 1,
  last: 1,
  span: 0,
  n: 0,
  cost: 0,
  firstRead: 0,
  lastLoad: 0,
  pcs: new Int32Array(0),
  prefix: new Float64Array(0),
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

interface Ops {
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  imm2: number;
  pc: number;
  next: number;
  fn: number; // index into the ALU function table
}
type Gen = (o: Ops) => string;

const X = (r: number) => (r === 0 ? '0' : `x[${r}]`);
const set = (rd: number, expr: string) => (rd === 0 ? '' : `x[${rd}]=${expr};`);
const A = (o: Ops) => `(${X(o.rs1)}+${o.imm})|0`;

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
  auipc: (o) => set(o.rd, `${(o.pc + o.imm) | 0}`),
  jal: (o) => `${set(o.rd, `${o.next}`)}return ${(o.pc + o.imm) | 0};`,
  jalr: (o) => `{const t=(${X(o.rs1)}+${o.imm})&-2;${set(o.rd, `${o.next}`)}return t;}`,
  addi: (o) => set(o.rd, `(${X(o.rs1)}+${o.imm})|0`),
  slti: (o) => set(o.rd, `${X(o.rs1)}<${o.imm}?1:0`),
  sltiu: (o) => set(o.rd, `(${X(o.rs1)}>>>0)<${o.imm >>> 0}?1:0`),
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
  GEN[id] = (o) => `if(${cond(o)}){c.cycles+=BR;c.stallCtr[${ST_BRANCH}]+=BR;return ${(o.pc + o.imm) | 0};}return ${o.next};`;
for (const id of Object.keys(LOADS)) GEN[id] = (o) => `c.jpc=${o.pc};{const a=${A(o)};const v=${LOADS[id]};${set(o.rd, 'v')}}`;
for (const id of ['sb', 'sh', 'sw']) GEN[id] = (o) => `c.jpc=${o.pc};${store(STORE_SIZE[id], A(o), X(o.rs2))}`;

/** XpulpV2 memory forms, by format (size/sign from the id prefix, e.g. LBU_RR_POSTINC). */
function xpulpMem(id: string, format: string): Gen | undefined {
  const kind = id.split('_')[0];
  switch (format) {
    case 'Format_LPOST':
      return (o) => `c.jpc=${o.pc};{const a=${X(o.rs1)};const v=${KIND_LOAD[kind].replace('a)', 'a)')};x[${o.rs1}]=(a+${o.imm})|0;${set(o.rd, 'v')}}`;
    case 'Format_LR':
      return (o) => `c.jpc=${o.pc};{const a=(${X(o.rs1)}+${X(o.rs2)})|0;const v=${KIND_LOAD[kind]};${set(o.rd, 'v')}}`;
    case 'Format_LRPOST':
      return (o) => `c.jpc=${o.pc};{const a=${X(o.rs1)};const i=${X(o.rs2)};const v=${KIND_LOAD[kind]};x[${o.rs1}]=(a+i)|0;${set(o.rd, 'v')}}`;
    case 'Format_SR':
      return (o) => `c.jpc=${o.pc};${store(STORE_SIZE[kind], `(${X(o.rs1)}+${X(o.rd)})|0`, X(o.rs2))}`;
    case 'Format_SRPOST':
      return (o) => `c.jpc=${o.pc};{const a=${X(o.rs1)};const i=${X(o.rd)};${store(STORE_SIZE[kind], 'a', X(o.rs2))}x[${o.rs1}]=(a+i)|0;}`;
    case 'Format_SPOST':
      return (o) => `c.jpc=${o.pc};{const a=${X(o.rs1)};${store(STORE_SIZE[kind], 'a', X(o.rs2))}x[${o.rs1}]=(a+${o.imm})|0;}`;
    default:
      return undefined;
  }
}

interface Tables {
  gen: (Gen | undefined)[]; // by entry index
  terminator: Uint8Array;
  cond: ((o: Ops) => string)[]; // by entry index, conditional branches only
  isLoad: Uint8Array;
  icls: Uint8Array;
  alu: AluFn[];
  aluIndex: Int16Array;
}
let tables: Tables | undefined;
function jitTables(): Tables {
  if (tables) return tables;
  const entries = isa().entries;
  const gen: (Gen | undefined)[] = [];
  const terminator = new Uint8Array(entries.length + 1);
  const cond: ((o: Ops) => string)[] = [];
  const isLoad = new Uint8Array(entries.length + 1);
  const icls = new Uint8Array(entries.length + 1);
  const alu: AluFn[] = [];
  const aluIndex = new Int16Array(entries.length + 1).fill(-1);
  for (const e of entries) {
    icls[e.index] = e.iclass;
    if (INTERPRETER_ONLY.has(e.id)) continue;
    let g = GEN[e.id] ?? xpulpMem(e.id, e.formatName);
    if (!g && xpulpAlu[e.id]) {
      const k = alu.length;
      alu.push(xpulpAlu[e.id]);
      aluIndex[e.index] = k;
      g = (o) => set(o.rd, `F[${k}](${X(o.rs1)},${X(o.rs2)},${X(o.rd)},${o.imm},${o.imm2})`);
    }
    gen[e.index] = g;
    const op = e.match & 0x7f;
    if (op === 0x63 || e.id === 'jal' || e.id === 'jalr') terminator[e.index] = 1;
    if (BRANCH_COND[e.id]) cond[e.index] = BRANCH_COND[e.id];
    if (op === 0x03 || e.formatName.startsWith('Format_L')) isLoad[e.index] = 1;
  }
  return (tables = { gen, terminator, cond, isLoad, icls, alu, aluIndex });
}

const SIDE_EXITS = process.env.DSIM_NO_SIDE_EXITS === undefined;
type Factory = (F: AluFn[], M: Helpers, BR: number, K: Float64Array) => CompiledBlock['fn'];
const FACTORIES = new Map<string, Factory>();
const FN_CACHE = new Map<string, CompiledBlock['fn']>();

export interface Helpers {
  mulh(a: number, b: number): number;
  mulhu(a: number, b: number): number;
  mulhsu(a: number, b: number): number;
}

/**
 * Compile the block of at most `maxLen` instructions starting at `pc`. `decode(off)` fills the
 * decode cache slot of a region offset and returns its class; `illegal` is the class of illegal
 * instructions. Returns NO_BLOCK when the first instruction is a system one. `counted`: side exits
 * count themselves in the block's `cnt` (statistics; costs ~10% on branchy code, so opt-in).
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
  const parts: string[] = [];
  const pcs: number[] = [];
  const prefix: number[] = [];
  const icls: number[] = [];
  const extra: number[] = [];
  const lu: number[] = [];
  let cost = 0;
  let prevLoad = 0;
  let firstRead = 0;
  let lastLoad = 0;
  let p = pc;
  let nextPc = pc;
  let ended = false;
  const sideExits: { at: number; k: number; cond: string; target: number }[] = [];
  while (pcs.length < maxLen) {
    const off = (p - cbase) >>> 0;
    if (off + 2 > region.size) break;
    const i = off >>> 1;
    let h = cc.handler[i];
    if (h === 0) {
      // an instruction that cannot be fetched ends the block; it traps when it is reached
      if (pcs.length === 0) h = decode(off);
      else
        try {
          h = decode(off);
        } catch {
          break;
        }
    }
    const e = cc.entry[i];
    const g = h === illegal ? undefined : t.gen[e];
    if (!g) break;
    const o: Ops = {
      rd: cc.rd[i],
      rs1: cc.rs1[i],
      rs2: cc.rs2[i],
      imm: cc.imm[i],
      imm2: cc.imm2[i],
      pc: p,
      next: (p + cc.size[i]) | 0,
      fn: t.aluIndex[e],
    };
    const reads = cc.readMask[i];
    if (pcs.length === 0) firstRead = reads;
    prefix.push(cost);
    const stall = (prevLoad & reads) !== 0 ? loadUse : 0;
    cost += cc.cost[i] + stall;
    icls.push(t.icls[e]);
    extra.push(cc.cost[i] - 1);
    lu.push(stall);
    prevLoad = t.isLoad[e] && o.rd !== 0 ? 1 << o.rd : 0;
    pcs.push(p);
    const cnd = t.cond[e];
    if (cnd && SIDE_EXITS && pcs.length < maxLen && !ends.includes(p)) {
      // Conditional branch inside the block: a side exit. The exit corrects the block's static
      // cycles to those of the instructions run so far and tells the core how many retired.
      const k = pcs.length;
      sideExits.push({ at: parts.length, k, cond: cnd(o), target: (p + o.imm) | 0 });
      parts.push('');
    } else {
      parts.push(g(o));
      if (t.terminator[e]) {
        ended = true;
        break;
      }
    }
    nextPc = o.next;
    if (ends.includes(p)) break;
    p = o.next;
  }
  if (pcs.length === 0) return NO_BLOCK;
  lastLoad = prevLoad;
  const last = pcs[pcs.length - 1];
  if (!ended) parts.push(`return ${nextPc};`);
  const exitK = new Int32Array(sideExits.length + 1);
  exitK[0] = pcs.length;
  for (const [j, x] of sideExits.entries()) {
    exitK[j + 1] = x.k;
  }
  for (const [j, x] of sideExits.entries()) {
    const ran = x.k < prefix.length ? prefix[x.k] : cost; // static cycles of instructions 0..k-1
    // K: this block's exit counters (a side exit counts itself; the core counts full runs)
    const count = counted ? `K[${(j + 1) * LANES}+c.lane]++;` : '';
    parts[x.at] = `if(${x.cond}){c.cycles+=BR-${cost - ran};${count}c.exitN=${x.k};return ${x.target};}`;
  }
  const body = parts.join('\n');
  // The same code (same program, another Memory or a re-run) reuses the function V8 has already
  // optimised: block functions hold no per-run state.
  // With `counted`, each block gets its own closure (over its counters K) from a factory shared by
  // equal code; otherwise equal code shares one closure (V8 then specialises on its constants).
  const key = `${branchExtra}|${body}`;
  const cnt = new Float64Array(exitK.length * LANES);
  let fn = counted ? undefined : FN_CACHE.get(key);
  if (!fn) {
    let factory = FACTORIES.get(key);
    if (!factory) {
      factory = new Function('F', 'M', 'BR', 'K', `return function block_${(pc >>> 0).toString(16)}(c,x){\n${body}\n};`) as Factory;
      if (FACTORIES.size > 100_000) FACTORIES.clear();
      FACTORIES.set(key, factory);
    }
    fn = factory(t.alu, M, branchExtra, cnt);
    if (!counted) {
      if (FN_CACHE.size > 100_000) FN_CACHE.clear();
      FN_CACHE.set(key, fn);
    }
  }
  const block: CompiledBlock = {
    fn,
    start: pc,
    last,
    span: (last - pc) >>> 0,
    n: pcs.length,
    cost,
    firstRead,
    lastLoad,
    pcs: Int32Array.from(pcs),
    prefix: Float64Array.from(prefix),
    icls: Uint8Array.from(icls),
    extra: Uint8Array.from(extra),
    lu: Uint8Array.from(lu),
    exitK,
    cnt,
  };
  ledger?.push(block); // every block with counters, for the statistics (Core.counters)
  return block;
}
