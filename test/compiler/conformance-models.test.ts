// Models/ and Others/ cases of the shared Deeploy conformance set on the 8-core cluster, including
// Transformer_DeepQuant (float32 quantize/dequantize ops through soft-float; outputs within 1e-4).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCase } from '../../src/compiler/test-runner.js';
import { cleanUp, CONFORMANCE, findCases, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => !c.name.startsWith('Kernels/'));

describe.skipIf(!existsSync(CONFORMANCE))(`conformance models (${CONFORMANCE})`, () => {
  it('finds the 16 model/other cases', () => expect(cases.length).toBe(16));
  for (const c of cases)
    it(c.name, async () => {
      const out = join(OUT, 'conformance', c.name.replace(/\//g, '_'));
      const r = await testCase(c.dir, out);
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      cleanUp(out, r.passed);
      if (c.name === 'Models/Transformer_DeepQuant') expect(r.compile!.manifest.outputs[0]!.dtype).toBe('float32');
    });
});
