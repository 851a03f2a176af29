// Phase 3: integer type and signedness inference. The quantised graphs declare every tensor as
// float; what matters is the integer range a tensor can hold. Ranges start from the data (graph
// inputs: the test inputs; constants: their values), flow through each operator's range rule
// (registry), and RequantShift-like operators reset them to their n_levels window. A tensor is
// then stored in the narrowest of int8 / uint8 / int32 that holds its range (int16 is skipped on
// purpose: the kernel library is int8 in, int32 accumulate, see docs/compiler.md).
import { InputError } from '../errors.js';
import { toNumberArray } from '../frontend/dtype.js';
import type { DType, Graph, TensorData } from '../frontend/ir.js';
import type { LNode } from './graph.js';
import type { LoweredGraph } from './lower.js';
import { Unsupported, mappingsFor, type AnyMapping, type Range } from './registry.js';

export interface TypedNode {
  node: LNode;
  mapping: AnyMapping;
  params: unknown;
}

export interface TypedGraph {
  graph: LoweredGraph;
  nodes: TypedNode[];
  ranges: Map<string, Range>;
  dtypes: Map<string, DType>;
}

const INT32: Range = { lo: -(2 ** 31), hi: 2 ** 31 - 1 };
const ONNX_CODE: Partial<Record<DType, number>> & Record<'int32', number> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6 };

/** The narrowest storage type for a range. */
export function dtypeForRange(r: Range): DType | undefined {
  if (r.float) return 'float32';
  if (r.lo >= -128 && r.hi <= 127) return 'int8';
  if (r.lo >= 0 && r.hi <= 255) return 'uint8';
  if (r.lo >= INT32.lo && r.hi <= INT32.hi) return 'int32';
  return undefined;
}

export function rangeOfData(data: TensorData, what: string): Range {
  const v = toNumberArray(data);
  let lo = Infinity;
  let hi = -Infinity;
  let integral = true;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new InputError(`${what} holds the value ${x} at index ${i}`);
    if (!Number.isInteger(x)) integral = false;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  void what;
  if (v.length === 0) return { lo: 0, hi: 0 };
  return integral ? { lo, hi } : { lo, hi, float: true, integral: false };
}

/** A mapping's output ranges; a constant it cannot take (e.g. a fractional weight) is the user's error. */
function rangeOf(node: LNode, mapping: AnyMapping, params: unknown, ins: (Range | undefined)[]): Range[] {
  try {
    return mapping.range(params, ins);
  } catch (e) {
    if (e instanceof Unsupported) throw new InputError(`node '${node.from.join(' + ')}' (${node.op}): unsupported: ${e.message}`);
    throw e;
  }
}

/** Pick the mapping of a node: the first whose parser accepts it, else an error with every reason. */
export function selectMapping(node: LNode, graph: Graph): { mapping: AnyMapping; params: unknown } {
  const candidates = mappingsFor(node.op);
  const label = `node '${node.from.join(' + ')}' (${node.from.length > 1 ? node.op + ' fused' : node.op})`;
  if (candidates.length === 0) throw new InputError(`${label}: unsupported operator ${node.op}${node.domain ? ` (domain '${node.domain}')` : ''}`);
  const reasons: string[] = [];
  for (const mapping of candidates) {
    try {
      return { mapping, params: mapping.parse(node, graph) };
    } catch (e) {
      if (e instanceof Unsupported) reasons.push(candidates.length > 1 ? `${mapping.name}: ${e.message}` : e.message);
      else throw e;
    }
  }
  throw new InputError(`${label}: unsupported: ${reasons.join('; ')}`);
}

/**
 * Infer ranges and storage types. `inputData` holds the test inputs in graph-input order; without
 * it, a graph input's range comes from its declared integer type (float inputs: int8 assumed).
 */
export function inferTypes(graph: LoweredGraph, inputData?: readonly TensorData[]): TypedGraph {
  const ranges = new Map<string, Range>();
  graph.inputs.forEach((inp, k) => {
    const data = inputData?.[k];
    if (data) ranges.set(inp.name, rangeOfData(data, `graph input '${inp.name}'`));
    else ranges.set(inp.name, declaredRange(inp.dtype));
  });
  for (const [name, t] of graph.initializers) ranges.set(name, rangeOfData(t.data, `constant '${name}'`));

  const nodes: TypedNode[] = [];
  const values = new Map(graph.values);
  const casts = new Map<string, string>();
  /** A Cast node in front of a consumer whose kernel needs the other domain (float32 <-> integer). */
  const castTo = (name: string, toFloat: boolean, consumer: LNode): string => {
    const key = `${name}->${toFloat ? 'f' : 'i'}`;
    const hit = casts.get(key);
    if (hit) return hit;
    const r = ranges.get(name)!;
    if (!toFloat && !r.integral)
      throw new InputError(`node '${consumer.from.join(' + ')}' (${consumer.op}): needs integer input but '${name}' holds non-integer float values (float kernels exist only for Add, Sub, Mul, Div, Round, Clip, Cast)`);
    const out = `${name}__${toFloat ? 'f32' : 'int'}`;
    const outRange: Range = toFloat ? { lo: r.lo, hi: r.hi, float: true, integral: true } : { lo: r.lo, hi: r.hi };
    const to = toFloat ? 1 : (ONNX_CODE[dtypeForRange(outRange) ?? 'int32'] ?? 6);
    const cast: LNode = { name: `${out}_cast`, op: 'Cast', domain: '', inputs: [name], outputs: [out], attrs: { to }, from: [`${consumer.name} (inserted ${toFloat ? 'int -> float' : 'float -> int'} cast)`] };
    values.set(out, { name: out, dtype: toFloat ? 'float32' : 'int32', shape: values.get(name)!.shape.slice() });
    const gv = { ...graph, values };
    const { mapping, params } = selectMapping(cast, gv);
    ranges.set(out, mapping.range(params, [r])[0]!);
    nodes.push({ node: cast, mapping, params });
    casts.set(key, out);
    return out;
  };
  for (const node0 of graph.nodes) {
    let node = node0;
    const gv = { ...graph, values };
    let { mapping, params } = selectMapping(node, gv);
    let ins = node.inputs.map((i) => (i ? ranges.get(i) : undefined));
    let outs = rangeOf(node, mapping, params, ins);
    const domain = mapping.inputDomain ? mapping.inputDomain(params, outs) : 'int';
    if (domain) {
      const inputs = node.inputs.map((i, k) => {
        if (!i || graph.initializers.has(i)) return i;
        const isFloat = ins[k]!.float === true;
        return isFloat === (domain === 'float') ? i : castTo(i, domain === 'float', node);
      });
      if (inputs.some((i, k) => i !== node.inputs[k])) {
        node = { ...node, inputs };
        ({ mapping, params } = selectMapping(node, { ...graph, values }));
        ins = node.inputs.map((i) => (i ? ranges.get(i) : undefined));
        outs = rangeOf(node, mapping, params, ins);
      }
    }
    node.outputs.forEach((o, k) => ranges.set(o, outs[k]!));
    nodes.push({ node, mapping, params });
  }
  graph = { ...graph, nodes: nodes.map((n) => n.node), values };

  const dtypes = new Map<string, DType>();
  for (const [name, r] of ranges) {
    const d = dtypeForRange(r);
    if (!d) {
      const producer = graph.nodes.find((n) => n.outputs.includes(name));
      throw new InputError(
        `tensor '${name}'${producer ? ` (output of node '${producer.name}')` : ''} may hold values in [${r.lo}, ${r.hi}], beyond int32: accumulation would overflow`,
      );
    }
    dtypes.set(name, d);
  }
  unifyTypes(graph, nodes, dtypes);
  return { graph, nodes, ranges, dtypes };
}

/**
 * Tensors joined by a sameType node (Concat, Alias) must share one element type: each group
 * takes the narrowest type that holds all members (int8 + uint8 -> int32). Widening is always
 * possible: kernels take the output type as a parameter and test inputs are converted.
 */
function unifyTypes(graph: LoweredGraph, nodes: TypedNode[], dtypes: Map<string, DType>): void {
  const parent = new Map<string, string>();
  const find = (v: string): string => {
    let r = v;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  for (const { node, mapping } of nodes) {
    if (!mapping.sameType) continue;
    const members = [...node.inputs, ...node.outputs].filter((t) => t && !graph.initializers.has(t));
    for (const m of members.slice(1)) {
      const a = find(members[0]!);
      const b = find(m);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, string[]>();
  for (const t of parent.keys()) {
    const r = find(t);
    groups.set(r, [...(groups.get(r) ?? [r]), t]);
  }
  for (const members of groups.values()) {
    const types = new Set(members.map((m) => dtypes.get(m)!));
    if (types.size <= 1) continue;
    const joined: DType = types.has('float32') ? 'float32' : 'int32';
    for (const m of members) dtypes.set(m, joined);
  }
}

function declaredRange(d: DType): Range {
  switch (d) {
    case 'int8':
      return { lo: -128, hi: 127 };
    case 'uint8':
      return { lo: 0, hi: 255 };
    case 'int16':
      return { lo: -32768, hi: 32767 };
    case 'uint16':
      return { lo: 0, hi: 65535 };
    case 'int32':
      return INT32;
    default:
      return { lo: -128, hi: 127 };
  }
}

// ---- range arithmetic used by the operators' type rules ----------------------------------------

export function rangeUnion(rs: (Range | undefined)[]): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rs) {
    if (!r) continue;
    lo = Math.min(lo, r.lo);
    hi = Math.max(hi, r.hi);
  }
  return lo === Infinity ? { lo: 0, hi: 0 } : { lo, hi };
}

export function rangeMul(a: Range, b: Range): Range {
  const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
  return { lo: Math.min(...p), hi: Math.max(...p) };
}

export function rangeAdd(a: Range, b: Range): Range {
  return { lo: a.lo + b.lo, hi: a.hi + b.hi };
}

export function rangeScale(a: Range, k: number): Range {
  return k >= 0 ? { lo: a.lo * k, hi: a.hi * k } : { lo: a.hi * k, hi: a.lo * k };
}
