// The reference colleague's generated golden cases (golden/generate.ts, fixed seed): compile, run on
// the 8-core cluster, match bit for bit (float32 outputs within 1e-4).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateGoldenCases } from '../../golden/generate.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { Baseline } from '../sim/baseline/baseline.js';
import { variantsFor, cleanUp, OUT } from './cases.js';

const dir = join(OUT, 'golden-cases');
rmSync(dir, { recursive: true, force: true });
const cases = generateGoldenCases(join(dir, 'cases'));

// cycles and statistics of every case: test/sim/baseline/golden.json (npm run baseline:update)
const baseline = new Baseline('golden');
afterAll(() => baseline.save());

describe('golden cases of golden/generate.ts', () => {
  it('generates the cases', () => expect(cases.length).toBeGreaterThan(30));
  cases.forEach((c, k) => {
    for (const { l1, npu, label } of variantsFor(k))
      it(`${c.name} ${label}`, async () => {
        const out = join(dir, 'build', `${c.name.replace(/\//g, '_')}-${l1}${npu ? '' : '-cl'}`);
        const r = await testCase(c.dir, out, { l1, npu, stats: true });
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        baseline.check(`${c.name} ${label}`, r.run!.cluster, r.cycles);
        cleanUp(out, r.passed);
      });
  });
  it('the baseline has no entry for a case that is gone', () => expect(baseline.unchecked()).toEqual([]));
});
