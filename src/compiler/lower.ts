// Phase 2: lowering and fusion. Each rule is a small function over the graph; the phase is
// the ordered list RULES, run once each (tinygrad-style named rewrites, without an engine:
// every rule already reaches its fixpoint in one walk).
//
//  - fold-constants: a node whose inputs are all constants is evaluated at compile time.
//  - alias-shape-ops: Reshape/Flatten/Identity/Squeeze/Unsqueeze become `Alias` nodes: the output
//    is the same bytes as the input under another shape; the planner gives both one buffer.
//  - fuse-requant: MatMul[+Add bias]/Gemm/Conv/Add followed by RequantShift become one
//    requantised kernel (RQMatMul, RQGemm, RQConv, RQAdd), so the int32 intermediate never exists.
//  - fold-transpose-into-matmul: a Transpose of the last two axes feeding MatMul B becomes transB.
//  - drop-dead: nodes whose outputs nobody reads.
import { InputError } from '../errors.js';
import type { Graph, Node, Tensor } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';
import { COMPILER_DOMAIN, consumers, isConstant, isGraphOutput, lnode, type LNode } from './graph.js';

/** Evaluates one node on constant inputs (the reference executor, injected by the pipeline). */
export type NodeEvaluator = (node: Node, inputs: Tensor[], graph: Graph) => Tensor[];

export interface LowerOptions {
  evaluate?: NodeEvaluator;
  /** Turn fusion off (for tests and for comparing cycle counts). */
  fuse?: boolean;
}

export interface LoweredGraph extends Graph {
  nodes: LNode[];
}

type Rule = (g: LoweredGraph, opts: LowerOptions) => LoweredGraph;

const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Identity', 'Squeeze', 'Unsqueeze']);

/** Producers that absorb a following RequantShift, and the fused operator they become. */
const REQUANT_FUSIONS: Record<string, string> = {
  MatMul: 'RQMatMul',
  Gemm: 'RQGemm',
  Conv: 'RQConv',
  Add: 'RQAdd',
  iHardswish: 'RQHardswish',
};

/** Extra conditions for a fusion (the kernel's requant support). */
const FUSION_GUARD: Record<string, (g: Graph, rq: Node) => boolean> = {
  // dk_ihardswish requantises per tensor only
  iHardswish: (g, rq) => [rq.inputs[1], rq.inputs[2]].every((i) => elementCount(g.initializers.get(i ?? '')?.shape ?? [2]) === 1),
};

function withNodes(g: LoweredGraph, nodes: LNode[]): LoweredGraph {
  return { ...g, nodes };
}

const foldConstants: Rule = (g, opts) => {
  if (!opts.evaluate) return g;
  const initializers = new Map(g.initializers);
  const nodes: LNode[] = [];
  for (const n of g.nodes) {
    const ins = n.inputs.filter((i) => i !== '');
    if (ins.length > 0 && ins.every((i) => initializers.has(i)) && n.domain !== COMPILER_DOMAIN) {
      const inputs = n.inputs.map((i) => (i === '' ? undefined : initializers.get(i))) as Tensor[];
      const outs = opts.evaluate(n, inputs, { ...g, initializers });
      outs.forEach((t, k) => initializers.set(n.outputs[k]!, { ...t, name: n.outputs[k]! }));
      continue;
    }
    nodes.push(n);
  }
  // A graph output that became a constant still needs a buffer: keep it as a copy from a constant.
  for (const o of g.outputs)
    if (initializers.has(o.name) && !g.initializers.has(o.name))
      throw new InputError(`graph output '${o.name}' is a compile-time constant; a network without runtime computation is not supported`);
  return { ...g, nodes, initializers };
};

const aliasShapeOps: Rule = (g) =>
  withNodes(
    g,
    g.nodes.map((n) => {
      if (n.domain !== '' || !ALIAS_OPS.has(n.op) || isConstant(g, n.inputs[0]!)) return n;
      const inShape = g.values.get(n.inputs[0]!)?.shape ?? [];
      const outShape = g.values.get(n.outputs[0]!)?.shape ?? [];
      if (elementCount(inShape) !== elementCount(outShape))
        throw new InputError(`node '${n.name}' (${n.op}): ${elementCount(inShape)} elements in, ${elementCount(outShape)} out`);
      return { ...n, op: 'Alias', domain: COMPILER_DOMAIN, inputs: [n.inputs[0]!], attrs: {}, from: n.from } satisfies LNode;
    }),
  );

const fuseRequant: Rule = (g, opts) => {
  if (opts.fuse === false) return g;
  const uses = consumers(g);
  const producer = new Map<string, LNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  // A value can be fused away when only `by` reads it and it is not a graph output.
  const private1 = (v: string, by: Node) => !isGraphOutput(g, v) && (uses.get(v) ?? []).length === 1 && uses.get(v)![0] === by;
  const removed = new Set<LNode>();
  const replaced = new Map<LNode, LNode>();
  for (const rq of g.nodes) {
    if (rq.op !== 'RequantShift' || rq.domain !== '') continue;
    const x = rq.inputs[0]!;
    const p = producer.get(x);
    if (!p || p.domain !== '' || !(p.op in REQUANT_FUSIONS) || !private1(x, rq) || removed.has(p)) continue;
    if (FUSION_GUARD[p.op] && !FUSION_GUARD[p.op]!(g, rq)) continue;
    const rqAttrs = rq.attrs;
    let fused: LNode;
    if (p.op === 'Add') {
      // MatMul + Add(constant bias) + RequantShift: a requantised MatMul with a bias.
      const cIdx = p.inputs.findIndex((i) => isConstant(g, i));
      const other = cIdx >= 0 ? p.inputs[1 - cIdx]! : '';
      const mm = other ? producer.get(other) : undefined;
      if (mm && mm.op === 'MatMul' && mm.domain === '' && private1(other, p) && !removed.has(mm)) {
        fused = {
          name: mm.name,
          op: 'RQMatMul',
          domain: COMPILER_DOMAIN,
          inputs: [mm.inputs[0]!, mm.inputs[1]!, p.inputs[cIdx]!, rq.inputs[1]!, rq.inputs[2]!],
          outputs: [rq.outputs[0]!],
          attrs: { ...rqAttrs },
          from: [...mm.from, ...p.from, ...rq.from],
        };
        removed.add(mm);
        removed.add(p);
        replaced.set(rq, fused);
        continue;
      }
    }
    const inputs =
      p.op === 'MatMul' ? [p.inputs[0]!, p.inputs[1]!, ''] : p.op === 'Add' ? [p.inputs[0]!, p.inputs[1]!] : p.op === 'iHardswish' ? [p.inputs[0]!] : [p.inputs[0]!, p.inputs[1]!, p.inputs[2] ?? ''];
    fused = {
      name: p.name,
      op: REQUANT_FUSIONS[p.op]!,
      domain: COMPILER_DOMAIN,
      inputs: [...inputs, rq.inputs[1]!, rq.inputs[2]!],
      outputs: [rq.outputs[0]!],
      attrs: { ...p.attrs, ...rqAttrs },
      from: [...p.from, ...rq.from],
    };
    removed.add(p);
    replaced.set(rq, fused);
  }
  return withNodes(
    g,
    g.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n),
  );
};

/**
 * A Transpose that only swaps the last two axes and feeds nothing but the B input of MatMuls
 * disappears: the MatMuls read B transposed (transB = 1, dk_gemm's fast layout).
 */
const foldTransposeIntoMatMul: Rule = (g, opts) => {
  if (opts.fuse === false) return g;
  const uses = consumers(g);
  const drop = new Set<LNode>();
  const rewrite = new Map<LNode, LNode>();
  for (const t of g.nodes) {
    if (t.op !== 'Transpose' || t.domain !== '' || isConstant(g, t.inputs[0]!) || isGraphOutput(g, t.outputs[0]!)) continue;
    const rank = g.values.get(t.inputs[0]!)?.shape.length ?? 0;
    const perm = (t.attrs.perm as number[] | undefined) ?? [];
    const swapsLast2 = rank >= 2 && perm.length === rank && perm.every((a, k) => (k < rank - 2 ? a === k : a === (k === rank - 1 ? rank - 2 : rank - 1)));
    const users = uses.get(t.outputs[0]!) ?? [];
    const ok = users.every((u) => (u.op === 'MatMul' || u.op === 'RQMatMul') && u.inputs[1] === t.outputs[0] && u.inputs[0] !== t.outputs[0] && !('transB' in u.attrs));
    if (!swapsLast2 || users.length === 0 || !ok) continue;
    drop.add(t);
    for (const u of users as LNode[]) {
      const base = rewrite.get(u) ?? u;
      rewrite.set(u, { ...base, inputs: base.inputs.map((i, k) => (k === 1 ? t.inputs[0]! : i)), attrs: { ...base.attrs, transB: 1 }, from: [...t.from, ...base.from] });
    }
  }
  return withNodes(
    g,
    g.nodes.filter((n) => !drop.has(n)).map((n) => rewrite.get(n) ?? n),
  );
};

const dropDead: Rule = (g) => {
  const live = new Set(g.outputs.map((o) => o.name));
  const keep: LNode[] = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (n.outputs.some((o) => live.has(o))) {
      keep.push(n);
      for (const i of n.inputs) if (i) live.add(i);
    }
  }
  keep.reverse();
  const initializers = new Map([...g.initializers].filter(([name]) => live.has(name)));
  return { ...g, nodes: keep, initializers };
};

export const RULES: ReadonlyArray<readonly [string, Rule]> = [
  ['fold-constants', foldConstants],
  ['alias-shape-ops', aliasShapeOps],
  ['fuse-requant', fuseRequant],
  ['fold-transpose-into-matmul', foldTransposeIntoMatMul],
  ['drop-dead', dropDead],
];

export function lower(graph: Graph, opts: LowerOptions = {}): LoweredGraph {
  let g: LoweredGraph = { ...graph, nodes: graph.nodes.map(lnode) };
  for (const [, rule] of RULES) g = rule(g, opts);
  return g;
}
