// Graph-level checks shared by the loader and by code that builds graphs in memory.
import { InputError } from '../errors.js';
import type { Graph, Node } from './ir.js';

/**
 * Topological order, stable: among ready nodes the one earliest in the file goes first, so an
 * already sorted graph keeps its order. Unknown inputs and cycles are errors naming the node.
 */
export function sortGraph(graph: Graph, source = '<graph>'): Graph {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (producer.has(o)) throw new InputError(`${source}: tensor '${o}' is produced by two nodes ('${graph.nodes[producer.get(o)!]!.name}' and '${n.name}')`);
      producer.set(o, i);
    }
  });
  const available = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((v) => v.name)]);
  const pending = new Array<number>(graph.nodes.length).fill(0);
  const consumers = new Map<number, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const inp of n.inputs) {
      if (inp === '') continue;
      const p = producer.get(inp);
      if (p === undefined) {
        if (!available.has(inp)) throw new InputError(`${source}: node '${n.name}' (${n.op}) reads tensor '${inp}', which is no graph input, initializer or node output`);
        continue;
      }
      pending[i]!++;
      const list = consumers.get(p) ?? [];
      list.push(i);
      consumers.set(p, list);
    }
  });
  // A min-heap would be O(n log n); graphs here have a few thousand nodes, so a sorted ready list is fine.
  const ready: number[] = [];
  pending.forEach((c, i) => c === 0 && ready.push(i));
  const order: Node[] = [];
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(graph.nodes[i]!);
    for (const c of consumers.get(i) ?? []) if (--pending[c]! === 0) ready.push(c);
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.find((_, i) => pending[i]! > 0)!;
    throw new InputError(`${source}: graph has a cycle through node '${stuck.name}' (${stuck.op})`);
  }
  return { ...graph, nodes: order };
}
