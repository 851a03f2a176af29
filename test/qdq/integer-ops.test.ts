// MatMulInteger and ConvInteger (1D with padding; zero points per tensor, MatMulInteger's B per column): the
// reference equals onnxruntime exactly, and the lowered graph compiled for the 8-core cluster
// equals the reference bit for bit.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { fromNumbers } from '../../src/frontend/dtype.js';
import type { Tensor } from '../../src/frontend/ir.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { execute } from '../../src/reference/execute.js';
import { runOrt } from './oracle.js';

const OUT = join(process.cwd(), 'test', '.out', 'qdq-int', `run-${process.pid}`);
const rng = seedrandom('integer-ops');
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo + 1)));

function graph() {
  const b = new GraphBuilder('integer_ops');
  b.input('x', 'uint8', [1, 4, 16]);
  b.input('a', 'uint8', [8, 16]);
  const w = b.init('w', 'int8', [6, 4, 3], ints(72, -127, 127));
  const conv = b.node('ConvInteger', ['x', w, b.init('x_zp', 'uint8', [], [3]), b.init('w_zp', 'int8', [], [2])], { kernel_shape: [3], pads: [1, 1] }, { name: 'conv', dtype: 'int32', shape: [1, 6, 16] });
  const bm = b.init('bm', 'int8', [16, 5], ints(80, -127, 127));
  const mm = b.node('MatMulInteger', ['a', bm, b.init('a_zp', 'uint8', [], [7]), b.init('b_zp', 'int8', [5], [0, 2, -3, 1, 0])], {}, { name: 'mm', dtype: 'int32', shape: [8, 5] });
  const inputs: Tensor[] = [
    { name: 'x', dtype: 'uint8', shape: [1, 4, 16], data: fromNumbers('uint8', [...ints(60, 0, 255), 0, 0, 255, 255]) },
    { name: 'a', dtype: 'uint8', shape: [8, 16], data: fromNumbers('uint8', ints(128, 0, 255)) },
  ];
  return { g: b.output(conv, mm).build(), inputs };
}

describe('MatMulInteger / ConvInteger', () => {
  it('reference = onnxruntime exactly', async () => {
    const { g, inputs } = graph();
    const ort = await runOrt(g, inputs);
    const ref = execute(g, inputs).outputs;
    ref.forEach((v, k) => expect(Array.from(v.data)).toEqual(Array.from(ort[k]!)));
  });
  it('compiled on 8 cores = reference bit for bit', async () => {
    rmSync(OUT, { recursive: true, force: true });
    const { g, inputs } = graph();
    const dir = join(OUT, 'case');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'network.onnx'), writeOnnx(g));
    writeFileSync(join(dir, 'inputs.npz'), formatNpz(inputs));
    const r = await testCase(dir, join(OUT, 'build'));
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    rmSync(OUT, { recursive: true, force: true });
  }, 120_000);
});
