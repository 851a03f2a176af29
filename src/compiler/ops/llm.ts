// Operators of the TinyStories decoder-step graph beyond the conformance set (docs/llm.md):
// Gather by a runtime index (token embedding, RoPE rows by position), Concat (constant pieces
// too: the new mask slot) and one-axis Slice as byte-run copies (the K/V windows), Lut (SiLU table), ArgMax (greedy next token), and a cheaper
// iSoftmax kernel for long rows, and attention's batched MatMuls with a runtime B and a small K or N.
// Kernels: llm.c. ops/index.ts registers this file first, so
// every mapping here declines (Unsupported) what the general mappings handle.
import { DTYPES } from '../../frontend/dtype.js';
import type { Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr } from '../attrs.js';
import { register, unsupported, type Range } from '../registry.js';
import { rangeOfData, rangeUnion } from '../types.js';
import { cArray, DK_MAX_CONCAT, dkType, intValues, is8bit, onlyTypes, parallelCycles, parseRequant, parseSoftmax, product, requantRange, rqInit, shapeOfValue, softmaxArgs, type Requant, type SoftmaxParams } from './common.js';

import { blockRule, gatherRule, inElem, outElem, outerRule, reduceRule, rowsRule, unaryRule, type KernelCost } from './tile-rules.js';

const INDEX_TYPES = ['int8', 'uint8', 'int16', 'uint16', 'int32'] as const;

/** Throughput of the llm.c kernels with operands in L1 (tiling rules, tile-rules.ts); copy runs
 *  and long-row softmax fitted on the microLlama decoders at the default L1. */
export const LLM_COST = {
  gather: { call: 150, perElem: 2, perUnit: 40, split: 'elements' },
  copyRuns: { call: 390, perElem: 1.02, split: 'elements' },
  lut: { call: 110, perElem: 4, split: 'elements' },
  argmax: { call: 150, perElem: 4, perUnit: 30, split: 'units' },
  softmaxRows: { call: 300, perElem: 115, perUnit: 3000, split: 'units' },
} satisfies Record<string, KernelCost>;

// ---------------------------------------------------------------- Gather, runtime index

interface GatherRtParams {
  layer: string;
  /** the data when it is a constant (materialised in the output's element type) */
  data: Tensor | undefined;
  outer: number;
  axisLen: number;
  inner: number;
  nIdx: number;
}

register<GatherRtParams>('Gather', {
  name: 'gather by runtime index',
  parse(n, g) {
    if (g.initializers.has(n.inputs[1]!)) unsupported('constant indices (the constant-index gather takes them)');
    const xs = shapeOfValue(g, n.inputs[0]!);
    let axis = intAttr(n, 'axis', 0);
    if (axis < 0) axis += xs.length;
    return {
      layer: n.name,
      data: g.initializers.get(n.inputs[0]!),
      outer: product(xs.slice(0, axis)),
      axisLen: xs[axis]!,
      inner: product(xs.slice(axis + 1)),
      nIdx: elementCount(shapeOfValue(g, n.inputs[1]!)),
    };
  },
  range: (p, ins) => [p.data ? rangeOfData(p.data.data, `constant '${p.data.name}'`) : ins[0]!],
  cycles: (p, cores) => parallelCycles(p.outer * p.nIdx * p.inner, 2, Math.min(cores, p.outer * p.nIdx)),
  ops: (p) => p.outer * p.nIdx * p.inner,
  bindings: [
    {
      kernel: 'dk_gather_rt',
      tiling: gatherRule<GatherRtParams>((p) => p, LLM_COST.gather, inElem(1)),
      check: (p, t) => onlyTypes([t.inputs[1]], INDEX_TYPES, 'index') ?? (p.data || t.inputs[0] === t.outputs[0] ? undefined : `data ${t.inputs[0]} into ${t.outputs[0]}`),
      emit: (p, ctx) => {
        const y = ctx.outputs[0]!;
        const x = p.data ? ctx.constant(`${p.layer}_data`, y.dtype, intValues(p.data), p.data.shape) : ctx.inputs[0]!.ptr;
        return {
          argsType: 'dk_gather_rt_args_t',
          fields: {
            x,
            idx: ctx.inputs[1]!.ptr,
            y: y.ptr,
            outer: p.outer,
            axis_len: p.axisLen,
            inner: p.inner,
            n_idx: p.nIdx,
            elem_size: DTYPES[y.dtype].bytes,
            idx_type: dkType(ctx.inputs[1]!.dtype),
          },
        };
      },
    },
  ],
});

// ---------------------------------------------------------------- Concat and Slice as byte runs

interface ConcatRunsParams {
  layer: string;
  outer: number;
  inner: number;
  lens: number[];
  /** per input: the constant (materialised in the output's element type), or undefined */
  consts: (Tensor | undefined)[];
}

// Every Concat (constant pieces too, e.g. the new mask slot): dk_copy_runs splits the bytes
// evenly over the cores and copies words even when the pieces are not word aligned (K windows).
register<ConcatRunsParams>('Concat', {
  name: 'concat as byte runs',
  sameType: true,
  parse(n, g) {
    const out = shapeOfValue(g, n.outputs[0]!);
    let axis = intAttr(n, 'axis');
    if (axis < 0) axis += out.length;
    if (n.inputs.length > DK_MAX_CONCAT) unsupported(`${n.inputs.length} inputs (the kernel takes ${DK_MAX_CONCAT})`);
    return {
      layer: n.name,
      outer: product(out.slice(0, axis)),
      inner: product(out.slice(axis + 1)),
      lens: n.inputs.map((i) => shapeOfValue(g, i)[axis]!),
      consts: n.inputs.map((i) => g.initializers.get(i)),
    };
  },
  range: (_p, ins) => [rangeUnion(ins)],
  cycles: (p, cores) => parallelCycles(p.outer * p.inner * p.lens.reduce((a, b) => a + b, 0), 1, cores),
  ops: (p) => p.outer * p.inner * p.lens.reduce((a, b) => a + b, 0),
  bindings: [
    {
      kernel: 'dk_copy_runs',
      // ranges of the outer rows, or of the inner extent (each input's rows of it, 2D DMA)
      tiling: blockRule(
        (p) => ({
          outer: p.outer,
          inner: p.inner,
          operands: [
            ...p.lens.map((l, k) => ({ field: `x[${k}]`, dir: 'in' as const, rows: l, elem: outElem(0) })),
            { field: 'y', dir: 'out', rows: p.lens.reduce((a, b) => a + b, 0), elem: outElem(0) },
          ],
          setup: ['T->outer = touter;', ...p.lens.map((_l, k) => `T->run[${k}] = T->x_stride[${k}] = P->run[${k}] / ${p.inner}u * tinner;`)],
        }),
        LLM_COST.copyRuns,
      ),
      check: (p, t) => (t.inputs.every((d, k) => p.consts[k] !== undefined || d === t.outputs[0]) ? undefined : `inputs of types ${t.inputs.join(', ')} into ${t.outputs[0]}`),
      emit: (p, ctx) => {
        const y = ctx.outputs[0]!;
        const es = DTYPES[y.dtype].bytes;
        const ptrs = p.consts.map((c, k) => (c ? ctx.constant(`${p.layer}_in${k}`, y.dtype, intValues(c), c.shape) : ctx.inputs[k]!.ptr));
        const runs = p.lens.map((l) => l * p.inner * es);
        return {
          argsType: 'dk_copy_runs_args_t',
          fields: { x: `{ ${ptrs.join(', ')} }`, run: cArray(runs), x_stride: cArray(runs), n_inputs: runs.length, y: y.ptr, outer: p.outer },
        };
      },
    },
  ],
});

interface SliceRunsParams {
  inShape: number[];
  outShape: number[];
  axis: number;
  start: number;
}

// Slice along (at most) one axis with step 1, starts/ends/axes as constant inputs (opset >= 10):
// the K/V windows dropping their oldest slot. Anything else goes to the general slice.
register<SliceRunsParams>('Slice', {
  name: 'slice as byte runs',
  parse(n, g) {
    const inShape = shapeOfValue(g, n.inputs[0]!);
    const outShape = shapeOfValue(g, n.outputs[0]!);
    const constIn = (k: number) => {
      const t = n.inputs[k] ? g.initializers.get(n.inputs[k]!) : undefined;
      if (n.inputs[k] && !t) unsupported(`Slice input ${k} is not a constant`);
      return t ? intValues(t) : undefined;
    };
    const starts = constIn(1);
    if (!starts) unsupported('Slice without a starts input (attribute form)');
    const axes = constIn(3) ?? starts.map((_, k) => k);
    const steps = constIn(4) ?? starts.map(() => 1);
    if (steps.some((s) => s !== 1)) unsupported('steps other than 1');
    const sliced = inShape.map((d, k) => (d !== outShape[k] ? k : -1)).filter((k) => k >= 0);
    if (sliced.length > 1) unsupported(`${sliced.length} sliced axes`);
    const axis = sliced[0] ?? 0;
    let start = 0;
    axes.forEach((a0, k) => {
      const a = a0 < 0 ? a0 + inShape.length : a0;
      if (a !== axis) return;
      let st = starts[k]!;
      if (st < 0) st += inShape[a]!;
      start = Math.min(Math.max(st, 0), inShape[a]!);
    });
    if (start + outShape[axis]! > inShape[axis]!) unsupported('slice beyond the input');
    return { inShape, outShape, axis, start };
  },
  range: (_p, ins) => [ins[0]!],
  cycles: (p, cores) => parallelCycles(elementCount(p.outShape), 1, cores),
  ops: (p) => elementCount(p.outShape),
  bindings: [
    {
      kernel: 'dk_copy_runs',
      // ranges of the outer rows; a tile's input is the span of its rows (x_stride kept)
      tiling: outerRule((p) => {
        const inner = product(p.inShape.slice(p.axis + 1));
        return {
          outer: product(p.inShape.slice(0, p.axis)),
          elemsPerUnit: p.outShape[p.axis]! * inner,
          operands: [
            { field: 'x[0]', dir: 'in', unit: p.inShape[p.axis]! * inner, tail: p.outShape[p.axis]! * inner, elem: inElem(0) },
            { field: 'y', dir: 'out', unit: p.outShape[p.axis]! * inner, elem: outElem(0) },
          ],
        };
      }, LLM_COST.copyRuns),
      check: (_p, t) => (t.inputs[0] === t.outputs[0] ? undefined : `input ${t.inputs[0]} into ${t.outputs[0]}`),
      emit: (p, ctx) => {
        const x = ctx.inputs[0]!;
        const es = DTYPES[x.dtype].bytes;
        const inner = product(p.inShape.slice(p.axis + 1)) * es;
        return {
          argsType: 'dk_copy_runs_args_t',
          fields: {
            x: `{ (const uint8_t *)${x.ptr} + ${p.start * inner} }`,
            run: cArray([p.outShape[p.axis]! * inner]),
            x_stride: cArray([p.inShape[p.axis]! * inner]),
            n_inputs: 1,
            y: ctx.outputs[0]!.ptr,
            outer: product(p.inShape.slice(0, p.axis)),
          },
        };
      },
    },
  ],
});

// ---------------------------------------------------------------- Lut: y = table[x + 128]

interface LutParams {
  layer: string;
  n: number;
  table: Tensor;
}

register<LutParams>('Lut', {
  name: 'lookup table',
  parse(n, g) {
    const table = g.initializers.get(n.inputs[1] ?? '');
    if (!table) unsupported('Lut table must be a constant');
    if (elementCount(table.shape) !== 256) unsupported(`Lut table of ${elementCount(table.shape)} entries (256 expected)`);
    return { layer: n.name, n: elementCount(shapeOfValue(g, n.outputs[0]!)), table };
  },
  range: (p): Range[] => [rangeOfData(p.table.data, `constant '${p.table.name}'`)],
  cycles: (p, cores) => parallelCycles(p.n, 4, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_lut',
      tiling: unaryRule((p) => p.n, LLM_COST.lut, () => [{ field: 'table', dir: 'in', whole: 256, elem: outElem(0) }]),
      check: (_p, t) => (t.inputs[0] === 'int8' ? undefined : `input type ${t.inputs[0]} (int8 only: the table has 256 entries)`),
      emit: (p, ctx) => {
        const y = ctx.outputs[0]!;
        return {
          argsType: 'dk_lut_args_t',
          fields: { x: ctx.inputs[0]!.ptr, table: ctx.constant(`${p.layer}_table`, y.dtype, intValues(p.table)), y: y.ptr, n: p.n, y_type: dkType(y.dtype) },
        };
      },
    },
  ],
});

// ---------------------------------------------------------------- ArgMax (first maximum)

interface ArgMaxParams {
  outer: number;
  len: number;
  inner: number;
}

register<ArgMaxParams>('ArgMax', {
  name: 'argmax',
  parse(n, g) {
    const xs = shapeOfValue(g, n.inputs[0]!);
    let axis = intAttr(n, 'axis', 0);
    if (axis < 0) axis += xs.length;
    if (intAttr(n, 'select_last_index', 0) !== 0) unsupported('select_last_index = 1 (first maximum only)');
    return { outer: product(xs.slice(0, axis)), len: xs[axis]!, inner: product(xs.slice(axis + 1)) };
  },
  range: (p) => [{ lo: 0, hi: p.len - 1 }],
  cycles: (p, cores) => parallelCycles(p.outer * p.inner * p.len, 4, Math.min(cores, p.outer * p.inner)),
  ops: (p) => p.outer * p.inner * p.len,
  bindings: [
    {
      kernel: 'dk_argmax',
      tiling: reduceRule((p) => ({ outer: p.outer, red: p.len, inner: p.inner }), LLM_COST.argmax),
      check: (_p, t) => onlyTypes([t.inputs[0]], INDEX_TYPES, 'x'),
      emit: (p, ctx) => ({
        argsType: 'dk_argmax_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, outer: p.outer, len: p.len, inner: p.inner, x_type: dkType(ctx.inputs[0]!.dtype), y_type: dkType(ctx.outputs[0]!.dtype) },
      }),
    },
  ],
});

// ---------------------------------------------------------------- iSoftmax over long rows


/** Rows at least this long take dk_isoftmax_rows (its per-call setup is a 64-bit division). */
const LONG_ROW = 64;

register<SoftmaxParams>('iSoftmax', {
  name: 'integer softmax, long rows',
  parse(n, g) {
    const p = parseSoftmax(n, g);
    const len = p.len;
    if (len < LONG_ROW) unsupported(`rows of ${len} < ${LONG_ROW}`);
    if (!(p.log2 > 0 && p.log2 <= 11585)) unsupported(`log2 = ${p.log2} outside 1..11585`);
    if (p.coeffA < 0 || p.coeffC < 0) unsupported('negative coeffA or coeffC');
    if (Math.abs(p.coeffB) >= 2 ** 24) unsupported(`|coeffB| = ${Math.abs(p.coeffB)} >= 2^24`);
    if (p.nLevels < 2 || p.nLevels > 2 ** 16) unsupported(`n_levels ${p.nLevels} outside 2..65536`);
    return p;
  },
  range: (p) => [{ lo: 0, hi: p.nLevels - 1 }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 60, Math.min(cores, p.rows)),
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_isoftmax_rows',
      tiling: rowsRule((p) => p, LLM_COST.softmaxRows),
      check: (_p, t) => onlyTypes([t.inputs[0]], INDEX_TYPES, 'x'),
      emit: softmaxArgs,
    },
  ],
});

// ---------------------------------------------------------------- attention MatMuls (runtime B)

interface MatMulSmallParams {
  layer: string;
  outShape: number[];
  batch: number;
  M: number;
  K: number;
  N: number;
  rq: Requant;
}

// q x K^T (K = head size) and probabilities x V (N = head size) of the decoder step: B is a
// runtime tensor stored K x N, which dk_gemm's fast path would first have to transpose.
register<MatMulSmallParams>('RQMatMul', {
  name: 'attention matmul (runtime B, small K or N)',
  parse(n, g) {
    const [a, b, c] = n.inputs;
    if (g.initializers.has(a!) || g.initializers.has(b!)) unsupported('a constant operand (the GEMM kernel takes it)');
    if (c) unsupported('a bias');
    if (n.attrs.transB !== undefined) unsupported('transB');
    const as = shapeOfValue(g, a!);
    const bs = shapeOfValue(g, b!);
    const outShape = shapeOfValue(g, n.outputs[0]!);
    if (as.length !== 3 || bs.length !== 3 || as[0] !== bs[0] || as[2] !== bs[1]) unsupported(`shapes [${as}] x [${bs}] (3-D, one batch dim, no broadcasting)`);
    const [batch, M, K] = as as [number, number, number];
    const N = bs[2]!;
    if (!((K <= 16 && M <= 4 && N >= K) || N <= 16)) unsupported(`M ${M}, K ${K}, N ${N}: neither K <= 16 nor N <= 16`);
    return { layer: n.name, outShape, batch, M, K, N, rq: parseRequant(n, g, 3, 4) };
  },
  range: (p) => [requantRange(p.rq)],
  cycles: (p, cores) => parallelCycles(p.batch * p.M * p.N * p.K, 3, cores),
  ops: (p) => p.batch * p.M * p.N * p.K,
  bindings: [
    {
      kernel: 'dk_matmul_small',
      check: (_p, t) => (is8bit(t.inputs[0]) && is8bit(t.inputs[1]) ? undefined : `operands ${t.inputs[0]} x ${t.inputs[1]} (8-bit only)`),
      emit: (p, ctx) => {
        const [a, b] = ctx.inputs;
        const y = ctx.outputs[0]!;
        return {
          argsType: 'dk_matmul_small_args_t',
          fields: {
            A: a!.ptr,
            B: b!.ptr,
            Y: y.ptr,
            batch: p.batch,
            M: p.M,
            K: p.K,
            N: p.N,
            a_type: dkType(a!.dtype),
            b_type: dkType(b!.dtype),
            y_type: dkType(y.dtype),
            rq: rqInit(p.rq, p.outShape, [1, p.batch, p.M, p.N], ctx, p.layer),
          },
        };
      },
    },
  ],
});
