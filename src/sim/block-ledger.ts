// The statistics of compiled blocks (Core.counters, Core.stallsOf): every block compiled for a
// Memory's cores with `stats` (they share blocks), kept after invalidation for its counts.
//
// A block counts its executions per exit slot and core lane in `cnt` (jit.ts); its stall cycles
// and instruction classes per execution are static. So the totals are sums of count x static
// vector over all slots. The profile marks ask for them at every layer (hundreds of times a run)
// while only the few blocks of one layer ran in between, so the ledger keeps per lane running
// sums and brings them up to date from the counts that changed since it last looked. To find
// those without visiting each block's own small array, the blocks' counters live in a few large
// arrays ("arenas", in ledger order), compared with a copy of their last-seen values chunk by
// chunk as bytes (memcmp), and element by element only in the chunks that differ. The marks need
// only the stall sums; the class sums are brought up to date when counters() asks (its own copy
// of the last-seen values). All sums are of integers far below 2^53: exact in any order, so the
// numbers are those of a walk over every block (test/sim/block-ledger.test.ts).
import { INSTR_CLASSES } from '../../isa/table.js';
import { CORE_STALLS, LANES, ST_BRANCH, ST_DIV, ST_JUMP, ST_LOADUSE, ST_MUL, type CompiledBlock } from './jit.js';

/** The cause of an instruction's static cycles beyond 1, by class (jal/jalr, mulh*, div/rem base). */
export const EXTRA_CAUSE = new Int8Array(INSTR_CLASSES.length).fill(-1);
EXTRA_CAUSE[INSTR_CLASSES.indexOf('jump')] = ST_JUMP;
EXTRA_CAUSE[INSTR_CLASSES.indexOf('mul')] = ST_MUL;
EXTRA_CAUSE[INSTR_CLASSES.indexOf('div')] = ST_DIV;

/** The cause of class c's extra static cycles (CORE_STALLS index); throws if it has none. */
export function extraCause(c: number): number {
  const cause = EXTRA_CAUSE[c]!;
  if (cause < 0) throw new Error(`internal: extra cycles for class ${INSTR_CLASSES[c]}`);
  return cause;
}

const W = CORE_STALLS.length;
const C = INSTR_CLASSES.length;
/** per slot: W stall causes then C instruction classes */
const V = W + C;
/** counters per arena (a block's slots never straddle two) */
const ARENA = 1 << 15;
/** Counters per chunk of an arena compared as bytes (memcmp): most chunks did not change since
 * the last update (only one layer's blocks ran), and a chunk compare costs less than a JS loop
 * over 512 numbers (300 updates of microLlama64's 36k counters: ~20 ms as a loop, ~3 ms so). */
const CHUNK = 512;

export class BlockLedger extends Array<CompiledBlock> {
  // map/filter on a ledger make plain arrays
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  private readonly arenas: Float64Array[] = [];
  private readonly seen: Float64Array[] = [];
  /** byte views of each arena's (and seen's) chunks of CHUNK counters */
  /** the counts as of the last scan of the class numbers (update with `classes`) */
  private readonly seenC: Float64Array[] = [];
  /** byte views of each arena's (and seen's, seenC's) chunks of CHUNK counters */
  private readonly arenaChunks: Buffer[][] = [];
  private readonly seenChunks: Buffer[][] = [];
  private readonly seenCChunks: Buffer[][] = [];
  private readonly used: number[] = [];
  /** global index of the first slot of each arena */
  private readonly firstSlot: number[] = [];
  private slots = 0;
  /** static vectors (V numbers a slot) of the slots of the first `done` blocks: small integers (at
   * most MAX_BLOCK instructions of a few cycles each), so an Int32Array: its elements read as
   * small integers where Float64 ones were a boxed number per read in V8's lower tiers */
  private per = new Int32Array(0);
  private done = 0;
  private doneSlots = 0;
  /** per lane, the sums (V numbers) of counts x static vectors as of the last update */
  private readonly sum = new Float64Array(LANES * V);

  /** compileBlock adds every new block here before it runs or any code refers to its counters:
   * the counters move into an arena (they are all zero yet). */
  override push(...blocks: CompiledBlock[]): number {
    for (const b of blocks) {
      const m = b.cnt.length;
      let k = this.arenas.length - 1;
      if (k < 0 || this.used[k]! + m > this.arenas[k]!.length) {
        const size = Math.max(ARENA, m);
        const arena = new Float64Array(size);
        const seen = new Float64Array(size);
        const seenC = new Float64Array(size);
        this.arenas.push(arena);
        this.seen.push(seen);
        this.seenC.push(seenC);
        this.arenaChunks.push(chunks(arena));
        this.seenChunks.push(chunks(seen));
        this.seenCChunks.push(chunks(seenC));
        this.used.push(0);
        this.firstSlot.push(this.slots);
        k++;
      }
      const cnt = this.arenas[k]!.subarray(this.used[k]!, this.used[k]! + m);
      cnt.set(b.cnt);
      (b as { cnt: Float64Array }).cnt = cnt;
      this.used[k]! += m;
      this.slots += m / LANES;
      super.push(b);
    }
    return this.length;
  }

  /** The sums of lane `lane` (stall causes in CORE_STALLS order, then classes in INSTR_CLASSES
   * order: those after update(br, true)). */
  lane(lane: number): Float64Array {
    return this.sum.subarray(lane * V, (lane + 1) * V);
  }

  /** Bring every lane's stall sums up to date (`br`: the stall cycles of a taken side exit); with
   * `classes`, the instruction-class sums too (only counters() needs them: the layer marks ask
   * for the stalls hundreds of times a run). */
  update(br: number, classes = false): void {
    this.addStatic(br);
    this.scan(this.seen, this.seenChunks, 0, W);
    if (classes) this.scan(this.seenC, this.seenCChunks, W, C);
  }

  /** Add count changes x static numbers [o, o + w) of each slot to the lanes' sums; `seen`: the
   * counts as of the last scan of these numbers. */
  private scan(seenOf: Float64Array[], seenChunks: Buffer[][], o: number, w: number): void {
    const { per, sum } = this;
    for (let k = 0; k < this.arenas.length; k++) {
      const cnt = this.arenas[k]!;
      const seen = seenOf[k]!;
      const used = this.used[k]!;
      const first = this.firstSlot[k]!;
      const ac = this.arenaChunks[k]!;
      const sc = seenChunks[k]!;
      for (let ch = 0; ch * CHUNK < used; ch++) {
        if (ac[ch]!.equals(sc[ch]!)) continue;
        const end = Math.min(used, (ch + 1) * CHUNK);
        for (let e = ch * CHUNK; e < end; e++) {
          const v = cnt[e]!;
          const d = v - seen[e]!;
          if (d === 0) continue;
          seen[e] = v;
          const p = (first + ((e / LANES) | 0)) * V + o;
          const s = (e % LANES) * V + o;
          for (let i = 0; i < w; i++) {
            const q = per[p + i]!;
            if (q !== 0) sum[s + i] += d * q;
          }
        }
      }
    }
  }

  /** The static vectors of the slots of blocks added since the last call. */
  private addStatic(br: number): void {
    if (this.done === this.length) return;
    if (this.per.length < this.slots * V) {
      const grown = new Int32Array(Math.max(this.slots * V, this.per.length * 2));
      grown.set(this.per);
      this.per = grown;
    }
    const per = this.per;
    let p = this.doneSlots * V;
    for (; this.done < this.length; this.done++) {
      const b = this[this.done]!;
      for (let s = 0; s < b.exitK.length; s++, p += V) {
        for (let j = 0; j < b.exitK[s]!; j++) {
          per[p + ST_LOADUSE] += b.lu[j]!;
          if (b.extra[j] !== 0) per[p + extraCause(b.icls[j]!)] += b.extra[j]!;
          per[p + W + b.icls[j]!]++;
        }
        if (s > 0) per[p + ST_BRANCH] += br;
      }
    }
    this.doneSlots = p / V;
  }
}

/** Byte views of a's chunks of CHUNK numbers (no copies). */
function chunks(a: Float64Array): Buffer[] {
  const out: Buffer[] = [];
  for (let e = 0; e < a.length; e += CHUNK) out.push(Buffer.from(a.buffer, a.byteOffset + e * 8, Math.min(CHUNK, a.length - e) * 8));
  return out;
}
