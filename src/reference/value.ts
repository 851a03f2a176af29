// Runtime values of the reference executor: every tensor is a Float64Array holding the exact
// values (integers up to 2^53 exactly, float32 values exactly), plus the declared element type,
// which decides float32 rounding and integer division.
import { InputError } from '../errors.js';
import type { DType, Node, Tensor, TensorInfo } from '../frontend/ir.js';
import { DTYPES, toNumberArray } from '../frontend/dtype.js';

export interface Value {
  dtype: DType;
  shape: number[];
  data: Float64Array;
}

export interface OpContext {
  node: Node;
  /** Declared type and shape of output i (from the graph). */
  out(i: number): TensorInfo;
  /** Record a non-fatal finding (int32 overflow ...), reported with the node's name. */
  warn(msg: string): void;
}

/** An operator: inputs in node order ('' inputs are undefined), outputs in node order. */
export type OpImpl = (inputs: (Value | undefined)[], ctx: OpContext) => Value[];

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const SAFE = Number.MAX_SAFE_INTEGER;

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function valueOf(t: Tensor): Value {
  if (t.data instanceof BigInt64Array) {
    for (const v of t.data)
      if (v > BigInt(SAFE) || v < -BigInt(SAFE)) throw new InputError(`tensor '${t.name}': int64 value ${v} is beyond 2^53, which the reference executor cannot hold exactly`);
  }
  return { dtype: t.dtype, shape: t.shape.slice(), data: toNumberArray(t.data) };
}

export function isFloat(d: DType): boolean {
  return !DTYPES[d].integer;
}

/** Round a float result the way the declared type stores it (float32: round to nearest even). */
export function roundTo(dtype: DType, v: number): number {
  return dtype === 'float32' ? Math.fround(v) : v;
}

export function allIntegers(d: Float64Array): boolean {
  for (let i = 0; i < d.length; i++) if (!Number.isInteger(d[i]!)) return false;
  return true;
}

export function maxAbs(d: Float64Array): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** Count results outside int32 (the C kernels accumulate in int32 and would wrap). */
export function checkInt32(ctx: OpContext, data: Float64Array, what: string): void {
  let n = 0;
  let worst = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > INT32_MAX || v < INT32_MIN) {
      n++;
      if (Math.abs(v) > Math.abs(worst)) worst = v;
    }
  }
  if (n > 0) ctx.warn(`${what} overflows int32 in ${n} of ${data.length} elements (e.g. ${worst}); the C kernel would wrap`);
}

export function need(inputs: (Value | undefined)[], i: number, ctx: OpContext): Value {
  const v = inputs[i];
  if (!v) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): input ${i} is missing`);
  return v;
}

/** Integer values of a (usually constant) input such as shape, axes, pads. */
export function ints(v: Value | undefined): number[] | undefined {
  return v ? Array.from(v.data) : undefined;
}

/** C (truncating) integer division, exact for integers |a|, |b| < 2^53. */
export function truncDiv(a: number, b: number): number {
  let q = Math.trunc(a / b);
  // a / b is rounded to double: near an integer the truncation can be off by one; the exact
  // remainder (sign of a, smaller than |b|) fixes it.
  const r = a - q * b;
  const sb = b > 0 ? 1 : -1;
  const ab = Math.abs(b);
  if (a >= 0) {
    if (r < 0) q -= sb;
    else if (r >= ab) q += sb;
  } else if (r > 0) q += sb;
  else if (-r >= ab) q -= sb;
  return q;
}

/** Floor division of integers (Python's //), exact for |a|, |b| < 2^53. */
export function floorDiv(a: number, b: number): number {
  const q = truncDiv(a, b);
  return a - q * b !== 0 && a < 0 !== b < 0 ? q - 1 : q;
}
