// L1 bank arbitration: each of the 16 word-interleaved banks serves one access per cycle; a
// second access to the same bank in the same cycle waits for the next free cycle (+1 per conflict,
// platform.md). Cores run a slice apart (see the scheduler), so a bank remembers which cycles it
// has granted in a window of W cycles instead of a single "busy until": an access at cycle t
// takes the first free cycle >= t even when another core has already booked later cycles.
// One bit per cycle and bank (16 x 2 KiB): small enough to stay in the host's caches, which
// matters because every L1 access of every core books a cycle here.

const W_LOG2 = 14;
const W = 1 << W_LOG2; // > scheduler skew (quantum x 8 cores when all wait on one bank) + a block
const WORDS = W >>> 5;

export class BankTracker {
  /** bit (t mod W) of bank b's words is set when b is taken at cycle t, for t in [lo[b], lo[b] + W) */
  private readonly bits: Int32Array;
  private readonly lo: Float64Array;
  readonly banks: number;
  private readonly bankMask: number;
  /** accesses that had to wait, and the cycles they waited (all cores) */
  conflicts = 0;
  conflictCycles = 0;
  /** accesses older than the window (counted free: the skew exceeded W; should stay 0) */
  late = 0;

  constructor(banks = 16) {
    if ((banks & (banks - 1)) !== 0) throw new Error(`L1 banks must be a power of two (got ${banks})`);
    this.banks = banks;
    this.bankMask = banks - 1;
    this.bits = new Int32Array(banks * WORDS);
    this.lo = new Float64Array(banks);
  }

  /** Book the bank holding addr at the first free cycle >= t; returns that cycle. */
  book(addr: number, t: number): number {
    const bank = (addr >>> 2) & this.bankMask;
    let lo = this.lo[bank]!;
    if (t < lo) {
      this.late++;
      return t;
    }
    const bits = this.bits;
    const base = bank * WORDS;
    let c = t;
    for (;;) {
      if (c >= lo + W) lo = this.advance(bank, c);
      const i = c & (W - 1); // c mod W for any integer cycle below 2^53 (W divides 2^32)
      const w = base + (i >>> 5);
      const m = 1 << (i & 31);
      if ((bits[w]! & m) === 0) {
        bits[w]! |= m;
        break;
      }
      c++;
    }
    if (c !== t) {
      this.conflicts++;
      this.conflictCycles += c - t;
    }
    return c;
  }

  /** Slide bank's window forward so that it holds cycle c with half a window to spare, forgetting
   * the cycles that fall out (whole 32-cycle words: lo stays a multiple of 32). */
  private advance(bank: number, c: number): number {
    const lo = this.lo[bank]!;
    const next = Math.floor((c - W / 2) / 32) * 32;
    const base = bank * WORDS;
    if (next - lo >= W) this.bits.fill(0, base, base + WORDS);
    else {
      // word by word from lo's (lo and next are multiples of 32): a small-integer loop counter,
      // where counting in cycles (a double past 2^30) boxed a number per step in V8's lower tiers
      const first = (lo & (W - 1)) >>> 5;
      const words = (next - lo) / 32;
      for (let k = 0; k < words; k++) this.bits[base + ((first + k) & (WORDS - 1))] = 0;
    }
    this.lo[bank] = next;
    return next;
  }

  /** book() as the extra cycles the access waits. */
  access(addr: number, t: number): number {
    return this.book(addr, t) - t;
  }

  reset(): void {
    this.bits.fill(0);
    this.lo.fill(0);
    this.conflicts = 0;
    this.conflictCycles = 0;
    this.late = 0;
  }
}
