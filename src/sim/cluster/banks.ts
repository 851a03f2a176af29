// L1 bank arbitration: each of the 16 word-interleaved banks serves one access per cycle; a
// second access to the same bank in the same cycle waits for the next free cycle (+1 per conflict,
// platform.md). Cores are stepped a few cycles apart (see scheduler), so a bank keeps the cycles it
// has granted in a small ring instead of a single "busy until": an access at cycle t takes the
// first free cycle >= t even when another core has already booked later cycles.

const RING = 16384; // > scheduler skew (quantum x 8 cores when all wait on one bank) + a compiled block

export class BankTracker {
  /** booked[bank * RING + (t % RING)] === t means bank is taken at cycle t */
  private readonly booked: Float64Array;
  readonly banks: number;
  /** accesses that had to wait, and the cycles they waited */
  conflicts = 0;
  conflictCycles = 0;

  /** per core: accesses and cycles lost to conflicts */
  readonly coreAccesses: Float64Array;
  readonly coreStall: Float64Array;

  constructor(banks = 16, cores = 8) {
    this.banks = banks;
    this.coreAccesses = new Float64Array(cores);
    this.coreStall = new Float64Array(cores);
    this.booked = new Float64Array(banks * RING).fill(-1);
  }

  /** Book the bank holding addr at cycle t for `core`; returns the extra cycles the access waits. */
  access(core: number, addr: number, t: number): number {
    this.coreAccesses[core]++;
    const base = ((addr >>> 2) & (this.banks - 1)) * RING;
    const booked = this.booked;
    let c = t;
    // (c & (RING - 1)) is c mod RING for any integer cycle below 2^53 (RING divides 2^32)
    while (booked[base + (c & (RING - 1))] === c) c++;
    booked[base + (c & (RING - 1))] = c;
    if (c !== t) {
      this.conflicts++;
      this.conflictCycles += c - t;
      this.coreStall[core] += c - t;
    }
    return c - t;
  }

  reset(): void {
    this.booked.fill(-1);
    this.conflicts = 0;
    this.conflictCycles = 0;
    this.coreAccesses.fill(0);
    this.coreStall.fill(0);
  }
}
