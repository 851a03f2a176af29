// Models/ and Others/ cases of the shared Deeploy conformance set on the 8-core cluster, including
// Transformer_DeepQuant (float32 quantize/dequantize ops through soft-float; outputs within 1e-4),
// each at one L1 budget (rotating; all budgets with DSIM_FULL_SWEEP=1), three of them at 4 kB of
// L1, and the tiler's cycle model against the measured GEMM and conv layers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCase, type CaseResult } from '../../src/compiler/test-runner.js';
import { Baseline } from '../sim/baseline/baseline.js';
import { variantsFor, cleanUp, CONFORMANCE, findCases, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => !c.name.startsWith('Kernels/'));

// cycles and statistics of every case: test/sim/baseline/conformance-models.json (npm run baseline:update)
const baseline = new Baseline('conformance-models');
afterAll(() => baseline.save());

/** Sum of predicted and of measured cycles over the GEMM and conv layers of a run. */
function gemmConvCycles(r: CaseResult): { predicted: number; measured: number } {
  const layers = r.compile!.manifest.layers;
  let predicted = 0;
  let measured = 0;
  layers.forEach((l, k) => {
    if (!/MatMul|Gemm|Conv/.test(l.op)) return;
    predicted += l.estimatedCycles;
    measured += r.run!.layerCycles[k]!;
  });
  return { predicted, measured };
}

describe.skipIf(!existsSync(CONFORMANCE))(`conformance models (${CONFORMANCE})`, () => {
  it('finds the 16 model/other cases', () => expect(cases.length).toBe(16));
  cases.forEach((c, k) => {
    for (const { l1, npu, label } of variantsFor(k))
      it(`${c.name} ${label}`, async () => {
        const out = join(OUT, 'conformance', `${c.name.replace(/\//g, '_')}-${l1}${npu ? '' : '-cl'}`);
        const r = await testCase(c.dir, out, { l1, npu, stats: true });
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        baseline.check(`${c.name} ${label}`, r.run!.cluster, r.cycles);
        cleanUp(out, r.passed);
        if (c.name === 'Models/Transformer_DeepQuant') expect(r.compile!.manifest.outputs[0]!.dtype).toBe('float32');
        if (c.name.endsWith('/microLlama64') || c.name.endsWith('/miniMobileNetv2')) {
          // the cost model: predicted GEMM + conv cycles within 25% of the cluster's counters
          const { predicted, measured } = gemmConvCycles(r);
          expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.25);
        }
      });
  });

  for (const name of ['Models/miniMobileNet', 'Models/Transformer_DeepQuant', 'Models/microLlama/INT8/microLlama1'])
    it(`${name} runs bit-exact in 4 kB of L1 (--l1 4096)`, async () => {
      const out = join(OUT, 'conformance', `${name.replace(/\//g, '_')}-4096`);
      const r = await testCase(join(CONFORMANCE, name), out, { l1: 4096 });
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      expect(r.compile!.manifest.memory.levels.find((l) => l.level === 'L1')!.used).toBeLessThanOrEqual(4096);
      cleanUp(out, r.passed);
    });
  it('the baseline has no entry for a case that is gone', () => expect(baseline.unchecked()).toEqual([]));
});
