// Hand-made IR graphs for the compiler's unit tests.
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Tensor } from '../../src/frontend/ir.js';

export const ft = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });
export const rqAttrs = (div: number, levels = 256, signed = 1) => ({ div: ft(div), n_levels_out: ft(levels), signed: ft(signed) });

/** x[1,4,8] -> MatMul(W[8,6]) -> Add(bias[6]) -> RequantShift -> Reshape[1,24] -> output */
export function linearGraph(): ReturnType<GraphBuilder['build']> {
  const b = new GraphBuilder('linear');
  const x = b.input('x', 'float32', [1, 4, 8]);
  const w = b.init('W', 'float32', [8, 6], Array.from({ length: 48 }, (_, i) => (i % 7) - 3));
  const bias = b.init('bias', 'float32', [6], [1, -2, 3, -4, 5, -6]);
  const mul = b.init('mul', 'float32', [], [3]);
  const add = b.init('add', 'float32', [], [0]);
  const shape = b.init('shape', 'int64', [2], [1, 24]);
  const mm = b.node('MatMul', [x, w], {}, { nodeName: 'mm', dtype: 'float32' });
  const ad = b.node('Add', [mm, bias], {}, { nodeName: 'bias_add', dtype: 'float32' });
  const rq = b.node('RequantShift', [ad, mul, add], rqAttrs(16), { nodeName: 'rq', dtype: 'float32', shape: [1, 4, 6] });
  const r = b.node('Reshape', [rq, shape], {}, { nodeName: 'flat', dtype: 'float32', shape: [1, 24] });
  return b.output(r).build();
}
