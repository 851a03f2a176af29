// Phase 1: import. The frontend (loadOnnx) already gives a sorted, shaped Graph; this phase
// checks what the later phases assume: test vectors that match the graph's inputs and outputs,
// and an integer graph. Float quantize/dequantize graphs (Transformer_DeepQuant: Div, Round,
// Clip, Cast on float values) are rejected here with the node that makes them float: the
// compiler targets the integer cores (no FPU) and does not lower float ops (docs/compiler.md).
import { InputError } from '../errors.js';
import { toNumberArray } from '../frontend/dtype.js';
import type { Graph, TensorData } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';

/** Operators that only make sense on float values in QuantLib graphs. */
const FLOAT_OPS = new Set(['Round', 'QuantizeLinear', 'DequantizeLinear']);

function isIntegerValued(data: TensorData): boolean {
  const v = toNumberArray(data);
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]!)) return false;
  return true;
}

/** `golden` undefined: checked later, once the reference executor computed it. */
export function importGraph(graph: Graph, inputs: readonly TensorData[], golden: readonly TensorData[] | undefined): Graph {
  if (inputs.length < graph.inputs.length)
    throw new InputError(`the graph has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}), the inputs file holds ${inputs.length} arrays`);
  graph.inputs.forEach((info, k) => {
    if (inputs[k]!.length !== elementCount(info.shape))
      throw new InputError(`input array ${k} has ${inputs[k]!.length} elements, graph input '${info.name}' [${info.shape.join(', ')}] needs ${elementCount(info.shape)}`);
  });
  if (golden && golden.length < graph.outputs.length)
    throw new InputError(`the graph has ${graph.outputs.length} outputs, the outputs file holds ${golden.length} arrays`);
  if (golden) graph.outputs.forEach((info, k) => {
    if (golden[k]!.length !== elementCount(info.shape))
      throw new InputError(`output array ${k} has ${golden[k]!.length} elements, graph output '${info.name}' [${info.shape.join(', ')}] needs ${elementCount(info.shape)}`);
  });

  for (const n of graph.nodes) {
    const floatConst = n.inputs.find((i) => {
      const t = graph.initializers.get(i);
      return t !== undefined && !isIntegerValued(t.data);
    });
    if (FLOAT_OPS.has(n.op) || floatConst)
      throw new InputError(
        `node '${n.name}' (${n.op}): float operator${floatConst ? ` on the non-integer constant '${floatConst}'` : ''}: this graph quantizes/dequantizes float values, ` +
          'and the compiler only compiles integer graphs (the cores have no FPU; soft-float lowering is not implemented, see docs/compiler.md)',
      );
  }
  graph.inputs.forEach((info, k) => {
    if (!isIntegerValued(inputs[k]!)) throw new InputError(`graph input '${info.name}': the test input holds non-integer values; only integer graphs compile`);
  });
  if (golden) graph.outputs.forEach((info, k) => {
    if (!isIntegerValued(golden[k]!)) throw new InputError(`graph output '${info.name}': the golden output holds non-integer values; only integer graphs compile`);
  });
  return graph;
}
