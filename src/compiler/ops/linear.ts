// MatMul, Gemm and Conv, plain or fused with a bias Add and/or a RequantShift (lower.ts), all on
// kernels.h dk_gemm / dk_conv.
import { DTYPES } from '../../frontend/dtype.js';
import type { DType, Graph, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, intsAttr, stringAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { register, unsupported, type Binding, type EmitContext, type Range, type TileContext, type TileSlice, type TilingRule, type TypeSignature } from '../registry.js';
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
  requantStrides,
  rqInit,
  shapeOfValue,
  toKernelDims,
  type Requant,
} from './common.js';

const ACC_INPUT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32'];

// ---------------------------------------------------------------- GEMM family

export interface GemmParams {
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

/** One row times a constant matrix, one batch (decode steps): dk_gemm's GEMV path. */
function isGemv(p: GemmParams): boolean {
  return p.M === 1 && p.batch[0] * p.batch[1] === 1 && p.bConst !== undefined && !p.aConst && !p.transA;
}

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


// ---------------------------------------------------------------- GEMM tiling
// Tiles are (one batch, or all) x rows x columns x K: A's rows and B^T's rows are contiguous,
// Y's tile is a block of rows (2D DMA). K splits (a reduction) when even a K x 4 panel does not
// fit: the first K tile writes int32 partial sums to an L1 buffer (with the bias), the middle
// ones add to them (the kernel's C input, beta 1), the last adds them and requantises into Y.

/** Element types of A and B as the kernel sees them (constants: their materialised type). */
const gemmOperandTypes = new WeakMap<GemmParams, [DType, DType]>();
function gemmTypes(p: GemmParams, t: TypeSignature): [DType, DType] {
  let v = gemmOperandTypes.get(p);
  if (!v) {
    v = [p.aConst ? constType(p.aConst) : t.inputs[0]!, p.bConst ? constType(p.bConst) : t.inputs[1]!];
    gemmOperandTypes.set(p, v);
  }
  return v;
}

/**
 * dk_gemm's cycles with operands in L1, by its structure (kernels/gemm.c): tasks of (batch, 4-row
 * block, column chunk) over the cores; per task a cost by micro-kernel (4x4 hardware loop; one
 * row against column quads; single columns; B not transposed, packed per step, always 4 rows)
 * and per output by epilogue (generic: alpha, bias; requant / int32). Constants fitted by least
 * squares (relative error) to the per-layer counters of the conformance GEMMs and MatMuls
 * (microLlama64, microLlama8_parallel, miniMobileNet(v2), Transformer, GEMM/MatMul kernels) at
 * the default L1; bench/tiling.ts prints predicted against measured.
 */
export const GEMM_COST = {
  call: 639,
  task: 235,
  taskPacked: 85,
  mac4x4: 0.257,
  mac1x4: 1.003,
  mac1x1: 3.017,
  macPacked: 3.315,
  /** batched M = 1 (decode attention): per (batch, column quad) item, and per MAC with B as K x N
   * (4x4 byte transposes); from microLlama64's q.K^T and p.V layers */
  taskBatched: 60,
  macKN: 2.0,
  /** not in the fit (no conformance layer takes the generic loop): the loop's instruction count */
  macGeneric: 9,
  outGeneric: 110,
  outRequant: 32.6,
};

/** dk_gemm's cycles on a tm x tn x tk tile (ctx: its place along a split K, see gemmTiling). */
export function gemmTileCycles(p: GemmParams, t: TypeSignature, tm: number, tn: number, cores: number, batches = 1, tk = p.K, ctx?: TileContext): number {
  const [aT, bT] = gemmTypes(p, t);
  const fast = is8bit(aT) && is8bit(bT) && !p.transA;
  const tb = p.bConst !== undefined || p.transB;
  if (fast && tm === 1 && batches > 1 && p.alpha === 1 && p.bias === undefined && tk === p.K) {
    // batched M = 1: (batch, column quad) items over the cores
    const per = Math.ceil((batches * Math.ceil(tn / 4)) / cores);
    return Math.round(GEMM_COST.call + per * (GEMM_COST.taskBatched + 4 * p.K * (tb ? GEMM_COST.mac1x4 : GEMM_COST.macKN) + 4 * GEMM_COST.outRequant));
  }
  const mblk = Math.ceil(tm / 4);
  let chunks = 1;
  if (batches * mblk < cores) chunks = Math.min(Math.ceil(cores / (batches * mblk)), Math.ceil(tn / 2));
  let cw = Math.ceil(tn / chunks);
  cw += cw & 1;
  chunks = Math.ceil(tn / cw);
  const per = Math.ceil((batches * mblk * chunks) / cores);
  const rows = Math.min(4, tm);
  const cols = Math.min(cw, tn);
  const perMac = !fast ? GEMM_COST.macGeneric : !tb ? GEMM_COST.macPacked : rows === 4 ? GEMM_COST.mac4x4 : cols >= 4 ? GEMM_COST.mac1x4 : GEMM_COST.mac1x1;
  const macs = per * (fast && !tb ? 4 : rows) * cols * tk;
  const outs = per * rows * cols;
  // the epilogue: generic when alpha, a bias or partial sums come in (C), except the decode
  // GEMV's own bias epilogue (one row, one batch, B transposed, alpha = 1, whole K); a split K's
  // first tile without bias stores raw int32 sums (like a requant epilogue)
  const split = tk < p.K;
  const gemvBias = fast && tb && tm === 1 && batches === 1 && !split;
  const reads = p.alpha !== 1 || (split && !(ctx?.first ?? true)) || (p.bias !== undefined && !gemvBias);
  return Math.round(
    GEMM_COST.call + per * GEMM_COST.task + (tb ? 0 : per * GEMM_COST.taskPacked) + macs * perMac + outs * (reads ? GEMM_COST.outGeneric : GEMM_COST.outRequant),
  );
}

const elemBytes = (d: DType) => DTYPES[d].bytes;

/** How an int32 vector operand (bias, requant mul / add) broadcasts over a GEMM's (m, n) outputs:
 *  one value, one per column, one per row; undefined for other layouts (read where they are). */
type VectorLayout = 'scalar' | 'col' | 'row';
function vectorLayout(strides: number[] | undefined): VectorLayout | undefined {
  if (!strides || strides.length < 2 || strides.slice(0, -2).some((x) => x !== 0)) return undefined;
  const [sm, sn] = strides.slice(-2) as [number, number];
  return sm === 0 && sn === 0 ? 'scalar' : sm === 0 && sn === 1 ? 'col' : sm === 1 && sn === 0 ? 'row' : undefined;
}

/** The GEMM's vector operands that come to L1 with the tiles (args field, layout). */
function gemmVectors(p: GemmParams): [string, VectorLayout][] {
  const out: [string, VectorLayout][] = [];
  const add = (field: string, l: VectorLayout | undefined) => l && out.push([field, l]);
  if (p.bias) add('C', vectorLayout(broadcastStrides(p.bias.shape, p.outShape)));
  if (p.rq) {
    add('rq.mul', vectorLayout(requantStrides(p.rq.mul.shape, p.outShape)));
    add('rq.add', vectorLayout(requantStrides(p.rq.add.shape, p.outShape)));
  }
  return out;
}

/** The slice of a vector operand for output rows m0.. (tm) and columns n0.. (tn). */
function vectorSlice(field: string, l: VectorLayout, m0: number, tm: number, n0: number, tn: number): TileSlice {
  const [at, len] = l === 'scalar' ? [0, 1] : l === 'col' ? [n0, tn] : [m0, tm];
  return { field, dir: 'in', offset: 4 * at, rowBytes: 4 * len, rows: 1, stride: 0 };
}

const gemmTiling: TilingRule<GemmParams> = {
  dims(p) {
    const nb = p.batch[0] * p.batch[1];
    return [
      { name: 'batch', size: nb, align: 1, choices: [1, nb] },
      // blocks of 4 rows and column quads are the micro-kernels' fast shapes; any count runs
      // (edge paths), which the search falls back to when an L1 budget is too small for quads
      { name: 'm', size: p.M, align: 4, minAlign: 1, choices: p.transA ? [p.M] : undefined },
      { name: 'n', size: p.N, align: 4, minAlign: 1 },
      // whole words of K (the SIMD loads of A and B^T rows stay aligned)
      { name: 'k', size: p.K, align: 4, reduce: true },
    ];
  },
  // several batches in one tile: whole matrices only, each operand's whole extent
  legal: (p, [tb, tm, tn, tk]) => tb === 1 || (tm === p.M && tn === p.N && tk === p.K),
  slices(p, t, [b, m0, n0, k0], [nbt, tm, tn, tk]) {
    const [aT, bT] = gemmTypes(p, t);
    const eA = elemBytes(aT);
    const eB = elemBytes(bT);
    const eY = elemBytes(t.outputs[0]!);
    if (nbt! > 1) {
      const extent = (bs: [number, number], matrix: number) => (p.batch[0] - 1) * bs[0] + (p.batch[1] - 1) * bs[1] + matrix;
      return [
        { field: 'A', dir: 'in', offset: 0, rowBytes: extent(p.aBs, p.M * p.K) * eA, rows: 1, stride: 0 },
        { field: 'B', dir: 'in', offset: 0, rowBytes: extent(p.bBs, p.K * p.N) * eB, rows: 1, stride: 0 },
        { field: 'Y', dir: 'out', offset: 0, rowBytes: nbt! * p.M * p.N * eY, rows: 1, stride: 0 },
        ...gemmVectors(p).map(([f, l]) => vectorSlice(f, l, 0, p.M, 0, p.N)),
      ];
    }
    const b0 = Math.floor(b! / p.batch[1]);
    const b1 = b! % p.batch[1];
    const aBase = (b0 * p.aBs[0] + b1 * p.aBs[1]) * eA;
    const bBase = (b0 * p.bBs[0] + b1 * p.bBs[1]) * eB;
    const bTrans = p.bConst !== undefined || p.transB;
    return [
      p.transA
        ? { field: 'A', dir: 'in', offset: aBase + k0! * p.M * eA, rowBytes: tk! * p.M * eA, rows: 1, stride: 0 }
        : { field: 'A', dir: 'in', offset: aBase + (m0! * p.K + k0!) * eA, rowBytes: tk! * eA, rows: tm!, stride: p.K * eA },
      bTrans
        ? { field: 'B', dir: 'in', offset: bBase + (n0! * p.K + k0!) * eB, rowBytes: tk! * eB, rows: tn!, stride: p.K * eB }
        : { field: 'B', dir: 'in', offset: bBase + (k0! * p.N + n0!) * eB, rowBytes: tn! * eB, rows: tk!, stride: p.N * eB },
      { field: 'Y', dir: 'out', offset: ((b! * p.M + m0!) * p.N + n0!) * eY, rowBytes: tn! * eY, rows: tm!, stride: p.N * eY },
      ...gemmVectors(p).map(([f, l]) => vectorSlice(f, l, m0!, tm!, n0!, tn!)),
    ];
  },
  coords(p, [b, m0, n0, k0], [nbt, tm, tn, tk]) {
    return { b0: Math.floor(b! / p.batch[1]), b1: b! % p.batch[1], m0: m0!, n0: n0!, tm: tm!, tn: tn!, nbt: nbt!, tk: tk!, kf: k0 === 0 ? 1 : 0, kl: k0! + tk! === p.K ? 1 : 0 };
  },
  // the vector operands that come with the tiles already point at their tile (the tile loop sets
  // them); the others are offset here
  setup(p, fixed) {
    const tiled = new Set(gemmVectors(p).map(([f]) => f));
    const offset = (field: string, strides: string) =>
      `T->${field} = P->${field} + (int32_t)b0 * P->${strides}[0] + (int32_t)b1 * P->${strides}[1] + (int32_t)m0 * P->${strides}[2] + (int32_t)n0 * P->${strides}[3];`;
    const head = [
      'T->M = tm; T->N = tn; T->K = tk;',
      'if (nbt == 1) { T->batch[0] = T->batch[1] = 1; T->a_bs[0] = T->a_bs[1] = T->b_bs[0] = T->b_bs[1] = T->c_bs[0] = T->c_bs[1] = 0; }',
    ];
    // every tile takes the whole reduction: no tile points the args at the partial sums, so the
    // working args (the layer's own, copied) keep the layer's beta, C strides, y_type and rq
    // pointers; restoring them would read the layer's args in L2 (~15 cycles a field) per tile
    if (fixed?.get('kf') === 1 && fixed.get('kl') === 1)
      return [
        ...head,
        ...(tiled.has('C') ? [] : ['if (P->C) T->C = P->C + (int32_t)b0 * P->c_bs[0] + (int32_t)b1 * P->c_bs[1] + (int32_t)m0 * P->c_rs + (int32_t)n0 * P->c_cs;']),
        ...(['mul', 'add'] as const).flatMap((v) => (tiled.has(`rq.${v}`) ? [] : [`if (P->rq.${v}) ${offset(`rq.${v}`, `rq.${v}_s`)}`])),
      ];
    return [
      ...head,
      '/* split K: the first tile adds the bias, the others the partial sums (int32, tm x tn) */',
      `if (kf) { ${tiled.has('C') ? '' : 'T->C = P->C; '}T->beta = P->beta; T->c_rs = P->c_rs; T->c_cs = P->c_cs; }`,
      'else { T->C = (const int32_t *)PART; T->beta = 1; T->c_rs = (int32_t)tn; T->c_cs = 1; T->c_bs[0] = T->c_bs[1] = 0; }',
      ...(tiled.has('C') ? [] : ['if (kf && P->C) T->C = P->C + (int32_t)b0 * P->c_bs[0] + (int32_t)b1 * P->c_bs[1] + (int32_t)m0 * P->c_rs + (int32_t)n0 * P->c_cs;']),
      '/* the last K tile requantises into Y; the others store the partial sums */',
      'if (!kl) { T->Y = PART; T->y_type = DK_I32; T->rq.mul = 0; T->rq.add = 0; }',
      'else T->y_type = P->y_type;',
      ...(['mul', 'add'] as const).flatMap((v) =>
        tiled.has(`rq.${v}`) ? [] : [`if (kl) T->rq.${v} = P->rq.${v};`, `if (kl && P->rq.${v}) ${offset(`rq.${v}`, `rq.${v}_s`)}`],
      ),
    ];
  },
  scratch: () => 0,
  partial: (p, t, [nbt, tm, tn]) => 4 * nbt! * tm! * tn!,
  compute: (p, t, [nbt, tm, tn, tk], cores, ctx) => gemmTileCycles(p, t, tm!, tn!, cores, nbt, tk, ctx),
};

const gemmBinding: Binding<GemmParams> = {
  kernel: 'dk_gemm',
  tiling: gemmTiling,
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

/** Element type of a constant operand: the narrowest integer type holding its values. The tiler
 *  asks once per candidate tile (slices, scratch sizes), so the answer is kept per tensor (constant
 *  tensors are not changed after lowering). */
export function constType(t: Tensor): DType {
  let d = CONST_TYPES.get(t);
  if (d === undefined) {
    d = narrowestType(t);
    CONST_TYPES.set(t, d);
  }
  return d;
}

const CONST_TYPES = new WeakMap<Tensor, DType>();

function narrowestType(t: Tensor): DType {
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

export interface ConvParams {
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


// ---------------------------------------------------------------- Conv tiling
// Tiles are (one image) x (output channels, whole groups) x (output rows) x (output columns). A
// tile's input is the rows and columns its outputs read (halo of (KH-1)*dil rows and (KW-1)*dil
// columns, stride applied), clipped to the image: the tile's pad_t / pad_l are what remains of
// the top / left padding, the bottom / right padding is the clipped edge. A column tile is one
// 2D DMA per operand, so it takes whole input images (all rows) or single rows of a 1-row kernel.

function convInputRows(p: ConvParams, oh0: number, toh: number): [number, number] {
  const first = oh0 * p.strides[0] - p.padT;
  const last = (oh0 + toh - 1) * p.strides[0] - p.padT + (p.KH - 1) * p.dils[0];
  return [Math.max(0, first), Math.min(p.H, last + 1)];
}

function convInputCols(p: ConvParams, ow0: number, tow: number): [number, number] {
  const first = ow0 * p.strides[1] - p.padL;
  const last = (ow0 + tow - 1) * p.strides[1] - p.padL + (p.KW - 1) * p.dils[1];
  return [Math.max(0, first), Math.min(p.W, last + 1)];
}

function convGeometry(p: ConvParams, k0: number, tk: number) {
  const cg = p.C / p.group;
  const kg = p.K / p.group;
  return p.group === 1 ? { c0: 0, cc: p.C, grp: 1 } : { c0: (k0 / kg) * cg, cc: (tk / kg) * cg, grp: tk / kg };
}

const round4 = (v: number) => Math.ceil(v / 4) * 4;

/** A 1x1 conv with stride 1 and no padding on 8-bit X and W: dk_conv's pointwise path. */
function convPointwise(p: ConvParams, t: TypeSignature): boolean {
  return is8bit(t.inputs[0]) && is8bit(constType(p.w)) && p.KH === 1 && p.KW === 1 && p.strides[0] === 1 && p.strides[1] === 1 && p.padT === 0 && p.padL === 0 && p.group === 1;
}

/** The im2col / pointwise paths of dk_conv run (8-bit X and W) and their scratch (kernels/conv.c):
 *  2 im2col columns per core, or the transposed input tile (cc x hh x ww) of the pointwise GEMM. */
function convScratch(p: ConvParams, t: TypeSignature, cc: number, hh: number, ww: number, cores: number): number {
  const L = (p.C / p.group) * p.KH * p.KW;
  const kg = p.K / p.group;
  if (!is8bit(t.inputs[0]) || !is8bit(constType(p.w)) || !(kg >= 2 || L >= 16)) return 0;
  return convPointwise(p, t) ? round4(cc * hh * ww) : cores * 2 * round4(L);
}

/**
 * dk_conv's cycles with operands in L1, by path (kernels/conv.c): im2col (tasks of 2 output
 * pixels per group: gather 2 receptive fields, then K/group x 2 dot products), pointwise (a GEMM
 * with the input transposed into the scratch), direct rows (depthwise, other types, or no
 * scratch). Constants fitted like GEMM_COST, on the conformance convolutions (bench/tiling.ts).
 */
export const CONV_COST = { call: 110, gatherByte: 11.93, macIm2col: 1.371, output: 138.9, macDirect: 26.12, transposeByte: 23.87, pwTask: 97.76, pwOutput: 60.14 };

export function convTileCycles(p: ConvParams, t: TypeSignature, tk: number, toh: number, cores: number, tow = p.OW, withScratch = true): number {
  const Cg = p.C / p.group;
  const L = Cg * p.KH * p.KW;
  const { cc } = convGeometry(p, 0, tk);
  const [ih0, ih1] = convInputRows(p, 0, toh);
  const [iw0, iw1] = convInputCols(p, 0, tow);
  const scratch = withScratch ? convScratch(p, t, cc, ih1 - ih0, iw1 - iw0, cores) : 0;
  const groups = tk / (p.K / p.group);
  const kg = p.K / p.group;
  if (scratch > 0 && convPointwise(p, t)) {
    const P = toh * tow;
    const mblk = Math.ceil(tk / 4);
    let ch = mblk < cores ? Math.min(Math.ceil(cores / mblk), Math.ceil(P / 2)) : 1;
    let cw = Math.ceil(P / ch);
    cw += cw & 1;
    ch = Math.ceil(P / cw);
    const per = Math.ceil((mblk * ch) / cores);
    return Math.round(CONV_COST.call + (cc * P * CONV_COST.transposeByte) / Math.min(cores, P) + per * CONV_COST.pwTask + per * 4 * Math.min(cw, P) * CONV_COST.pwOutput);
  }
  if (scratch > 0) {
    const per = Math.ceil((Math.ceil((toh * tow) / 2) * (p.group === 1 ? 1 : groups)) / cores);
    return Math.round(CONV_COST.call + per * (2 * L * CONV_COST.gatherByte + kg * 2 * L * CONV_COST.macIm2col + kg * 2 * CONV_COST.output));
  }
  const per = Math.ceil((tk * toh) / cores);
  return Math.round(CONV_COST.call + per * tow * (L * CONV_COST.macDirect + CONV_COST.output));
}

/** The conv's int32 vector operands that come to L1 with the tiles: the bias (one per output
 *  channel) and requant mul / add of one value or one per output channel (args field, per channel). */
function convVectors(p: ConvParams): [string, boolean][] {
  const out: [string, boolean][] = [];
  if (p.bias && elementCount(p.bias.shape) === p.K) out.push(['bias', true]);
  for (const v of ['mul', 'add'] as const) {
    const t = p.rq?.[v];
    const s = t && requantStrides(t.shape, p.outShape);
    if (!s) continue;
    if (s.every((x) => x === 0)) out.push([`rq.${v}`, false]);
    else if (s[1] === 1 && s.every((x, d) => d === 1 || x === 0)) out.push([`rq.${v}`, true]);
  }
  return out;
}

const convVectorSlices = (p: ConvParams, k0: number, tk: number): TileSlice[] =>
  convVectors(p).map(([field, perK]) => ({ field, dir: 'in', offset: perK ? 4 * k0 : 0, rowBytes: perK ? 4 * tk : 4, rows: 1, stride: 0 }));

const convTiling: TilingRule<ConvParams> = {
  dims(p) {
    return [
      { name: 'n', size: p.N, align: 1, choices: [1] },
      { name: 'k', size: p.K, align: p.group === 1 ? 1 : p.K / p.group },
      { name: 'oh', size: p.OH, align: 1 },
      { name: 'ow', size: p.OW, align: 1 },
    ];
  },
  // column tiles: one 2D DMA per operand (X: all input rows, or one row; Y: all output rows, or one)
  legal(p, [, , toh, tow]) {
    if (tow === p.OW) return true;
    const [ih0, ih1] = convInputRows(p, 0, p.OH);
    return (toh === p.OH && ih0 === 0 && ih1 === p.H) || (toh === 1 && p.KH === 1);
  },
  slices(p, t, [n, k0, oh0, ow0], [, tk, toh, tow]) {
    const eX = elemBytes(t.inputs[0]!);
    const eW = elemBytes(constType(p.w));
    const eY = elemBytes(t.outputs[0]!);
    const { c0, cc } = convGeometry(p, k0!, tk!);
    const [ih0, ih1] = convInputRows(p, oh0!, toh!);
    const L = (p.C / p.group) * p.KH * p.KW;
    const W = { field: 'W', dir: 'in', offset: k0! * L * eW, rowBytes: tk! * L * eW, rows: 1, stride: 0 } as const;
    if (tow === p.OW)
      return [
        { field: 'X', dir: 'in', offset: ((n! * p.C + c0) * p.H + ih0) * p.W * eX, rowBytes: (ih1 - ih0) * p.W * eX, rows: cc, stride: p.H * p.W * eX },
        W,
        { field: 'Y', dir: 'out', offset: ((n! * p.K + k0!) * p.OH + oh0!) * p.OW * eY, rowBytes: toh! * p.OW * eY, rows: tk!, stride: p.OH * p.OW * eY },
        ...convVectorSlices(p, k0!, tk!),
      ];
    const [iw0, iw1] = convInputCols(p, ow0!, tow!);
    const hh = ih1 - ih0;
    return [
      { field: 'X', dir: 'in', offset: (((n! * p.C + c0) * p.H + ih0) * p.W + iw0) * eX, rowBytes: (iw1 - iw0) * eX, rows: cc * hh, stride: (hh === 1 ? p.H * p.W : p.W) * eX },
      W,
      { field: 'Y', dir: 'out', offset: (((n! * p.K + k0!) * p.OH + oh0!) * p.OW + ow0!) * eY, rowBytes: tow! * eY, rows: tk! * toh!, stride: (toh === 1 ? p.OH * p.OW : p.OW) * eY },
      ...convVectorSlices(p, k0!, tk!),
    ];
  },
  coords(p, [n, k0, oh0, ow0], [, tk, toh, tow]) {
    const { cc, grp } = convGeometry(p, k0!, tk!);
    const [ih0, ih1] = convInputRows(p, oh0!, toh!);
    const [iw0, iw1] = convInputCols(p, ow0!, tow!);
    return {
      n0: n!,
      k0: k0!,
      oh0: oh0!,
      tk: tk!,
      toh: toh!,
      cc,
      hh: ih1 - ih0,
      padt: ih0 - (oh0! * p.strides[0] - p.padT),
      grp,
      ow0: ow0!,
      tow: tow!,
      // a full-width tile brings whole input rows (`slices`): its rows are p.W wide even when the
      // last columns feed no output
      ww: tow === p.OW ? p.W : iw1 - iw0,
      padl: tow === p.OW ? p.padL : iw0 - (ow0! * p.strides[1] - p.padL),
    };
  },
  // the vector operands that come with the tiles already point at their tile (the tile loop sets
  // them); the others are offset here
  setup(p) {
    const tiled = new Set(convVectors(p).map(([f]) => f));
    return [
      'T->N = 1; T->C = cc; T->H = hh; T->K = tk; T->OH = toh; T->pad_t = padt; T->group = grp;',
      'T->W_in = ww; T->OW = tow; T->pad_l = padl;',
      ...(tiled.has('bias') ? [] : ['if (P->bias) T->bias = P->bias + k0;']),
      ...(['mul', 'add'] as const).flatMap((v) =>
        tiled.has(`rq.${v}`)
          ? []
          : [`if (P->rq.${v}) T->rq.${v} = P->rq.${v} + (int32_t)n0 * P->rq.${v}_s[0] + (int32_t)k0 * P->rq.${v}_s[1] + (int32_t)oh0 * P->rq.${v}_s[2] + (int32_t)ow0 * P->rq.${v}_s[3];`],
      ),
    ];
  },
  scratch(p, t, [, tk, toh, tow], cores) {
    const { cc } = convGeometry(p, 0, tk!);
    const [ih0, ih1] = convInputRows(p, 0, toh!);
    const [iw0, iw1] = convInputCols(p, 0, tow!);
    const hh = Math.max(ih1 - ih0, Math.min(p.H, (toh! - 1) * p.strides[0] + (p.KH - 1) * p.dils[0] + 1));
    const ww = Math.max(iw1 - iw0, Math.min(p.W, (tow! - 1) * p.strides[1] + (p.KW - 1) * p.dils[1] + 1));
    return convScratch(p, t, cc, hh, ww, cores);
  },
  // without its scratch dk_conv runs the direct path (slower, but no L1 beyond the operands)
  scratchOptional: true,
  compute: (p, t, [, tk, toh, tow], cores, ctx) => convTileCycles(p, t, tk!, toh!, cores, tow, ctx?.scratch ?? true),
};

const convBinding: Binding<ConvParams> = {
  kernel: 'dk_conv',
  tiling: convTiling,
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
