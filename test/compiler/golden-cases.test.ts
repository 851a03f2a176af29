// The reference colleague's generated golden cases (golden/generate.ts, fixed seed): compile, run on
// the 8-core cluster, match bit for bit (float32 outputs within 1e-4).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGoldenCases } from '../../golden/generate.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { budgetsFor, cleanUp, OUT } from './cases.js';

const dir = join(OUT, 'golden-cases');
rmSync(dir, { recursive: true, force: true });
const cases = generateGoldenCases(join(dir, 'cases'));

describe('golden cases of golden/generate.ts', () => {
  it('generates the cases', () => expect(cases.length).toBeGreaterThan(30));
  cases.forEach((c, k) => {
    for (const l1 of budgetsFor(k))
      it(`${c.name} --l1 ${l1}`, async () => {
        const out = join(dir, 'build', `${c.name.replace(/\//g, '_')}-${l1}`);
        const r = await testCase(c.dir, out, { l1 });
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        cleanUp(out, r.passed);
      });
  });
});
