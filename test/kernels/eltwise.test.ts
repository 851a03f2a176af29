import { describe, expect, it } from 'vitest';
import { randRq } from './cases.js';
import { type Buf, type CType, DK_TYPE, type KCase, RANGE, SKIP_REASON, coreCounts, runCases, runners } from './harness.js';
import { type Rng, type Rq, bcastStrides, castTo, dot, floorDivBig, forEachIndex, levels, randArray, randInt, requant, rng } from './model.js';

const pad6 = (a: number[]) => [...a, 0, 0, 0, 0, 0, 0].slice(0, 6).join(', ');

function rqFields(rq: Rq | undefined, mulS: number[], addS: number[]): string {
  if (!rq) return '.rq = { .mul = 0 }';
  return `.rq = { .mul = mul, .add = add, .mul_s = { ${pad6(mulS)} }, .add_s = { ${pad6(addS)} }, .log2d = ${rq.log2d}, .in_off = ${rq.inOff}, .out_off = ${rq.outOff}, .lo = ${rq.lo}, .hi = ${rq.hi} }`;
}

type BinOp = 'add' | 'sub' | 'mul' | 'div';
const IOP: Record<BinOp, (a: number, b: number) => number> = {
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: (a, b) => Math.imul(a, b),
  div: (a, b) => (b === 0 ? 0 : Math.trunc(a / b) | 0),
};
const FOP: Record<BinOp, (a: number, b: number) => number> = {
  add: (a, b) => Math.fround(a + b),
  sub: (a, b) => Math.fround(a - b),
  mul: (a, b) => Math.fround(a * b),
  div: (a, b) => Math.fround(a / b),
};

function rangeOf(t: CType): [number, number] {
  if (t === 'float') return [-100, 100];
  const [lo, hi] = RANGE[t];
  return [Math.max(lo, -40000), Math.min(hi, 40000)];
}

interface BinOpts {
  op: BinOp;
  out: number[];
  aShape: number[];
  bShape: number[];
  aType?: CType;
  bType?: CType;
  yType?: CType;
  /** requant: shape of mul/add (broadcast against out) */
  rqShape?: number[];
  aOff?: number;
  bOff?: number;
}

function binCase(r: Rng, name: string, o: BinOpts): KCase {
  const aType = o.aType ?? 'int8_t';
  const bType = o.bType ?? 'int8_t';
  const yType = o.yType ?? (o.rqShape ? 'int8_t' : aType === 'float' ? 'float' : 'int32_t');
  const na = o.aShape.reduce((x, y) => x * y, 1);
  const nb = o.bShape.reduce((x, y) => x * y, 1);
  const isF = aType === 'float';
  const [alo, ahi] = rangeOf(aType);
  const [blo, bhi] = rangeOf(bType);
  const A = isF ? randArray(r, na, -10000, 10000).map((v) => Math.fround(v / 100)) : randArray(r, na, alo, ahi);
  const B = isF ? randArray(r, nb, -10000, 10000).map((v) => Math.fround(v / 100 + 0.005)) : randArray(r, nb, blo, bhi);
  if (o.op === 'div' && !isF) for (let i = 0; i < B.length; i += 7) B[i] = 0; // division by zero -> 0
  const sa = bcastStrides(o.aShape, o.out);
  const sb = bcastStrides(o.bShape, o.out);
  let rq: Rq | undefined;
  let ms: number[] = [];
  if (o.rqShape) {
    const nq = o.rqShape.reduce((x, y) => x * y, 1);
    rq = randRq(r, nq, nq, o.op === 'mul' ? 128 * 64 : 128, yType === 'uint8_t' ? 'uint8_t' : 'int8_t');
    ms = bcastStrides(o.rqShape, o.out);
  }
  const Y: number[] = [];
  forEachIndex(o.out, (idx) => {
    const x = A[dot(idx, sa)]!;
    const y = B[dot(idx, sb)]!;
    if (isF) {
      Y.push(FOP[o.op](x, y));
      return;
    }
    let v = IOP[o.op]((x + (o.aOff ?? 0)) | 0, (y + (o.bOff ?? 0)) | 0);
    if (rq) v = requant(v, rq.mul[dot(idx, ms)]!, rq.add[dot(idx, ms)]!, rq);
    Y.push(castTo(yType, v));
  });
  const bufs: Buf[] = [
    { name: 'a', type: aType, data: A },
    { name: 'b', type: bType, data: B },
    { name: 'y', type: yType, length: Y.length },
  ];
  if (rq) bufs.push({ name: 'mul', type: 'int32_t', data: rq.mul }, { name: 'add', type: 'int32_t', data: rq.add });
  const args = [
    '.a = a, .b = b, .y = y',
    `.ndim = ${o.out.length}, .shape = { ${pad6(o.out)} }, .sa = { ${pad6(sa)} }, .sb = { ${pad6(sb)} }`,
    `.a_off = ${o.aOff ?? 0}, .b_off = ${o.bOff ?? 0}`,
    `.a_type = ${DK_TYPE[aType]}, .b_type = ${DK_TYPE[bType]}, .y_type = ${DK_TYPE[yType]}`,
    rqFields(rq, ms, ms),
  ].join(', ');
  return { name, kernel: `dk_${o.op}`, argsType: 'dk_binary_args_t', bufs, args, checks: [{ buf: 'y', expected: Y, tol: isF ? 1e-4 : undefined }] };
}

function requantCase(r: Rng, name: string, shape: number[], rqShape: number[], xType: CType, yType: CType, perChannelAxis1 = false, kernel = 'dk_requant'): KCase {
  const n = shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = rangeOf(xType);
  const X = randArray(r, n, xType === 'int32_t' ? -300000 : lo, xType === 'int32_t' ? 300000 : hi);
  const nq = rqShape.reduce((a, b) => a * b, 1);
  const rq = randRq(r, nq, nq, 300000, yType === 'uint8_t' ? 'uint8_t' : 'int8_t');
  // (C,1,...,1) parameters apply along axis 1 (operators.md), else NumPy broadcasting
  const ms = perChannelAxis1 ? shape.map((_, d) => (d === 1 ? 1 : 0)) : bcastStrides(rqShape, shape);
  const Y: number[] = [];
  forEachIndex(shape, (idx, f) => Y.push(requant(X[f]!, rq.mul[dot(idx, ms)]!, rq.add[dot(idx, ms)]!, rq)));
  return {
    name,
    kernel,
    argsType: 'dk_requant_args_t',
    bufs: [
      { name: 'x', type: xType, data: X },
      { name: 'y', type: yType, length: n },
      { name: 'mul', type: 'int32_t', data: rq.mul },
      { name: 'add', type: 'int32_t', data: rq.add },
    ],
    args: `.x = x, .y = y, .ndim = ${shape.length}, .shape = { ${pad6(shape)} }, .x_type = ${DK_TYPE[xType]}, .y_type = ${DK_TYPE[yType]}, ${rqFields(rq, ms, ms)}`,
    checks: [{ buf: 'y', expected: Y }],
  };
}

function unaryCase(name: string, kernel: string, argsType: string, xType: CType, yType: CType, X: number[], Y: number[], extra: string, more: Buf[] = [], tol?: number): KCase {
  return {
    name,
    kernel,
    argsType,
    bufs: [{ name: 'x', type: xType, data: X }, { name: 'y', type: yType, length: Y.length }, ...more],
    args: `.x = x, .y = y, .n = ${X.length}, .x_type = ${DK_TYPE[xType]}, .y_type = ${DK_TYPE[yType]}${extra ? `, ${extra}` : ''}`,
    checks: [{ buf: 'y', expected: Y, tol }],
  };
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function cases(): KCase[] {
  const r = rng('eltwise');
  const cs: KCase[] = [
    binCase(r, 'add_same_i8', { op: 'add', out: [1, 5, 5, 5], aShape: [1, 5, 5, 5], bShape: [1, 5, 5, 5] }),
    binCase(r, 'add_bcast_row_i32', { op: 'add', out: [2, 4, 33], aShape: [2, 4, 33], bShape: [33], aType: 'int32_t', bType: 'int16_t' }),
    binCase(r, 'add_bcast_both_rq', { op: 'add', out: [3, 4, 5], aShape: [3, 1, 5], bShape: [4, 1], rqShape: [1] }),
    binCase(r, 'add_rq_perchannel_u8', { op: 'add', out: [1, 6, 7], aShape: [1, 6, 7], bShape: [1, 6, 7], aType: 'uint8_t', rqShape: [6, 1], yType: 'uint8_t' }),
    binCase(r, 'sub_i8', { op: 'sub', out: [1, 8, 16], aShape: [1, 8, 16], bShape: [1, 8, 16] }),
    binCase(r, 'sub_scalar_offsets', { op: 'sub', out: [7, 9], aShape: [7, 9], bShape: [1], aOff: 3, bOff: -2 }),
    binCase(r, 'mul_bcast_rq', { op: 'mul', out: [2, 3, 17], aShape: [2, 3, 17], bShape: [2, 1, 17], rqShape: [17] }),
    binCase(r, 'mul_u8_i32', { op: 'mul', out: [5, 13], aShape: [5, 13], bShape: [5, 13], aType: 'uint8_t', bType: 'int32_t' }),
    binCase(r, 'div_trunc_zero', { op: 'div', out: [4, 11], aShape: [4, 11], bShape: [4, 11], aType: 'int32_t', bType: 'int8_t' }),
    binCase(r, 'f32_add', { op: 'add', out: [1, 4, 16], aShape: [1, 4, 16], bShape: [1], aType: 'float', bType: 'float' }),
    binCase(r, 'f32_sub', { op: 'sub', out: [4, 8], aShape: [4, 8], bShape: [8], aType: 'float', bType: 'float' }),
    binCase(r, 'f32_mul', { op: 'mul', out: [3, 5], aShape: [3, 5], bShape: [3, 5], aType: 'float', bType: 'float' }),
    binCase(r, 'f32_div', { op: 'div', out: [2, 16], aShape: [2, 16], bShape: [1], aType: 'float', bType: 'float' }),
    requantCase(r, 'rq_tensor_i32_i8', [1, 16, 64], [1], 'int32_t', 'int8_t'),
    requantCase(r, 'rq_perrow_i32_u8', [32, 20], [32, 1], 'int32_t', 'uint8_t'),
    requantCase(r, 'rq_axis1_channels', [1, 16, 32], [16], 'int32_t', 'int8_t', true),
    requantCase(r, 'rq_perbatch_4d', [1, 2, 9, 8], [1, 2, 1, 1], 'int32_t', 'int8_t'),
    requantCase(r, 'rq_i8_input', [3, 31], [1], 'int8_t', 'int8_t'),
    // the specialised 8-bit input loops: odd sizes (not a multiple of 4 or of the core count), per-row parameters
    requantCase(r, 'rq_i8_to_u8_perrow', [5, 13], [5, 1], 'int8_t', 'uint8_t'),
    requantCase(r, 'rq_u8_input', [1, 16, 65, 4], [1], 'uint8_t', 'int8_t'),
    requantCase(r, 'rq_i32_to_i32', [7, 9], [1], 'int32_t', 'int32_t'),
    // dk_requant_hwc: pixel-major data, per-channel parameters on the last dim; fewer pixels than cores, odd channel counts
    requantCase(r, 'rq_hwc_i8', [1, 5, 3, 20], [20], 'int8_t', 'int8_t', false, 'dk_requant_hwc'),
    requantCase(r, 'rq_hwc_few_pixels_u8_out', [7, 13], [13], 'int8_t', 'uint8_t', false, 'dk_requant_hwc'),
    requantCase(r, 'rq_hwc_u8_input', [9, 32], [32], 'uint8_t', 'int8_t', false, 'dk_requant_hwc'),
    requantCase(r, 'rq_hwc_i32_input', [12, 6], [6], 'int32_t', 'int8_t', false, 'dk_requant_hwc'),
  ];
  // RequantShift edge: .5 rounding up for positive and negative values, saturation both sides
  {
    const X = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 1000, -1000, 2147483647, -2147483648];
    const [lo, hi] = levels(256, true);
    const q = { log2d: 1, inOff: 0, outOff: 0, lo, hi };
    const Y = X.map((x) => requant(x, 1, 0, q));
    cs.push({
      name: 'rq_half_and_saturation',
      kernel: 'dk_requant',
      argsType: 'dk_requant_args_t',
      bufs: [
        { name: 'x', type: 'int32_t', data: X },
        { name: 'y', type: 'int8_t', length: X.length },
        { name: 'mul', type: 'int32_t', data: [1] },
        { name: 'add', type: 'int32_t', data: [0] },
      ],
      args: `.x = x, .y = y, .ndim = 1, .shape = { ${X.length} }, .x_type = DK_I32, .y_type = DK_I8, ${rqFields({ mul: [1], add: [0], ...q }, [0], [0])}`,
      checks: [{ buf: 'y', expected: Y }],
    });
  }
  // Clip / Cast / Round / Copy
  {
    const X = randArray(r, 77, -300, 300);
    cs.push(unaryCase('clip_i32_to_i16', 'dk_clip', 'dk_unary_args_t', 'int32_t', 'int16_t', X, X.map((v) => Math.min(Math.max(v, -100), 57)), '.lo = -100, .hi = 57'));
    const F = randArray(r, 50, -5000, 5000).map((v) => Math.fround(v / 37));
    cs.push(unaryCase('clip_f32', 'dk_clip', 'dk_unary_args_t', 'float', 'float', F, F.map((v) => Math.min(Math.max(v, -20.5), 33.25)), '.flo = -20.5f, .fhi = 33.25f', [], 0));
    cs.push(unaryCase('cast_i32_i8_wrap', 'dk_cast', 'dk_unary_args_t', 'int32_t', 'int8_t', X, X.map((v) => castTo('int8_t', v)), ''));
    cs.push(unaryCase('cast_f32_i32_trunc', 'dk_cast', 'dk_unary_args_t', 'float', 'int32_t', F, F.map((v) => Math.trunc(v)), ''));
    const U = randArray(r, 30, 0, 255);
    cs.push(unaryCase('cast_u8_f32', 'dk_cast', 'dk_unary_args_t', 'uint8_t', 'float', U, U.slice(), '', [], 0));
    const H = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 2.51, -3.7, 7, 1e9, -123.5, ...F];
    cs.push(unaryCase('round_half_even', 'dk_round', 'dk_unary_args_t', 'float', 'float', H, H.map((v) => roundHalfEven(Math.fround(v))), '', [], 0));
  }
  {
    const X = randArray(r, 103, -128, 127);
    cs.push({
      name: 'copy_odd_bytes',
      kernel: 'dk_copy',
      argsType: 'dk_copy_args_t',
      bufs: [
        { name: 'x', type: 'int8_t', data: X },
        { name: 'y', type: 'int8_t', length: X.length },
      ],
      args: `.x = x, .y = y, .n = ${X.length}, .elem_size = 1`,
      checks: [{ buf: 'y', expected: X }],
    });
  }
  // iHardswish (microLlama and Kernels/Integer/Hardswish attribute values), with and without requant
  for (const [nm, oos, three, six, withRq] of [
    ['hardswish_kernels', 33, 765, 1530, false],
    ['hardswish_llama_rq', 42, 197, 394, true],
  ] as const) {
    const X = randArray(r, 200, -128, 127);
    X.push(-128, 127, 0, -1, 1); // (three and six exceed the int8 input range here)
    let Y = X.map((x) => Math.imul(x, Math.imul(Math.min(Math.max(x + three, 0), six), oos)));
    const more: Buf[] = [];
    let rqs = '.rq = { .mul = 0 }';
    let yType: CType = 'int32_t';
    if (withRq) {
      const rq = randRq(r, 1, 1, 127 * six * oos);
      Y = Y.map((v) => requant(v, rq.mul[0]!, rq.add[0]!, rq));
      more.push({ name: 'mul', type: 'int32_t', data: rq.mul }, { name: 'add', type: 'int32_t', data: rq.add });
      rqs = rqFields(rq, [0], [0]);
      yType = 'int8_t';
    }
    cs.push(unaryCase(nm, 'dk_ihardswish', 'dk_hardswish_args_t', 'int8_t', yType, X, Y, `.one_over_six = ${oos}, .three = ${three}, .six = ${six}, .in_off = 0, ${rqs}`, more));
  }
  // iGELU (I-BERT constants for a scale of 1/16: b = -29, one = 2^k style values)
  {
    const b = -29;
    const one = 841;
    const X = randArray(r, 150, -128, 127);
    X.push(0, 1, -1, 29, -29, 30, -30);
    const Y = X.map((x) => {
      const sg = Math.sign(x);
      const q = Math.min(Math.abs(x), -b);
      const L = sg * (one - (q + b) * (q + b));
      return Math.imul(x, (one + L) >> 1);
    });
    cs.push(unaryCase('igelu', 'dk_igelu', 'dk_gelu_args_t', 'int8_t', 'int32_t', X, Y, `.b = ${b}, .one = ${one}, .in_off = 0, .rq = { .mul = 0 }`));
  }
  // TrueIntegerDiv (conformance attributes), negative inputs through the floor division
  {
    const X = randArray(r, 120, -16384, 16383);
    X.push(-12, 12, 0, -1, 1);
    const k = Number(floorDivBig(16384n * 200000n, 200000n * 2n + 1n));
    cs.push(unaryCase('trueintdiv', 'dk_trueintegerdiv', 'dk_trueintdiv_args_t', 'int16_t', 'int32_t', X, X.map((x) => Math.imul(x, k)), '.Delta = 16384, .eta = 200000, .eps = 1, .yv = 2'));
    const k2 = Number(floorDivBig(-7n * 3n, 3n * 5n + 2n));
    cs.push(unaryCase('trueintdiv_negcoef', 'dk_trueintegerdiv', 'dk_trueintdiv_args_t', 'int8_t', 'int32_t', X.slice(0, 20).map((v) => v % 128), X.slice(0, 20).map((v) => Math.imul(v % 128, k2)), '.Delta = -7, .eta = 3, .eps = 2, .yv = 5'));
  }
  // ReduceSum / ReduceMean (round half up)
  for (const [nm, kernel, outer, red, inner, xType] of [
    ['reducesum_axis1', 'dk_reducesum', 1, 32, 48 * 5, 'int8_t'],
    ['reducemean_axis1', 'dk_reducemean', 2, 32, 37, 'int8_t'],
    ['reducemean_last_u8', 'dk_reducemean', 13, 6, 1, 'uint8_t'],
  ] as const) {
    const [lo, hi] = RANGE[xType];
    const X = randArray(r, outer * red * inner, lo, hi);
    const Y: number[] = [];
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let q = 0; q < red; q++) s += X[(o * red + q) * inner + i]!;
        Y.push(kernel === 'dk_reducesum' ? s : Math.floor(s / red + 0.5));
      }
    cs.push({
      name: nm,
      kernel,
      argsType: 'dk_reduce_args_t',
      bufs: [
        { name: 'x', type: xType, data: X },
        { name: 'y', type: 'int32_t', length: Y.length },
      ],
      args: `.x = x, .y = y, .outer = ${outer}, .red = ${red}, .inner = ${inner}, .x_type = ${DK_TYPE[xType]}, .y_type = DK_I32`,
      checks: [{ buf: 'y', expected: Y }],
    });
  }
  // ReduceMean exact halves: sums that are odd multiples of red/2
  {
    const X = [1, 0, -1, 0, 3, 0, -3, 0, -5, 0, 5, 0]; // red = 2 along pairs
    const Y = [0.5, -0.5, 1.5, -1.5, -2.5, 2.5].map((v) => Math.floor(v + 0.5));
    cs.push({
      name: 'reducemean_halves',
      kernel: 'dk_reducemean',
      argsType: 'dk_reduce_args_t',
      bufs: [
        { name: 'x', type: 'int8_t', data: X },
        { name: 'y', type: 'int8_t', length: Y.length },
      ],
      args: '.x = x, .y = y, .outer = 6, .red = 2, .inner = 1, .x_type = DK_I8, .y_type = DK_I8',
      checks: [{ buf: 'y', expected: Y }],
    });
  }
  void randInt;
  return cs;
}

describe.skipIf(!!SKIP_REASON)('element-wise kernels', () => {
  const cs = cases();
  for (const runner of runners()) {
    for (const cores of coreCounts(runner)) {
      it(`${runner}, ${cores} core(s): ${cs.length} cases bit-exact`, async () => {
        const res = await runCases('eltwise', cs, { runner, cores });
        expect(res.cases.map((c) => c.name), res.stdout).toEqual(cs.map((c) => c.name));
        for (const c of res.cases) expect(c.errors, `${c.name}\n${res.stdout}`).toBe(0);
        expect(res.errors, res.stdout).toBe(0);
        expect(res.total, res.stdout).toBeGreaterThan(1000);
      }, 300_000);
    }
  }
});
