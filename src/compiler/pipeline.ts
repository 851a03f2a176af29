// The compiler as a list of phases (docs/compiler.md):
//   import -> lower (fold, alias, fuse) -> types -> bind -> plan (+ verify) -> emit
// Each phase is a function of the previous phase's result; compileGraph runs them in order
// and returns every intermediate result (tests and the manifest read them).
import { InputError } from '../errors.js';
import type { Graph, Node, Tensor, TensorData } from '../frontend/ir.js';
import { fromNumbers } from '../frontend/dtype.js';
import { lookupOp } from '../reference/registry.js';
import { bind, type BoundNode } from './bind.js';
import { checkCompilable } from './coverage.js';
import { emitNetwork, type EmitResult } from './emit.js';
import { importGraph } from './import.js';
import { lower, type LoweredGraph, type NodeEvaluator } from './lower.js';
import './ops/index.js';
import { planMemory, type MemoryPlan, type PlanOptions } from './plan.js';
import { Unsupported } from './registry.js';
import { inferTypes, type TypedGraph } from './types.js';
import { DTYPES } from '../frontend/dtype.js';

export interface CompileOptions extends PlanOptions {
  cores: number;
  fuse?: boolean;
  /** A dsim_fork per layer (default: one fork for the whole network, barriers between layers). */
  forkPerLayer?: boolean;
}

export interface Compiled {
  lowered: LoweredGraph;
  typed: TypedGraph;
  bound: BoundNode[];
  plan: MemoryPlan;
  emitted: EmitResult;
  /** Wall-clock milliseconds per phase. */
  phaseMs: Record<string, number>;
}

export const DEFAULT_OPTIONS: CompileOptions = { cores: 8, l1: 256 * 1024, l2: 2 * 1024 * 1024, wmem: false };

/** Constant folding through the reference executor (the living definition of every operator). */
export const referenceEvaluator: NodeEvaluator = (node: Node, inputs: Tensor[], graph: Graph) => {
  const impl = lookupOp(node.op);
  if (!impl) throw new InputError(`node '${node.name}' (${node.op}): cannot fold a constant node with an operator the reference executor lacks`);
  const vals = inputs.map((t) => (t ? { dtype: t.dtype, shape: t.shape.slice(), data: Float64Array.from(t.data as ArrayLike<number>, Number) } : undefined));
  const outs = impl(vals, {
    node,
    out: (i) => graph.values.get(node.outputs[i]!)!,
    warn: () => undefined,
  });
  return outs.map((v, k) => {
    const info = graph.values.get(node.outputs[k]!);
    const dtype = info && DTYPES[info.dtype].integer ? info.dtype : v.dtype;
    return { name: node.outputs[k]!, dtype, shape: v.shape, data: fromNumbers(dtype, v.data) };
  });
};

/**
 * Run every phase. `golden` may be a function (the reference executor): it is called after
 * binding, so an unsupported network fails with the compiler's own error first.
 */
export function compileGraph(graph: Graph, inputs: TensorData[], goldenOrFn: TensorData[] | (() => TensorData[]), opts: CompileOptions, networkName = graph.name || 'network'): Compiled & { golden: TensorData[] } {
  const phaseMs: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    let r: T;
    try {
      r = f();
    } catch (e) {
      // a mapping's reason (e.g. a fractional constant) that surfaced outside binding
      if (e instanceof Unsupported) throw new InputError(`${networkName}: unsupported (${name} phase): ${e.message}`);
      throw e;
    }
    phaseMs[name] = Math.round((performance.now() - t0) * 10) / 10;
    return r;
  };
  const imported = timed('import', () => importGraph(graph, inputs, typeof goldenOrFn === 'function' ? undefined : goldenOrFn));
  const lowered = timed('lower', () => lower(imported, { evaluate: referenceEvaluator, fuse: opts.fuse }));
  checkCompilable(lowered);
  const typed = timed('types', () => inferTypes(lowered, inputs));
  const bound = timed('bind', () => bind(typed));
  const golden = typeof goldenOrFn === 'function' ? timed('golden', goldenOrFn) : goldenOrFn;
  if (typeof goldenOrFn === 'function') importGraph(graph, inputs, golden);
  // Constants are emitted in the types the bindings ask for; the plan sizes them after emission,
  // so emit once to learn them, plan, then emit the final text with the plan's placement.
  const sizing = timed('plan', () => {
    const provisional = planMemory(typed, { ...opts, l1: Number.MAX_SAFE_INTEGER / 2, l2: Number.MAX_SAFE_INTEGER / 2, wmem: opts.wmem }, new Map());
    return emitNetwork(typed, bound, provisional, { cores: opts.cores, wmem: opts.wmem, forkPerLayer: opts.forkPerLayer, networkName, inputs, golden });
  });
  const constantBytes = new Map(sizing.constants.map((c) => [c.cname, c.values.length * DTYPES[c.dtype].bytes]));
  const plan = timed('plan', () => planMemory(typed, opts, constantBytes));
  const emitted = timed('emit', () => emitNetwork(typed, bound, plan, { cores: opts.cores, wmem: opts.wmem, forkPerLayer: opts.forkPerLayer, networkName, inputs, golden }));
  return { lowered, typed, bound, plan, emitted, phaseMs, golden };
}
