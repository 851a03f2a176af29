// A core of the cluster: the single-core ISS (../core.ts) plus what only the cluster knows about
// memory timing: L1 bank arbitration (banks.ts) and counting of L2 accesses. It overrides the core's
// access methods, which both the interpreter and compiled blocks call, so the core's hot loop stays
// untouched. Inside a compiled block `cycles` already holds the whole block's static cost, so the
// bank sees block-granular times; a core's own accesses are kept one cycle apart so that it never
// conflicts with itself.
import { Core, type CoreOptions } from '../core.js';
import type { Memory } from '../memory.js';
import type { BankTracker } from './banks.js';

export class ClusterCore extends Core {
  private readonly l1Base: number;
  private readonly l1Alias: number;
  private readonly l1Mask: number;
  private readonly l2Base: number;
  private readonly l2Mask: number;
  private readonly l2Load: number;
  private readonly wmemLoad: number;
  private readonly wmemA: number;
  private readonly wmemB: number;
  private readonly wmemMask: number;
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

  constructor(memory: Memory, opts: CoreOptions, readonly banks: BankTracker | null) {
    super(memory, opts);
    const p = memory.platform;
    this.l1Base = p.l1.base;
    this.l1Alias = p.l1.alias ?? p.l1.base;
    this.l1Mask = ~(p.l1.size - 1);
    this.l2Base = p.l2.base;
    this.l2Mask = ~(p.l2.size - 1);
    this.l2Load = p.timing.l2Load;
    this.wmemLoad = p.cluster.wmemLoad;
    this.wmemA = p.mram.base;
    this.wmemB = p.sram.base;
    this.wmemMask = ~(p.sram.size - 1); // both weight memories are 4 MiB
  }

  private access(a: number, load: boolean): void {
    const m = a & this.l1Mask;
    if (m === this.l1Base || m === this.l1Alias) {
      this.l1Accesses++;
      const b = this.banks;
      if (b === null) return;
      let t = this.cycles;
      if (t <= this.lastAccess) t = this.lastAccess + 1;
      const c = b.book(a, t);
      this.lastAccess = c;
      if (c !== t) {
        this.cycles += c - t;
        this.bankStall += c - t;
      }
    } else if ((a & this.l2Mask) === this.l2Base) {
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
    this.access(a, true);
    return super.ld32(a);
  }
  override ld16(a: number): number {
    this.access(a, true);
    return super.ld16(a);
  }
  override ld8(a: number): number {
    this.access(a, true);
    return super.ld8(a);
  }
  override st32(a: number, v: number): void {
    this.access(a, false);
    super.st32(a, v);
  }
  override st(a: number, size: number, v: number): void {
    this.access(a, false);
    super.st(a, size, v);
  }
}
