// The graph IR shared by the frontend, the reference executor, the compiler and the LLM exporter.
// Plain data: a pass reads a Graph and returns a new one (or annotations beside it).

export type DType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float32' | 'float64';

export type TypedArrayOf<D extends DType> = D extends 'int8'
  ? Int8Array
  : D extends 'uint8'
    ? Uint8Array
    : D extends 'int16'
      ? Int16Array
      : D extends 'uint16'
        ? Uint16Array
        : D extends 'int32'
          ? Int32Array
          : D extends 'uint32'
            ? Uint32Array
            : D extends 'int64'
              ? BigInt64Array
              : D extends 'float32'
                ? Float32Array
                : Float64Array;

export type TensorData =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Name, element type and shape of a value in the graph. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

/** A value with data, row-major (C order). */
export interface Tensor extends TensorInfo {
  data: TensorData;
}

export type AttrValue = number | bigint | string | number[] | string[] | Tensor;

export interface Node {
  /** ONNX node name; unique in the graph (the frontend names unnamed nodes `<op>_<index>`). */
  name: string;
  op: string;
  domain: string;
  /** Input tensor names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /**
   * Names of number / number[] attributes that are ONNX FLOAT / FLOATS (a number alone cannot say
   * whether 1 was 1.0). The loader fills it; the writer reads it. Absent: integer values are
   * written as INT(S), others as FLOAT(S).
   */
  floatAttrs?: string[];
}

export interface Graph {
  name: string;
  /** Topologically sorted (ONNX files do not guarantee it). */
  nodes: Node[];
  /** Runtime inputs: graph.input minus tensors that have an initializer, in file order. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Constant tensors: initializers and Constant-node outputs. */
  initializers: Map<string, Tensor>;
  /** Type and shape of every value (inputs, outputs, intermediates, initializers). */
  values: Map<string, TensorInfo>;
  /** Operator set imports (domain -> version) as read from the file; the writer defaults to {'': 13}. */
  opsets?: Record<string, number>;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
