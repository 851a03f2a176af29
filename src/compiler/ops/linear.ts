// MatMul, Gemm and Conv, plain or fused with a bias Add and/or a RequantShift (lower.ts), all on
// kernels.h dk_gemm / dk_conv.
import { DTYPES } from '../../frontend/dtype.js';
import type { DType, Graph, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, intsAttr, stringAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { register, unsupported, type Binding, type EmitContext, type Range } from '../registry.js';
import { rangeAdd, rangeMul, rangeScale } from '../types.js';
import {
  broadcastStrides,
  cArray,
  denseStrides,
  dkType,
  FORK_OVERHEAD,
  intValues,
  is8bit,
  onlyTypes,
  parseRequant,
  product,
  requantRange,
  rqInit,
  shapeOfValue,
  toKernelDims,
  type Requant,
} from './common.js';

const ACC_INPUT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32'];

// ---------------------------------------------------------------- GEMM family

interface GemmParams {
  layer: string;
  a: string;
  b: string;
  aConst?: Tensor;
  bConst?: Tensor;
  bias?: Tensor;
  outShape: number[];
  M: number;
  N: number;
  K: number;
  batch: [number, number];
  aBs: [number, number];
  bBs: [number, number];
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  rq?: Requant;
}

/** Split output batch dims into the kernel's two, with per-operand element strides. */
function batchStrides(opShape: number[], outBatch: number[], matrix: number, what: string): [number, number] {
  const kb = kernelBatch(outBatch);
  const s = broadcastStrides(opShape.slice(0, -2), outBatch);
  if (!s) unsupported(`${what} batch dims [${opShape.slice(0, -2)}] do not broadcast to [${outBatch}]`);
  const k = toKernelDims(
    s.map((x) => x * matrix),
    outBatch,
    kb,
    `${what} batch`,
  );
  return [k[0]!, k[1]!];
}

function kernelBatch(outBatch: number[]): [number, number] {
  if (outBatch.length === 0) return [1, 1];
  if (outBatch.length === 1) return [1, outBatch[0]!];
  return [product(outBatch.slice(0, -1)), outBatch[outBatch.length - 1]!];
}

function parseMatMul(node: LNode, g: Graph, fused: boolean): GemmParams {
  const [a, b, c, mul, add] = node.inputs;
  const aShape = shapeOfValue(g, a!);
  const bShape = shapeOfValue(g, b!);
  const outShape = shapeOfValue(g, node.outputs[0]!);
  if (aShape.length < 2 || bShape.length < 2) unsupported(`MatMul operands must have rank >= 2 (got [${aShape}] x [${bShape}])`);
  const transB = node.attrs.transB !== undefined && intAttr(node, 'transB') === 1;
  const M = aShape[aShape.length - 2]!;
  const K = aShape[aShape.length - 1]!;
  const N = bShape[bShape.length - (transB ? 2 : 1)]!;
  if (bShape[bShape.length - (transB ? 1 : 2)] !== K) unsupported(`MatMul inner dimensions differ: [${aShape}] x [${bShape}]${transB ? ' (B transposed)' : ''}`);
  const outBatch = outShape.slice(0, -2);
  const bias = c ? g.initializers.get(c) : undefined;
  if (c && !bias) unsupported('the bias of a fused MatMul must be a constant');
  return {
    layer: node.name,
    a: a!,
    b: b!,
    aConst: g.initializers.get(a!),
    bConst: g.initializers.get(b!),
    bias,
    outShape,
    M,
    N,
    K,
    batch: kernelBatch(outBatch),
    aBs: batchStrides(aShape, outBatch, M * K, 'A'),
    bBs: batchStrides(bShape, outBatch, K * N, 'B'),
    transA: false,
    transB,
    alpha: 1,
    beta: 1,
    rq: fused && mul ? parseRequant(node, g, 3, 4) : undefined,
  };
}

function parseGemm(node: LNode, g: Graph, fused: boolean): GemmParams {
  const [a, b, c] = node.inputs;
  const aShape = shapeOfValue(g, a!);
  const bShape = shapeOfValue(g, b!);
  const outShape = shapeOfValue(g, node.outputs[0]!);
  if (aShape.length !== 2 || bShape.length !== 2) unsupported(`Gemm operands must be 2-D (got [${aShape}], [${bShape}])`);
  const transA = intAttr(node, 'transA', 0) === 1;
  const transB = intAttr(node, 'transB', 0) === 1;
  const alpha = node.attrs.alpha === undefined ? 1 : Number(node.attrs.alpha);
  const beta = node.attrs.beta === undefined ? 1 : Number(node.attrs.beta);
  if (!Number.isInteger(alpha) || !Number.isInteger(beta)) unsupported(`Gemm alpha ${alpha} / beta ${beta} must be integers on an integer graph`);
  const M = transA ? aShape[1]! : aShape[0]!;
  const K = transA ? aShape[0]! : aShape[1]!;
  const N = transB ? bShape[0]! : bShape[1]!;
  const bias = c ? g.initializers.get(c) : undefined;
  if (c && !bias) unsupported('Gemm C must be a constant');
  return {
    layer: node.name,
    a: a!,
    b: b!,
    aConst: g.initializers.get(a!),
    bConst: g.initializers.get(b!),
    bias,
    outShape,
    M,
    N,
    K,
    batch: [1, 1],
    aBs: [0, 0],
    bBs: [0, 0],
    transA,
    transB,
    alpha,
    beta,
    rq: fused ? parseRequant(node, g, 3, 4) : undefined,
  };
}

function gemmRange(p: GemmParams, ins: (Range | undefined)[]): Range[] {
  if (p.rq) return [requantRange(p.rq)];
  const prod = rangeMul(ins[0]!, ins[1]!);
  let acc = rangeScale(rangeScale(prod, p.K), p.alpha);
  if (p.bias) acc = rangeAdd(acc, rangeScale(ins[2]!, p.beta));
  return [acc];
}

/**
 * Weights outside L1 are copied into the free L1 (after the arena, before the stacks) with the
 * cluster DMA before the kernel runs, when they fit: the cores then read them at L1 speed
 * instead of each paying the L2 latency (no double buffering yet: the copy is not overlapped).
 */
export const STAGE_MAX_BYTES = 128 * 1024 - 1; // MCHAN v7 length field: 17 bits
function stageInL1(field: string, cname: string, bytes: number): string[] | undefined {
  if (bytes > STAGE_MAX_BYTES || bytes < 256) return undefined;
  return [
    `if (!dsim_in_l1(${cname}) && ${bytes}u <= dsim_l1_free_bytes()) {`,
    `    dsim_dma_wait(dsim_dma_copy_1d(dsim_l1_free_start(), ${cname}, ${bytes}u, 1));`,
    `    ARGS.${field} = dsim_l1_free_start();`,
    `  } else {`,
    `    ARGS.${field} = ${cname};`,
    `  }`,
  ];
}

/** One row times a constant matrix, one batch (decode steps): dk_gemm's GEMV path. */
function isGemv(p: GemmParams): boolean {
  return p.M === 1 && p.batch[0] * p.batch[1] === 1 && p.bConst !== undefined && !p.aConst && !p.transA;
}

/**
 * A GEMV's weights are not staged before the kernel: dk_gemm's cores stream their own columns by
 * DMA through the free L1 given as scratch, computing each piece while the next one is in flight.
 */
const GEMV_SCRATCH = ['ARGS.scratch = dsim_l1_free_start();', 'ARGS.scratch_bytes = dsim_l1_free_bytes();'];

/** Constant B as the kernel's fast path wants it: per batch matrix, N x K (trans_b = 1). */
function constantB(p: GemmParams, bt: Tensor, ctx: EmitContext, dtype: DType): string {
  const v = intValues(bt);
  if (p.transB) return ctx.constant(`${p.layer}_B`, dtype, v, bt.shape);
  const mats = v.length / (p.K * p.N);
  const out = new Array<number>(v.length);
  for (let m = 0; m < mats; m++)
    for (let k = 0; k < p.K; k++) for (let n = 0; n < p.N; n++) out[m * p.K * p.N + n * p.K + k] = v[m * p.K * p.N + k * p.N + n]!;
  const shape = [...bt.shape.slice(0, -2), p.N, p.K];
  return ctx.constant(`${p.layer}_BT`, dtype, out, shape);
}

const gemmBinding: Binding<GemmParams> = {
  kernel: 'dk_gemm',
  check(p, t) {
    return onlyTypes([t.inputs[0], t.inputs[1]], ACC_INPUT_TYPES, 'A/B') ?? (t.outputs[0] === 'uint16' || t.outputs[0] === 'int16' ? 'int16 outputs unsupported' : undefined);
  },
  emit(p, ctx) {
    const aT = ctx.inputs[0]?.dtype ?? constType(p.aConst!);
    const bT = ctx.inputs[1]?.dtype ?? constType(p.bConst!);
    const A = ctx.inputs[0]?.ptr ?? ctx.constant(`${p.layer}_A`, aT, intValues(p.aConst!), p.aConst!.shape);
    const B = ctx.inputs[1]?.ptr ?? constantB(p, p.bConst!, ctx, bT);
    const transB = p.bConst ? 1 : p.transB ? 1 : 0;
    const out = ctx.outputs[0]!;
    const kdims = [p.batch[0], p.batch[1], p.M, p.N];
    let C = '0';
    let cbs = [0, 0];
    let crs = 0;
    let ccs = 0;
    if (p.bias) {
      const s = broadcastStrides(p.bias.shape, p.outShape);
      if (!s) unsupported(`bias of shape [${p.bias.shape}] does not broadcast to the output [${p.outShape}]`);
      const k = toKernelDims(s, p.outShape, kdims, 'bias');
      cbs = [k[0]!, k[1]!];
      crs = k[2]!;
      ccs = k[3]!;
      C = ctx.constant(`${p.layer}_C`, 'int32', intValues(p.bias), p.bias.shape);
    }
    return {
      prepare: isGemv(p) ? GEMV_SCRATCH : p.bConst && !ctx.inputs[1] ? stageInL1('B', B, elementCount(p.bConst.shape) * DTYPES[bT].bytes) : undefined,
      argsType: 'dk_gemm_args_t',
      fields: {
        A,
        B,
        C,
        Y: out.ptr,
        M: p.M,
        N: p.N,
        K: p.K,
        batch: cArray(p.batch),
        a_bs: cArray(p.aBs),
        b_bs: cArray(p.bBs),
        c_bs: cArray(cbs),
        c_rs: crs,
        c_cs: ccs,
        alpha: p.alpha,
        beta: p.beta,
        a_off: 0,
        b_off: 0,
        a_type: dkType(aT),
        b_type: dkType(bT),
        y_type: dkType(out.dtype),
        trans_a: p.transA ? 1 : 0,
        trans_b: transB,
        rq: rqInit(p.rq, p.outShape, kdims, ctx, p.layer),
      },
    };
  },
};

/** Element type of a constant operand: the narrowest integer type holding its values. */
export function constType(t: Tensor): DType {
  const v = intValues(t);
  let lo = 0;
  let hi = 0;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo >= -128 && hi <= 127) return 'int8';
  if (lo >= 0 && hi <= 255) return 'uint8';
  return 'int32';
}

function gemmCycles(p: GemmParams, cores: number): number {
  const macs = p.batch[0] * p.batch[1] * p.M * p.N * p.K;
  // 8-bit with B transposed: 4-way SIMD dot products, ~0.4 cycles/MAC incl. loads; else ~5.
  const fast = !p.transA && (p.bConst !== undefined || p.transB);
  const perMac = fast ? 0.4 : 5;
  const rows = isGemv(p) ? Math.ceil(p.N / 4) : p.batch[0] * p.batch[1] * p.M;
  const used = Math.min(cores, rows);
  return Math.round(FORK_OVERHEAD + (macs * perMac) / used + (p.rq ? (p.batch[0] * p.batch[1] * p.M * p.N * 6) / used : 0));
}

const gemmOps = (p: GemmParams) => p.batch[0] * p.batch[1] * p.M * p.N * p.K;

for (const [op, fused] of [
  ['MatMul', false],
  ['RQMatMul', true],
] as const)
  register<GemmParams>(op, {
    name: fused ? 'requantised matmul' : 'matmul',
    parse: (n, g) => parseMatMul(n, g, fused),
    range: gemmRange,
    cycles: gemmCycles,
    ops: gemmOps,
    bindings: [gemmBinding],
  });

for (const [op, fused] of [
  ['Gemm', false],
  ['RQGemm', true],
] as const)
  register<GemmParams>(op, {
    name: fused ? 'requantised gemm' : 'gemm',
    parse: (n, g) => parseGemm(n, g, fused),
    range: gemmRange,
    cycles: gemmCycles,
    ops: gemmOps,
    bindings: [gemmBinding],
  });

// ---------------------------------------------------------------- Conv family

interface ConvParams {
  layer: string;
  w: Tensor;
  bias?: Tensor;
  outShape: number[];
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  strides: [number, number];
  dils: [number, number];
  padT: number;
  padL: number;
  group: number;
  rq?: Requant;
}

function parseConv(node: LNode, g: Graph, fused: boolean): ConvParams {
  const [x, w, b] = node.inputs;
  const xs = shapeOfValue(g, x!);
  const outShape = shapeOfValue(g, node.outputs[0]!);
  const wt = g.initializers.get(w!);
  if (!wt) unsupported('Conv weights must be a constant');
  const bias = b ? g.initializers.get(b) : undefined;
  if (b && !bias) unsupported('Conv bias must be a constant');
  if (stringAttr(node, 'auto_pad', 'NOTSET') !== 'NOTSET') unsupported(`auto_pad=${stringAttr(node, 'auto_pad', '')} (explicit pads only)`);
  const rank = xs.length;
  if (rank !== 3 && rank !== 4) unsupported(`Conv input of rank ${rank} (1-D NCL and 2-D NCHW only)`);
  const sp = rank - 2;
  const ks = intsAttr(node, 'kernel_shape', wt.shape.slice(2));
  const strides = intsAttr(node, 'strides', new Array<number>(sp).fill(1));
  const dils = intsAttr(node, 'dilations', new Array<number>(sp).fill(1));
  const pads = intsAttr(node, 'pads', new Array<number>(2 * sp).fill(0));
  const group = intAttr(node, 'group', 1);
  const two = (a: number[], fill: number): [number, number] => (sp === 1 ? [fill, a[0]!] : [a[0]!, a[1]!]);
  return {
    layer: node.name,
    w: wt,
    bias,
    outShape,
    N: xs[0]!,
    C: xs[1]!,
    H: sp === 1 ? 1 : xs[2]!,
    W: xs[rank - 1]!,
    K: outShape[1]!,
    OH: sp === 1 ? 1 : outShape[2]!,
    OW: outShape[rank - 1]!,
    KH: sp === 1 ? 1 : ks[0]!,
    KW: ks[sp - 1]!,
    strides: two(strides, 1),
    dils: two(dils, 1),
    padT: sp === 1 ? 0 : pads[0]!,
    padL: pads[sp - 1]!,
    group,
    rq: fused ? parseRequant(node, g, 3, 4) : undefined,
  };
}

const convBinding: Binding<ConvParams> = {
  kernel: 'dk_conv',
  check(p, t) {
    return onlyTypes([t.inputs[0]], ACC_INPUT_TYPES, 'X') ?? (p.C % p.group !== 0 || p.K % p.group !== 0 ? `group ${p.group} does not divide C ${p.C} and K ${p.K}` : undefined);
  },
  emit(p, ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outputs[0]!;
    const wT = constType(p.w);
    const W = ctx.constant(`${p.layer}_W`, wT, intValues(p.w), p.w.shape);
    const bias = p.bias ? ctx.constant(`${p.layer}_bias`, 'int32', intValues(p.bias), p.bias.shape) : '0';
    return {
      argsType: 'dk_conv_args_t',
      fields: {
        X: x.ptr,
        W,
        bias,
        Y: out.ptr,
        scratch: '0',
        N: p.N,
        C: p.C,
        H: p.H,
        W_in: p.W,
        K: p.K,
        OH: p.OH,
        OW: p.OW,
        KH: p.KH,
        KW: p.KW,
        stride_h: p.strides[0],
        stride_w: p.strides[1],
        dil_h: p.dils[0],
        dil_w: p.dils[1],
        pad_t: p.padT,
        pad_l: p.padL,
        group: p.group,
        x_off: 0,
        x_type: dkType(x.dtype),
        w_type: dkType(wT),
        y_type: dkType(out.dtype),
        rq: rqInit(p.rq, p.outShape, [p.N, p.K, p.OH, p.OW], ctx, p.layer),
      },
      // im2col scratch: the free L1 between the planned arena and the stacks, when big enough.
      prepare: ['ARGS.scratch = dk_conv_scratch_bytes(&ARGS, cores) <= dsim_l1_free_bytes() ? dsim_l1_free_start() : 0;'],
    };
  },
};

function convRange(p: ConvParams, ins: (Range | undefined)[]): Range[] {
  if (p.rq) return [requantRange(p.rq)];
  let wr = { lo: 0, hi: 0 };
  for (const x of intValues(p.w)) wr = { lo: Math.min(wr.lo, x), hi: Math.max(wr.hi, x) };
  const red = (p.C / p.group) * p.KH * p.KW;
  let acc = rangeScale(rangeMul(ins[0]!, wr), red);
  // padding contributes zero terms: widen to include 0
  acc = { lo: Math.min(acc.lo, 0), hi: Math.max(acc.hi, 0) };
  if (p.bias) acc = rangeAdd(acc, ins[2]!);
  return [acc];
}

function convCycles(p: ConvParams, cores: number): number {
  const macs = p.N * p.K * p.OH * p.OW * (p.C / p.group) * p.KH * p.KW;
  const perMac = p.group === p.C && p.group > 1 ? 3 : 1.2;
  return Math.round(FORK_OVERHEAD + (macs * perMac) / Math.max(1, Math.min(cores, p.K * p.OH)));
}

for (const [op, fused] of [
  ['Conv', false],
  ['RQConv', true],
] as const)
  register<ConvParams>(op, {
    name: fused ? 'requantised conv' : 'conv',
    parse: (n, g) => parseConv(n, g, fused),
    range: convRange,
    cycles: convCycles,
    ops: (p) => p.N * p.K * p.OH * p.OW * (p.C / p.group) * p.KH * p.KW,
    bindings: [convBinding],
  });

export { denseStrides };
