// Every case of Deeploy's conformance set, element for element against outputs.npz (float outputs
// of Transformer_DeepQuant within 1e-4), and every array of activations.npz where it exists.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../../src/frontend/onnx.js';
import { readNpz } from '../../src/frontend/npy.js';
import { execute } from '../../src/reference/execute.js';
import { mapActivationKeys } from '../../src/reference/activations.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/deeploy');
const present = existsSync(ROOT);
if (!present) console.warn(`conformance tests skipped: ${ROOT} is absent`);

function cases(dir: string): string[] {
  if (!present) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (existsSync(join(p, 'network.onnx'))) out.push(p);
    else out.push(...cases(p));
  }
  return out;
}

const ALL = cases(ROOT);

describe.skipIf(!present)('Deeploy conformance set', () => {
  it('has the 60 cases this suite expects', () => {
    expect(ALL.length).toBe(60);
  });

  for (const dir of ALL) {
    const name = relative(ROOT, dir);
    it(name, () => {
      const g = loadOnnx(join(dir, 'network.onnx'));
      const expected = readNpz(join(dir, 'outputs.npz'));
      const withActs = existsSync(join(dir, 'activations.npz'));
      const r = execute(g, readNpz(join(dir, 'inputs.npz')), { source: join(dir, 'inputs.npz'), captureActivations: withActs });
      expect(expected.length).toBeGreaterThanOrEqual(g.outputs.length);
      r.outputs.forEach((out, i) => {
        const exp = expected[i]!;
        expect(out.shape, `output ${i} shape`).toEqual(exp.shape);
        const want = Array.from(exp.data as ArrayLike<number | bigint>, Number);
        const isFloat = exp.dtype.startsWith('float') && want.some((v) => !Number.isInteger(v));
        let bad = 0;
        let first = '';
        for (let k = 0; k < want.length; k++) {
          const ok = isFloat ? Math.abs(out.data[k]! - want[k]!) <= 1e-4 : out.data[k] === want[k];
          if (!ok && bad++ === 0) first = `[${k}] got ${out.data[k]}, want ${want[k]}`;
        }
        expect(bad, `output ${i} ('${g.outputs[i]!.name}'): ${bad} of ${want.length} differ, first ${first}`).toBe(0);
      });
      if (withActs) {
        const acts = readNpz(join(dir, 'activations.npz'));
        const map = mapActivationKeys(g, acts.map((a) => a.name));
        expect(acts.length).toBeGreaterThan(0);
        for (const a of acts) {
          const tensor = map.get(a.name);
          expect(tensor, `activation key '${a.name}' maps to no tensor`).toBeDefined();
          const v = r.activations!.get(tensor!)!;
          expect(v.shape, a.name).toEqual(a.shape);
          expect(Array.from(v.data), `${a.name} -> ${tensor}`).toEqual(Array.from(a.data as ArrayLike<number | bigint>, Number));
        }
      }
    });
  }
});
