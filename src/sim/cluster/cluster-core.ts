// A core of the cluster: the single-core ISS (../core.ts) plus what only the cluster knows about
// memory timing: L1 bank arbitration (banks.ts) and the latency and counts of L2 and weight-memory
// accesses. It overrides the core's access methods, which the compiled blocks and the interpreter
// call, so the core's hot loop stays untouched. Aligned L1 accesses are served here directly (the
// common case in kernels); everything else goes to the core's own methods.
// Inside a compiled block `cycles` already holds the whole block's static cost, so the bank sees
// block-granular times; a core's own accesses are kept one cycle apart so that it never conflicts
// with itself.
import { Core, type CoreOptions } from '../core.js';
import { WATCH_SHIFT, type Memory } from '../memory.js';
import type { BankTracker } from './banks.js';

export class ClusterCore extends Core {
  private readonly l1Base: number;
  private readonly l1Alias: number;
  private readonly l1Mask: number;
  private readonly l1Off: number;
  private readonly cl1b: Int8Array;
  private readonly cl1h: Int16Array;
  private readonly cl1w: Int32Array;
  private readonly l1Watch: Uint8Array;
  private readonly l2Base: number;
  private readonly l2Mask: number;
  private readonly l2Load: number;
  private readonly wmemLoad: number;
  private readonly wmemA: number;
  private readonly wmemB: number;
  private readonly wmemMask: number;
  private readonly bankArb: BankTracker | null;
  private lastAccess = -1;
  /** L1 accesses and the cycles lost to bank conflicts */
  l1Accesses = 0;
  bankStall = 0;
  /** L2 accesses and the cycles loads waited for them */
  l2Accesses = 0;
  l2Stall = 0;
  /** weight-memory accesses and the cycles loads waited for them (the cluster adds this latency) */
  wmemAccesses = 0;
  wmemStall = 0;

  constructor(memory: Memory, opts: CoreOptions, banks: BankTracker | null) {
    super(memory, opts);
    const p = memory.platform;
    this.bankArb = banks;
    this.l1Base = p.l1.base;
    this.l1Alias = p.l1.alias ?? p.l1.base;
    this.l1Mask = ~(p.l1.size - 1);
    this.l1Off = p.l1.size - 1;
    const buf = memory.l1.bytes.buffer;
    this.cl1b = new Int8Array(buf);
    this.cl1h = new Int16Array(buf);
    this.cl1w = new Int32Array(buf);
    this.l1Watch = memory.l1.watch;
    this.l2Base = p.l2.base;
    this.l2Mask = ~(p.l2.size - 1);
    this.l2Load = p.timing.l2Load;
    this.wmemLoad = p.cluster.wmemLoad;
    this.wmemA = p.mram.base;
    this.wmemB = p.sram.base;
    this.wmemMask = ~(p.sram.size - 1); // both weight memories are 4 MiB
  }

  /** An L1 access at the core's current cycle: book its bank, wait for a free cycle. */
  private bank(a: number): void {
    this.l1Accesses++;
    const b = this.bankArb;
    if (b === null) return;
    let t = this.cycles;
    if (t <= this.lastAccess) t = this.lastAccess + 1;
    const c = b.book(a, t);
    this.lastAccess = c;
    if (c !== t) {
      this.cycles += c - t;
      this.bankStall += c - t;
    }
  }

  /** Any access that is not an aligned access to L1 at its main address. */
  private other(a: number, load: boolean): void {
    const m = a & this.l1Mask;
    if (m === this.l1Base || m === this.l1Alias) this.bank(a);
    else if ((a & this.l2Mask) === this.l2Base) {
      this.l2Accesses++;
      if (load) this.l2Stall += this.l2Load;
    } else {
      const w = a & this.wmemMask;
      if (w === this.wmemA || w === this.wmemB) {
        this.wmemAccesses++;
        if (load) {
          this.wmemStall += this.wmemLoad;
          this.cycles += this.wmemLoad;
        }
      }
    }
  }

  override ld32(a: number): number {
    if ((a & this.l1Mask) === this.l1Base && (a & 3) === 0) {
      this.bank(a);
      return this.cl1w[(a & this.l1Off) >>> 2]!;
    }
    this.other(a, true);
    return super.ld32(a);
  }
  override ld16(a: number): number {
    if ((a & this.l1Mask) === this.l1Base && (a & 1) === 0) {
      this.bank(a);
      return this.cl1h[(a & this.l1Off) >>> 1]!;
    }
    this.other(a, true);
    return super.ld16(a);
  }
  override ld8(a: number): number {
    if ((a & this.l1Mask) === this.l1Base) {
      this.bank(a);
      return this.cl1b[a & this.l1Off]!;
    }
    this.other(a, true);
    return super.ld8(a);
  }
  override st32(a: number, v: number): void {
    const o = a & this.l1Off;
    if ((a & this.l1Mask) === this.l1Base && (a & 3) === 0 && this.l1Watch[o >>> WATCH_SHIFT] === 0) {
      this.bank(a);
      this.cl1w[o >>> 2] = v;
      return;
    }
    this.other(a, false);
    super.st32(a, v);
  }
  override st(a: number, size: number, v: number): void {
    this.other(a, false);
    super.st(a, size, v);
  }
}
