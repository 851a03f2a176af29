// Standard-ONNX quantized networks (golden/quant-networks.ts: QDQ and QOperator, MLP, conv stack,
// attention block) against onnxruntime, and their integer deployment on the 8-core cluster.
//  - the reference executor's ONNX semantics equal onnxruntime's (graph optimisations off) on
//    >= 99.9% of the elements of every output and are within one quantization step everywhere;
//  - the lowered integer graph (what the compiler deploys) differs from onnxruntime by at most one
//    step on at most 1% of the elements of every output;
//  - compiled and run on the simulated cluster, it equals the reference of the lowered graph bit
//    for bit (the compiler's golden check).
// The measured rates are printed per case and output.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quantNetworks, writeQuantNetworks } from '../../golden/quant-networks.js';
import type { Graph } from '../../src/frontend/ir.js';
import { toNumberArray } from '../../src/frontend/dtype.js';
import { lowerStandardQuantization } from '../../src/frontend/quant-lower.js';
import { execute } from '../../src/reference/execute.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { agreement, runOrt } from './oracle.js';

const OUT = join(process.cwd(), 'test', '.out', 'qdq', `run-${process.pid}`);
const nets = quantNetworks();

/** The quantization step of a graph output: the scale of the DequantizeLinear that produces it. */
function outputStep(g: Graph, name: string): number {
  const dq = g.nodes.find((n) => n.outputs.includes(name) && n.op === 'DequantizeLinear');
  if (!dq) throw new Error(`output '${name}' does not come from a DequantizeLinear`);
  return toNumberArray(g.initializers.get(dq.inputs[1]!)!.data)[0]!;
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(2)}%`;

describe('standard quantized networks vs onnxruntime', () => {
  for (const q of nets)
    it(q.name, async () => {
      const ort = await runOrt(q.graph, q.inputs);
      const onnx = execute(q.graph, q.inputs).outputs;
      const lowered = execute(lowerStandardQuantization(q.graph), q.inputs);
      expect(lowered.warnings).toEqual([]);
      q.graph.outputs.forEach((o, k) => {
        const step = outputStep(q.graph, o.name);
        const a = agreement(onnx[k]!.data, ort[k]!, step);
        const d = agreement(lowered.outputs[k]!.data, ort[k]!, step);
        console.log(`${q.name} ${o.name} [${o.shape}]: ONNX semantics = onnxruntime on ${pct(a.exact, a.n)} (max ${a.maxSteps} step); deployed integer graph = onnxruntime on ${pct(d.exact, d.n)}, max ${d.maxSteps} step`);
        expect(a.exact / a.n).toBeGreaterThanOrEqual(0.999);
        expect(a.maxSteps).toBeLessThanOrEqual(1);
        expect(d.maxSteps).toBeLessThanOrEqual(1);
        expect(1 - d.exact / d.n).toBeLessThanOrEqual(0.01);
      });
    });
});

describe('standard quantized networks on the 8-core cluster', () => {
  rmSync(OUT, { recursive: true, force: true });
  const cases = writeQuantNetworks(join(OUT, 'cases'));
  for (const c of cases)
    it(`${c.name} compiles, runs and matches the lowered integer graph bit for bit`, async () => {
      const r = await testCase(c.dir, join(OUT, 'build', c.name));
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      console.log(`${c.name}: ${r.cycles} cycles on 8 cores`);
      rmSync(join(OUT, 'build', c.name), { recursive: true, force: true });
    }, 120_000);
});
