// Models/ and Others/ cases of the shared Deeploy conformance set on the 8-core cluster;
// Transformer_DeepQuant (float quantize/dequantize ops) must be rejected loudly, not skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileToFolder } from '../../src/compiler/build-folder.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { InputError } from '../../src/errors.js';
import { CONFORMANCE, findCases, FLOAT_CASES, FLOAT_MESSAGE, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => !c.name.startsWith('Kernels/'));

describe.skipIf(!existsSync(CONFORMANCE))(`conformance models (${CONFORMANCE})`, () => {
  it('finds the 16 model/other cases', () => expect(cases.length).toBe(16));
  for (const c of cases)
    if (FLOAT_CASES.has(c.name))
      it(`${c.name} is rejected: float ops are not compiled`, async () => {
        const p = compileToFolder({ network: c.dir, outDir: join(OUT, 'conformance', 'float'), build: false });
        await expect(p).rejects.toBeInstanceOf(InputError);
        await expect(p).rejects.toThrow(FLOAT_MESSAGE);
      });
    else
      it(c.name, async () => {
        const r = await testCase(c.dir, join(OUT, 'conformance', c.name.replace(/\//g, '_')));
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
      });
});
