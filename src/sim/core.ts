// One RV32IMC + Zicsr + XpulpV2 core (RI5CY / CV32E40P class). No global state: a scheduler owns
// Core objects and steps them with run(n); memory and devices live in the shared Memory.
//
// Hot loop design (docs/simulator.md): instructions are decoded once per address into the
// region's CodeCache (typed arrays, RVC already expanded, per-op base cycle cost precomputed). The
// semantics of every non-system instruction are the code templates of jit.ts: runs of them become
// JS functions (blocks; one instruction long when single-stepping); the system instructions (CSRs,
// traps, hardware-loop setup, p.elw) are a switch here. Faults and sleeps leave the loop by throwing
// a preallocated signal object, so the common path has no checks for them.
import './v8-tuning.js'; // first: V8's optimisation budget for simulating processes
import { decoder, emptyDecoded, type Decoded } from '../../isa/decoder.js';
import { formatDecoded } from '../../isa/disasm.js';
import { INSTR_CLASSES, isa, type InstrClass } from '../../isa/table.js';
import { BLOCK, Memory, Region, WATCH_CODE, WATCH_SHIFT, WATCH_TOHOST, type CodeCache } from './memory.js';
import type { Platform } from './platform/siracusa.js';
import {
  compileBlock, CORE_STALLS, LANES, loopOf, MAX_BLOCK, regionOf, runBlock, ST_BRANCH, ST_DIV, ST_JUMP, ST_LOADUSE, ST_MISALIGNED, ST_MUL,
  type BlockRegion, type CompiledBlock, type CoreStall,
} from './jit.js';
import { BlockLedger, EXTRA_CAUSE } from './block-ledger.js';

/** Per-core statistics: the core's own stall cycles by cause, retired instructions by class. */
export interface CoreCounters {
  stalls: Record<CoreStall, number>;
  classes: Record<InstrClass, number>;
}
/** Every block compiled for a Memory with statistics (its cores share blocks): block-ledger.ts. */
const LEDGERS = new WeakMap<Memory, BlockLedger>();

/** Why run() returned. */
export type StopReason =
  | 'limit' // the instruction budget of this run() call is used up
  | 'exit' // the program exited (HTIF tohost or exit ecall); see core.exitCode
  | 'fault' // unrecoverable: trap without handler, bad host call, hardware-loop violation; see core.fault
  | 'sleep'; // wfi, or a device read (p.elw) answered BLOCK: call wake() then run() again

export interface Fault {
  readonly pc: number;
  readonly raw: number;
  readonly disassembly: string;
  readonly cause: string;
}

/** Host side of the program I/O conventions (contracts.md). */
export interface Host {
  write(fd: number, bytes: Uint8Array): void;
}

// Trap causes (privileged spec table 3.6)
export const Cause = {
  misalignedFetch: 0,
  fetchAccess: 1,
  illegal: 2,
  breakpoint: 3,
  misalignedLoad: 4,
  loadAccess: 5,
  misalignedStore: 6,
  storeAccess: 7,
  ecallM: 11,
} as const;
const CAUSE_TEXT: Record<number, string> = {
  0: 'instruction address misaligned',
  1: 'instruction access fault',
  2: 'illegal instruction',
  3: 'breakpoint (ebreak)',
  4: 'misaligned load',
  5: 'load access fault (unmapped address)',
  6: 'misaligned store',
  7: 'store access fault (unmapped address)',
  11: 'environment call (ecall)',
};

export const CSR = {
  mstatus: 0x300, misa: 0x301, mie: 0x304, mtvec: 0x305, mscratch: 0x340, mepc: 0x341, mcause: 0x342,
  mtval: 0x343, mip: 0x344, mhartid: 0xf14, mcycle: 0xb00, minstret: 0xb02, mcycleh: 0xb80, minstreth: 0xb82,
  cycle: 0xc00, instret: 0xc02, cycleh: 0xc80, instreth: 0xc82,
  lpstart0: 0x7b0, lpend0: 0x7b1, lpcount0: 0x7b2, lpstart1: 0x7b4, lpend1: 0x7b5, lpcount1: 0x7b6,
} as const;
/** misa: MXL=1 (RV32), extensions C, I, M, X (non-standard: XpulpV2). */
const MISA = (1 << 30) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 23);

// Signals thrown out of the hot loop (preallocated: no allocation per fault).
class TrapSignal {
  cause = 0;
  tval = 0;
}
class SleepSignal {}
class ExitSignal {}
class FaultSignal {
  message = '';
}

/**
 * Instruction classes of the decode cache. Everything but the system instructions runs as compiled
 * code (jit.ts); the class gives the base cycle cost and the hardware-loop body rules. A const enum
 * in this file, so the switch cases are literals.
 */
const enum H {
  NONE = 0, // not decoded yet
  ILLEGAL, COMPUTE, JUMP, BRANCH, MULH, DIV,
  // system instructions, executed by the switch in run()
  CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI, ECALL, EBREAK, MRET, WFI, FENCE, FENCE_I, ELW,
  LP_STARTI, LP_ENDI, LP_COUNT, LP_COUNTI, LP_SETUP, LP_SETUPI,
}

const CLASS_BY_ID: Record<string, H> = {
  jal: H.JUMP, jalr: H.JUMP, beq: H.BRANCH, bne: H.BRANCH, blt: H.BRANCH, bge: H.BRANCH, bltu: H.BRANCH,
  bgeu: H.BRANCH, 'p.beqimm': H.BRANCH, 'p.bneimm': H.BRANCH, mulh: H.MULH, mulhsu: H.MULH, mulhu: H.MULH,
  div: H.DIV, divu: H.DIV, rem: H.DIV, remu: H.DIV, csrrw: H.CSRRW, csrrs: H.CSRRS, csrrc: H.CSRRC,
  csrrwi: H.CSRRWI, csrrsi: H.CSRRSI, csrrci: H.CSRRCI, ecall: H.ECALL, ebreak: H.EBREAK, mret: H.MRET,
  wfi: H.WFI, fence: H.FENCE, 'fence.i': H.FENCE_I, 'p.elw': H.ELW, 'lp.starti': H.LP_STARTI, 'lp.endi': H.LP_ENDI,
  'lp.count': H.LP_COUNT, 'lp.counti': H.LP_COUNTI, 'lp.setup': H.LP_SETUP, 'lp.setupi': H.LP_SETUPI,
};
/** Instructions not allowed inside a hardware-loop body (xpulpv2.md, "Hardware loops"). */
const NOT_IN_HWLOOP = new Set<number>([H.JUMP, H.BRANCH, H.ECALL, H.EBREAK, H.MRET, H.WFI, H.FENCE, H.FENCE_I]);

let classes: Uint8Array | undefined;
let iclasses: Uint8Array | undefined;
/** isa INSTR_CLASSES index by table entry index. */
function iclassTable(): Uint8Array {
  if (iclasses) return iclasses;
  const entries = isa().entries;
  const t = new Uint8Array(entries.length + 1);
  for (const e of entries) t[e.index] = e.iclass;
  return (iclasses = t);
}
/** Instruction class by table entry index. */
function classTable(): Uint8Array {
  if (classes) return classes;
  const entries = isa().entries;
  const t = new Uint8Array(entries.length + 1);
  for (const e of entries) t[e.index] = CLASS_BY_ID[e.id] ?? H.COMPUTE;
  return (classes = t);
}

export interface CoreOptions {
  hartId?: number;
  host?: Host;
  /** count stall causes and instruction classes exactly (counters()); side exits of compiled
   * blocks then count themselves, which costs ~10% on branchy code */
  stats?: boolean;
}

const hex = (v: number, w = 8) => '0x' + (v >>> 0).toString(16).padStart(w, '0');
const log2 = (n: number) => 31 - Math.clz32(n);

export class Core {
  readonly x = new Int32Array(32);
  pc = 0;
  readonly hartId: number;
  cycles = 0;
  instret = 0;
  // machine-mode CSRs
  mstatus = 0;
  mie = 0;
  mip = 0;
  mtvec = 0;
  mscratch = 0;
  mepc = 0;
  mcause = 0;
  mtval = 0;
  /** Hardware loops: start, end, count of loop 0 and loop 1. */
  readonly lpStart = new Int32Array(2);
  readonly lpEnd = new Int32Array(2);
  readonly lpCount = new Int32Array(2);
  private readonly lpChecked = [false, false];
  private readonly goodLoopBodies = new Map<number, number>();
  /** Address of the HTIF tohost word, or undefined (then ecall is a Linux-style host call). */
  tohost: number | undefined;
  exitCode: number | undefined;
  fault: Fault | undefined;
  sleeping = false;
  host: Host;

  /** pc of the memory access in progress inside a compiled block (for precise traps). */
  jpc = 0;
  /** Set by a compiled block left through a side exit: instructions that ran (jit.ts). */
  exitN = 0;
  /** Region state (jit.ts RegionFn): retired instructions, load-use mask, block index. */
  readonly rst = new Int32Array(3);
  /** Use long compiled blocks when the budget allows; off = one-instruction blocks only (debugging). */
  jit = true;
  private pendLoad = 0; // bit mask of the register loaded by the previous instruction
  private codeRegion: Region | undefined;
  private codeBase = 0;
  private readonly trap = new TrapSignal();
  private readonly sleepSig = new SleepSignal();
  private readonly exitSig = new ExitSignal();
  private readonly faultSig = new FaultSignal();
  private readonly dec: Decoded = emptyDecoded();
  private readonly classOf: Uint8Array = classTable();
  private readonly l1: Int32Array;
  private readonly l2: Int32Array;
  private readonly l1h: Int16Array;
  private readonly l2h: Int16Array;
  private readonly l1b: Int8Array;
  private readonly l2b: Int8Array;
  private readonly l1Tag: number;
  private readonly l1Shift: number;
  private readonly l2Tag: number;
  private readonly l2Shift: number;
  private readonly timing: Platform['timing'];
  // statistics (after the fields the hot loop and the access methods use)
  /** Stall cycles by CORE_STALLS index counted as they happen (the rest is static per block). */
  readonly stallCtr = new Float64Array(CORE_STALLS.length);
  /** Retired instructions by class outside compiled blocks (system instructions, partial blocks). */
  readonly classCtr = new Float64Array(INSTR_CLASSES.length);
  readonly lane: number;
  readonly stats: boolean;
  private readonly ledger: BlockLedger | undefined;
  private readonly iclassOf: Uint8Array = iclassTable();
  private sysClass = -1; // class of the system instruction in progress (counted before it runs)
  private fastLc = -1; // lpCount[0] before the direct iteration of a loop-0 body (-1: not iterating)
  private fastWrap = 0;

  constructor(
    readonly memory: Memory,
    opts: CoreOptions = {},
  ) {
    this.hartId = opts.hartId ?? 0;
    this.lane = ((this.hartId % LANES) + LANES) % LANES;
    this.stats = opts.stats ?? false;
    // only with stats: holding every block (and the WeakMap entry) costs ~15% on short runs
    let ledger = this.stats ? LEDGERS.get(memory) : undefined;
    if (this.stats && !ledger) LEDGERS.set(memory, (ledger = new BlockLedger()));
    this.ledger = ledger;
    this.host = opts.host ?? { write: () => {} };
    const p = memory.platform;
    this.timing = p.timing;
    this.l1 = memory.l1.i32;
    this.l2 = memory.l2.i32;
    this.l1h = memory.l1.i16;
    this.l2h = memory.l2.i16;
    this.l1b = new Int8Array(memory.l1.bytes.buffer);
    this.l2b = new Int8Array(memory.l2.bytes.buffer);
    this.l1Shift = log2(p.l1.size);
    this.l1Tag = p.l1.base >>> this.l1Shift;
    this.l2Shift = log2(p.l2.size);
    this.l2Tag = p.l2.base >>> this.l2Shift;
  }

  /** Start executing at `entry` with a clean architectural state (registers and counters kept at 0). */
  reset(entry: number): void {
    this.x.fill(0);
    this.pc = entry | 0;
    this.mstatus = 0;
    this.mtvec = 0;
    this.lpCount.fill(0);
    this.exitCode = undefined;
    this.fault = undefined;
    this.sleeping = false;
    this.pendLoad = 0;
  }

  /** Wake a core that stopped with 'sleep'; the next run() retries the blocked access. */
  wake(): void {
    this.sleeping = false;
  }

  /** Execute one instruction (or take one trap). */
  step(): StopReason {
    return this.run(1);
  }

  /**
   * Run until `maxInstructions` more instructions have retired, or the program exits, faults or
   * sleeps. Counters (cycles, instret) are updated; a scheduler interleaves cores by calling this
   * with small budgets.
   */
  run(maxInstructions: number): StopReason {
    if (this.fault) return 'fault';
    if (this.exitCode !== undefined) return 'exit';
    const x = this.x;
    const tm = this.timing;
    const loadUse = tm.loadUse;
    // (no new locals here for the statistics: register pressure in this loop is what they cost)
    this.sysClass = -1;
    this.fastLc = -1;
    let pc = this.pc | 0;
    let retired = 0;
    let pend = this.pendLoad;
    let curPc = pc;
    // the code region of the last run (single steps would otherwise look it up every time)
    let region = this.codeRegion;
    let cbase = this.codeBase;
    let csize = region ? region.size : 0;
    let c = region?.code();
    let blk: CompiledBlock | undefined;
    let reg: BlockRegion | undefined; // the region running (a trap inside: this.rk is the block)
    const useJit = this.jit;
    let end0 = this.activeEnd(0);
    let end1 = this.activeEnd(1);
    // traps count against the budget too, so a handler that traps at once cannot hang run()
    let limit = maxInstructions;
    for (;;) {
      try {
        while (retired < limit) {
          let off = (pc - cbase) >>> 0;
          if (off >= csize) {
            curPc = pc;
            const f = this.fetchRegion(pc);
            region = this.codeRegion = f.region;
            cbase = this.codeBase = (pc - f.offset) | 0;
            csize = region.size;
            c = region.code();
            off = (pc - cbase) >>> 0;
          }
          const cc = c!;
          const i = off >>> 1;
          // Every instruction except the system ones runs as compiled code (jit.ts): a block of up
          // to MAX_BLOCK instructions when the budget allows, else a one-instruction block.
          const long = useJit && limit - retired >= MAX_BLOCK;
          const ix = long ? cc.blockIx : cc.singleIx;
          let b: CompiledBlock;
          if (ix[i] !== 0) b = cc.list[ix[i] - 1]!;
          else {
            curPc = pc; // decoding may trap (an instruction running past the end of memory)
            b = cc.put(ix, i, this.compile(region!, cbase, pc, end0, end1, long ? MAX_BLOCK : 1));
          }
          let head = long; // b is a long block: it may head a region
          if (b.n > 1 && (((end0 - pc) >>> 0) < b.span || ((end1 - pc) >>> 0) < b.span)) {
            // a hardware loop set up after this block was compiled ends inside it
            b = cc.singleIx[i] !== 0 ? cc.list[cc.singleIx[i] - 1]! : cc.put(cc.singleIx, i, this.compile(region!, cbase, pc, end0, end1, 1));
            head = false;
          }
          if (b.n !== 0) {
            curPc = pc;
            const r = head && b.last !== end0 && b.last !== end1 ? regionOf(b, cc, cbase, loadUse) : null;
            if (r !== null) {
              // hot code: run blocks in the region's own loop (jit.ts), bookkeeping as below
              const rs = this.rst;
              rs[0] = 0;
              rs[1] = pend;
              reg = r;
              pc = r.fn(this, x, limit - retired, end0, end1, r);
              reg = undefined;
              if (rs[0] !== 0) {
                retired += rs[0];
                pend = rs[1];
                continue;
              }
            }
            if ((pend & b.firstRead) !== 0) {
              this.cycles += loadUse;
              this.stallCtr[ST_LOADUSE] += loadUse;
            }
            this.cycles += b.cost;
            blk = b;
            pc = runBlock(this, x, b);
            blk = undefined;
            const side = this.exitN;
            if (side !== 0) {
              // left through a taken branch inside the block (never at an active loop end)
              this.exitN = 0;
                            retired += side;
              pend = 0;
              continue;
            }
            b.cnt[this.lane]++;
            pend = b.lastLoad;
            retired += b.n;
            if (b.last === end0 || b.last === end1) {
              curPc = b.last; // a loop-constraint fault points at the last body instruction
              pc = this.loopEnd(b.last, pc);
              if (pc === b.start && b.last === end0 && b.last !== end1) {
                // The block is the whole body of loop 0: iterate it here, leaving the last
                // iteration to the normal path (which falls out of the loop).
                const lc = this.lpCount;
                const per = b.cost + this.loopStart(b);
                // as long as the count and the budget (MAX_BLOCK left after it) allow
                const iters = Math.min(lc[0] - 1, Math.floor((limit - retired - MAX_BLOCK) / b.n));
                blk = b;
                if (iters > 0) {
                  const lf = loopOf(b);
                  if (lf !== null) lf(this, x, lc, per, iters);
                  else
                    for (let k = 0; k < iters; k++) {
                      this.cycles += per;
                      runBlock(this, x, b);
                      lc[0]--;
                    }
                  retired += iters * b.n;
                }
                blk = undefined;
                this.loopDone(b, false);
              }
              end0 = this.activeEnd(0);
              end1 = this.activeEnd(1);
            }
            continue;
          }
          // a system instruction (CSRs, ecall/ebreak/mret/wfi/fence/fence.i, p.elw, lp.*, illegal): charge, count, execute
          const h = cc.handler[i];
          // read for every system instruction, not only p.elw: a property first read after V8 has
          // optimised run() has no type feedback there and deoptimised run() (a recompile each)
          const rd = cc.rd[i];
          curPc = pc;
          x[0] = 0;
          if ((pend & cc.readMask[i]) !== 0) {
            this.cycles += loadUse;
            this.stallCtr[ST_LOADUSE] += loadUse;
          }
          pend = 0;
          this.cycles += cc.cost[i];
          this.countSystem(cc.entry[i]);
          if (h >= H.CSRRW && h <= H.CSRRCI) {
            // instret must be current when software reads it
            this.instret += retired;
            limit -= retired;
            retired = 0;
          }
          const at = pc;
          pc = (pc + cc.size[i]) | 0; // an exit (ecall) leaves the core after the instruction
          pc = this.system(h, cc, i, at);
          if (h === H.WFI) {
            retired++;
            this.sysClass = -1;
            this.pendLoad = 0;
            this.instret += retired;
            return 'sleep';
          }
          const elwLoad = 1 << rd; // (computed for all: the same reason)
          if (h === H.ELW) pend = elwLoad;
          // CSR writes and lp.* may have changed the hardware-loop registers
          end0 = this.activeEnd(0);
          end1 = this.activeEnd(1);
          retired++;
          this.sysClass = -1;
          // Hardware loops: after the last body instruction, loop 0 (inner, priority) then loop 1.
          if (curPc === end0 || curPc === end1) {
            pc = this.loopEnd(curPc, pc);
            end0 = this.activeEnd(0);
            end1 = this.activeEnd(1);
          }
        }
        this.pc = pc;
        this.pendLoad = pend;
        this.instret += retired;
        return 'limit';
      } catch (e) {
        x[0] = 0;
        if (this.sysClass >= 0) this.uncountSystem(e);
        if (reg !== undefined) {
          // inside block rk of a region, after rn instructions of the region had retired
          blk = reg.blocks[this.rst[2]];
          retired += this.rst[0];
          reg = undefined;
        }
        if (blk !== undefined) {
          // inside a compiled block: instructions before the access at jpc have retired
          const b = blk;
          blk = undefined;
          if (this.fastLc >= 0) {
            retired += (this.fastLc - this.lpCount[0]) * b.n; // the iterations before this one
            this.loopDone(b, true);
          }
          const k = b.pcs.indexOf(this.jpc);
          retired += k;
          // like a single step: the instruction at jpc is charged, the rest of the block is not
          this.cycles -= b.cost - (k + 1 < b.n ? b.prefix[k + 1] : b.cost);
          this.countPartial(b, k, e === this.exitSig);
          curPc = this.jpc;
          if (e === this.exitSig) {
            const d = this.disassembleAt(curPc);
            pc = (curPc + ((d.raw & 3) === 3 ? 4 : 2)) | 0;
          }
        }
        if (e === this.trap) {
          pend = 0;
          limit--;
          const stop = this.takeTrap(curPc);
          if (stop) {
            this.instret += retired;
            this.pc = curPc;
            return 'fault';
          }
          pc = this.pc;
          end0 = this.activeEnd(0);
          end1 = this.activeEnd(1);
          continue;
        }
        if (e === this.exitSig) {
          this.instret += retired + 1;
          this.pc = pc;
          return 'exit';
        }
        if (e === this.sleepSig) {
          // the access is retried when the core is woken: the instruction has not retired
          this.sleeping = true;
          this.pc = curPc;
          this.pendLoad = 0;
          this.instret += retired;
          return 'sleep';
        }
        if (e === this.faultSig) {
          this.instret += retired;
          this.pc = curPc;
          this.setFault(curPc, this.faultSig.message);
          return 'fault';
        }
        // a device threw (e.g. the cluster reports a simulated fault): leave a consistent state
        this.instret += retired;
        this.pc = curPc;
        throw e;
      }
    }
  }

  /**
   * Execute the system instruction of class h in decode-cache slot i at `pc` (charged and counted
   * by the caller); returns the next pc. Traps, exits and faults are thrown as signals. wfi sets
   * `sleeping` (and `pc`): the caller returns 'sleep'.
   */
  private system(h: number, cc: CodeCache, i: number, pc: number): number {
    const x = this.x;
    const next = (pc + cc.size[i]) | 0;
    switch (h) {
      case H.ILLEGAL:
        throw this.trapOf(Cause.illegal, cc.raw[i]);
      case H.FENCE:
        return next;
      case H.FENCE_I:
        // Stores into decoded code already dropped it (Region.invalidate), and a block always
        // ends before a system instruction, so what follows is fetched anew. Checked
        // hardware-loop bodies may have been rewritten: check them again.
        this.goodLoopBodies.clear();
        return next;
      case H.CSRRW:
      case H.CSRRS:
      case H.CSRRC:
      case H.CSRRWI:
      case H.CSRRSI:
      case H.CSRRCI:
        this.csrOp(h, cc.rd[i], cc.rs1[i], cc.imm[i], cc.raw[i]);
        return next;
      case H.ECALL:
        if (this.tohost !== undefined) throw this.trapOf(Cause.ecallM, 0);
        this.hostCall();
        return next;
      case H.EBREAK:
        throw this.trapOf(Cause.breakpoint, pc);
      case H.MRET:
        // MIE <- MPIE, MPIE <- 1
        this.mstatus = (this.mstatus & ~0x8) | ((this.mstatus >> 4) & 0x8) | 0x80;
        return this.mepc;
      case H.WFI:
        this.sleeping = true;
        this.pc = next;
        return next;
      // ---------------- XpulpV2 ----------------
      case H.ELW:
        x[cc.rd[i]] = this.ldSlow((x[cc.rs1[i]] + cc.imm[i]) | 0, 4);
        return next;
      case H.LP_STARTI:
        this.lpStart[cc.rd[i]] = (pc + (cc.imm[i] << 1)) | 0;
        this.lpChecked[cc.rd[i]] = false;
        return next;
      case H.LP_ENDI:
        this.lpEnd[cc.rd[i]] = (pc + (cc.imm[i] << 1)) | 0;
        this.lpChecked[cc.rd[i]] = false;
        return next;
      case H.LP_COUNT:
      case H.LP_COUNTI:
      case H.LP_SETUP:
      case H.LP_SETUPI: {
        const L = cc.rd[i];
        if (h === H.LP_COUNT) this.lpCount[L] = x[cc.rs1[i]];
        else if (h === H.LP_COUNTI) this.lpCount[L] = cc.imm[i];
        else {
          this.lpStart[L] = next;
          this.lpEnd[L] = (pc + ((h === H.LP_SETUP ? cc.imm[i] : cc.imm2[i]) << 1)) | 0;
          this.lpCount[L] = h === H.LP_SETUP ? x[cc.rs1[i]] : cc.imm[i];
        }
        this.lpChecked[L] = false;
        return next;
      }
      default:
        throw new Error(`internal: handler ${h} at ${hex(pc)}`);
    }
  }

  /** End of hardware loop L while it is active, else 1 (never a pc). One small function for
   * every place run() asks: V8 keeps type feedback per function, so the first loop anywhere
   * gives all of them feedback (a read first made after run() was optimised deoptimised it). */
  private activeEnd(L: number): number {
    return this.lpCount[L] !== 0 ? this.lpEnd[L] : 1;
  }

  // Statistics helpers, out of run(): V8 waits longer before optimising a longer function.

  /** The direct iteration of a loop-0 body starts: returns the wrap-around load-use per iteration. */
  private loopStart(b: CompiledBlock): number {
    this.fastLc = this.lpCount[0];
    return (this.fastWrap = (b.lastLoad & b.firstRead) !== 0 ? this.timing.loadUse : 0);
  }
  /** ... and ends (`inside`: left by a trap or sleep in the iteration in progress, whose
   * wrap-around load-use was charged too). */
  private loopDone(b: CompiledBlock, inside: boolean): void {
    const iters = this.fastLc - this.lpCount[0];
    b.cnt[this.lane] += iters;
    this.stallCtr[ST_LOADUSE] += (inside ? iters + 1 : iters) * this.fastWrap;
    this.fastLc = -1;
  }
  /** A system instruction is about to run: count it (taken back if it does not retire). */
  private countSystem(entry: number): void {
    this.sysClass = this.iclassOf[entry];
    this.classCtr[this.sysClass]++;
  }
  /** It trapped, slept or faulted (an exit ecall retires). */
  private uncountSystem(e: unknown): void {
    if (e !== this.exitSig) this.classCtr[this.sysClass]--;
    this.sysClass = -1;
  }

  /** A block left at instruction k by a trap, sleep or exit: instructions 0..k-1 retired (k too on
   * exit); the static cycles of 0..k were charged. */
  private countPartial(b: CompiledBlock, k: number, kRetired: boolean): void {
    const sc = this.stallCtr;
    for (let j = 0; j <= k && j < b.n; j++) {
      if (j < k || kRetired) this.classCtr[b.icls[j]]++;
      sc[ST_LOADUSE] += b.lu[j];
      if (b.extra[j] !== 0) sc[EXTRA_CAUSE[b.icls[j]]] += b.extra[j];
    }
  }

  /**
   * Stall cycles by cause and retired instructions by class so far: the counters kept as things
   * happen plus, for every compiled block this core ran, its executions per exit times the block's
   * static counts (a side exit is a taken branch; block-ledger.ts keeps those sums up to date).
   * Undefined unless the core was made with `stats` (side exits are not counted otherwise).
   */
  counters(): CoreCounters | undefined {
    if (!this.ledger) return undefined;
    this.ledger.update(this.timing.branchTaken - 1, true);
    const own = this.ledger.lane(this.lane);
    const W = CORE_STALLS.length;
    const stalls = {} as Record<CoreStall, number>;
    CORE_STALLS.forEach((n, i) => (stalls[n] = this.stallCtr[i]! + own[i]!));
    const classes = {} as Record<InstrClass, number>;
    INSTR_CLASSES.forEach((n, i) => (classes[n] = this.classCtr[i]! + own[W + i]!));
    return { stalls, classes };
  }

  /**
   * The own stall cycles by cause (CORE_STALLS order) of several cores, as counters() counts
   * them (the profile marks ask at every layer). Zeros for a core without `stats`.
   */
  static stallsOf(cores: readonly Core[]): Float64Array[] {
    const done = new Set<BlockLedger>();
    return cores.map((c) => {
      const out = new Float64Array(CORE_STALLS.length);
      if (!c.ledger) return out;
      if (!done.has(c.ledger)) {
        c.ledger.update(c.timing.branchTaken - 1);
        done.add(c.ledger);
      }
      const own = c.ledger.lane(c.lane);
      for (let i = 0; i < out.length; i++) out[i] = c.stallCtr[i]! + own[i]!;
      return out;
    });
  }

  // ---------------- decode ----------------

  private compile(region: Region, cbase: number, pc: number, end0: number, end1: number, maxLen: number): CompiledBlock {
    const t = this.timing;
    return compileBlock(
      region,
      cbase,
      pc,
      maxLen,
      (off) => this.decodeInto(region, off, off >>> 1),
      H.ILLEGAL,
      [end0, end1],
      t.branchTaken - 1,
      t.loadUse,
      HELPERS,
      this.stats,
      this.ledger, // pushed there: compile() is inlined into run(), where a deopt costs a lot
    );
  }

  private fetchRegion(pc: number): { region: Region; offset: number } {
    if (pc & 1) throw this.trapOf(Cause.misalignedFetch, pc);
    const f = this.memory.find(pc);
    if (!f) throw this.trapOf(Cause.fetchAccess, pc);
    return f;
  }

  /** Decode the instruction at `off` of `region` into its cache slot `i`; returns its handler. */
  private decodeInto(region: Region, off: number, i: number): number {
    const b = region.bytes;
    const lo = b[off] | (b[off + 1] << 8);
    let word = lo;
    if ((lo & 3) === 3) {
      if (off + 4 > region.size) throw this.trapOf(Cause.fetchAccess, (region.base + off + 2) | 0);
      word = lo | (b[off + 2] << 16) | (b[off + 3] << 24);
    }
    const d = decoder().decode(word, this.dec);
    const c = region.code();
    const e = d.entry;
    let h: number = H.ILLEGAL;
    let cost = 1;
    let mask = 0;
    if (e) {
      h = this.classOf[e.index];
      const tm = this.timing;
      if (h === H.JUMP) cost = tm.jump;
      else if (h === H.MULH) cost = tm.mulh;
      else if (h === H.DIV) cost = tm.divBase;
      for (const r of e.format.reads) if (d[r] !== 0) mask |= 1 << d[r];
      // A post-increment load with rd == rs1 is undefined in the manuals: report it as illegal.
      if ((e.formatName === 'Format_LPOST' || e.formatName === 'Format_LRPOST') && d.rd === d.rs1) h = H.ILLEGAL;
    }
    c.handler[i] = h;
    c.rd[i] = d.rd;
    c.rs1[i] = d.rs1;
    c.rs2[i] = d.rs2;
    c.imm[i] = d.imm;
    c.imm2[i] = d.imm2;
    c.size[i] = d.size;
    c.cost[i] = cost;
    c.readMask[i] = mask;
    c.raw[i] = d.raw;
    c.entry[i] = e ? e.index : 0;
    region.watch[off >>> WATCH_SHIFT] |= WATCH_CODE;
    if (((off + d.size - 1) >>> WATCH_SHIFT) !== off >>> WATCH_SHIFT) region.watch[(off + d.size - 1) >>> WATCH_SHIFT] |= WATCH_CODE;
    return h;
  }

  /** Decoded view of the instruction at `pc` (for traces and fault messages). */
  disassembleAt(pc: number): { raw: number; text: string } {
    const word = this.wordAt(pc);
    if (word === undefined) return { raw: 0, text: '(unmapped)' };
    const d = decoder().decode(word);
    return { raw: d.raw, text: formatDecoded(d, pc).replace('\t', ' ') };
  }

  /** The instruction bits at `pc` (32 if they fit in the region, the upper half ignored for RVC), or undefined when unmapped. */
  private wordAt(pc: number): number | undefined {
    const r = this.memory.locate(pc);
    const o = this.memory.lastOffset;
    if (!r || o + 2 > r.size) return undefined;
    const b = r.bytes;
    let word = b[o] | (b[o + 1] << 8);
    if ((word & 3) === 3 && o + 4 <= r.size) word |= (b[o + 2] << 16) | (b[o + 3] << 24);
    return word;
  }

  // ---------------- memory access ----------------

  ld32(a: number): number {
    if ((a & 3) === 0) {
      if (a >>> this.l2Shift === this.l2Tag) {
        this.cycles += this.timing.l2Load;
        return this.l2[(a & ((1 << this.l2Shift) - 1)) >>> 2];
      }
      if (a >>> this.l1Shift === this.l1Tag) return this.l1[(a & ((1 << this.l1Shift) - 1)) >>> 2];
    }
    return this.ldSlow(a, 4);
  }
  ld16(a: number): number {
    if ((a & 1) === 0) {
      if (a >>> this.l2Shift === this.l2Tag) {
        this.cycles += this.timing.l2Load;
        return this.l2h[(a & ((1 << this.l2Shift) - 1)) >>> 1];
      }
      if (a >>> this.l1Shift === this.l1Tag) return this.l1h[(a & ((1 << this.l1Shift) - 1)) >>> 1];
    }
    return this.ldSlow(a, 2);
  }
  ld8(a: number): number {
    if (a >>> this.l2Shift === this.l2Tag) {
      this.cycles += this.timing.l2Load;
      return this.l2b[a & ((1 << this.l2Shift) - 1)];
    }
    if (a >>> this.l1Shift === this.l1Tag) return this.l1b[a & ((1 << this.l1Shift) - 1)];
    return this.ldSlow(a, 1);
  }
  /** Any load: sign-extended value of `size` bytes. Devices, misalignment, faults. */
  ldSlow(a: number, size: 1 | 2 | 4): number {
    const r = this.memory.locate(a);
    const o = this.memory.lastOffset;
    if (r && o + size <= r.size) {
      if (r === this.memory.l2) this.cycles += this.timing.l2Load;
      if ((o & (size - 1)) !== 0) {
        if (this.memory.platform.misalignedTraps) throw this.trapOf(Cause.misalignedLoad, a);
        this.misalignedStall();
      }
      const b = r.bytes;
      if (size === 1) return (b[o] << 24) >> 24;
      if (size === 2) return ((b[o] | (b[o + 1] << 8)) << 16) >> 16;
      return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
    }
    const d = this.memory.deviceAt(a);
    if (d) {
      if ((a & (size - 1)) !== 0) throw this.trapOf(Cause.misalignedLoad, a);
      const v = d.read(this.hartId, this.memory.lastOffset, size);
      if (v === BLOCK) throw this.sleepSig;
      return size === 4 ? v | 0 : size === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
    }
    throw this.trapOf(Cause.loadAccess, a);
  }

  st32(a: number, v: number): void {
    if ((a & 3) === 0 && a >>> this.l2Shift === this.l2Tag) {
      const o = a & ((1 << this.l2Shift) - 1);
      this.l2[o >>> 2] = v;
      if (this.memory.l2.watch[o >>> WATCH_SHIFT] !== 0) this.watchHit(this.memory.l2, o, a, v);
      return;
    }
    this.st(a, 4, v);
  }

  /** Any store of `size` bytes. */
  st(a: number, size: number, v: number): void {
    // aligned sb/sh to L2 or L1 (byte arrays): no search of the regions (st32 has its own)
    if (size < 4 && (a & (size - 1)) === 0) {
      let r: Region | undefined;
      let o = 0;
      if (a >>> this.l2Shift === this.l2Tag) {
        r = this.memory.l2;
        o = a & ((1 << this.l2Shift) - 1);
        if (size === 1) this.l2b[o] = v;
        else this.l2h[o >>> 1] = v;
      } else if (a >>> this.l1Shift === this.l1Tag) {
        r = this.memory.l1;
        o = a & ((1 << this.l1Shift) - 1);
        if (size === 1) this.l1b[o] = v;
        else this.l1h[o >>> 1] = v;
      }
      if (r !== undefined) {
        if (r.watch[o >>> WATCH_SHIFT] !== 0) this.watchHit(r, o, a, v);
        return;
      }
    }
    this.stSlow(a, size, v);
  }
  /** Any store: misaligned, devices, aliases, faults. */
  private stSlow(a: number, size: number, v: number): void {
    const r = this.memory.locate(a);
    const o = this.memory.lastOffset;
    if (r && o + size <= r.size) {
      if ((o & (size - 1)) !== 0) {
        if (this.memory.platform.misalignedTraps) throw this.trapOf(Cause.misalignedStore, a);
        this.misalignedStall();
      }
      const b = r.bytes;
      b[o] = v;
      if (size > 1) b[o + 1] = v >>> 8;
      if (size > 2) {
        b[o + 2] = v >>> 16;
        b[o + 3] = v >>> 24;
      }
      const w = r.watch;
      if (w[o >>> WATCH_SHIFT] !== 0 || w[(o + size - 1) >>> WATCH_SHIFT] !== 0) this.watchHit(r, o, a, v);
      return;
    }
    const d = this.memory.deviceAt(a);
    if (d) {
      if ((a & (size - 1)) !== 0) throw this.trapOf(Cause.misalignedStore, a);
      d.write(this.hartId, this.memory.lastOffset, size as 1 | 2 | 4, v);
      return;
    }
    throw this.trapOf(Cause.storeAccess, a);
  }

  /** RI5CY splits a misaligned access: +1 cycle. A call, so that st/ldSlow stay small enough for V8
   * to inline them into the access methods. */
  private misalignedStall(): void {
    this.cycles += this.timing.misaligned;
    this.stallCtr[ST_MISALIGNED] += this.timing.misaligned;
  }

  /** A store hit a watched page: self-modifying code, or the HTIF tohost word. */
  private watchHit(r: Region, o: number, a: number, v: number): void {
    const w = r.watch[o >>> WATCH_SHIFT];
    if (w & WATCH_CODE) r.invalidate(o);
    if (((o + 3) >>> WATCH_SHIFT) !== o >>> WATCH_SHIFT && r.watch[(o + 3) >>> WATCH_SHIFT] & WATCH_CODE)
      r.invalidate(o + 3);
    if (w & WATCH_TOHOST && this.tohost !== undefined && (a >>> 0) === this.tohost >>> 0 && (v & 1) === 1) {
      this.exitCode = v >>> 1;
      throw this.exitSig;
    }
  }

  // ---------------- traps, CSRs, host ----------------

  private trapOf(cause: number, tval: number): TrapSignal {
    this.trap.cause = cause;
    this.trap.tval = tval;
    return this.trap;
  }

  /** Enter the trap handler; returns true when there is none (the run stops with a fault). */
  private takeTrap(pc: number): boolean {
    const { cause, tval } = this.trap;
    if (this.mtvec === 0) {
      const where = cause <= 1 ? ` (target ${hex(tval)})` : cause >= 4 && cause <= 7 ? ` at ${hex(tval)}` : '';
      this.setFault(pc, `${CAUSE_TEXT[cause] ?? `trap cause ${cause}`}${where} and no trap handler (mtvec = 0)`);
      return true;
    }
    this.mepc = pc & ~1;
    this.mcause = cause;
    this.mtval = tval;
    // MPIE <- MIE, MIE <- 0 (MPP stays M)
    this.mstatus = (this.mstatus & ~0x88) | ((this.mstatus & 0x8) << 4);
    this.pc = this.mtvec & ~3;
    return false;
  }

  private setFault(pc: number, cause: string): void {
    const { raw, text } = this.disassembleAt(pc);
    this.fault = { pc, raw, disassembly: text, cause };
  }

  /** One-line description of the fault (core, pc, raw instruction, disassembly, cause). */
  faultMessage(): string {
    const f = this.fault;
    if (!f) return '';
    return `core ${this.hartId}: pc ${hex(f.pc)}: ${hex(f.raw, (f.raw & 3) === 3 ? 8 : 4)} '${f.disassembly}': ${f.cause}`;
  }

  /** Report a fault from outside the hot loop (e.g. a limit reached). */
  setExternalFault(cause: string): void {
    this.setFault(this.pc, cause);
  }

  private hostCall(): void {
    const x = this.x;
    const n = x[17];
    if (n === 64) {
      const len = x[12] >>> 0;
      const buf = new Uint8Array(len);
      for (let k = 0; k < len; k++) buf[k] = this.ldSlow((x[11] + k) | 0, 1);
      this.host.write(x[10], buf);
      x[10] = len;
      return;
    }
    if (n === 93 || n === 94) {
      this.exitCode = x[10] & 0xff;
      throw this.exitSig;
    }
    this.faultSig.message = `unsupported host call a7=${n} (without a tohost symbol, ecall supports write 64, exit 93, exit_group 94)`;
    throw this.faultSig;
  }

  csrRead(n: number): number | undefined {
    switch (n) {
      case CSR.mstatus:
        return this.mstatus | (3 << 11); // MPP hardwired to M
      case CSR.misa:
        return MISA;
      case CSR.mie:
        return this.mie;
      case CSR.mtvec:
        return this.mtvec;
      case CSR.mscratch:
        return this.mscratch;
      case CSR.mepc:
        return this.mepc;
      case CSR.mcause:
        return this.mcause;
      case CSR.mtval:
        return this.mtval;
      case CSR.mip:
        return this.mip;
      case CSR.mhartid:
        return this.hartId;
      case CSR.mcycle:
      case CSR.cycle:
        return this.cycles % 0x100000000 | 0;
      case CSR.mcycleh:
      case CSR.cycleh:
        return Math.floor(this.cycles / 0x100000000) | 0;
      case CSR.minstret:
      case CSR.instret:
        return this.instret % 0x100000000 | 0;
      case CSR.minstreth:
      case CSR.instreth:
        return Math.floor(this.instret / 0x100000000) | 0;
      case CSR.lpstart0:
        return this.lpStart[0];
      case CSR.lpend0:
        return this.lpEnd[0];
      case CSR.lpcount0:
        return this.lpCount[0];
      case CSR.lpstart1:
        return this.lpStart[1];
      case CSR.lpend1:
        return this.lpEnd[1];
      case CSR.lpcount1:
        return this.lpCount[1];
      default:
        return undefined;
    }
  }

  /** Returns false when the CSR cannot be written (read-only or unknown). */
  csrWrite(n: number, v: number): boolean {
    switch (n) {
      case CSR.mstatus:
        this.mstatus = v & 0x88; // MIE, MPIE
        return true;
      case CSR.misa:
        return true; // WARL: fixed
      case CSR.mie:
        this.mie = v;
        return true;
      case CSR.mtvec:
        this.mtvec = v & ~2;
        return true;
      case CSR.mscratch:
        this.mscratch = v;
        return true;
      case CSR.mepc:
        this.mepc = v & ~1;
        return true;
      case CSR.mcause:
        this.mcause = v;
        return true;
      case CSR.mtval:
        this.mtval = v;
        return true;
      case CSR.mip:
        this.mip = v;
        return true;
      case CSR.mcycle:
        this.cycles = Math.floor(this.cycles / 0x100000000) * 0x100000000 + (v >>> 0);
        return true;
      case CSR.mcycleh:
        this.cycles = (v >>> 0) * 0x100000000 + (this.cycles % 0x100000000);
        return true;
      case CSR.minstret:
        this.instret = Math.floor(this.instret / 0x100000000) * 0x100000000 + (v >>> 0);
        return true;
      case CSR.minstreth:
        this.instret = (v >>> 0) * 0x100000000 + (this.instret % 0x100000000);
        return true;
      case CSR.lpstart0:
      case CSR.lpend0:
      case CSR.lpcount0:
      case CSR.lpstart1:
      case CSR.lpend1:
      case CSR.lpcount1: {
        const L = n >= CSR.lpstart1 ? 1 : 0;
        const k = n - (L ? CSR.lpstart1 : CSR.lpstart0);
        (k === 0 ? this.lpStart : k === 1 ? this.lpEnd : this.lpCount)[L] = v;
        this.lpChecked[L] = false;
        return true;
      }
      default:
        return false;
    }
  }

  private csrOp(h: number, rd: number, rs1: number, csr: number, raw: number): void {
    const old = this.csrRead(csr);
    if (old === undefined) throw this.trapOf(Cause.illegal, raw);
    const imm = h === H.CSRRWI || h === H.CSRRSI || h === H.CSRRCI;
    const src = imm ? rs1 : this.x[rs1];
    let next: number | undefined;
    if (h === H.CSRRW || h === H.CSRRWI) next = src;
    else if (rs1 !== 0) next = h === H.CSRRS || h === H.CSRRSI ? old | src : old & ~src;
    if (next !== undefined) {
      if (!this.csrWrite(csr, next)) throw this.trapOf(Cause.illegal, raw);
    }
    this.x[rd] = old;
  }

  /** End of a hardware-loop body at `pc`: returns the next pc. */
  private loopEnd(pc: number, next: number): number {
    for (let L = 0; L < 2; L++) {
      if (this.lpCount[L] !== 0 && this.lpEnd[L] === pc) {
        if (!this.lpChecked[L]) this.checkLoop(L);
        this.lpCount[L]--;
        if (this.lpCount[L] !== 0) return this.lpStart[L];
      }
    }
    return next;
  }

  /**
   * Check the hardware-loop constraints of xpulpv2.md when a loop first reaches its end after a
   * setup; violations are faults. Body checks are cached per (start, end): kernels set up the same
   * loop many times.
   */
  private checkLoop(L: number): void {
    this.lpChecked[L] = true;
    const start = this.lpStart[L];
    const end = this.lpEnd[L];
    const fail = (what: string): never => {
      this.faultSig.message = `hardware loop ${L} [${hex(start)}..${hex(end)}]: ${what} (xpulpv2.md, hardware-loop constraints)`;
      throw this.faultSig;
    };
    if (this.goodLoopBodies.get(start) !== end) {
      if ((start & 3) !== 0 || (end & 3) !== 0) fail('start and end must be word-aligned');
      if (end - start < 8) fail('the body must have at least 3 instructions');
      // (the text only for a message: formatting every body instruction was 2% of a network's run,
      // each of eight cores checking each loop once)
      const text = (a: number) => this.disassembleAt(a).text;
      for (let a = start; a <= end; ) {
        const word = this.wordAt(a);
        if (word === undefined) fail(`body address ${hex(a)} is not mapped`);
        const d = decoder().decode(word!);
        if (d.size === 2) fail(`compressed instruction '${text(a)}' at ${hex(a)} in the body`);
        const h = d.entry ? this.classOf[d.entry.index] : H.ILLEGAL;
        if (NOT_IN_HWLOOP.has(h)) fail(`'${text(a)}' at ${hex(a)} is not allowed in the body`);
        a += d.size;
      }
      this.goodLoopBodies.set(start, end);
    }
    if (L === 1 && this.lpCount[0] !== 0 && this.lpEnd[0] >= start && this.lpEnd[0] <= end && end < this.lpEnd[0] + 8)
      fail(`the outer loop must end at least 8 bytes after the inner loop (${hex(this.lpEnd[0])})`);
    if (L === 0 && this.lpCount[1] !== 0 && end >= this.lpStart[1] && end <= this.lpEnd[1] && this.lpEnd[1] < end + 8)
      fail(`the outer loop (1) must end at least 8 bytes after this one`);
  }
}

const HELPERS = { mulh, mulhu, mulhsu };

// 32 x 32 -> high 32 bits, exact (split into 16-bit halves so doubles never lose bits).
function mulhu(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(mid / 65536)) | 0;
}
function mulh(a: number, b: number): number {
  let hi = mulhu(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}
function mulhsu(a: number, b: number): number {
  let hi = mulhu(a, b);
  if (a < 0) hi = (hi - b) | 0;
  return hi;
}
