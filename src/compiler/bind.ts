// Phase 4: kernel binding. Each node already has its mapping (the first whose parser accepted
// it, types.ts); here it gets the first binding whose type check accepts the inferred element
// types. No binding -> an error naming the node and every binding's reason (exit 2).
import { InputError } from '../errors.js';
import type { DType } from '../frontend/ir.js';
import type { LNode } from './graph.js';
import type { AnyMapping, Binding, TypeSignature } from './registry.js';
import type { TypedGraph } from './types.js';

export interface BoundNode {
  node: LNode;
  mapping: AnyMapping;
  params: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  binding: Binding<any>;
  types: TypeSignature;
  /** A layout-free layer (Add, RequantShift, ...) on pixel-major activations between NPU convs:
   *  `params` (and `binding`) walk HWC, `nchw` holds the layer's own; `why` goes to the C comment
   *  (npu/layout.ts) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  hwc?: { why: string; nchw: { params: unknown; binding: Binding<any> } };
}

export function signature(tg: TypedGraph, node: LNode): TypeSignature {
  return {
    inputs: node.inputs.map((i) => (i ? tg.dtypes.get(i) : undefined)),
    outputs: node.outputs.map((o) => tg.dtypes.get(o) as DType),
  };
}

export function bind(tg: TypedGraph): BoundNode[] {
  return tg.nodes.map(({ node, mapping, params }) => {
    const types = signature(tg, node);
    const reasons: string[] = [];
    for (const binding of mapping.bindings) {
      const why = binding.check(params, types);
      if (why === undefined) return { node, mapping, params, binding, types };
      reasons.push(`${binding.kernel}: ${why}`);
    }
    const sig = `(${types.inputs.map((t) => t ?? '-').join(', ')}) -> (${types.outputs.join(', ')})`;
    throw new InputError(`node '${node.from.join(' + ')}' (${node.op}): no kernel for types ${sig}: ${reasons.join('; ')}`);
  });
}
