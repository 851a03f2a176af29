// Phase 1: import. The frontend (loadOnnx) already gives a sorted, shaped Graph; this phase
// checks what the later phases assume: test vectors that match the graph's inputs and outputs.
// Float values are allowed (types.ts gives them float32; the cores run float32 through libgcc's
// soft-float), which is what Transformer_DeepQuant's quantize/dequantize ops need.
import { InputError } from '../errors.js';
import type { Graph, TensorData } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';


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
  const finite = (list: readonly TensorData[], what: string) =>
    list.forEach((data, k) => {
      for (let i = 0; i < data.length; i++)
        if (typeof data[i] === 'number' && !Number.isFinite(data[i])) throw new InputError(`${what} array ${k} holds ${data[i]} at index ${i}: expected finite values`);
    });
  finite(inputs, 'input');
  if (golden) finite(golden, 'output');
  return graph;
}
