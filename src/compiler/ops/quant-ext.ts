// Mappings of the rest of Deeploy's integer vocabulary and of the wide RequantShift the
// standard-ONNX lowering (src/frontend/quant-lower.ts) emits, onto src/compiler/kernels/quant_ext.c
// (kernels_ext.h). Semantics: src/reference/ops/deeploy-ext.ts and docs/reference.md.
import { toNumberArray } from '../../frontend/dtype.js';
import type { DType, Graph, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, intsAttr, scalarAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { constInput, register, unsupported, type Binding, type Mapping, type Range } from '../registry.js';
import { dkType, intValues, log2Exact, onlyTypes, parallelCycles, shapeOfValue } from './common.js';
import { bcastRule, fixedElem, inElem, outElem, reduceRule, rowsRule, unaryRule, windowRule, type KernelCost } from './tile-rules.js';

const INT_IN: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];
const INT32: Range = { lo: -(2 ** 31), hi: 2 ** 31 - 1 };

/** Throughput of the quant_ext.c kernels with operands in L1 (tiling rules, tile-rules.ts). */
export const EXT_COST = {
  requantWide: { call: 150, perElem: 14, split: 'elements' },
  intdiv: { call: 150, perElem: 120, split: 'elements' },
  rqAct: { call: 150, perElem: 20, split: 'elements' },
  partialMax: { call: 150, perElem: 30, perUnit: 100, split: 'units' },
  noNorm: { call: 150, perElem: 12, split: 'elements' },
  mean: { call: 150, perElem: 4, perUnit: 20, split: 'units' },
  avgPool: { call: 150, perElem: 5, split: 'elements' },
  quantize: { call: 150, perElem: 150, split: 'elements' },
  dequantize: { call: 150, perElem: 100, split: 'elements' },
} satisfies Record<string, KernelCost>;

/** p[(i / inner) % count] for a parameter of shape `p` over an output of shape `out`. */
interface Bcast {
  inner: number;
  count: number;
}

export function bcastOf(p: readonly number[], out: readonly number[], what: string): Bcast {
  const n = elementCount(p);
  if (n === 1) return { inner: 1, count: 1 };
  // NumPy right alignment: the non-1 dims must be one contiguous block equal to out's dims there.
  if (p.length <= out.length) {
    const off = out.length - p.length;
    const nz = p.map((d, k) => (d !== 1 ? k : -1)).filter((k) => k >= 0);
    const a = nz[0]!;
    const b = nz[nz.length - 1]!;
    const block = p.slice(a, b + 1);
    if (block.every((d, k) => d === out[off + a + k])) return { inner: elementCount(out.slice(off + b + 1)), count: n };
  }
  // QuantLib's per-channel (C,1,...,1) along axis 1.
  if (out.length >= 2 && n === out[1] && p[p.findIndex((d) => d !== 1)] === n) return { inner: elementCount(out.slice(2)), count: n };
  unsupported(`${what} of shape [${p}] is not a contiguous broadcast block of [${out}]`);
}

function constOf(n: LNode, g: Graph, i: number, what: string): Tensor {
  const t = constInput(n, g, i);
  if (!t) unsupported(`${what} (input ${i}) must be a constant`);
  return t;
}

function levelsOf(n: LNode): { lo: number; hi: number } {
  const nl = n.attrs.n_levels_out !== undefined ? intAttr(n, 'n_levels_out') : intAttr(n, 'n_levels', 256);
  return scalarAttr(n, 'signed', 1) !== 0 ? { lo: -nl / 2, hi: nl / 2 - 1 } : { lo: 0, hi: nl - 1 };
}

function scalarInput(n: LNode, g: Graph, i: number, attr: string): number {
  const t = constInput(n, g, i);
  if (t) {
    const v = intValues(t);
    if (v.length !== 1) unsupported(`${attr} must be one value`);
    return v[0]!;
  }
  return intAttr(n, attr);
}

// ---------------------------------------------------------------- RequantShiftWide

interface WideParams {
  n: number;
  mul: number[];
  inOff: number[];
  outOff: number;
  param: Bcast;
  offParam: Bcast;
  log2d: number;
  lo: number;
  hi: number;
}

register<WideParams>('RequantShiftWide', {
  name: 'requant shift (64-bit product)',
  parse(n, g) {
    const out = shapeOfValue(g, n.outputs[0]!);
    const mul = constOf(n, g, 1, 'mul');
    const inOff = constOf(n, g, 2, 'in_off');
    const outOff = intValues(constOf(n, g, 3, 'out_off'));
    if (outOff.length !== 1) unsupported('out_off must be one value');
    const div = scalarAttr(n, 'div');
    const log2d = Math.log2(div);
    if (!Number.isInteger(log2d) || log2d < 0 || log2d > 62) unsupported(`div = ${div} is not a power of two in 2^0..2^62`);
    return { n: elementCount(out), mul: intValues(mul), inOff: intValues(inOff), outOff: outOff[0]!, param: bcastOf(mul.shape, out, 'mul'), offParam: bcastOf(inOff.shape, out, 'in_off'), log2d, ...levelsOf(n) };
  },
  range: (p) => [{ lo: p.lo, hi: p.hi }],
  cycles: (p, cores) => parallelCycles(p.n, 14, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_requant_wide',
      tiling: bcastRule(
        (p) => ({
          n: p.n,
          params: [
            { field: 'mul', bcast: p.param, elem: fixedElem(4) },
            { field: 'in_off', bcast: p.offParam, elem: fixedElem(4) },
          ],
        }),
        EXT_COST.requantWide,
      ),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
      emit: (p, ctx) => ({
        argsType: 'dk_requant_wide_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          n: p.n,
          mul: ctx.constant('rqw_mul', 'int32', p.mul),
          in_off: ctx.constant('rqw_in_off', 'int32', p.inOff),
          param: `{ ${p.param.inner}, ${p.param.count} }`,
          off_param: `{ ${p.offParam.inner}, ${p.offParam.count} }`,
          out_off: p.outOff,
          log2d: p.log2d,
          lo: p.lo,
          hi: p.hi,
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- IntegerDiv / RQIntegerDiv

interface DivParams {
  n: number;
  den: Bcast;
  Delta: number;
  eta: number;
  eps: number;
  rq?: { mul: number; add: number; shift: number; lo: number; hi: number };
}

function parseDiv(n: LNode, g: Graph, rq: boolean): DivParams {
  const out = shapeOfValue(g, n.outputs[0]!);
  const bShape = shapeOfValue(g, n.inputs[1]!);
  const Delta = intAttr(n, 'Delta');
  const eta = intAttr(n, 'eta');
  const eps = intAttr(n, 'eps');
  if (Math.abs(Delta * eta) > 2 ** 31 - 1 || Math.abs(eps) > 2 ** 31 - 1) unsupported('Delta*eta or eps beyond int32');
  const p: DivParams = { n: elementCount(out), den: bcastOf(bShape, out, 'the denominator'), Delta, eta, eps };
  if (rq) {
    const shift = scalarInput(n, g, 4, 'shift');
    if (shift < 0 || shift > 31) unsupported(`shift ${shift} outside 0..31`);
    p.rq = { mul: scalarInput(n, g, 2, 'mul'), add: scalarInput(n, g, 3, 'add'), shift, ...levelsOf(n) };
  }
  return p;
}

for (const [op, rq] of [['IntegerDiv', false], ['RQIntegerDiv', true]] as const)
  register<DivParams>(op, {
    name: rq ? 'requantised integer division' : 'integer division',
    parse: (n, g) => parseDiv(n, g, rq),
    range: (p) => [p.rq ? { lo: p.rq.lo, hi: p.rq.hi } : INT32],
    cycles: (p, cores) => parallelCycles(p.n, 120, cores),
    ops: (p) => p.n,
    bindings: [
      {
        kernel: 'dk_intdiv',
        tiling: bcastRule(
          (p) => ({
            n: p.n,
            dense: [
              { field: 'a', dir: 'in', elem: inElem(0) },
              { field: 'y', dir: 'out', elem: outElem(0) },
            ],
            params: [{ field: 'b', bcast: p.den, elem: inElem(1) }],
          }),
          EXT_COST.intdiv,
        ),
        check: (_p, t) => onlyTypes([t.inputs[0], t.inputs[1]], INT_IN, 'a/b'),
        emit: (p, ctx) => ({
          argsType: 'dk_intdiv_args_t',
          fields: {
            a: ctx.inputs[0]!.ptr,
            b: ctx.inputs[1]!.ptr,
            y: ctx.outputs[0]!.ptr,
            n: p.n,
            den: `{ ${p.den.inner}, ${p.den.count} }`,
            delta_eta: p.Delta * p.eta,
            eta: p.eta,
            eps: p.eps,
            rq_shift: p.rq ? p.rq.shift : -1,
            rq_mul: p.rq?.mul ?? 0,
            rq_add: p.rq?.add ?? 0,
            lo: p.rq?.lo ?? 0,
            hi: p.rq?.hi ?? 0,
            a_type: dkType(ctx.inputs[0]!.dtype),
            b_type: dkType(ctx.inputs[1]!.dtype),
            y_type: dkType(ctx.outputs[0]!.dtype),
          },
        }),
      },
    ],
  });

// ---------------------------------------------------------------- RequantizediGELU / RequantizediHardswish

interface ActParams {
  n: number;
  kind: 0 | 1;
  b: number;
  one: number;
  oneOverSix: number;
  three: number;
  six: number;
  mul: number;
  add: number;
  shift: number;
  lo: number;
  hi: number;
}

function parseAct(n: LNode, g: Graph, kind: 0 | 1): ActParams {
  const gelu = kind === 0;
  const shift = gelu ? scalarInput(n, g, 3, 'shift') : intAttr(n, 'shift');
  if (shift < 0 || shift > 31) unsupported(`shift ${shift} outside 0..31`);
  return {
    n: elementCount(shapeOfValue(g, n.outputs[0]!)),
    kind,
    b: gelu ? intAttr(n, 'b') : 0,
    one: gelu ? intAttr(n, 'one') : 0,
    oneOverSix: gelu ? 0 : intAttr(n, 'one_over_six'),
    three: gelu ? 0 : intAttr(n, 'three'),
    six: gelu ? 0 : intAttr(n, 'six'),
    mul: gelu ? scalarInput(n, g, 1, 'mul') : intAttr(n, 'mul'),
    add: gelu ? scalarInput(n, g, 2, 'add') : intAttr(n, 'add'),
    shift,
    ...levelsOf(n),
  };
}

for (const [op, kind] of [['RequantizediGELU', 0], ['RequantizediHardswish', 1]] as const)
  register<ActParams>(op, {
    name: kind === 0 ? 'requantised integer GELU' : 'requantised integer hardswish',
    parse: (n, g) => parseAct(n, g, kind),
    range: (p) => [{ lo: p.lo, hi: p.hi }],
    cycles: (p, cores) => parallelCycles(p.n, 20, cores),
    ops: (p) => p.n,
    bindings: [
      {
        kernel: 'dk_rq_act',
        tiling: unaryRule((p) => p.n, EXT_COST.rqAct),
        check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
        emit: (p, ctx) => ({
          argsType: 'dk_rq_act_args_t',
          fields: {
            x: ctx.inputs[0]!.ptr,
            y: ctx.outputs[0]!.ptr,
            n: p.n,
            kind: p.kind,
            b: p.b,
            one: p.one,
            one_over_six: p.oneOverSix,
            three: p.three,
            six: p.six,
            mul: p.mul,
            add: p.add,
            shift: p.shift,
            lo: p.lo,
            hi: p.hi,
            x_type: dkType(ctx.inputs[0]!.dtype),
            y_type: dkType(ctx.outputs[0]!.dtype),
          },
        }),
      },
    ],
  });

// ---------------------------------------------------------------- ITAPartialMax

interface PartialMaxParams {
  rows: number;
  len: number;
  groupWidth: number;
  nLevels: number;
}

register<PartialMaxParams>('ITAPartialMax', {
  name: 'ITA partial softmax',
  parse(n, g) {
    const shape = shapeOfValue(g, n.outputs[0]!);
    const len = shape[shape.length - 1] ?? 1;
    const groupWidth = intAttr(n, 'group_width');
    if (groupWidth < 1 || len % groupWidth !== 0) unsupported(`group_width ${groupWidth} does not divide the row length ${len}`);
    return { rows: elementCount(shape) / Math.max(1, len), len, groupWidth, nLevels: intAttr(n, 'n_levels', 256) };
  },
  range: (p) => [{ lo: -p.nLevels / 2, hi: p.nLevels / 2 - 1 }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 30, Math.min(cores, p.rows)),
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_itapartialmax',
      tiling: rowsRule((p) => p, EXT_COST.partialMax),
      check: (_p, t) => (t.inputs[0] === 'int8' && t.outputs[0] === 'int8' ? undefined : 'int8 input and output only'),
      emit: (p, ctx) => ({
        argsType: 'dk_itapartialmax_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, rows: p.rows, len: p.len, group_width: p.groupWidth, n_levels: p.nLevels },
      }),
    },
  ],
});

// ---------------------------------------------------------------- iNoNorm

interface NoNormParams {
  n: number;
  w: number[];
  b: number[];
  wp: Bcast;
  bp: Bcast;
  mul: number;
  log2d: number;
}

register<NoNormParams>('iNoNorm', {
  name: 'integer no-norm',
  parse(n, g) {
    const out = shapeOfValue(g, n.outputs[0]!);
    const w = constOf(n, g, 1, 'weights');
    const b = constOf(n, g, 2, 'bias');
    return { n: elementCount(out), w: intValues(w), b: intValues(b), wp: bcastOf(w.shape, out, 'weights'), bp: bcastOf(b.shape, out, 'bias'), mul: intAttr(n, 'mul'), log2d: log2Exact(scalarAttr(n, 'D'), 'D') };
  },
  // Deeploy's kernel stores (int8_t) of the shifted value (no clamp).
  range: () => [{ lo: -128, hi: 127 }],
  cycles: (p, cores) => parallelCycles(p.n, 12, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_inonorm',
      tiling: bcastRule(
        (p) => ({
          n: p.n,
          params: [
            { field: 'w', bcast: p.wp, elem: fixedElem(4) },
            { field: 'b', bcast: p.bp, elem: fixedElem(4) },
          ],
        }),
        EXT_COST.noNorm,
      ),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x') ?? (t.outputs[0] === 'int8' ? undefined : 'int8 output only'),
      emit: (p, ctx) => ({
        argsType: 'dk_inonorm_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          n: p.n,
          w: ctx.constant('inonorm_w', 'int32', p.w),
          b: ctx.constant('inonorm_b', 'int32', p.b),
          wp: `{ ${p.wp.inner}, ${p.wp.count} }`,
          bp: `{ ${p.bp.inner}, ${p.bp.count} }`,
          mul: p.mul,
          log2d: p.log2d,
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- IntegerMean / GlobalAveragePool (integer)

interface MeanParams {
  outer: number;
  red: number;
  inner: number;
  /** Declared float output: ONNX's float mean, which these integer kernels do not compute. */
  float?: boolean;
}

/** Pools follow the declared output type (docs/reference.md): float means are not deployed. */
const declaredFloat = (n: LNode, g: Graph) => !['int8', 'uint8', 'int16', 'uint16', 'int32'].includes(g.values.get(n.outputs[0]!)?.dtype ?? 'float32');
const FLOAT_POOL = 'a pool with a declared float output computes float means (declare an integer output type, or quantize it: QDQ groups are lowered)';

const meanBinding: Binding<MeanParams> = {
  kernel: 'dk_intmean',
  // whole reduced axis per output: ranges of the outer extent
  tiling: reduceRule((p) => p, EXT_COST.mean),
  check: (p, t) => (p.float ? FLOAT_POOL : onlyTypes([t.inputs[0], t.outputs[0]], INT_IN, 'x/y')),
  emit: (p, ctx) => ({
    argsType: 'dk_intmean_args_t',
    fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, outer: p.outer, red: p.red, inner: p.inner, x_type: dkType(ctx.inputs[0]!.dtype), y_type: dkType(ctx.outputs[0]!.dtype) },
  }),
};

register<MeanParams>('IntegerMean', {
  name: 'integer mean',
  parse(n, g) {
    const x = shapeOfValue(g, n.inputs[0]!);
    const axesIn = n.attrs.axes !== undefined ? intsAttr(n, 'axes') : constInput(n, g, 1) ? Array.from(toNumberArray(constInput(n, g, 1)!.data)) : undefined;
    if (!axesIn) unsupported('IntegerMean without axes');
    const axes = [...new Set(axesIn.map((a) => (a < 0 ? a + x.length : a)))].sort((a, b) => a - b);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    if (last - first + 1 !== axes.length) unsupported(`axes [${axesIn}] are not contiguous`);
    return { outer: elementCount(x.slice(0, first)), red: elementCount(x.slice(first, last + 1)), inner: elementCount(x.slice(last + 1)) };
  },
  range: (_p, ins) => [{ lo: ins[0]!.lo, hi: ins[0]!.hi }],
  cycles: (p, cores) => parallelCycles(p.outer * p.red * p.inner, 4, cores),
  ops: (p) => p.outer * p.red * p.inner,
  bindings: [meanBinding],
});

register<MeanParams>('GlobalAveragePool', {
  name: 'integer global average pool',
  parse(n, g) {
    const x = shapeOfValue(g, n.inputs[0]!);
    return { outer: (x[0] ?? 1) * (x[1] ?? 1), red: elementCount(x.slice(2)), inner: 1, float: declaredFloat(n, g) };
  },
  range: (p, ins) => [{ lo: ins[0]!.lo, hi: ins[0]!.hi, ...(p.float ? { float: true } : {}) }],
  inputDomain: () => 'int',
  cycles: (p, cores) => parallelCycles(p.outer * p.red, 4, cores),
  ops: (p) => p.outer * p.red,
  bindings: [meanBinding],
});

// ---------------------------------------------------------------- AveragePool (integer)

interface AvgParams {
  bc: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
  includePad: number;
  float: boolean;
}

register<AvgParams>('AveragePool', {
  name: 'integer average pool',
  parse(n, g) {
    const x = shapeOfValue(g, n.inputs[0]!);
    const y = shapeOfValue(g, n.outputs[0]!);
    const sp = x.length - 2;
    if (sp < 1 || sp > 2) unsupported(`${sp}D pooling`);
    const k = intsAttr(n, 'kernel_shape');
    const st = intsAttr(n, 'strides', new Array<number>(sp).fill(1));
    const pads = intsAttr(n, 'pads', new Array<number>(2 * sp).fill(0));
    if (scalarAttr(n, 'ceil_mode', 0) !== 0) unsupported('ceil_mode');
    const two = sp === 2;
    return {
      bc: x[0]! * x[1]!,
      H: two ? x[2]! : 1,
      W: x[x.length - 1]!,
      OH: two ? y[2]! : 1,
      OW: y[y.length - 1]!,
      KH: two ? k[0]! : 1,
      KW: k[k.length - 1]!,
      SH: two ? st[0]! : 1,
      SW: st[st.length - 1]!,
      PT: two ? pads[0]! : 0,
      PL: two ? pads[1]! : pads[0]!,
      includePad: scalarAttr(n, 'count_include_pad', 0) ? 1 : 0,
      float: declaredFloat(n, g),
    };
  },
  range: (p, ins) => [{ lo: ins[0]!.lo, hi: ins[0]!.hi, ...(p.float ? { float: true } : {}) }],
  inputDomain: () => 'int',
  cycles: (p, cores) => parallelCycles(p.bc * p.OH * p.OW * p.KH * p.KW, 5, cores),
  ops: (p) => p.bc * p.OH * p.OW * p.KH * p.KW,
  bindings: [
    {
      kernel: 'dk_avgpool',
      tiling: windowRule((p) => ({
        N: 1,
        C: p.bc,
        H: p.H,
        W: p.W,
        OH: p.OH,
        OW: p.OW,
        KH: p.KH,
        strideH: p.SH,
        dilH: 1,
        padT: p.PT,
        xField: 'x',
        yField: 'y',
        xElem: inElem(0),
        yElem: outElem(0),
        setup: ['T->bc = tc; T->H = hh; T->OH = toh; T->PT = padt;'],
        cost: (tc, toh, cores) => EXT_COST.avgPool.call + (Math.ceil((tc * toh * p.OW) / cores) * p.KH * p.KW * EXT_COST.avgPool.perElem),
      })),
      check: (p, t) => (p.float ? FLOAT_POOL : onlyTypes([t.inputs[0], t.outputs[0]], INT_IN, 'x/y')),
      emit: (p, ctx) => ({
        argsType: 'dk_avgpool_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          bc: p.bc, H: p.H, W: p.W, OH: p.OH, OW: p.OW, KH: p.KH, KW: p.KW, SH: p.SH, SW: p.SW, PT: p.PT, PL: p.PL,
          include_pad: p.includePad,
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- QuantizeLinear / DequantizeLinear (network I/O)

interface QdqParams {
  n: number;
  scale: number;
  zp: number;
  lo: number;
  hi: number;
  /** 0: ONNX (x / scale, half to even, integer zero point); 1: Deeploy's Quant (x * scale + float zero point, half away from zero). */
  mode: 0 | 1;
}

/** Per-tensor scale and zero point of a (De)QuantizeLinear at the network boundary. */
function parseQdq(n: LNode, g: Graph, quantize: boolean): QdqParams {
  const s = constOf(n, g, 1, 'scale');
  if (s.dtype !== 'float32' || elementCount(s.shape) !== 1) unsupported('scale must be one float32 value (per tensor)');
  const zt = constInput(n, g, 2);
  const zp = zt ? intValues(zt) : [0];
  if (zp.length !== 1) unsupported('zero point must be one value (per tensor)');
  const t = quantize ? g.values.get(n.outputs[0]!)?.dtype ?? zt?.dtype ?? 'uint8' : 'float32';
  const lo = t === 'int8' ? -128 : 0;
  const hi = t === 'int8' ? 127 : 255;
  if (quantize && t !== 'int8' && t !== 'uint8') unsupported(`quantized type ${t} (int8, uint8)`);
  return { n: elementCount(shapeOfValue(g, n.outputs[0]!)), scale: toNumberArray(s.data)[0]!, zp: zp[0]!, lo, hi, mode: 0 };
}

/** Deeploy's Quant / Dequant: scale, zero_point (float), bit_width, signed as attributes. */
function parseDeeployQdq(n: LNode, g: Graph, quantize: boolean): QdqParams {
  const bits = intAttr(n, 'bit_width');
  const signed = scalarAttr(n, 'signed', 1) !== 0;
  if (bits < 2 || bits > 16) unsupported(`bit_width ${bits} outside 2..16`);
  return {
    n: elementCount(shapeOfValue(g, n.outputs[0]!)),
    scale: Math.fround(scalarAttr(n, 'scale')),
    zp: Math.fround(scalarAttr(n, 'zero_point')),
    lo: signed ? -(2 ** (bits - 1)) : 0,
    hi: signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1,
    mode: quantize ? 1 : 0,
  };
}

/** A C float literal that reads back as exactly this float32 value. */
function cFloat32(v: number): string {
  const t = Math.fround(v).toPrecision(9);
  return `${t}f`;
}

const quantizeMapping = (parse: (n: LNode, g: Graph) => QdqParams): Mapping<QdqParams> => ({
  name: 'quantize (float32 -> integer)',
  parse,
  range: (p) => [{ lo: p.lo, hi: p.hi }],
  inputDomain: () => 'float',
  cycles: (p, cores) => parallelCycles(p.n, 120, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_quantize',
      tiling: unaryRule((p) => p.n, EXT_COST.quantize),
      check: (_p, t) => (t.inputs[0] === 'float32' ? onlyTypes([t.outputs[0]], INT_IN, 'y') : 'float32 input only'),
      emit: (p, ctx) => ({
        argsType: 'dk_quantize_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, n: p.n, scale: cFloat32(p.scale), fzp: cFloat32(p.zp), zp: p.mode === 0 ? p.zp : 0, lo: p.lo, hi: p.hi, y_type: dkType(ctx.outputs[0]!.dtype), mode: p.mode },
      }),
    },
  ],
});

const dequantizeMapping = (parse: (n: LNode, g: Graph) => QdqParams): Mapping<QdqParams> => ({
  name: 'dequantize (integer -> float32)',
  parse,
  range: (p, ins) => {
    const a = Math.fround((ins[0]!.lo - p.zp) * p.scale);
    const b = Math.fround((ins[0]!.hi - p.zp) * p.scale);
    return [{ lo: Math.min(a, b), hi: Math.max(a, b), float: true, integral: false }];
  },
  inputDomain: () => 'int',
  cycles: (p, cores) => parallelCycles(p.n, 70, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_dequantize',
      tiling: unaryRule((p) => p.n, EXT_COST.dequantize),
      // (float)x is exact below 2^24, so (float)x - zp rounds once, as the float semantics do.
      check: (_p, t) => onlyTypes([t.inputs[0]], ['int8', 'uint8', 'int16', 'uint16'], 'x (|x| < 2^24)') ?? (t.outputs[0] === 'float32' ? undefined : 'float32 output only'),
      emit: (p, ctx) => ({
        argsType: 'dk_dequantize_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, n: p.n, scale: cFloat32(p.scale), fzp: cFloat32(p.zp), x_type: dkType(ctx.inputs[0]!.dtype) },
      }),
    },
  ],
});

register<QdqParams>('QuantizeLinear', quantizeMapping((n, g) => parseQdq(n, g, true)));
register<QdqParams>('DequantizeLinear', dequantizeMapping((n, g) => parseQdq(n, g, false)));
register<QdqParams>('Quant', quantizeMapping((n, g) => parseDeeployQdq(n, g, true)));
register<QdqParams>('Dequant', dequantizeMapping((n, g) => parseDeeployQdq(n, g, false)));
