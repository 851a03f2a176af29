// Every Kernels/ case of the shared Deeploy conformance set: compile, build with riscv-gcc, run on
// the 8-core simulated cluster, and match the golden outputs bit for bit (program + host check).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCase } from '../../src/compiler/test-runner.js';
import { Baseline } from '../sim/baseline/baseline.js';
import { variantsFor, cleanUp, CONFORMANCE, findCases, MIN_L1, OUT } from './cases.js';

const cases = findCases(CONFORMANCE).filter((c) => c.name.startsWith('Kernels/'));

// cycles and statistics of every case: test/sim/baseline/conformance-kernels.json (npm run baseline:update)
const baseline = new Baseline('conformance-kernels');
afterAll(() => baseline.save());

describe.skipIf(!existsSync(CONFORMANCE))(`conformance kernels (${CONFORMANCE})`, () => {
  it('finds the 44 kernel cases', () => expect(cases.length).toBe(44));
  cases.forEach((c, k) => {
    for (const { l1, npu, label } of variantsFor(k))
      it(`${c.name} ${label}`, async () => {
        const out = join(OUT, 'conformance', `${c.name.replace(/\//g, '_')}-${l1}${npu ? '' : '-cl'}`);
        const r = await testCase(c.dir, out, { l1, npu, stats: true });
        const min = MIN_L1[c.name];
        if (min !== undefined && l1 < min) {
          expect(r.reason).toMatch(new RegExp(`^compile: layer '.*' \\(.*\\) cannot be tiled under --l1 ${l1}: .*; minimum --l1 ${min}$`));
          return;
        }
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        baseline.check(`${c.name} ${label}`, r.run!.cluster, r.cycles);
        cleanUp(out, r.passed);
        expect(r.run!.host.total).toBeGreaterThan(0);
      });
  });
  it('the baseline has no entry for a case that is gone', () => expect(baseline.unchecked()).toEqual([]));
});
