// The shapes of tiling rules every kernel outside GEMM/Conv takes (registry.ts TilingRule), as
// builders: the bindings give data (which extent splits, the bytes of each operand per unit of
// it, the strides of broadcast operands, the args fields a tile sets) and a kernel cost.
//
//  - rangeRule: one outer extent split into ranges (elements of an element-wise kernel, rows of
//    softmax / norms / row ops whose rows stay whole, the outer axis of reductions, gathers and
//    byte-run copies); operands are runs of `unit` bytes per index, or whole (the same slice for
//    every tile: loaded once, e.g. a norm's weight row or a lookup table).
//  - stridedRule: an element-wise kernel over an N-d output walked with per-operand element
//    strides (NumPy broadcasting, stride 0). The output dims are merged where every operand
//    allows it (mergeDims); a tile is [1, .., 1, d, whole, .., whole]: d splitting the merged axis
//    k (any d on the outermost axis, a divisor below it, so that no tile wraps an axis). Each
//    operand's slice is the span its strides cover from the tile's origin: a broadcast operand's
//    span is the same for every tile (stationary) or as small as its own tile; parameters read
//    through the args (requant vectors) get their tile's origin as an offset.
//  - windowRule: pooling over NCHW: (image) x channels x output rows, the input rows of a tile
//    with the window's halo (stride, dilation, padding applied), clipped to the image.
import { DTYPES } from '../../frontend/dtype.js';
import type { DType } from '../../frontend/ir.js';
import type { TileSlice, TilingRule, TypeSignature } from '../registry.js';

export const elemBytes = (d: DType | undefined): number => (d ? DTYPES[d].bytes : 4);

/**
 * A kernel's measured throughput with operands in L1: `call` cycles per call (fork, args, set-up),
 * `perElem` per element on each core, `perUnit` per tile unit (row) on each core. `split`: how the
 * kernel spreads work over the cores: evenly by element, or by whole units (rows).
 */
export interface KernelCost {
  call: number;
  perElem: number;
  perUnit?: number;
  /** 'chunks': units (rows) over the cores, a row cut into column chunks when there are fewer
   *  rows than cores; every core then makes one pass of `perRowElem` per element of its row. */
  split: 'elements' | 'units' | 'chunks';
  perRowElem?: number;
}

/** A cost, or one per element types (kernels with specialised type combinations). */
export type CostOf = KernelCost | ((t: TypeSignature) => KernelCost);
const costFor = (c: CostOf, t: TypeSignature): KernelCost => (typeof c === 'function' ? c(t) : c);

export function kernelCycles(c: KernelCost, units: number, elemsPerUnit: number, cores: number): number {
  const perUnit = c.perUnit ?? 0;
  if (c.split === 'chunks') {
    const chunks = units >= cores || units === 0 ? 1 : Math.min(Math.floor(cores / units), elemsPerUnit);
    const per = Math.ceil((units * chunks) / cores);
    return Math.round(c.call + per * (perUnit + elemsPerUnit * (c.perRowElem ?? 0) + Math.ceil(elemsPerUnit / chunks) * c.perElem));
  }
  if (c.split === 'units') return Math.round(c.call + Math.ceil(units / cores) * (perUnit + elemsPerUnit * c.perElem));
  return Math.round(c.call + Math.ceil((units * elemsPerUnit) / cores) * c.perElem + Math.ceil(units / cores) * perUnit);
}

const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

/** Smallest index step whose byte offset (step * unit) keeps every operand 4-byte aligned. */
function wordAlign(units: number[]): number {
  return units.reduce((a, u) => lcm(a, 4 / gcd(u, 4)), 1);
}

/** Tile sizes worth trying for an extent: one per tile count up to 8, then halving, aligned. */
export function rangeChoices(size: number, align: number): number[] {
  const out = new Set<number>([size]);
  const add = (t: number) => {
    const a = Math.ceil(t / align) * align;
    if (a > 0 && a < size) out.add(a);
  };
  for (let c = 2; c <= 8; c++) add(Math.ceil(size / c));
  for (let t = Math.ceil(size / 8); t >= align; t = Math.floor(t / 2)) add(t);
  add(align);
  return [...out].sort((a, b) => a - b);
}

// ---------------------------------------------------------------- range rule

/** Bytes of one element of an operand, from the layer's element types. */
export type ElemOf = (t: TypeSignature) => number;
export const inElem =
  (k = 0): ElemOf =>
  (t) =>
    elemBytes(t.inputs[k]);
export const outElem =
  (k = 0): ElemOf =>
  (t) =>
    elemBytes(t.outputs[k]);
export const fixedElem =
  (bytes: number): ElemOf =>
  () =>
    bytes;

/** An operand that is `unit` elements per index of the split extent. */
export interface RangeOperand {
  field: string;
  dir: 'in' | 'out';
  unit: number;
  elem: ElemOf;
  /** Elements of the last index's run when shorter than `unit` (a strided row read as one span). */
  tail?: number;
  /** Elements before index 0 (e.g. a slice's start). */
  base?: number;
}
/** An operand every tile reads whole (`whole` elements from its start): loaded once. */
export interface WholeOperand {
  field: string;
  dir: 'in';
  whole: number;
  elem: ElemOf;
}

export interface RangeSpec {
  /** Name of the split extent ('n', 'rows', 'outer'): coords are `<name>0` (origin), `t<name>` (size). */
  name: string;
  size: number;
  /** Elements per index of the extent (for the cost). */
  elemsPerUnit: number;
  operands: (RangeOperand | WholeOperand)[];
  /** The args fields holding the extent's size, set to the tile's (e.g. ['n'], ['rows']). */
  countFields: string[];
  /** Extra alignment of tile origins (e.g. whole periods of a broadcast parameter). */
  align?: number;
  /** More C statements of a tile's set-up (coords `<name>0`, `t<name>`; args P -> T). */
  setup?: string[];
  cost: CostOf;
}

/** Keeps a rule's spec per params object (specs depend on the params only). */
function memo<P, S>(f: (p: P) => S): (p: P) => S {
  const cache = new WeakMap<object, S>();
  return (p) => {
    let s = cache.get(p as object);
    if (s === undefined) cache.set(p as object, (s = f(p)));
    return s;
  };
}

export function rangeRule<P>(specOf: (p: P) => RangeSpec): TilingRule<P> {
  const get = memo(specOf);
  return {
    dims(p) {
      const s = get(p);
      // tile origins word-aligned in every operand whatever its element size (1 byte at worst)
      const align = lcm(s.align ?? 1, wordAlign(s.operands.filter((o): o is RangeOperand => 'unit' in o).map((o) => o.unit)));
      return [{ name: s.name, size: s.size, align, choices: rangeChoices(s.size, align) }];
    },
    slices(p, t, [a], [n]) {
      // an empty operand (a concat's zero-length input) moves nothing
      return get(p).operands.filter((o) => ('whole' in o ? o.whole : o.unit) > 0).map((o): TileSlice => {
        const e = o.elem(t);
        return 'whole' in o
          ? { field: o.field, dir: o.dir, offset: 0, rowBytes: o.whole * e, rows: 1, stride: 0 }
          : { field: o.field, dir: o.dir, offset: ((o.base ?? 0) + a! * o.unit) * e, rowBytes: ((n! - 1) * o.unit + (o.tail ?? o.unit)) * e, rows: 1, stride: 0 };
      });
    },
    coords(p, [a], [n]) {
      const s = get(p);
      return { [`${s.name}0`]: a!, [`t${s.name}`]: n! };
    },
    setup(p) {
      const s = get(p);
      return [s.countFields.map((f) => `T->${f} = t${s.name};`).join(' '), ...(s.setup ?? [])];
    },
    scratch: () => 0,
    compute(p, t, [n], cores) {
      const s = get(p);
      return kernelCycles(costFor(s.cost, t), n!, s.elemsPerUnit, cores);
    },
  };
}

// ---------------------------------------------------------------- strided (broadcasting) rule

/** An operand walked with element strides over the output dims (stride 0: broadcast). */
export interface StridedOperand {
  field: string;
  dir: 'in' | 'out';
  elem: ElemOf;
  strides: number[];
}
/** A parameter vector read through a pointer in the args (e.g. 'rq.mul'): offset per tile, never moved. */
export interface StridedParam {
  field: string;
  strides: number[];
}

export interface StridedSpec {
  /** Output shape, merged (mergeDims). */
  shape: number[];
  operands: StridedOperand[];
  params: StridedParam[];
  /** C statements setting the tile's extent from coords ax (split axis), tk (its size), tn (elements). */
  setup: string[];
  cost: CostOf;
}

/**
 * Drop size-1 dims and merge adjacent dims where every stride list chains (outer stride = inner
 * stride x inner size, or both 0): the same walk with fewer dims. Dense outputs of rank 0 become [1].
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((_d, k) => k).filter((k) => shape[k] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const k of keep) {
    const last = outShape.length - 1;
    const chains = last >= 0 && strides.every((s, i) => outStrides[i]![last] === s[k]! * shape[k]! || (outStrides[i]![last] === 0 && s[k] === 0));
    if (chains) {
      outShape[last]! *= shape[k]!;
      strides.forEach((s, i) => (outStrides[i]![last] = s[k]!));
    } else {
      outShape.push(shape[k]!);
      strides.forEach((s, i) => outStrides[i]!.push(s[k]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

const innerOf = (shape: readonly number[], k: number) => shape.slice(k + 1).reduce((a, b) => a * b, 1);

/** The split axis and its tile extent of a tile of `n` elements (see stridedRule). */
export function tileAxis(shape: readonly number[], n: number): { ax: number; tk: number } {
  for (let k = 0; k < shape.length; k++) {
    const inner = innerOf(shape, k);
    if (n % inner === 0 && (k === 0 || shape[k]! % (n / inner) === 0)) return { ax: k, tk: n / inner };
  }
  throw new Error(`internal: ${n} elements are no tile of [${shape}]`);
}

/**
 * Tile sizes (elements) of a strided rule: any count of outermost rows, divisors of the dims
 * below (no tile wraps an axis); tile origins word-aligned in every operand at 1 byte per element.
 */
export function stridedChoices(shape: readonly number[], strides: readonly (readonly number[])[]): number[] {
  const total = shape.reduce((a, b) => a * b, 1);
  const out = new Set<number>([total]);
  for (let k = 0; k < shape.length; k++) {
    if (k > 0 && !strides.every((s) => s.slice(0, k).every((x) => x % 4 === 0))) break;
    const inner = innerOf(shape, k);
    const step = wordAlign(strides.map((s) => s[k]!));
    const ds = k === 0 ? rangeChoices(shape[0]!, step) : divisors(shape[k]!).filter((d) => d % step === 0);
    for (const d of ds) if (d < shape[k]!) out.add(d * inner);
  }
  return [...out].sort((a, b) => a - b);
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d * d <= n; d++)
    if (n % d === 0) {
      out.push(d);
      if (d * d !== n) out.push(n / d);
    }
  return out.sort((a, b) => a - b);
}

/** Element offset of a stride list at the flat output index `a`. */
export function offsetAt(shape: readonly number[], strides: readonly number[], a: number): number {
  let off = 0;
  for (let k = shape.length - 1; k >= 0; k--) {
    off += (a % shape[k]!) * strides[k]!;
    a = Math.floor(a / shape[k]!);
  }
  return off;
}

/** Elements (from the first) an operand spans over a tile [1.., tk at ax, whole..]. */
export function spanOf(shape: readonly number[], strides: readonly number[], ax: number, tk: number): number {
  let last = (tk - 1) * strides[ax]!;
  for (let j = ax + 1; j < shape.length; j++) last += (shape[j]! - 1) * strides[j]!;
  return last + 1;
}

export function stridedRule<P>(specOf: (p: P) => StridedSpec): TilingRule<P> {
  const get = memo((p: P) => {
    const s = specOf(p);
    return { ...s, choices: stridedChoices(s.shape, s.operands.map((o) => o.strides)) };
  });
  return {
    dims(p) {
      const s = get(p);
      return [{ name: 'elements', size: s.shape.reduce((a, b) => a * b, 1), align: 1, choices: s.choices }];
    },
    slices(p, t, [a], [n]) {
      const s = get(p);
      const { ax, tk } = tileAxis(s.shape, n!);
      return s.operands.map((o) => {
        const e = o.elem(t);
        return { field: o.field, dir: o.dir, offset: offsetAt(s.shape, o.strides, a!) * e, rowBytes: spanOf(s.shape, o.strides, ax, tk) * e, rows: 1, stride: 0 };
      });
    },
    coords(p, [a], [n]) {
      const s = get(p);
      const { ax, tk } = tileAxis(s.shape, n!);
      const c: Record<string, number> = { ax, tk, tn: n! };
      s.params.forEach((q, i) => (c[`p${i}`] = offsetAt(s.shape, q.strides, a!)));
      return c;
    },
    setup(p) {
      const s = get(p);
      return [...s.setup, ...s.params.map((q, i) => `if (P->${q.field}) T->${q.field} = P->${q.field} + p${i};`)];
    },
    scratch: () => 0,
    compute(p, t, [n], cores) {
      const s = get(p);
      const { ax } = tileAxis(s.shape, n!);
      // rows: runs of the innermost merged dim (the kernels' N-d iterators step once per run)
      const rowLen = ax === s.shape.length - 1 ? n! : s.shape[s.shape.length - 1]!;
      return kernelCycles(costFor(s.cost, t), Math.ceil(n! / rowLen), rowLen, cores);
    },
  };
}

/** The C set-up of a tile of a kernel with `ndim`/`shape` args over the merged dims. */
export const SHAPE_SETUP = ['for (uint32_t j = 0; j < ax; j++) T->shape[j] = 1;', 'T->shape[ax] = tk;'];

// ---------------------------------------------------------------- window rule (pooling)

export interface WindowSpec {
  N: number;
  C: number;
  /** Channel tile sizes the args can express (default: any). */
  cChoices?: number[];
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  strideH: number;
  dilH: number;
  padT: number;
  xField: string;
  yField: string;
  xElem: ElemOf;
  yElem: ElemOf;
  /** C statements setting a tile's geometry from coords n0, c0, oh0, tc, toh, hh (input rows), padt. */
  setup: string[];
  /** Cycles of a tile of tc channels x toh output rows. */
  cost: (tc: number, toh: number, cores: number) => number;
}

/** Input rows [first, end) that output rows [oh0, oh0 + toh) read, clipped to the image. */
export function windowRows(s: Pick<WindowSpec, 'H' | 'KH' | 'strideH' | 'dilH' | 'padT'>, oh0: number, toh: number): [number, number] {
  const first = oh0 * s.strideH - s.padT;
  const last = (oh0 + toh - 1) * s.strideH - s.padT + (s.KH - 1) * s.dilH;
  return [Math.max(0, first), Math.min(s.H, last + 1)];
}

/** The input rows a tile moves: its window rows, or one row when it reads none (all padding). */
function movedRows(s: WindowSpec, oh0: number, toh: number): { i0: number; rows: number; hh: number } {
  const [i0, i1] = windowRows(s, oh0, toh);
  return i1 > i0 ? { i0, rows: i1 - i0, hh: i1 - i0 } : { i0: Math.min(Math.max(i0, 0), s.H - 1), rows: 1, hh: 0 };
}

export function windowRule<P>(specOf: (p: P) => WindowSpec): TilingRule<P> {
  const get = memo(specOf);
  return {
    dims(p) {
      const s = get(p);
      return [
        { name: 'n', size: s.N, align: 1, choices: [1] },
        { name: 'c', size: s.C, align: 1, choices: s.cChoices ?? rangeChoices(s.C, 1) },
        { name: 'oh', size: s.OH, align: 1, choices: rangeChoices(s.OH, 1) },
      ];
    },
    slices(p, t, [n, c0, oh0], [, tc, toh]) {
      const s = get(p);
      const { i0, rows } = movedRows(s, oh0!, toh!);
      const ex = s.xElem(t);
      const ey = s.yElem(t);
      return [
        { field: s.xField, dir: 'in', offset: ((n! * s.C + c0!) * s.H + i0) * s.W * ex, rowBytes: rows * s.W * ex, rows: tc!, stride: s.H * s.W * ex },
        { field: s.yField, dir: 'out', offset: ((n! * s.C + c0!) * s.OH + oh0!) * s.OW * ey, rowBytes: toh! * s.OW * ey, rows: tc!, stride: s.OH * s.OW * ey },
      ];
    },
    coords(p, [n, c0, oh0], [, tc, toh]) {
      const s = get(p);
      const { i0, hh } = movedRows(s, oh0!, toh!);
      return { n0: n!, c0: c0!, oh0: oh0!, tc: tc!, toh: toh!, hh, padt: i0 - (oh0! * s.strideH - s.padT) };
    },
    setup: (p) => get(p).setup,
    scratch: () => 0,
    compute: (p, _t, [, tc, toh], cores) => Math.round(get(p).cost(tc!, toh!, cores)),
  };
}


// ---------------------------------------------------------------- the common cases

/** y = f(x) over `n` elements (args x, y, n), any element types; `whole`: operands read whole (a table). */
export function unaryRule<P>(n: (p: P) => number, cost: CostOf, whole: (p: P) => WholeOperand[] = () => []): TilingRule<P> {
  return rangeRule((p) => ({
    name: 'n',
    size: n(p),
    elemsPerUnit: 1,
    operands: [{ field: 'x', dir: 'in', unit: 1, elem: inElem(0) }, { field: 'y', dir: 'out', unit: 1, elem: outElem(0) }, ...whole(p)],
    countFields: ['n'],
    cost,
  }));
}

/** A per-row kernel over `rows` whole rows of `len` (args x, y, rows), with operands every row reads whole. */
export function rowsRule<P>(shape: (p: P) => { rows: number; len: number; whole?: WholeOperand[] }, cost: CostOf): TilingRule<P> {
  return rangeRule((p) => {
    const { rows, len, whole = [] } = shape(p);
    return {
      name: 'rows',
      size: rows,
      elemsPerUnit: len,
      operands: [{ field: 'x', dir: 'in', unit: len, elem: inElem(0) }, { field: 'y', dir: 'out', unit: len, elem: outElem(0) }, ...whole],
      countFields: ['rows'],
      cost,
    };
  });
}

/** Parameters indexed p[(i / inner) % count] over a flat output of n elements (kernels_ext.h dk_bcast_t). */
export interface Bcast {
  inner: number;
  count: number;
}

/**
 * A flat kernel of n elements with dense operands `dense` and parameter operands `params` read
 * through dk_bcast_t (args field `n` the count): a strided rule over (n / period, count, inner)
 * when every parameter shares one broadcast (or is a scalar), tiles never wrapping a parameter
 * (its pointer moves to the tile's first index); else ranges of whole periods, parameters whole.
 */
export function bcastRule<P>(
  specOf0: (p: P) => { n: number; dense?: { field: string; dir: 'in' | 'out'; elem: ElemOf }[]; params: { field: string; bcast: Bcast; elem: ElemOf }[] },
  cost: CostOf,
): TilingRule<P> {
  // dense operands: x in, y out unless given
  const specOf = (p: P) => {
    const s = specOf0(p);
    return { ...s, dense: s.dense ?? [{ field: 'x', dir: 'in' as const, elem: inElem(0) }, { field: 'y', dir: 'out' as const, elem: outElem(0) }] };
  };
  const shared = (bs: Bcast[]) => {
    const real = bs.filter((b) => b.count > 1);
    return real.every((b) => b.inner === real[0]!.inner && b.count === real[0]!.count) ? (real[0] ?? { inner: 1, count: 1 }) : undefined;
  };
  const strided = stridedRule<P>((p) => {
    const s = specOf(p);
    const b = shared(s.params.map((q) => q.bcast))!;
    const full = [s.n / (b.inner * b.count), b.count, b.inner];
    const dense = [b.count * b.inner, b.inner, 1];
    const m = mergeDims(full, [dense, ...s.params.map((q) => (q.bcast.count > 1 ? [0, 1, 0] : [0, 0, 0]))]);
    return {
      shape: m.shape,
      operands: [...s.dense.map((o) => ({ ...o, strides: m.strides[0]! })), ...s.params.map((q, i) => ({ field: q.field, dir: 'in' as const, elem: q.elem, strides: m.strides[i + 1]! }))],
      params: [],
      setup: ['T->n = tn;'],
      cost,
    };
  });
  const periods = rangeRule<P>((p) => {
    const s = specOf(p);
    return {
      name: 'n',
      size: s.n,
      elemsPerUnit: 1,
      align: s.params.reduce((a, q) => lcm(a, q.bcast.inner * q.bcast.count), 1),
      operands: [...s.dense.map((o) => ({ ...o, unit: 1 })), ...s.params.map((q) => ({ field: q.field, dir: 'in' as const, whole: q.bcast.count, elem: q.elem }))],
      countFields: ['n'],
      cost,
    };
  });
  return eitherRule((p: P) => (shared(specOf(p).params.map((q) => q.bcast)) ? strided : periods));
}

/** One of several rules, chosen per layer (from its params only). */
export function eitherRule<P>(choose: (p: P) => TilingRule<P>): TilingRule<P> {
  const pick = memo(choose);
  return {
    dims: (p) => pick(p).dims(p),
    legal: (p, size) => pick(p).legal?.(p, size) ?? true,
    slices: (p, t, at, size) => pick(p).slices(p, t, at, size),
    coords: (p, at, size) => pick(p).coords(p, at, size),
    setup: (p) => pick(p).setup(p),
    scratch: (p, t, size, cores) => pick(p).scratch(p, t, size, cores),
    compute: (p, t, size, cores) => pick(p).compute(p, t, size, cores),
  };
}

/** An outer extent of `outer` rows split into ranges: operands are runs of `unit` elements per row. */
export function outerRule<P>(
  specOf: (p: P) => { outer: number; elemsPerUnit: number; operands: (RangeOperand | WholeOperand)[]; countFields?: string[]; setup?: string[] },
  cost: CostOf,
): TilingRule<P> {
  return rangeRule((p) => {
    const s = specOf(p);
    return { name: 'outer', size: s.outer, elemsPerUnit: s.elemsPerUnit, operands: s.operands, countFields: s.countFields ?? ['outer'], setup: s.setup, cost };
  });
}

/**
 * A gather (x viewed as (outer, axis_len, inner), y as (outer, n_idx, inner), args x, idx, y,
 * outer): ranges of the outer extent. The data stays where it is (which rows an index picks is
 * known only at run time, or is irregular): each tile points x at its outer row; the indices are
 * read whole.
 */
export function gatherRule<P>(specOf: (p: P) => { outer: number; axisLen: number; inner: number; nIdx: number }, cost: CostOf, idxElem: ElemOf = fixedElem(4)): TilingRule<P> {
  return outerRule((p) => {
    const s = specOf(p);
    return {
      outer: s.outer,
      elemsPerUnit: s.nIdx * s.inner,
      operands: [
        { field: 'idx', dir: 'in', whole: s.nIdx, elem: idxElem },
        { field: 'y', dir: 'out', unit: s.nIdx * s.inner, elem: outElem(0) },
      ],
      setup: [`T->x = (const uint8_t *)P->x + outer0 * (P->axis_len * P->inner * P->elem_size);`],
    };
  }, cost);
}

/** An operand viewed as (outer, rows, inner) over the rule's (outer, inner) extents. */
export interface BlockOperand {
  field: string;
  dir: 'in' | 'out';
  rows: number;
  elem: ElemOf;
}

/**
 * Ranges of the outer extent, or (one outer index at a time) ranges of the inner extent: an
 * operand's tile is then `rows` strided runs (2D DMA) packed in L1, which the kernel reads as
 * (1, rows, tile inner). For reductions over a middle axis (the reduced axis stays whole) and
 * concatenations (each input's rows). Args: `outer`, `inner` set to the tile's (or `setup`,
 * C statements from coords outer0, inner0, touter, tinner).
 */
export function blockRule<P>(specOf: (p: P) => { outer: number; inner: number; operands: BlockOperand[]; setup?: string[] }, cost: CostOf): TilingRule<P> {
  const get = memo(specOf);
  return {
    dims(p) {
      const s = get(p);
      const align = wordAlign(s.operands.map((o) => o.rows * s.inner));
      return [
        { name: 'outer', size: s.outer, align, choices: rangeChoices(s.outer, align) },
        { name: 'inner', size: s.inner, align: 4, choices: rangeChoices(s.inner, 4) },
      ];
    },
    legal: (p, [to, ti]) => ti === get(p).inner || to === 1,
    slices(p, t, [o0, i0], [to, ti]) {
      const s = get(p);
      return s.operands.filter((o) => o.rows > 0 && s.inner > 0).map((o): TileSlice => {
        const e = o.elem(t);
        return ti === s.inner
          ? { field: o.field, dir: o.dir, offset: o0! * o.rows * s.inner * e, rowBytes: to! * o.rows * s.inner * e, rows: 1, stride: 0 }
          : { field: o.field, dir: o.dir, offset: (o0! * o.rows * s.inner + i0!) * e, rowBytes: ti! * e, rows: o.rows, stride: s.inner * e };
      });
    },
    coords: (_p, [o0, i0], [to, ti]) => ({ outer0: o0!, inner0: i0!, touter: to!, tinner: ti! }),
    setup: (p) => get(p).setup ?? ['T->outer = touter; T->inner = tinner;'],
    scratch: () => 0,
    compute(p, t, [to, ti], cores) {
      const s = get(p);
      return kernelCycles(costFor(cost, t), to! * ti!, s.operands.filter((o) => o.dir === 'in').reduce((a, o) => a + o.rows, 0), cores);
    },
  };
}

// ---------------------------------------------------------------- transpose

/**
 * The same transpose with size-1 axes dropped and input axes that stay adjacent in the output
 * merged (fewer dims for the kernel's index walk, and the tiles below split whole rows of them).
 */
export function canonicalTranspose(inShape: readonly number[], perm: readonly number[]): { inShape: number[]; perm: number[] } {
  const keep = inShape.map((_d, i) => i).filter((i) => inShape[i] !== 1);
  let s = keep.map((i) => inShape[i]!);
  let p = perm.filter((a) => inShape[a] !== 1).map((a) => keep.indexOf(a));
  for (let k = 0; k + 1 < p.length; ) {
    const a = p[k]!;
    if (p[k + 1] !== a + 1) {
      k++;
      continue;
    }
    s = [...s.slice(0, a), s[a]! * s[a + 1]!, ...s.slice(a + 2)];
    p = [...p.slice(0, k + 1), ...p.slice(k + 2)].map((x) => (x > a ? x - 1 : x));
  }
  return s.length ? { inShape: s, perm: p } : { inShape: [1], perm: [0] };
}

/**
 * Tiles of a transpose (canonical, args in_shape): ranges of the output's first axis (the input
 * rows that feed them: one strided run per outer input index, 2D DMA, packed in L1 as the input
 * with that axis shortened) or ranges of the input's first axis (the output's rows strided
 * likewise). The kernel takes a tile as a smaller transpose: in_shape of the split axis set.
 */
export function transposeRule<P>(specOf: (p: P) => { inShape: number[]; perm: number[] }, cost: KernelCost): TilingRule<P> {
  const geo = memo((p: P) => {
    const { inShape, perm } = specOf(p);
    const outShape = perm.map((a) => inShape[a]!);
    const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
    const pAx = perm[0]!; // input axis of the output's first
    const qAx = perm.indexOf(0); // output axis of the input's first
    return {
      inShape,
      outShape,
      pAx,
      qAx,
      inInnerP: prod(inShape.slice(pAx + 1)),
      inRowsP: prod(inShape.slice(0, pAx)),
      inInner0: prod(inShape.slice(1)),
      outInner0: prod(outShape.slice(1)),
      outInnerQ: prod(outShape.slice(qAx + 1)),
      outRowsQ: prod(outShape.slice(0, qAx)),
      total: prod(inShape),
    };
  });
  return {
    dims(p) {
      const g = geo(p);
      const ao = wordAlign([g.inInnerP, g.outInner0]);
      const ai = wordAlign([g.inInner0, g.outInnerQ]);
      return [
        { name: 'out0', size: g.outShape[0]!, align: ao, choices: rangeChoices(g.outShape[0]!, ao) },
        { name: 'in0', size: g.inShape[0]!, align: ai, choices: g.pAx === 0 ? [g.inShape[0]!] : rangeChoices(g.inShape[0]!, ai) },
      ];
    },
    legal: (p, [to, ti]) => to === geo(p).outShape[0] || ti === geo(p).inShape[0],
    slices(p, t, [o0, i0], [to, ti]) {
      const g = geo(p);
      const ex = elemBytes(t.inputs[0]);
      const ey = elemBytes(t.outputs[0]);
      if (to! < g.outShape[0]!)
        return [
          { field: 'x', dir: 'in', offset: o0! * g.inInnerP * ex, rowBytes: to! * g.inInnerP * ex, rows: g.inRowsP, stride: g.inShape[g.pAx]! * g.inInnerP * ex },
          { field: 'y', dir: 'out', offset: o0! * g.outInner0 * ey, rowBytes: to! * g.outInner0 * ey, rows: 1, stride: 0 },
        ];
      return [
        { field: 'x', dir: 'in', offset: i0! * g.inInner0 * ex, rowBytes: ti! * g.inInner0 * ex, rows: 1, stride: 0 },
        { field: 'y', dir: 'out', offset: i0! * g.outInnerQ * ey, rowBytes: ti! * g.outInnerQ * ey, rows: g.outRowsQ, stride: g.outShape[g.qAx]! * g.outInnerQ * ey },
      ];
    },
    coords: (_p, [o0, i0], [to, ti]) => ({ o0: o0!, i0: i0!, to: to!, ti: ti! }),
    setup: (p) => [`T->in_shape[${geo(p).pAx}] = to; T->in_shape[0] = ti;`],
    scratch: () => 0,
    compute: (p, _t, [to, ti], cores) => kernelCycles(cost, (geo(p).total / geo(p).outShape[0]! / geo(p).inShape[0]!) * to! * ti!, 1, cores),
  };
}

/** A reduction over the middle axis of (outer, red, inner) (args x, y, outer, inner): y is (outer, inner). */
export function reduceRule<P>(specOf: (p: P) => { outer: number; red: number; inner: number }, cost: CostOf): TilingRule<P> {
  return blockRule((p) => {
    const s = specOf(p);
    return {
      outer: s.outer,
      inner: s.inner,
      operands: [
        { field: 'x', dir: 'in', rows: s.red, elem: inElem(0) },
        { field: 'y', dir: 'out', rows: 1, elem: outElem(0) },
      ],
    };
  }, cost);
}
