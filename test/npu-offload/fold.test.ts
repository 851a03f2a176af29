// RequantShift folded into N-EUREKA's normquant (src/compiler/npu/fold.ts): for every channel and
// accumulator, the NPU's arithmetic (npu-model/compute.ts scaleBias, then >> shift and the 8-bit
// clip) on the folded scale / bias / shift, with the accumulator of the negated weights where mul
// < 0, equals the reference executor's RequantShift on the conv output (acc + conv bias).
import { describe, expect, it } from 'vitest';
import type { Node, Tensor } from '../../src/frontend/ir.js';
import { lookupOp } from '../../src/reference/registry.js';
import { foldRequant, weightEncoding, type FoldInput } from '../../src/compiler/npu/fold.js';
import { scaleBias } from '../../npu-model/compute.js';

const ft = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });

/** The reference RequantShift on acc + convBias[c], one value per channel (mul/add per channel, axis 1). */
function reference(acc: number[], f: FoldInput, levels: number, signed: boolean): number[] {
  const C = acc.length;
  const node = { name: 'rq', op: 'RequantShift', inputs: ['x', 'm', 'a'], outputs: ['y'], attrs: { div: ft(2 ** f.log2d), n_levels_out: ft(levels), signed: ft(signed ? 1 : 0) } } as unknown as Node;
  const v = (data: number[]) => ({ dtype: 'int32' as const, shape: [1, C], data: Float64Array.from(data) });
  const [y] = lookupOp('RequantShift')!([v(acc.map((a, c) => a + (f.convBias?.[c] ?? 0))), v(f.mul), v(f.add)], {
    node,
    out: () => ({ name: 'y', dtype: signed ? 'int8' : 'uint8', shape: [1, C] }),
    warn: () => undefined,
  });
  return Array.from(y!.data);
}

/** The NPU on the folded parameters: acc' = -acc on negated channels. */
function npu(acc: number[], f: FoldInput): number[] {
  const r = foldRequant(f);
  if ('reason' in r) throw new Error(r.reason);
  return acc.map((a, c) => {
    const v = scaleBias(r.negate[c] ? -a : a, r.scale[c]!, r.bias[c]!) >> Math.min(r.shift, 31);
    return r.relu ? Math.min(Math.max(v, 0), 255) : Math.min(Math.max(v, -128), 127);
  });
}

function check(f: Omit<FoldInput, 'lo' | 'hi'>, accs: number[][], signed = true): void {
  const full = { ...f, lo: signed ? -128 : 0, hi: signed ? 127 : 255 };
  for (const acc of accs) expect(npu(acc, full), `acc ${acc}`).toEqual(reference(acc, full, 256, signed));
}

/** Deterministic pseudo-random integers in [lo, hi]. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (lo: number, hi: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

describe('RequantShift folded into normquant', () => {
  it('negative mul: the channel runs on negated weights with scale |mul|', () => {
    const f = { mul: [-3, 5, -1, -200], add: [7, -9, 0, 1000], log2d: 6 };
    const r = foldRequant({ ...f, lo: -128, hi: 127 });
    expect('reason' in r ? r.reason : r.negate).toEqual([true, false, true, true]);
    check(f, [[0, 0, 0, 0], [100, -100, 5000, -77], [-4097, 4097, -1, 33], [2 ** 20, -(2 ** 20), 123456, -654321]]);
  });

  it('shift 0: no rounding term (2^-1 rounds to nothing), identity clip', () => {
    const f = { mul: [1, 2, -1], add: [0, -3, 4], log2d: 0 };
    const r = foldRequant({ ...f, lo: -128, hi: 127 });
    expect('reason' in r ? r.reason : r.bias).toEqual([0, -3, 4]);
    check(f, [[-129, -128, 127], [128, 0, -5], [1, -64, 63]]);
  });

  it('rounding at .5: the rounding term 2^(d-1) sits in the bias and rounds halves up, as the reference', () => {
    // acc * mul + add lands exactly on k + 0.5 after the shift, for positive and negative k
    const f = { mul: [1, 1, -1, 3], add: [0, 0, 0, 0], log2d: 2 };
    const r = foldRequant({ ...f, lo: -128, hi: 127 });
    expect('reason' in r ? r.reason : r.bias).toEqual([2, 2, 2, 2]);
    check(f, [[2, -2, 2, 6], [6, -6, -6, -6], [-10, 10, 10, 2], [1, 3, -3, -2]]);
  });

  it('per-channel mul, add and conv bias, ReLU (unsigned) and identity windows, random accumulators', () => {
    const g = rng(11);
    for (let t = 0; t < 40; t++) {
      const C = g(1, 12);
      const signed = t % 2 === 0;
      const f = {
        mul: Array.from({ length: C }, () => g(-300, 300)),
        add: Array.from({ length: C }, () => g(-5000, 5000)),
        convBias: Array.from({ length: C }, () => g(-2000, 2000)),
        log2d: g(0, 23),
      };
      const accs = Array.from({ length: 25 }, () => Array.from({ length: C }, () => g(-200000, 200000)));
      check(f, accs, signed);
    }
  });

  it('int32 saturation cannot show when the shift is small enough (huge accumulators clip alike)', () => {
    const f = { mul: [70000, -70000], add: [0, 0], log2d: 23 };
    check(f, [[2 ** 30, 2 ** 30], [-(2 ** 30), -(2 ** 30)], [40000, -40000]], false);
  });

  it('what cannot be expressed is refused with the reason', () => {
    const base = { mul: [3], add: [0], log2d: 4 };
    expect(foldRequant({ ...base, lo: -64, hi: 63 })).toEqual({ reason: 'requantisation clips to [-64, 63]; the NPU\'s 8-bit output clips to [-128, 127] or [0, 255]' });
    expect(foldRequant({ ...base, add: [2 ** 31], lo: -128, hi: 127 })).toMatchObject({ reason: expect.stringMatching(/does not fit the NPU's int32 bias/) });
    // shift 30: saturation would show unless the accumulator range proves it cannot happen
    expect(foldRequant({ ...base, log2d: 30, lo: -128, hi: 127 })).toMatchObject({ reason: expect.stringMatching(/unknown accumulator range/) });
    expect(foldRequant({ ...base, log2d: 30, lo: -128, hi: 127, accRange: [[-(2 ** 30), 2 ** 30]] })).toMatchObject({ reason: expect.stringMatching(/beyond int32/) });
    expect('reason' in foldRequant({ ...base, log2d: 30, lo: -128, hi: 127, accRange: [[-1000, 1000]] })).toBe(false);
  });

  it('weight encoding: one layer-wise offset over at most 8 bits, the fewest bits that hold the span', () => {
    expect(weightEncoding([-128, 127])).toEqual({ offset: -128, qw: 8 });
    expect(weightEncoding([-2, 1])).toEqual({ offset: -2, qw: 2 });
    expect(weightEncoding([0, 255])).toEqual({ offset: 0, qw: 8 });
    expect(weightEncoding([-127, 128])).toEqual({ offset: -127, qw: 8 }); // an int8 channel negated
    expect(weightEncoding([-128, 128])).toBeUndefined();
  });
});
