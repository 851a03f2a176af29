// onnxruntime (npm onnxruntime-node, CPU, graph optimisations off) as the outside oracle, and
// the agreement measures the issue asks for.
import * as ort from 'onnxruntime-node';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { writeOnnx } from '../../src/frontend/onnx.js';

const ORT_TYPE: Record<string, ort.Tensor.Type> = { float32: 'float32', int8: 'int8', uint8: 'uint8', int32: 'int32' };

/** Outputs of the graph under onnxruntime, as numbers, in graph-output order. */
export async function runOrt(graph: Graph, inputs: Tensor[]): Promise<Float64Array[]> {
  const session = await ort.InferenceSession.create(writeOnnx(graph), { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  graph.inputs.forEach((info, i) => (feeds[info.name] = new ort.Tensor(ORT_TYPE[info.dtype]!, inputs[i]!.data as Float32Array, info.shape)));
  const res = await session.run(feeds);
  await session.release();
  return graph.outputs.map((o) => Float64Array.from(res[o.name]!.data as ArrayLike<number>));
}

export interface Agreement {
  /** Elements exactly equal. */
  exact: number;
  /** Largest difference in quantization steps (rounded to 1e-3 against float noise). */
  maxSteps: number;
  n: number;
}

/** Compare two outputs whose values are multiples of `step` (a dequantized output) or integers (step 1). */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>, step = 1): Agreement {
  let exact = 0;
  let maxSteps = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) exact++;
    maxSteps = Math.max(maxSteps, Math.round((Math.abs(a[i]! - b[i]!) / step) * 1e3) / 1e3);
  }
  return { exact, maxSteps, n: a.length };
}
