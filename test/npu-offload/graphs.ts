// Shared pieces of the NPU offload tests: seeded integers, RequantShift attributes, the standalone
// requantisation graph, and writing a graph as a case folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';

export const ft = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });
export const rq = (div: number, levels = 256, signed = 1) => ({ div: ft(div), n_levels_out: ft(levels), signed: ft(signed) });

export function rng(seed: number) {
  let s = seed >>> 0;
  return (lo: number, hi: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) % (hi - lo + 1));
  };
}
export const ints = (g: ReturnType<typeof rng>, n: number, lo: number, hi: number) => Array.from({ length: n }, () => g(lo, hi));

/** x[1,8,65,9] int8 -> RequantShift (one negative mul, one add) -> y: 4680 elements = 167 pixels of 28 channels (27 rows of 6, 5 left) + 4. */
export function requantGraph(): { graph: Graph; input: Tensor } {
  const g = rng(3);
  const b = new GraphBuilder('npu_requant');
  const x = b.input('x', 'float32', [1, 8, 65, 9]);
  const mul = b.init('mul', 'float32', [], [-37]);
  const add = b.init('add', 'float32', [], [1234]);
  const y = b.node('RequantShift', [x, mul, add], rq(2 ** 8), { nodeName: 'kv_rq', dtype: 'float32', shape: [1, 8, 65, 9] });
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, 8, 65, 9], data: Int8Array.from(ints(g, 4680, -128, 127)) };
  return { graph: b.output(y).build(), input };
}

/** The graph and its input as a case folder <out>/cases/<name> (network.onnx, inputs.npz). */
export function writeCase(out: string, name: string, c: { graph: Graph; input: Tensor }): string {
  const dir = join(out, 'cases', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'network.onnx'), writeOnnx(c.graph));
  writeFileSync(join(dir, 'inputs.npz'), formatNpz([c.input]));
  return dir;
}
