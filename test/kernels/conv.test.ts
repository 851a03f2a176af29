import { describe, expect, it } from 'vitest';
import { randRq, rqInit } from './cases.js';
import { type Buf, type CType, DK_TYPE, type KCase, RANGE, SKIP_REASON, coreCounts, runCases, runners } from './harness.js';
import { type ConvSpec, type Rng, conv, convOut, randArray, rng } from './model.js';

interface ConvOpts {
  N?: number;
  C: number;
  H: number;
  W: number;
  K: number;
  KH: number;
  KW: number;
  stride?: [number, number];
  dil?: [number, number];
  pads?: [number, number, number, number]; // t, l, b, r
  group?: number;
  xType?: CType;
  wType?: CType;
  yType?: CType;
  bias?: boolean;
  xOff?: number;
  rq?: 'channel' | 'tensor';
  scratch?: boolean;
  /** weights in L2, read in place (the kernel never stages: the compiler's tiles bring them to L1) */
  wL2?: boolean;
}

function convCase(r: Rng, name: string, o: ConvOpts): KCase {
  const xType = o.xType ?? 'int8_t';
  const wType = o.wType ?? 'int8_t';
  const yType = o.yType ?? (o.rq ? 'int8_t' : 'int32_t');
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0];
  const c: ConvSpec = {
    N: o.N ?? 1,
    C: o.C,
    H: o.H,
    W: o.W,
    K: o.K,
    KH: o.KH,
    KW: o.KW,
    sh: o.stride?.[0] ?? 1,
    sw: o.stride?.[1] ?? 1,
    dh: o.dil?.[0] ?? 1,
    dw: o.dil?.[1] ?? 1,
    pt,
    pl,
    pb,
    pr,
    group: o.group ?? 1,
    xOff: o.xOff ?? 0,
    mulS: o.rq === 'channel' ? [0, 1, 0, 0] : [0, 0, 0, 0],
    addS: o.rq === 'channel' ? [0, 1, 0, 0] : [0, 0, 0, 0],
  };
  const [OH, OW] = convOut(c);
  const xr = RANGE[xType as keyof typeof RANGE];
  const wr = RANGE[wType as keyof typeof RANGE];
  const X = randArray(r, c.N * c.C * c.H * c.W, Math.max(xr[0], -3000), Math.min(xr[1], 3000));
  const L = (c.C / c.group) * c.KH * c.KW;
  const Wt = randArray(r, c.K * L, wr[0], wr[1]);
  const bias = o.bias ? randArray(r, c.K, -20000, 20000) : null;
  const nq = o.rq === 'channel' ? c.K : 1;
  const rq = o.rq ? randRq(r, nq, nq, Math.sqrt(L) * 128 * 64, yType === 'uint8_t' ? 'uint8_t' : 'int8_t') : undefined;
  const Y = conv(X, Wt, bias, c, rq);
  const bufs: Buf[] = [
    { name: 'X', type: xType, data: X },
    { name: 'W', type: wType, data: Wt, level: o.wL2 ? 'l2' : undefined },
    { name: 'Y', type: yType, length: Y.length },
  ];
  if (bias) bufs.push({ name: 'bias', type: 'int32_t', data: bias });
  if (rq) bufs.push({ name: 'mul', type: 'int32_t', data: rq.mul }, { name: 'add', type: 'int32_t', data: rq.add });
  // as dk_conv_scratch_bytes: pointwise convs transpose the whole input into the scratch
  const pw = c.KH === 1 && c.KW === 1 && c.sh === 1 && c.sw === 1 && pt + pl + pb + pr === 0 && c.group === 1 && c.xOff === 0 && !xType.includes('16') && !xType.includes('32') && !wType.includes('16') && !wType.includes('32');
  const work = Math.max(8 * 2 * ((L + 3) & ~3), pw ? (c.N * c.C * c.H * c.W + 3) & ~3 : 0);
  const scratchBytes = o.scratch === false ? 0 : work;
  const args = [
    '.X = X, .W = W, .Y = Y',
    `.bias = ${bias ? 'bias' : '0'}`,
    `.scratch = ${scratchBytes ? 'scratch' : '0'}`,
    `.N = ${c.N}, .C = ${c.C}, .H = ${c.H}, .W_in = ${c.W}, .K = ${c.K}, .OH = ${OH}, .OW = ${OW}, .KH = ${c.KH}, .KW = ${c.KW}`,
    `.stride_h = ${c.sh}, .stride_w = ${c.sw}, .dil_h = ${c.dh}, .dil_w = ${c.dw}, .pad_t = ${pt}, .pad_l = ${pl}, .group = ${c.group}`,
    `.x_off = ${c.xOff}, .x_type = ${DK_TYPE[xType]}, .w_type = ${DK_TYPE[wType]}, .y_type = ${DK_TYPE[yType]}`,
    rqInit(rq, c.mulS, c.addS),
  ].join(', ');
  return { name, kernel: 'dk_conv', argsType: 'dk_conv_args_t', bufs, args, checks: [{ buf: 'Y', expected: Y }], scratch: scratchBytes };
}

function maxpoolCase(r: Rng, name: string, type: CType, C: number, H: number, W: number, KH: number, KW: number, sh: number, sw: number, pads: [number, number, number, number], dil: [number, number] = [1, 1]): KCase {
  const [pt, pl, pb, pr] = pads;
  const OH = Math.floor((H + pt + pb - dil[0] * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dil[1] * (KW - 1) - 1) / sw) + 1;
  const rg = RANGE[type as keyof typeof RANGE];
  const X = randArray(r, C * H * W, Math.max(rg[0], -100000), Math.min(rg[1], 100000));
  const Y: number[] = [];
  for (let c = 0; c < C; c++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let m = -Infinity;
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * sh - pt + kh * dil[0];
            const iw = ow * sw - pl + kw * dil[1];
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) m = Math.max(m, X[(c * H + ih) * W + iw]!);
          }
        Y.push(m);
      }
  const args = `.X = X, .Y = Y, .N = 1, .C = ${C}, .H = ${H}, .W_in = ${W}, .OH = ${OH}, .OW = ${OW}, .KH = ${KH}, .KW = ${KW}, .stride_h = ${sh}, .stride_w = ${sw}, .dil_h = ${dil[0]}, .dil_w = ${dil[1]}, .pad_t = ${pt}, .pad_l = ${pl}, .type = ${DK_TYPE[type]}`;
  return {
    name,
    kernel: 'dk_maxpool',
    argsType: 'dk_maxpool_args_t',
    bufs: [
      { name: 'X', type, data: X },
      { name: 'Y', type, length: Y.length },
    ],
    args,
    checks: [{ buf: 'Y', expected: Y }],
  };
}

function cases(): KCase[] {
  const r = rng('conv');
  return [
    convCase(r, 'regular2d_8x8_s24_p1', { C: 2, H: 32, W: 20, K: 4, KH: 8, KW: 8, stride: [2, 4], pads: [1, 1, 1, 1] }),
    convCase(r, 'regular2d_direct', { C: 2, H: 16, W: 12, K: 4, KH: 5, KW: 3, stride: [2, 1], pads: [1, 2, 0, 1], scratch: false }),
    convCase(r, 'u8_3x3_p1_rq_channel_u8out', { C: 12, H: 10, W: 10, K: 5, KH: 3, KW: 3, pads: [1, 1, 1, 1], xType: 'uint8_t', rq: 'channel', yType: 'uint8_t' }),
    convCase(r, 'dw3x3_rq', { C: 5, H: 9, W: 11, K: 5, KH: 3, KW: 3, pads: [1, 1, 1, 1], group: 5, xType: 'uint8_t', rq: 'channel' }),
    convCase(r, 'dw1d_k8_s4_p1', { C: 2, H: 1, W: 32, K: 2, KH: 1, KW: 8, stride: [1, 4], pads: [0, 1, 0, 1], group: 2 }),
    convCase(r, 'pw_u8_rq_u8', { C: 37, H: 5, W: 7, K: 17, KH: 1, KW: 1, xType: 'uint8_t', rq: 'channel', yType: 'uint8_t' }),
    convCase(r, 'conv1d_dil2_odd', { C: 3, H: 1, W: 29, K: 6, KH: 1, KW: 3, dil: [1, 2], pads: [0, 2, 0, 2] }),
    convCase(r, 'grouped_g2', { C: 6, H: 7, W: 6, K: 4, KH: 3, KW: 2, group: 2, pads: [1, 0, 1, 1], rq: 'tensor' }),
    convCase(r, 'bias_xoff_direct', { C: 4, H: 6, W: 6, K: 3, KH: 3, KW: 3, bias: true, xOff: -7, pads: [1, 1, 1, 1], rq: 'channel' }),
    convCase(r, 'uu_bias', { C: 8, H: 6, W: 5, K: 6, KH: 2, KW: 2, xType: 'uint8_t', wType: 'uint8_t', bias: true }),
    convCase(r, 'su_strided', { C: 5, H: 9, W: 9, K: 4, KH: 3, KW: 3, stride: [2, 2], wType: 'uint8_t' }),
    convCase(r, 'i16_input_generic', { C: 3, H: 6, W: 6, K: 2, KH: 3, KW: 3, xType: 'int16_t', pads: [1, 1, 1, 1] }),
    convCase(r, 'w_in_L2_im2col', { C: 16, H: 6, W: 7, K: 12, KH: 3, KW: 3, pads: [1, 1, 1, 1], xType: 'uint8_t', wL2: true, rq: 'channel' }),
    convCase(r, 'w_in_L2_dw', { C: 6, H: 8, W: 8, K: 6, KH: 3, KW: 3, group: 6, pads: [1, 1, 1, 1], wL2: true, rq: 'channel' }),
    convCase(r, 'w_in_L2_direct', { C: 4, H: 5, W: 5, K: 3, KH: 3, KW: 3, wL2: true, scratch: false }),
    convCase(r, 'pw_gemm_batch2_bias_wL2', { N: 2, C: 40, H: 3, W: 5, K: 9, KH: 1, KW: 1, bias: true, wL2: true, rq: 'channel' }),
    convCase(r, 'pw_gemm_i32_out_odd', { C: 13, H: 7, W: 3, K: 6, KH: 1, KW: 1, xType: 'uint8_t' }),
    convCase(r, 'batch2_dilation2d', { N: 2, C: 4, H: 9, W: 8, K: 3, KH: 3, KW: 3, dil: [2, 2], pads: [2, 1, 2, 1], bias: true, rq: 'channel' }),
    maxpoolCase(r, 'maxpool2d_8x8_s24', 'int8_t', 2, 64, 32, 8, 8, 2, 4, [0, 0, 0, 0]),
    maxpoolCase(r, 'maxpool1d_k3_s2', 'int8_t', 16, 1, 64, 1, 3, 1, 2, [0, 0, 0, 0]),
    maxpoolCase(r, 'maxpool_pad_u8', 'uint8_t', 3, 7, 9, 3, 3, 2, 2, [1, 1, 1, 1]),
    maxpoolCase(r, 'maxpool_i32_dil', 'int32_t', 2, 8, 8, 2, 2, 1, 1, [0, 1, 0, 1], [2, 2]),
  ];
}

describe.skipIf(!!SKIP_REASON)('dk_conv, dk_maxpool', () => {
  const cs = cases();
  for (const runner of runners()) {
    for (const cores of coreCounts(runner)) {
      it(`${runner}, ${cores} core(s): ${cs.length} cases bit-exact`, async () => {
        const res = await runCases('conv', cs, { runner, cores });
        expect(res.cases.map((c) => c.name), res.stdout).toEqual(cs.map((c) => c.name));
        for (const c of res.cases) expect(c.errors, `${c.name}\n${res.stdout}`).toBe(0);
        expect(res.errors, res.stdout).toBe(0);
        expect(res.total, res.stdout).toBeGreaterThan(1000);
      }, 300_000);
    }
  }
});
