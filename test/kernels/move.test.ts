import { describe, expect, it } from 'vitest';
import { type CType, type KCase, SKIP_REASON, coreCounts, runCases, runners } from './harness.js';
import { type Rng, dot, forEachIndex, randArray, rng, strides } from './model.js';

const pad6 = (a: number[]) => [...a, 0, 0, 0, 0, 0, 0].slice(0, 6).join(', ');
const ES: Record<string, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, int32_t: 4 };
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function data(r: Rng, type: CType, n: number): number[] {
  return type === 'int32_t' ? randArray(r, n, -(2 ** 31), 2 ** 31 - 1) : type === 'int16_t' ? randArray(r, n, -32768, 32767) : randArray(r, n, -128, 127);
}

function transposeCase(r: Rng, name: string, type: CType, shape: number[], perm: number[]): KCase {
  const X = data(r, type, numel(shape));
  const st = strides(shape);
  const out = perm.map((p) => shape[p]!);
  const Y: number[] = [];
  forEachIndex(out, (idx) => Y.push(X[dot(idx, perm.map((p) => st[p]!))]!));
  return {
    name,
    kernel: 'dk_transpose',
    argsType: 'dk_transpose_args_t',
    bufs: [
      { name: 'x', type, data: X },
      { name: 'y', type, length: Y.length },
    ],
    args: `.x = x, .y = y, .ndim = ${shape.length}, .in_shape = { ${pad6(shape)} }, .perm = { ${pad6(perm)} }, .elem_size = ${ES[type]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function concatCase(r: Rng, name: string, type: CType, outer: number, lens: number[], inner: number): KCase {
  const xs = lens.map((l) => data(r, type, outer * l * inner));
  const Y: number[] = [];
  for (let o = 0; o < outer; o++) lens.forEach((l, i) => Y.push(...xs[i]!.slice(o * l * inner, (o + 1) * l * inner)));
  return {
    name,
    kernel: 'dk_concat',
    argsType: 'dk_concat_args_t',
    bufs: [...xs.map((x, i) => ({ name: `x${i}`, type, data: x })), { name: 'y', type, length: Y.length }],
    args: `.x = { ${xs.map((_, i) => `x${i}`).join(', ')} }, .len = { ${lens.join(', ')} }, .n_inputs = ${lens.length}, .y = y, .outer = ${outer}, .inner = ${inner}, .elem_size = ${ES[type]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function sliceCase(r: Rng, name: string, type: CType, shape: number[], start: number[], step: number[], out: number[]): KCase {
  const X = data(r, type, numel(shape));
  const st = strides(shape);
  const Y: number[] = [];
  forEachIndex(out, (idx) => Y.push(X[dot(idx.map((j, d) => start[d]! + j * step[d]!), st)]!));
  return {
    name,
    kernel: 'dk_slice',
    argsType: 'dk_slice_args_t',
    bufs: [
      { name: 'x', type, data: X },
      { name: 'y', type, length: Y.length },
    ],
    args: `.x = x, .y = y, .ndim = ${shape.length}, .in_shape = { ${pad6(shape)} }, .out_shape = { ${pad6(out)} }, .start = { ${pad6(start)} }, .step = { ${pad6(step)} }, .elem_size = ${ES[type]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function padCase(r: Rng, name: string, type: CType, shape: number[], begin: number[], end: number[], value: number): KCase {
  const X = data(r, type, numel(shape));
  const out = shape.map((s, d) => s + begin[d]! + end[d]!);
  const st = strides(shape);
  const Y: number[] = [];
  forEachIndex(out, (idx) => {
    const src = idx.map((j, d) => j - begin[d]!);
    Y.push(src.every((j, d) => j >= 0 && j < shape[d]!) ? X[dot(src, st)]! : value);
  });
  return {
    name,
    kernel: 'dk_pad',
    argsType: 'dk_pad_args_t',
    bufs: [
      { name: 'x', type, data: X },
      { name: 'y', type, length: Y.length },
    ],
    args: `.x = x, .y = y, .ndim = ${shape.length}, .in_shape = { ${pad6(shape)} }, .out_shape = { ${pad6(out)} }, .pad_begin = { ${pad6(begin)} }, .value = ${value}, .elem_size = ${ES[type]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function gatherCase(r: Rng, name: string, type: CType, outer: number, axisLen: number, inner: number, idx: number[]): KCase {
  const X = data(r, type, outer * axisLen * inner);
  const Y: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const j of idx) {
      const jj = j < 0 ? j + axisLen : j;
      Y.push(...X.slice((o * axisLen + jj) * inner, (o * axisLen + jj + 1) * inner));
    }
  return {
    name,
    kernel: 'dk_gather',
    argsType: 'dk_gather_args_t',
    bufs: [
      { name: 'x', type, data: X },
      { name: 'idx', type: 'int32_t', data: idx },
      { name: 'y', type, length: Y.length },
    ],
    args: `.x = x, .idx = idx, .y = y, .outer = ${outer}, .axis_len = ${axisLen}, .inner = ${inner}, .n_idx = ${idx.length}, .elem_size = ${ES[type]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function cases(): KCase[] {
  const r = rng('move');
  return [
    transposeCase(r, 'transpose_0213_i8', 'int8_t', [1, 8, 16, 4], [0, 2, 1, 3]),
    transposeCase(r, 'transpose_0132_i8', 'int8_t', [1, 16, 9, 4], [0, 1, 3, 2]),
    transposeCase(r, 'transpose_2d_i32', 'int32_t', [13, 7], [1, 0]),
    transposeCase(r, 'transpose_5d_i16', 'int16_t', [2, 3, 4, 5, 3], [4, 2, 0, 3, 1]),
    transposeCase(r, 'transpose_identity', 'int8_t', [3, 5], [0, 1]),
    transposeCase(r, 'transpose_words_i16', 'int16_t', [3, 5, 2, 6], [1, 0, 2, 3]),
    transposeCase(r, 'transpose_unit_dims', 'int8_t', [1, 7, 1, 12], [3, 2, 0, 1]),
    transposeCase(r, 'transpose_0213_odd_inner', 'int8_t', [2, 5, 3, 6], [0, 2, 1, 3]),
    concatCase(r, 'concat_axis_m2_i16', 'int16_t', 16, [16, 8], 64),
    concatCase(r, 'concat_axis0_i8', 'int8_t', 1, [512, 512], 1),
    concatCase(r, 'concat_three_odd', 'int8_t', 5, [3, 1, 2], 3),
    sliceCase(r, 'slice_channels', 'int8_t', [1, 8, 8, 8], [0, 2, 0, 0], [1, 1, 1, 1], [1, 3, 8, 8]),
    sliceCase(r, 'slice_rows_words', 'int8_t', [2, 6, 16], [1, 1, 4], [1, 1, 1], [1, 4, 8]),
    sliceCase(r, 'slice_step2_neg', 'int32_t', [4, 9, 6], [1, 8, 5], [2, -3, -1], [2, 3, 6]),
    padCase(r, 'pad_2d', 'int8_t', [1, 2, 16, 8], [0, 0, 1, 1], [0, 0, 1, 1], 0),
    padCase(r, 'pad_1d_value', 'int8_t', [1, 2, 32], [0, 1, 1], [0, 0, 2], -7),
    padCase(r, 'pad_i32_crop', 'int32_t', [5, 6], [-1, 2], [1, -2], 99),
    gatherCase(r, 'gather_rows_neg', 'int8_t', 1, 10, 16, [3, -1, 0, 9, 3]),
    gatherCase(r, 'gather_axis1_i32', 'int32_t', 3, 5, 2, [4, 0]),
  ];
}

describe.skipIf(!!SKIP_REASON)('data movement kernels', () => {
  const cs = cases();
  for (const runner of runners()) {
    for (const cores of coreCounts(runner)) {
      it(`${runner}, ${cores} core(s): ${cs.length} cases bit-exact`, async () => {
        const res = await runCases('move', cs, { runner, cores });
        expect(res.cases.map((c) => c.name), res.stdout).toEqual(cs.map((c) => c.name));
        for (const c of res.cases) expect(c.errors, `${c.name}\n${res.stdout}`).toBe(0);
        expect(res.errors, res.stdout).toBe(0);
        expect(res.total, res.stdout).toBeGreaterThan(1000);
      }, 300_000);
    }
  }
});
