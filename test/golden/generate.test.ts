import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGoldenCases } from '../../golden/generate.js';
import { loadOnnx } from '../../src/frontend/onnx.js';
import { readNpz, writeNpz } from '../../src/frontend/npy.js';
import type { Tensor } from '../../src/frontend/ir.js';
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

describe.skipIf(!hasNumpy)('golden outputs against an independent NumPy model (test/golden/numpy_model.py)', () => {
  it('every generated case', () => {
    const root = mkdtempSync(join(tmpdir(), 'golden-np-'));
    const plain = (v: unknown): unknown => (v && typeof v === 'object' && 'data' in (v as object) ? Array.from((v as Tensor).data as ArrayLike<number | bigint>, Number) : v);
    const key = (name: string) => name.replace('/', '__');
    for (const c of cases) {
      const g = loadOnnx(join(c.dir, 'network.onnx'));
      const d = join(root, key(c.name));
      mkdirSync(d);
      writeFileSync(
        join(d, 'graph.json'),
        JSON.stringify({
          inputs: g.inputs.map((i) => i.name),
          outputs: g.outputs.map((o) => o.name),
          nodes: g.nodes.map((n) => ({ op: n.op, inputs: n.inputs, outputs: n.outputs, outShape: g.values.get(n.outputs[0]!)!.shape, attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, plain(v)])) })),
        }),
      );
      writeNpz(join(d, 'consts.npz'), [...g.initializers.values()]);
      copyFileSync(join(c.dir, 'inputs.npz'), join(d, 'inputs.npz'));
    }
    const r = spawnSync('python3', [join(import.meta.dirname, 'numpy_model.py'), root], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { case: string; outputs: number[][] });
    expect(lines.length).toBe(cases.length);
    for (const l of lines) {
      const c = byName.get(l.case.replace('__', '/'))!;
      const exp = readNpz(join(c.dir, 'outputs.npz'));
      l.outputs.forEach((o, i) => expect(Array.from(exp[i]!.data as ArrayLike<number | bigint>, Number), c.name).toEqual(o));
    }
  });
});
