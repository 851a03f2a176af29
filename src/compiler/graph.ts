// Small helpers over the shared IR that every compiler phase needs: who consumes a value,
// which values are constants, and the node type the phases after lowering pass around.
import type { Graph, Node } from '../frontend/ir.js';

/** Domain of the operators the compiler introduces (fused kernels, aliases). */
export const COMPILER_DOMAIN = 'deeploy-sim';

/** A node after lowering: remembers which ONNX nodes it stands for (for names, comments, errors). */
export interface LNode extends Node {
  from: string[];
}

export function lnode(n: Node): LNode {
  return 'from' in n ? (n as LNode) : { ...n, from: [n.name] };
}

export function consumers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) {
      if (!i) continue;
      let list = m.get(i);
      if (!list) m.set(i, (list = []));
      if (!list.includes(n)) list.push(n);
    }
  return m;
}

export function isConstant(graph: Graph, name: string): boolean {
  return graph.initializers.has(name);
}

export function isGraphOutput(graph: Graph, name: string): boolean {
  return graph.outputs.some((o) => o.name === name);
}

export function shapeOf(graph: Graph, name: string): number[] {
  const v = graph.values.get(name);
  if (!v) throw new Error(`internal: value '${name}' has no shape`);
  return v.shape;
}

// C identifiers from model names live in names.ts (with the comment/string escaping they go with).
export { cIdent, uniqueIdents } from './names.js';
