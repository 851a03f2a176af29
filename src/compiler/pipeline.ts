// The compiler as a list of phases (docs/compiler.md):
//   import -> lower (fold, alias, fuse) -> types -> bind -> constants -> tile -> plan (+ verify) -> emit
// Each phase is a function of the previous phase's result; compileGraph runs them in order
// and returns every intermediate result (tests and the manifest read them).
import { InputError } from '../errors.js';
import type { Graph, Node, Tensor, TensorData } from '../frontend/ir.js';
import { fromNumbers } from '../frontend/dtype.js';
import { lookupOp } from '../reference/registry.js';
import { bind, type BoundNode } from './bind.js';
import { materializeConstants, type ConstantsPhase } from './constants.js';
import { checkCompilable } from './coverage.js';
import { emitNetwork, type EmitResult } from './emit.js';
import { tileBufferName } from './emit-tiles.js';
import { argsSlotsBytes, tableOnlyBytes, tileNetwork, tileTableBytes, verifyTiling, type TilingPlan } from './tile.js';
import { importGraph } from './import.js';
import { lower, type LoweredGraph, type NodeEvaluator } from './lower.js';
import './ops/index.js';
import { planMemory, type MemoryPlan, type PlanOptions, type TilePlacement } from './plan.js';
import { Unsupported } from './registry.js';
import { assignEngines, demoteUntileable, type EngineChoice } from './npu/assign.js';
import { assignNpuLayouts } from './npu/layout.js';
import { npuWeightConstants } from './npu/placement.js';
import { inferTypes, type TypedGraph } from './types.js';
import { DTYPES } from '../frontend/dtype.js';

export interface CompileOptions extends PlanOptions {
  cores: number;
  fuse?: boolean;
  /** A dsim_fork per layer (default: one fork for the whole network, barriers between layers). */
  forkPerLayer?: boolean;
  /** Offload eligible layers to the NPU (src/compiler/npu/; default on: the chip has one). */
  npu?: boolean;
}

export interface Compiled {
  lowered: LoweredGraph;
  typed: TypedGraph;
  bound: BoundNode[];
  /** Engine of each bound layer (same order), with the reason an NPU candidate stays on the cluster. */
  engines: EngineChoice[];
  constants: ConstantsPhase;
  tiling: TilingPlan;
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
  const clusterBound = timed('bind', () => bind(typed));
  let { bound, engines } = timed('engines', () => assignEngines(clusterBound, typed, { npu: opts.npu !== false, cores: opts.cores }));
  ({ bound } = assignNpuLayouts(bound, typed, opts.cores));
  const golden = typeof goldenOrFn === 'function' ? timed('golden', goldenOrFn) : goldenOrFn;
  if (typeof goldenOrFn === 'function') importGraph(graph, inputs, golden);
  let constants = timed('constants', () => materializeConstants(typed, bound));
  let tiling: TilingPlan;
  for (;;) {
    try {
      tiling = timed('tile', () => tileNetwork(typed, constants, opts));
      break;
    } catch (e) {
      // an NPU layer whose tiles do not fit the L1 budget goes back to the cluster's kernel
      const demoted = e instanceof InputError ? demoteUntileable(e.message, clusterBound, bound, engines, opts.l1) : undefined;
      if (!demoted) throw e;
      ({ bound, engines } = demoted);
      ({ bound } = assignNpuLayouts(bound, typed, opts.cores));
      constants = timed('constants', () => materializeConstants(typed, bound));
    }
  }
  const placement = (t: TilingPlan): TilePlacement => ({
    activationLevels: t.activationLevels,
    buffers: t.layers.flatMap((lt) => {
      const pre = new Set([...lt.once, ...(lt.tiles[0]?.transfers ?? [])].filter((x) => x.dir === 'in').map((x) => x.field));
      return lt.buffers.flatMap((b) =>
        Array.from({ length: b.copies }, (_, k) => ({ name: tileBufferName(b, k), size: b.bytes, step: lt.step, from: lt.prefetchAt !== undefined && k === 0 && pre.has(b.field) ? lt.prefetchAt : undefined })),
      );
    }),
    l1Constants: t.l1Constants,
    // with args slots the working args are the slot: only the tables themselves (in L2)
    tableBytes: t.layers.reduce((sum, lt) => sum + (t.argsSlots ? tableOnlyBytes(lt) : tileTableBytes(lt)), 0),
    argsInL1: t.argsInL1,
    tablesInL1: t.tablesInL1,
    argsBytes: constants.argsBytes,
    argsSlotBytes: t.argsSlots ? argsSlotsBytes(t.argsSlots) : 0,
    wmemConstants: npuWeightConstants(constants),
  });
  const plan = timed('plan', () => {
    let p: MemoryPlan;
    try {
      p = planMemory(typed, opts, constants.bytes, placement(tiling));
    } catch (e) {
      // prefetch buffers live over two steps: if packing them costs L1 the budget lacks, drop them
      if (!(e instanceof InputError) || !tiling.layers.some((t) => t.prefetchAt !== undefined)) throw e;
      for (const t of tiling.layers) delete t.prefetchAt;
      p = planMemory(typed, opts, constants.bytes, placement(tiling));
    }
    verifyTiling(tiling, p, opts.platform);
    return p;
  });
  const emitted = timed('emit', () =>
    emitNetwork(typed, constants, plan, { cores: opts.cores, wmem: opts.wmem, forkPerLayer: opts.forkPerLayer, networkName, inputs, golden }, tiling),
  );
  return { lowered, typed, bound, engines, constants, tiling, plan, emitted, phaseMs, golden };
}
