// The statistics of compiled blocks (Core.counters, Core.stallsOf): every block compiled for a
// Memory's cores with `stats` (they share blocks), kept after invalidation for its counts.
//
// A block counts its executions per exit slot and core lane in `cnt` (jit.ts); its stall cycles
// and instruction classes per execution are static. So the totals are sums of count x static
// vector over all slots. The profile marks ask for them at every layer (hundreds of times a run)
// while only the few blocks of one layer ran in between, so the ledger keeps per lane running
// sums and brings them up to date from the counts that changed since it last looked. To find
// those without visiting each block's own small array, the blocks' counters live in a few large
// arrays ("arenas", in ledger order), compared in one linear pass with a copy of their last-seen
// values. All sums are of integers far below 2^53: exact in any order, so the numbers are those
// of a walk over every block.
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

export class BlockLedger extends Array<CompiledBlock> {
  // map/filter on a ledger make plain arrays
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  private readonly arenas: Float64Array[] = [];
  private readonly seen: Float64Array[] = [];
  private readonly used: number[] = [];
  /** global index of the first slot of each arena */
  private readonly firstSlot: number[] = [];
  private slots = 0;
  /** static vectors (V numbers a slot) of the slots of the first `done` blocks */
  private per = new Float64Array(0);
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
        this.arenas.push(new Float64Array(size));
        this.seen.push(new Float64Array(size));
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
   * order) after update(). */
  lane(lane: number): Float64Array {
    return this.sum.subarray(lane * V, (lane + 1) * V);
  }

  /** Bring every lane's sums up to date (`br`: the stall cycles of a taken side exit). */
  update(br: number): void {
    this.addStatic(br);
    const { per, sum } = this;
    for (let k = 0; k < this.arenas.length; k++) {
      const cnt = this.arenas[k]!;
      const seen = this.seen[k]!;
      const used = this.used[k]!;
      const first = this.firstSlot[k]!;
      for (let e = 0; e < used; e++) {
        const v = cnt[e]!;
        const d = v - seen[e]!;
        if (d === 0) continue;
        seen[e] = v;
        const p = (first + ((e / LANES) | 0)) * V;
        const s = (e % LANES) * V;
        for (let i = 0; i < V; i++) sum[s + i] += d * per[p + i]!;
      }
    }
  }

  /** The static vectors of the slots of blocks added since the last call. */
  private addStatic(br: number): void {
    if (this.done === this.length) return;
    if (this.per.length < this.slots * V) {
      const grown = new Float64Array(Math.max(this.slots * V, this.per.length * 2));
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
