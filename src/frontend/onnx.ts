// ONNX <-> IR. Decoding and encoding go through onnx-proto (the ONNX schema compiled by
// protobufjs); this module only maps protobuf messages to the plain IR of ir.ts and back.
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { InputError } from '../errors.js';
import { DTYPES, ALL_DTYPES, allocate } from './dtype.js';
import type { AttrValue, DType, Graph, Node, Tensor, TensorData, TensorInfo } from './ir.js';
import { inferShapes } from './shapes.js';
import { sortGraph } from './graph.js';
import { checkedCount, checkFileSize, checkGraphSizes } from './limits.js';

const { onnx } = onnxProto;
type Long = { toString(): string; low: number; high: number; unsigned: boolean };
type IntLike = number | Long;

const BY_ONNX = new Map<number, DType>(ALL_DTYPES.map((d) => [DTYPES[d].onnx, d]));
const ONNX_BOOL = 9;
const ONNX_TYPE_NAMES: Record<number, string> = { 8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16' };

function big(v: IntLike | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return BigInt(v.toString());
}
function num(v: IntLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v.toString());
}

function onnxDType(code: number, what: string, source: string): DType {
  if (code === ONNX_BOOL) return 'uint8'; // bool is one byte 0/1; the IR has no bool
  const d = BY_ONNX.get(code);
  if (!d) throw new InputError(`${source}: ${what} has unsupported element type ${ONNX_TYPE_NAMES[code] ?? code}`);
  return d;
}

/** TensorProto -> IR Tensor (raw_data or the typed *_data fields, every IR dtype). */
export function tensorFromProto(t: onnxProto.onnx.ITensorProto, source: string, fallbackName = ''): Tensor {
  const name = t.name || fallbackName;
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0))
    throw new InputError(`${source}: tensor '${name}' uses external data, which is not supported`);
  const dtype = onnxDType(t.dataType ?? 0, `tensor '${name}'`, source);
  const shape = (t.dims ?? []).map(num);
  const info = DTYPES[dtype];
  const count = checkedCount(shape, info.bytes, `${source}: tensor '${name}'`);
  let data: TensorData;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * info.bytes)
      throw new InputError(`${source}: tensor '${name}' has ${t.rawData.length} bytes of raw_data, shape [${shape.join(', ')}] ${dtype} needs ${count * info.bytes}`);
    const copy = new Uint8Array(t.rawData); // aligned copy (a Buffer's slice() is a view); ONNX raw_data is little-endian like this host
    data = new info.ctor(copy.buffer, 0, count) as TensorData;
  } else {
    let src: ArrayLike<number | IntLike> = [];
    if (dtype === 'float32') src = t.floatData ?? [];
    else if (dtype === 'float64') src = t.doubleData ?? [];
    else if (dtype === 'int64') src = t.int64Data ?? [];
    else if (dtype === 'uint32') src = t.uint64Data ?? [];
    else src = t.int32Data ?? [];
    if (src.length !== count)
      throw new InputError(`${source}: tensor '${name}' has ${src.length} values, shape [${shape.join(', ')}] needs ${count}`);
    data = allocate(dtype, count);
    if (data instanceof BigInt64Array) for (let i = 0; i < count; i++) data[i] = big(src[i] as IntLike);
    else for (let i = 0; i < count; i++) (data as Float64Array)[i] = num(src[i] as IntLike);
  }
  return { name, dtype, shape, data };
}

export function tensorToProto(t: Tensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return { name: t.name, dataType: DTYPES[t.dtype].onnx, dims: t.shape.slice(), rawData: bytes };
}

function attrFromProto(a: onnxProto.onnx.IAttributeProto, where: string, source: string): { value: AttrValue; isFloat: boolean } {
  const T = onnx.AttributeProto.AttributeType;
  let type = a.type ?? T.UNDEFINED;
  if (type === T.UNDEFINED) {
    // Files from old exporters omit the type: take the field that is set.
    if (a.t) type = T.TENSOR;
    else if (a.floats && a.floats.length) type = T.FLOATS;
    else if (a.ints && a.ints.length) type = T.INTS;
    else if (a.strings && a.strings.length) type = T.STRINGS;
    else if (a.s && a.s.length) type = T.STRING;
    else if (a.f) type = T.FLOAT;
    else type = T.INT;
  }
  const dec = new TextDecoder();
  switch (type) {
    case T.FLOAT:
      return { value: a.f ?? 0, isFloat: true };
    case T.INT: {
      const b = big(a.i);
      const n = Number(b);
      return { value: Number.isSafeInteger(n) ? n : b, isFloat: false };
    }
    case T.STRING:
      return { value: dec.decode(a.s ?? new Uint8Array()), isFloat: false };
    case T.TENSOR:
      if (!a.t) throw new InputError(`${source}: ${where}: attribute '${a.name}' is of type TENSOR but holds no tensor`);
      return { value: tensorFromProto(a.t, source, `${where}.${a.name}`), isFloat: false };
    case T.FLOATS:
      return { value: (a.floats ?? []).slice(), isFloat: true };
    case T.INTS:
      return { value: (a.ints ?? []).map(num), isFloat: false };
    case T.STRINGS:
      return { value: (a.strings ?? []).map((s) => dec.decode(s)), isFloat: false };
    default:
      throw new InputError(`${source}: ${where}: attribute '${a.name}' has unsupported type ${T[type] ?? type}`);
  }
}

function infoFromValueInfo(v: onnxProto.onnx.IValueInfoProto, source: string): Partial<TensorInfo> & { name: string } {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!tt) return { name };
  const out: Partial<TensorInfo> & { name: string } = { name };
  if (tt.elemType) out.dtype = onnxDType(tt.elemType, `value '${name}'`, source);
  if (tt.shape) {
    const dims = tt.shape.dim ?? [];
    if (dims.every((d) => d.dimValue !== null && d.dimValue !== undefined && !d.dimParam)) out.shape = dims.map((d) => num(d.dimValue));
    // A symbolic dimension (dim_param) is left to shape inference.
  }
  return out;
}

export interface LoadOptions {
  /** Name used in error messages (defaults to the path, or '<memory>'). */
  source?: string;
}

/** Decode ONNX bytes into the IR: sorted, constants folded, every value typed and shaped. */
export function parseOnnx(bytes: Uint8Array, opts: LoadOptions = {}): Graph {
  const source = opts.source ?? '<memory>';
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new InputError(`${source}: not a valid ONNX model (protobuf decode failed: ${(e as Error).message})`);
  }
  const g = model.graph;
  if (!g || (g.node ?? []).length === 0 && (g.output ?? []).length === 0)
    throw new InputError(`${source}: not a valid ONNX model (no graph)`);

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) {
    const tensor = tensorFromProto(t, source);
    initializers.set(tensor.name, tensor);
  }

  // Node names: unique, unnamed ones `<op>_<index>`.
  const used = new Set<string>();
  const rawNodes: Node[] = [];
  (g.node ?? []).forEach((n, index) => {
    const op = n.opType ?? '';
    let name = n.name || `${op}_${index}`;
    if (used.has(name)) {
      let k = 1;
      while (used.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    used.add(name);
    const attrs: Record<string, AttrValue> = {};
    const floatAttrs: string[] = [];
    for (const a of n.attribute ?? []) {
      const { value, isFloat } = attrFromProto(a, `node '${name}' (${op})`, source);
      attrs[a.name ?? ''] = value;
      if (isFloat) floatAttrs.push(a.name ?? '');
    }
    const node: Node = { name, op, domain: n.domain ?? '', inputs: (n.input ?? []).slice(), outputs: (n.output ?? []).slice(), attrs };
    if (floatAttrs.length) node.floatAttrs = floatAttrs;
    rawNodes.push(node);
  });

  // Constant nodes become initializers.
  const nodes: Node[] = [];
  for (const n of rawNodes) {
    if (n.op === 'Constant' && n.domain === '') {
      initializers.set(n.outputs[0]!, constantValue(n, source));
      continue;
    }
    nodes.push(n);
  }

  const declared = new Map<string, Partial<TensorInfo> & { name: string }>();
  const merge = (v: onnxProto.onnx.IValueInfoProto) => {
    const info = infoFromValueInfo(v, source);
    const prev = declared.get(info.name) ?? { name: info.name };
    declared.set(info.name, { ...prev, ...Object.fromEntries(Object.entries(info).filter(([, x]) => x !== undefined)) });
  };
  for (const v of g.valueInfo ?? []) merge(v);
  for (const v of g.input ?? []) merge(v);
  for (const v of g.output ?? []) merge(v);

  const values = new Map<string, TensorInfo>();
  for (const [name, t] of initializers) values.set(name, { name, dtype: t.dtype, shape: t.shape.slice() });
  for (const [name, d] of declared) if (!values.has(name) && d.dtype && d.shape) values.set(name, { name, dtype: d.dtype, shape: d.shape });

  const graphInputNames = (g.input ?? []).map((v) => v.name ?? '').filter((n) => !initializers.has(n));
  const graph: Graph = {
    name: g.name ?? '',
    nodes,
    inputs: [],
    outputs: [],
    initializers,
    values,
    opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain ?? '', num(o.version)])),
  };
  graph.inputs = graphInputNames.map((name) => {
    const v = values.get(name);
    if (!v) throw new InputError(`${source}: graph input '${name}' has no ${declared.get(name)?.dtype ? 'shape' : 'type/shape'}`);
    return v;
  });
  const sorted = sortGraph(graph, source);
  inferShapes(sorted, declared, source);
  sorted.outputs = (g.output ?? []).map((v) => {
    const info = sorted.values.get(v.name ?? '');
    if (!info) throw new InputError(`${source}: graph output '${v.name}' has no shape`);
    return info;
  });
  checkGraphSizes(sorted, source);
  return sorted;
}

function constantValue(n: Node, source: string): Tensor {
  const name = n.outputs[0]!;
  const a = n.attrs;
  if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return { ...(a.value as Tensor), name };
  if (typeof a.value_float === 'number') return { name, dtype: 'float32', shape: [], data: Float32Array.of(a.value_float) };
  if (Array.isArray(a.value_floats)) return { name, dtype: 'float32', shape: [a.value_floats.length], data: Float32Array.from(a.value_floats as number[]) };
  if (typeof a.value_int === 'number' || typeof a.value_int === 'bigint') return { name, dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(a.value_int)) };
  if (Array.isArray(a.value_ints)) return { name, dtype: 'int64', shape: [a.value_ints.length], data: BigInt64Array.from((a.value_ints as number[]).map((x) => BigInt(x))) };
  throw new InputError(`${source}: Constant node '${n.name}' has no supported value attribute (value, value_float(s), value_int(s))`);
}

export function loadOnnx(path: string): Graph {
  let bytes: Uint8Array;
  checkFileSize(path, 'ONNX model');
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseOnnx(bytes, { source: path });
}

// Attributes that are floats in the ONNX operator schemas, for graphs built without floatAttrs.
const KNOWN_FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'gamma', 'value_float', 'value_floats', 'scale', 'bias']);

function attrToProto(name: string, v: AttrValue, isFloat: boolean): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const enc = new TextEncoder();
  if (typeof v === 'string') return { name, type: T.STRING, s: enc.encode(v) };
  if (typeof v === 'bigint') return { name, type: T.INT, i: Number.isSafeInteger(Number(v)) ? Number(v) : (longOf(v) as never) };
  if (typeof v === 'number') {
    if (!isFloat && Number.isInteger(v)) return { name, type: T.INT, i: v };
    return { name, type: T.FLOAT, f: v };
  }
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: T.STRINGS, strings: (v as string[]).map((s) => enc.encode(s)) };
    const nums = v as number[];
    if (!isFloat && nums.every((x) => Number.isInteger(x))) return { name, type: T.INTS, ints: nums };
    return { name, type: T.FLOATS, floats: nums };
  }
  return { name, type: T.TENSOR, t: tensorToProto(v) };
}

function longOf(v: bigint): Long {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false, toString: () => v.toString() };
}

function valueInfoProto(v: TensorInfo): onnxProto.onnx.IValueInfoProto {
  return { name: v.name, type: { tensorType: { elemType: DTYPES[v.dtype].onnx, shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } } };
}

/** IR -> ONNX bytes: initializers as raw_data, every value's type and shape in value_info. */
export function writeOnnx(graph: Graph, opts: { producer?: string } = {}): Uint8Array {
  const io = new Set([...graph.inputs.map((v) => v.name), ...graph.outputs.map((v) => v.name)]);
  const valueInfo: TensorInfo[] = [];
  for (const [name, v] of graph.values) if (!io.has(name) && !graph.initializers.has(name)) valueInfo.push(v);
  const opsets = graph.opsets && Object.keys(graph.opsets).length ? graph.opsets : { '': 13 };
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: opts.producer ?? 'deeploy-sim',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attrToProto(k, v, n.floatAttrs ? n.floatAttrs.includes(k) : KNOWN_FLOAT_ATTRS.has(k))),
      })),
      initializer: [...graph.initializers.values()].map(tensorToProto),
      input: graph.inputs.map(valueInfoProto),
      output: graph.outputs.map(valueInfoProto),
      valueInfo: valueInfo.map(valueInfoProto),
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`writeOnnx: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

export function saveOnnx(path: string, graph: Graph): void {
  writeFileSync(path, writeOnnx(graph));
}

