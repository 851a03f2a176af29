// The statistics ledger (src/sim/block-ledger.ts) keeps running sums of count x static numbers
// and finds the counters that changed by comparing chunks of them as bytes. Its sums must be those
// of a plain walk over every block at every point: checked on synthetic blocks spread over more
// than one arena and many chunks, with counts changing in a few chunks between updates, stall
// sums asked often (the layer marks) and class sums rarely (counters()).
import { describe, expect, it } from 'vitest';
import { INSTR_CLASSES } from '../../isa/table.js';
import { BlockLedger, EXTRA_CAUSE } from '../../src/sim/block-ledger.js';
import { CORE_STALLS, LANES, ST_BRANCH, ST_LOADUSE, type CompiledBlock } from '../../src/sim/jit.js';

const W = CORE_STALLS.length;
const C = INSTR_CLASSES.length;
const BR = 2;

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** A block with the fields the ledger reads: n instructions, `sides` side exits. */
function block(r: (n: number) => number): CompiledBlock {
  const n = 1 + r(12);
  const icls = Uint8Array.from({ length: n }, () => r(C));
  // extra static cycles only where a class has a cause for them (jump, mul, div)
  const extra = Uint8Array.from(icls, (c) => (EXTRA_CAUSE[c]! >= 0 ? r(3) : 0));
  const lu = Uint8Array.from({ length: n }, (_, k) => (k > 0 ? r(2) : 0));
  const sides = r(3);
  const exitK = Int32Array.from({ length: sides + 1 }, (_, s) => (s === 0 ? n : 1 + r(n)));
  return { icls, extra, lu, exitK, cnt: new Float64Array(exitK.length * LANES) } as unknown as CompiledBlock;
}

/** What the ledger must give, per lane: stalls then classes, walking every block. */
function walk(blocks: readonly CompiledBlock[]): number[][] {
  const out = Array.from({ length: LANES }, () => new Array<number>(W + C).fill(0));
  for (const b of blocks)
    for (let s = 0; s < b.exitK.length; s++)
      for (let lane = 0; lane < LANES; lane++) {
        const k = b.cnt[s * LANES + lane]!;
        if (k === 0) continue;
        const o = out[lane]!;
        for (let j = 0; j < b.exitK[s]!; j++) {
          o[ST_LOADUSE]! += k * b.lu[j]!;
          if (b.extra[j] !== 0) o[EXTRA_CAUSE[b.icls[j]!]!]! += k * b.extra[j]!;
          o[W + b.icls[j]!]! += k;
        }
        if (s > 0) o[ST_BRANCH]! += k * BR;
      }
  return out;
}

describe('block ledger', () => {
  it('keeps the sums of a walk over every block through many updates (arenas, chunks, stalls only or all)', () => {
    const r = rng(13);
    const ledger = new BlockLedger();
    const blocks: CompiledBlock[] = [];
    for (let round = 0; round < 40; round++) {
      // new blocks (their counters move into the ledger's arenas), then a few of them run
      for (let k = 0; k < 400; k++) {
        const b = block(r);
        ledger.push(b);
        blocks.push(b);
      }
      for (let k = 0; k < 50; k++) {
        const b = blocks[r(blocks.length)]!;
        b.cnt[r(b.cnt.length)]! += 1 + r(1000);
      }
      const classes = round % 7 === 6;
      ledger.update(BR, classes);
      const all = walk(blocks);
      for (let lane = 0; lane < LANES; lane++) {
        const want = all[lane]!;
        const got = Array.from(ledger.lane(lane));
        expect(got.slice(0, W)).toEqual(want.slice(0, W));
        if (classes) expect(got.slice(W)).toEqual(want.slice(W));
      }
    }
    // 16,000 blocks of up to 3 exits: more than one arena of 32,768 counters
    expect(blocks.reduce((s, b) => s + b.cnt.length, 0)).toBeGreaterThan(1 << 16);
  });
});
