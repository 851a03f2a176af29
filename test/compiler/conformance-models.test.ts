// Models/ and Others/ cases of the shared Deeploy conformance set on the 8-core cluster, including
// Transformer_DeepQuant (float32 quantize/dequantize ops through soft-float; outputs within 1e-4).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCase } from '../../src/compiler/test-runner.js';
import { Baseline } from '../sim/baseline/baseline.js';
import { cleanUp, CONFORMANCE, findCases, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => !c.name.startsWith('Kernels/'));

// cycles and statistics of every case: test/sim/baseline/conformance-models.json (npm run baseline:update)
const baseline = new Baseline('conformance-models');
afterAll(() => baseline.save());

describe.skipIf(!existsSync(CONFORMANCE))(`conformance models (${CONFORMANCE})`, () => {
  it('finds the 16 model/other cases', () => expect(cases.length).toBe(16));
  for (const c of cases)
    it(c.name, async () => {
      const out = join(OUT, 'conformance', c.name.replace(/\//g, '_'));
      const r = await testCase(c.dir, out, { stats: true });
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      baseline.check(c.name, r.run!.cluster, r.cycles);
      cleanUp(out, r.passed);
      if (c.name === 'Models/Transformer_DeepQuant') expect(r.compile!.manifest.outputs[0]!.dtype).toBe('float32');
    });
  it('the baseline has no entry for a case that is gone', () => expect(baseline.unchecked()).toEqual([]));
});
