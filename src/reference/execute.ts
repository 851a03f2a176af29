// The integer reference executor: runs a Graph node by node in topological order on exact values.
import { InputError } from '../errors.js';
import type { Graph, Tensor, TensorInfo } from '../frontend/ir.js';
import { DTYPES, dtypeOfArray } from '../frontend/dtype.js';
import type { NamedArray } from '../frontend/npy.js';
import { lookupOp } from './registry.js';
import { type OpContext, type Value, valueOf } from './value.js';

export interface ExecuteOptions {
  /** Keep every intermediate value (node outputs), keyed by tensor name, in execution order. */
  captureActivations?: boolean;
  /** Name of the inputs file, for error messages. */
  source?: string;
}

export interface ExecuteResult {
  /** Graph outputs in graph order. Values are exact; `dtype` is the graph's declared type. */
  outputs: Value[];
  /** Node outputs by tensor name, in execution order (only with captureActivations). */
  activations?: Map<string, Value>;
  /** Non-fatal findings, each naming its node (e.g. int32 accumulator overflow). */
  warnings: string[];
}

type InputArg = readonly (Tensor | NamedArray)[] | ReadonlyMap<string, Tensor | NamedArray>;

/** Fails loudly, naming every op type the executor lacks (all of them) and a node of each. */
export function checkSupported(graph: Graph, source = '<graph>'): void {
  const missing = new Map<string, { first: string; count: number }>();
  for (const n of graph.nodes) {
    if (lookupOp(n.op)) continue;
    const key = `${n.op}${n.domain ? `, domain ${n.domain}` : ''}`;
    const m = missing.get(key);
    if (m) m.count++;
    else missing.set(key, { first: n.name, count: 1 });
  }
  if (missing.size) {
    const list = [...missing].map(([op, m]) => `${op} (${m.count} node${m.count > 1 ? 's' : ''}, e.g. '${m.first}')`).join(', ');
    throw new InputError(`${source}: the reference executor does not support the op type${missing.size > 1 ? 's' : ''} ${list}`);
  }
}

function bindInputs(graph: Graph, inputs: InputArg, source: string): Map<string, Value> {
  const env = new Map<string, Value>();
  const list: (Tensor | NamedArray | undefined)[] =
    inputs instanceof Map ? graph.inputs.map((i) => (inputs as ReadonlyMap<string, Tensor | NamedArray>).get(i.name)) : (inputs as readonly (Tensor | NamedArray)[]).slice(0, graph.inputs.length);
  if (list.length < graph.inputs.length || list.some((t) => !t)) {
    const got = inputs instanceof Map ? [...inputs.keys()].join(', ') : `${(inputs as readonly unknown[]).length} arrays`;
    throw new InputError(`${source}: the graph has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}), got ${got}`);
  }
  graph.inputs.forEach((info: TensorInfo, i) => {
    const t = list[i]!;
    const shapeOk = t.shape.length === info.shape.length && t.shape.every((d, k) => d === info.shape[k]);
    if (!shapeOk) throw new InputError(`${source}: array ${i} ('${t.name}') has shape [${t.shape.join(', ')}], graph input '${info.name}' needs [${info.shape.join(', ')}]`);
    const dt = dtypeOfArray(t.data);
    const v = valueOf({ name: info.name, dtype: dt, shape: t.shape.slice(), data: t.data });
    if (DTYPES[info.dtype].integer) {
      const lo = DTYPES[info.dtype].min;
      const hi = DTYPES[info.dtype].max;
      for (const x of v.data)
        if (!Number.isInteger(x) || x < lo || x > hi)
          throw new InputError(`${source}: array ${i} ('${t.name}') holds ${x}, not a value of graph input '${info.name}' (${info.dtype})`);
    }
    v.dtype = info.dtype;
    env.set(info.name, v);
  });
  return env;
}

/** Run the graph on inputs given in graph-input order (an array) or by name (a Map). */
export function execute(graph: Graph, inputs: InputArg, opts: ExecuteOptions = {}): ExecuteResult {
  const source = opts.source ?? '<inputs>';
  checkSupported(graph, graph.name || '<graph>');
  const env = bindInputs(graph, inputs, source);
  for (const [name, t] of graph.initializers) env.set(name, valueOf(t));
  const warnings: string[] = [];
  const activations = opts.captureActivations ? new Map<string, Value>() : undefined;
  // Free a value after its last use unless it is a graph output or captured.
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(t, i)));
  const keep = new Set(graph.outputs.map((o) => o.name));

  graph.nodes.forEach((node, idx) => {
    const impl = lookupOp(node.op)!;
    const ins = node.inputs.map((name) => {
      if (name === '') return undefined;
      const v = env.get(name);
      if (!v) throw new InputError(`node '${node.name}' (${node.op}): input '${name}' has no value`);
      return v;
    });
    const ctx: OpContext = {
      node,
      out: (i) => {
        const info = graph.values.get(node.outputs[i]!);
        if (!info) throw new InputError(`node '${node.name}' (${node.op}): output '${node.outputs[i]}' has no type/shape`);
        return info;
      },
      warn: (msg) => warnings.push(`node '${node.name}' (${node.op}): ${msg}`),
    };
    let outs: Value[];
    try {
      outs = impl(ins, ctx);
    } catch (e) {
      if (e instanceof InputError && !e.message.includes(node.name)) throw new InputError(`node '${node.name}' (${node.op}): ${e.message}`);
      throw e;
    }
    node.outputs.forEach((name, i) => {
      if (name === '' || !outs[i]) return;
      const v = outs[i]!;
      const declared = graph.values.get(name);
      if (declared && (declared.shape.length !== v.shape.length || declared.shape.some((d, k) => d !== v.shape[k])))
        throw new InputError(`node '${node.name}' (${node.op}): computed shape [${v.shape}] for '${name}', the graph declares [${declared.shape}]`);
      // -0 is not an integer value anyone stores: make it 0 once here rather than in every op.
      const d = v.data;
      for (let k = 0; k < d.length; k++) if (d[k] === 0) d[k] = 0;
      env.set(name, v);
      activations?.set(name, v);
    });
    if (!activations)
      for (const t of node.inputs) if (lastUse.get(t) === idx && !keep.has(t) && !graph.initializers.has(t)) env.delete(t);
  });
  const outputs = graph.outputs.map((o) => {
    const v = env.get(o.name);
    if (!v) throw new InputError(`graph output '${o.name}' was never computed`);
    return { ...v, dtype: o.dtype };
  });
  return { outputs, ...(activations ? { activations } : {}), warnings };
}
