// L1 bank arbitration: each of the 16 word-interleaved banks serves one access per cycle; a
// second access to the same bank in the same cycle waits for the next free cycle (+1 per conflict,
// platform.md). Cores are stepped a few cycles apart (see scheduler), so a bank keeps the cycles it
// has granted in a small ring instead of a single "busy until": an access at cycle t takes the
// first free cycle >= t even when another core has already booked later cycles.

const RING = 1 << 14; // > scheduler skew (quantum x 8 cores when all wait on one bank) + a compiled block

const RING_LOG2 = 14;

export class BankTracker {
  /** booked[(bank << RING_LOG2) + (t & (RING - 1))] === t means bank is taken at cycle t */
  private readonly booked: Float64Array;
  readonly banks: number;
  private readonly bankMask: number;
  /** accesses that had to wait, and the cycles they waited (all cores) */
  conflicts = 0;
  conflictCycles = 0;

  constructor(banks = 16) {
    if ((banks & (banks - 1)) !== 0) throw new Error(`L1 banks must be a power of two (got ${banks})`);
    this.banks = banks;
    this.bankMask = banks - 1;
    this.booked = new Float64Array(banks << RING_LOG2).fill(-1);
  }

  /** Book the bank holding addr at the first free cycle >= t; returns that cycle. */
  book(addr: number, t: number): number {
    const base = ((addr >>> 2) & this.bankMask) << RING_LOG2;
    const booked = this.booked;
    let c = t;
    // (c & (RING - 1)) is c mod RING for any integer cycle below 2^53 (RING divides 2^32)
    while (booked[base + (c & (RING - 1))] === c) c++;
    booked[base + (c & (RING - 1))] = c;
    if (c !== t) {
      this.conflicts++;
      this.conflictCycles += c - t;
    }
    return c;
  }

  /** book() as the extra cycles the access waits. */
  access(addr: number, t: number): number {
    return this.book(addr, t) - t;
  }

  reset(): void {
    this.booked.fill(-1);
    this.conflicts = 0;
    this.conflictCycles = 0;
  }
}
