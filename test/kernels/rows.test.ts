import { describe, expect, it } from 'vitest';
import { type CType, DK_TYPE, type KCase, SKIP_REASON, coreCounts, runCases, runners } from './harness.js';
import { type Rng, castTo, iLayerNormRow, iRmsNormRow, iSoftmaxRow, iTAMaxRow, randArray, rng } from './model.js';

function rowsOf(X: number[], len: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < X.length; i += len) out.push(X.slice(i, i + len));
  return out;
}

function softmaxCase(r: Rng, name: string, rows: number, len: number, xType: CType, yType: CType, opts: { equalRows?: number[]; itamax?: boolean; llm?: boolean; coeffs?: [number, number, number, number] } = {}): KCase {
  const [lo, hi] = xType === 'uint8_t' ? [0, 255] : xType === 'int32_t' ? [-20000, 20000] : [-128, 127];
  const X = randArray(r, rows * len, lo, hi);
  for (const row of opts.equalRows ?? []) for (let j = 0; j < len; j++) X[row * len + j] = X[row * len]!;
  const n = 256;
  const [A, B, C, log2] = opts.coeffs ?? [1, 345, 62395, 255];
  const outOff = yType === 'int8_t' && !opts.itamax ? -128 : 0;
  const Y = rowsOf(X, len).flatMap((row) => (opts.itamax ? iTAMaxRow(row, n) : iSoftmaxRow(row, A, B, C, log2, n).map((v) => v + outOff)));
  return {
    name,
    kernel: opts.itamax ? 'dk_itamax' : opts.llm ? 'dk_isoftmax_rows' : 'dk_isoftmax',
    argsType: 'dk_softmax_args_t',
    bufs: [
      { name: 'x', type: xType, data: X },
      { name: 'y', type: yType, length: Y.length },
    ],
    args: `.x = x, .y = y, .rows = ${rows}, .len = ${len}, .coeffA = ${A}, .coeffB = ${B}, .coeffC = ${C}, .log2 = ${log2}, .n_levels = ${n}, .out_off = ${outOff}, .x_type = ${DK_TYPE[xType]}, .y_type = ${DK_TYPE[yType]}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function rmsCase(r: Rng, name: string, rows: number, len: number, xType: CType, inOff: number, zeroRows: number[] = [], wMax = 300000, xMax = 127): KCase {
  const X = randArray(r, rows * len, xType === 'uint8_t' ? 0 : -xMax - 1, xMax);
  for (const z of zeroRows) for (let j = 0; j < len; j++) X[z * len + j] = -inOff;
  const w = randArray(r, len, -wMax, wMax);
  const log2d = 16;
  const Y = rowsOf(X, len).flatMap((row) => iRmsNormRow(row, w, log2d, inOff, -128, 127));
  return {
    name,
    kernel: 'dk_irmsnorm',
    argsType: 'dk_rmsnorm_args_t',
    bufs: [
      { name: 'x', type: xType, data: X },
      { name: 'w', type: 'int32_t', data: w },
      { name: 'y', type: 'int8_t', length: Y.length },
    ],
    args: `.x = x, .w = w, .y = y, .rows = ${rows}, .len = ${len}, .log2d = ${log2d}, .in_off = ${inOff}, .lo = -128, .hi = 127, .x_type = ${DK_TYPE[xType]}, .w_type = DK_I32, .y_type = DK_I8`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function layerNormCase(r: Rng, name: string, rows: number, len: number, inOff: number): KCase {
  const X = randArray(r, rows * len, -128, 127);
  for (let j = 0; j < len; j++) X[j] = 5; // a constant row: var = 0 + 1
  const w = randArray(r, len, -2000, 2000);
  const b = randArray(r, len, -3000, 3000);
  const log2d = 4;
  const Y = rowsOf(X, len).flatMap((row) => iLayerNormRow(row, w, b, log2d, inOff).map((v) => castTo('int8_t', v)));
  return {
    name,
    kernel: 'dk_ilayernorm',
    argsType: 'dk_layernorm_args_t',
    bufs: [
      { name: 'x', type: 'int8_t', data: X },
      { name: 'w', type: 'int32_t', data: w },
      { name: 'b', type: 'int32_t', data: b },
      { name: 'y', type: 'int8_t', length: Y.length },
    ],
    args: `.x = x, .w = w, .b = b, .y = y, .rows = ${rows}, .len = ${len}, .log2d = ${log2d}, .in_off = ${inOff}, .x_type = DK_I8, .y_type = DK_I8`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function cases(): KCase[] {
  const r = rng('rows');
  return [
    softmaxCase(r, 'isoftmax_i8_u8', 24, 8, 'int8_t', 'uint8_t', { equalRows: [0, 5] }),
    softmaxCase(r, 'isoftmax_large_rows', 9, 128, 'int8_t', 'uint8_t', { equalRows: [3] }),
    softmaxCase(r, 'isoftmax_odd_len_u8in', 11, 13, 'uint8_t', 'uint8_t'),
    softmaxCase(r, 'isoftmax_len1', 5, 1, 'int8_t', 'uint8_t'),
    softmaxCase(r, 'isoftmax_int8_out', 7, 17, 'int8_t', 'int8_t', { equalRows: [6] }),
    softmaxCase(r, 'isoftmax_i32_wide_z_clamp', 6, 21, 'int32_t', 'uint8_t', { equalRows: [1] }),
    softmaxCase(r, 'itamax', 10, 19, 'int8_t', 'int8_t', { itamax: true, equalRows: [2] }),
    // llm.c's dk_isoftmax_rows (one instance per input type, reciprocal division): microLlama64's
    // decode rows (16 x 65, its coefficients), rows not a multiple of the core count, len 1
    softmaxCase(r, 'isoftmax_rows_i8_microllama', 16, 65, 'int8_t', 'uint8_t', { llm: true, coeffs: [1, 85, 3770, 63], equalRows: [4] }),
    softmaxCase(r, 'isoftmax_rows_i8_odd', 5, 13, 'int8_t', 'uint8_t', { llm: true, equalRows: [2] }),
    softmaxCase(r, 'isoftmax_rows_u8_in', 11, 7, 'uint8_t', 'uint8_t', { llm: true }),
    softmaxCase(r, 'isoftmax_rows_i8_out', 3, 33, 'int8_t', 'int8_t', { llm: true, equalRows: [1] }),
    softmaxCase(r, 'isoftmax_rows_i32', 9, 40, 'int32_t', 'uint8_t', { llm: true, equalRows: [3] }),
    softmaxCase(r, 'isoftmax_rows_len1', 3, 1, 'int8_t', 'uint8_t', { llm: true }),
    softmaxCase(r, 'isoftmax_rows_i32_long', 3, 300, 'int32_t', 'uint8_t', { llm: true, equalRows: [1] }), // > 256: the list path
    rmsCase(r, 'irmsnorm_64', 16, 64, 'int8_t', 0, [3]),
    rmsCase(r, 'irmsnorm_odd_inoff', 9, 37, 'uint8_t', -128, [0, 8]),
    // |v * w| up to ~2^31: the reciprocal division's correction steps at full range
    rmsCase(r, 'irmsnorm_big_weights', 12, 29, 'int8_t', 0, [5], 16_000_000),
    // int32 inputs: the decoder's single 13-bit row (32-bit sum of squares), and values whose
    // squares need the 64-bit sum
    rmsCase(r, 'irmsnorm_i32_row', 1, 64, 'int32_t', 0, [], 300000, 4095),
    rmsCase(r, 'irmsnorm_i32_wide', 5, 40, 'int32_t', 0, [2], 1000, 1 << 20),
    layerNormCase(r, 'ilayernorm', 8, 33, 0),
    layerNormCase(r, 'ilayernorm_inoff', 5, 16, 3),
  ];
}

describe.skipIf(!!SKIP_REASON)('row kernels (iSoftmax, ITAMax, iRMSNorm, iLayerNorm)', () => {
  const cs = cases();
  for (const runner of runners()) {
    for (const cores of coreCounts(runner)) {
      it(`${runner}, ${cores} core(s): ${cs.length} cases bit-exact`, async () => {
        const res = await runCases('rows', cs, { runner, cores });
        expect(res.cases.map((c) => c.name), res.stdout).toEqual(cs.map((c) => c.name));
        for (const c of res.cases) expect(c.errors, `${c.name}\n${res.stdout}`).toBe(0);
        expect(res.errors, res.stdout).toBe(0);
        expect(res.total, res.stdout).toBeGreaterThan(1000);
      }, 300_000);
    }
  }
});
