// The reference colleague's generated golden cases (golden/generate.ts, fixed seed): compile, run on
// the 8-core cluster, match bit for bit. Float cases are rejected with the float message.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGoldenCases } from '../../golden/generate.js';
import { compileToFolder } from '../../src/compiler/build-folder.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { FLOAT_MESSAGE, OUT } from './cases.js';

const dir = join(OUT, 'golden-cases');
rmSync(dir, { recursive: true, force: true });
const cases = generateGoldenCases(join(dir, 'cases'));
/** Cases whose graph computes on float values (see docs/compiler.md). */
const FLOAT = new Set(['Div/Float', 'Round/HalfEven', 'Cast/ToInt8']);

describe('golden cases of golden/generate.ts', () => {
  it('generates the cases', () => expect(cases.length).toBeGreaterThan(30));
  for (const c of cases)
    if (FLOAT.has(c.name))
      it(`${c.name} is rejected: float ops are not compiled`, async () => {
        await expect(compileToFolder({ network: c.dir, outDir: join(dir, 'build', 'float'), build: false })).rejects.toThrow(FLOAT_MESSAGE);
      });
    else
      it(c.name, async () => {
        const r = await testCase(c.dir, join(dir, 'build', c.name.replace(/\//g, '_')));
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
      });
});
