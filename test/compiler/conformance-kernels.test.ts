// Every Kernels/ case of the shared Deeploy conformance set: compile, build with riscv-gcc, run on
// the 8-core simulated cluster, and match the golden outputs bit for bit (program + host check).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCase } from '../../src/compiler/test-runner.js';
import { cleanUp, CONFORMANCE, findCases, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => c.name.startsWith('Kernels/'));

describe.skipIf(!existsSync(CONFORMANCE))(`conformance kernels (${CONFORMANCE})`, () => {
  it('finds the 44 kernel cases', () => expect(cases.length).toBe(44));
  for (const c of cases)
    it(c.name, async () => {
      const out = join(OUT, 'conformance', c.name.replace(/\//g, '_'));
      const r = await testCase(c.dir, out);
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      cleanUp(out, r.passed);
      expect(r.run!.host.total).toBeGreaterThan(0);
    });
});
