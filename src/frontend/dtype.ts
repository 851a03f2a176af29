// Facts about the IR's element types, in one table: byte size, typed-array constructor, NumPy
// descriptor, ONNX TensorProto.DataType code, and the integer range.
import type { DType, TensorData } from './ir.js';

type TypedArrayCtor = {
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DTypeInfo {
  bytes: number;
  ctor: TypedArrayCtor;
  /** NumPy descriptor without byte-order character ('i1', 'f4', ...). */
  numpy: string;
  /** ONNX TensorProto.DataType. */
  onnx: number;
  integer: boolean;
  /** Range of an integer type (exact as numbers for all but int64). */
  min: number;
  max: number;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  int8: { bytes: 1, ctor: Int8Array, numpy: 'i1', onnx: 3, integer: true, min: -128, max: 127 },
  uint8: { bytes: 1, ctor: Uint8Array, numpy: 'u1', onnx: 2, integer: true, min: 0, max: 255 },
  int16: { bytes: 2, ctor: Int16Array, numpy: 'i2', onnx: 5, integer: true, min: -32768, max: 32767 },
  uint16: { bytes: 2, ctor: Uint16Array, numpy: 'u2', onnx: 4, integer: true, min: 0, max: 65535 },
  int32: { bytes: 4, ctor: Int32Array, numpy: 'i4', onnx: 6, integer: true, min: -2147483648, max: 2147483647 },
  uint32: { bytes: 4, ctor: Uint32Array, numpy: 'u4', onnx: 12, integer: true, min: 0, max: 4294967295 },
  int64: { bytes: 8, ctor: BigInt64Array as unknown as TypedArrayCtor, numpy: 'i8', onnx: 7, integer: true, min: -(2 ** 63), max: 2 ** 63 },
  float32: { bytes: 4, ctor: Float32Array, numpy: 'f4', onnx: 1, integer: false, min: -Infinity, max: Infinity },
  float64: { bytes: 8, ctor: Float64Array, numpy: 'f8', onnx: 11, integer: false, min: -Infinity, max: Infinity },
};

export const ALL_DTYPES = Object.keys(DTYPES) as DType[];

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

export function dtypeOfArray(data: TensorData): DType {
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

export function allocate(dtype: DType, length: number): TensorData {
  return new DTYPES[dtype].ctor(length);
}

/** Element i as a number (int64 beyond 2^53 loses precision; callers that care use toBigInt). */
export function toNumberArray(data: TensorData): Float64Array {
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  else out.set(data);
  return out;
}

/**
 * Convert numbers to a typed array of `dtype`. Integer targets take the value as is (callers
 * round/clamp first); values outside the type's range wrap like a C cast.
 */
export function fromNumbers(dtype: DType, values: ArrayLike<number>): TensorData {
  const out = allocate(dtype, values.length);
  if (out instanceof BigInt64Array) for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]!));
  else (out as Float64Array).set(values as ArrayLike<number>);
  return out;
}
