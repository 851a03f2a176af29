import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGoldenCases } from '../../golden/generate.js';
import { loadOnnx } from '../../src/frontend/onnx.js';
import { readNpz } from '../../src/frontend/npy.js';
import { execute } from '../../src/reference/execute.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const outA = mkdtempSync(join(tmpdir(), 'golden-a-'));
const cases = generateGoldenCases(outA, 'test-seed');
const byName = new Map(cases.map((c) => [c.name, c]));
const outputs = (name: string) => Array.from(readNpz(join(byName.get(name)!.dir, 'outputs.npz'))[0]!.data as ArrayLike<number | bigint>, Number);

describe('golden case generator', () => {
  it('is deterministic: same seed, same bytes; another seed, other inputs', () => {
    const outB = mkdtempSync(join(tmpdir(), 'golden-b-'));
    generateGoldenCases(outB, 'test-seed');
    const fa = files(outA);
    expect(fa.length).toBe(cases.length * 3);
    expect(files(outB)).toEqual(fa);
    for (const f of fa) expect(readFileSync(join(outB, f)).equals(readFileSync(join(outA, f))), f).toBe(true);
    const outC = mkdtempSync(join(tmpdir(), 'golden-c-'));
    generateGoldenCases(outC, 'other-seed');
    expect(readFileSync(join(outC, 'Add/Broadcast/inputs.npz')).equals(readFileSync(join(outA, 'Add/Broadcast/inputs.npz')))).toBe(false);
  });

  it('covers every operator of operators.md (plus ITAMax, iGELU, iLayerNorm, Gather, Squeeze, Unsqueeze)', () => {
    const ops = new Set(cases.flatMap((c) => c.ops));
    const wanted = 'Add Cast Clip Concat Conv Div Flatten Gemm Identity MatMul MaxPool Mul Pad ReduceMean ReduceSum RequantShift Reshape Round Slice Sub Transpose TrueIntegerDiv iHardswish iRMSNorm iSoftmax ITAMax iGELU iLayerNorm Gather Squeeze Unsqueeze'.split(' ');
    expect(wanted.filter((o) => !ops.has(o))).toEqual([]);
  });

  it('each case reloads and reproduces its outputs (ONNX writer + npz round trip)', () => {
    for (const c of cases) {
      const g = loadOnnx(join(c.dir, 'network.onnx'));
      const r = execute(g, readNpz(join(c.dir, 'inputs.npz')));
      const exp = readNpz(join(c.dir, 'outputs.npz'));
      expect(exp.map((e) => e.name)).toEqual(g.outputs.map((o) => o.name));
      r.outputs.forEach((o, i) => expect(Array.from(o.data), c.name).toEqual(Array.from(exp[i]!.data as ArrayLike<number | bigint>, Number)));
    }
  });

  it('edge cases hold their hand-worked values', () => {
    // x/256 for x = ±128, ±384, ±640, ±127, ±129: halves round up
    expect(outputs('RequantShift/HalfBoundary')).toEqual([1, 0, 2, -1, 3, -2, 0, 0, 1, -1]);
    expect(outputs('Round/HalfEven')).toEqual([0, 2, 2, 0, -2, -2, 3, -4, 126, -128]);
    // five equal values: each y equal, 255*y/(5y) = 51
    expect(outputs('iSoftmax/AllEqualRows')).toEqual(new Array(15).fill(51));
    const z = outputs('iRMSNorm/ZeroRows');
    expect(z.slice(0, 8)).toEqual(new Array(8).fill(0));
    expect(z.slice(16)).toEqual(new Array(8).fill(0));
    // truncation toward zero, then int8 wrap: 200 -> -56, -300 -> -44
    expect(outputs('Cast/ToInt8')).toEqual([1, -1, 127, -128, -56, -44]);
    // pairwise means 1.5, 2, -1.5, -3, 3.5, 4, rounded half up
    expect(outputs('ReduceMean/HalfUp')).toEqual([2, 2, -1, -3, 4, 4]);
    expect(Math.min(...outputs('RequantShift/Unsigned'))).toBeGreaterThanOrEqual(0);
    expect(outputs('RequantShift/Saturate').some((v) => v === 127 || v === -128)).toBe(true);
  });

  it.skipIf(!hasNumpy)('NumPy loads every inputs.npz and outputs.npz', () => {
    const script = `
import numpy as np, sys, glob
n = 0
for f in sorted(glob.glob(sys.argv[1] + '/**/*.npz', recursive=True)):
    z = np.load(f)
    for k in z.files: z[k].sum()
    n += 1
print(n)`;
    const r = spawnSync('python3', ['-c', script, outA], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(cases.length * 2);
  });
});
