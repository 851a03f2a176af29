// The project's own small golden cases, one or more per operator, in Deeploy's case layout:
// <out>/<Group>/<Case>/{network.onnx, inputs.npz, outputs.npz}. Inputs come from a seeded RNG
// (seedrandom, one stream per case, so adding a case leaves the others unchanged) plus hand-picked
// edge values; expected outputs come from the reference executor. Same seed -> same bytes.
// No case overflows int32 (the C kernels would wrap; the executor's overflow report is unit-tested).
// Standard ops follow opset 13 (Pad pads, ReduceSum/Squeeze/Unsqueeze axes, Slice, Clip as inputs);
// the written files pass onnx.checker except for the custom ops, which no ONNX schema knows.
//   node dist/golden/generate.js <outDir> [seed]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import { GraphBuilder } from '../src/frontend/builder.js';
import { fromNumbers } from '../src/frontend/dtype.js';
import type { AttrValue, DType, Graph, Tensor } from '../src/frontend/ir.js';
import { formatNpz } from '../src/frontend/npy.js';
import { writeOnnx } from '../src/frontend/onnx.js';
import { execute } from '../src/reference/execute.js';
import { toStorage } from '../src/reference/storage.js';

export const DEFAULT_SEED = 'deeploy-sim-golden-1';

type Rng = () => number;

interface CaseDef {
  name: string;
  build(rng: Rng): { graph: Graph; inputs: Tensor[] };
}

export interface GeneratedCase {
  name: string;
  dir: string;
  ops: string[];
}

const ints = (rng: Rng, n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo + 1)));
const ftensor = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Graph inputs are declared float32 (as in Deeploy's graphs); the npz stores `store` arrays. */
function inputTensor(name: string, store: DType, shape: number[], values: number[]): Tensor {
  return { name, dtype: store, shape, data: fromNumbers(store, values) };
}

/** One node on graph inputs `ins` (int8 random unless values are given) and constant `consts`. */
function single(
  op: string,
  ins: { shape: number[]; values?: number[]; lo?: number; hi?: number; store?: DType }[],
  consts: { dtype?: DType; shape: number[]; values: number[] }[] = [],
  attrs: Record<string, AttrValue> = {},
  outShape?: number[],
): CaseDef['build'] {
  return (rng) => {
    const b = new GraphBuilder(op);
    const inputs: Tensor[] = [];
    const names = ins.map((s, i) => {
      const name = `input_${i}`;
      b.input(name, 'float32', s.shape);
      const store = s.store ?? 'int8';
      inputs.push(inputTensor(name, store, s.shape, s.values ?? ints(rng, count(s.shape), s.lo ?? -128, s.hi ?? 127)));
      return name;
    });
    consts.forEach((c, i) => names.push(b.init(`const_${i}`, c.dtype ?? 'float32', c.shape, c.values)));
    // Deeploy declares every value float32; a Cast declares its target type.
    const y = b.node(op, names, attrs, { name: 'output_0', ...(op === 'Cast' ? {} : { dtype: 'float32' as DType }), ...(outShape ? { shape: outShape } : {}) });
    return { graph: b.output(y).build(), inputs };
  };
}

const rqAttrs = (div: number, levels = 256, signed = 1) => ({ div: ftensor(div), n_levels_out: ftensor(levels), signed: ftensor(signed) });
const smAttrs = { coeffA: ftensor(1), coeffB: ftensor(345), coeffC: ftensor(62395), log2: ftensor(255), n_levels: ftensor(256) };

const CASES: CaseDef[] = [
  // RequantShift: per-channel on a channels-first tensor, rounding at .5, saturation, unsigned.
  { name: 'RequantShift/PerChannel', build: (rng) => single('RequantShift', [{ shape: [1, 4, 8], lo: -20000, hi: 20000, store: 'int32' }], [{ shape: [4, 1, 1], values: ints(rng, 4, 1, 300) }, { shape: [4, 1, 1], values: ints(rng, 4, -5000, 5000) }], rqAttrs(65536))(rng) },
  { name: 'RequantShift/HalfBoundary', build: single('RequantShift', [{ shape: [10], values: [128, -128, 384, -384, 640, -640, 127, -127, 129, -129], store: 'int32' }], [{ shape: [], values: [1] }, { shape: [], values: [0] }], rqAttrs(256)) },
  { name: 'RequantShift/Saturate', build: single('RequantShift', [{ shape: [2, 8], lo: -100000, hi: 100000, store: 'int32' }], [{ shape: [2, 1], values: [3, 7] }, { shape: [], values: [0] }], rqAttrs(256)) },
  { name: 'RequantShift/Unsigned', build: single('RequantShift', [{ shape: [16], lo: -128, hi: 127 }], [{ shape: [], values: [5] }, { shape: [], values: [64] }], rqAttrs(4, 256, 0)) },
  // Arithmetic
  { name: 'Add/Broadcast', build: single('Add', [{ shape: [1, 4, 6] }, { shape: [4, 1] }]) },
  { name: 'Sub/Regular', build: single('Sub', [{ shape: [3, 5] }, { shape: [3, 5] }]) },
  { name: 'Mul/Regular', build: single('Mul', [{ shape: [2, 8] }, { shape: [2, 8] }]) },
  { name: 'Div/Float', build: single('Div', [{ shape: [8] }], [{ shape: [], values: [0.0078125] }]) },
  { name: 'Round/HalfEven', build: single('Round', [{ shape: [10], values: [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.25, -3.75, 126.5, -127.5], store: 'float32' }]) },
  { name: 'Clip/Regular', build: single('Clip', [{ shape: [16] }], [{ shape: [], values: [-20] }, { shape: [], values: [30] }]) },
  { name: 'Cast/ToInt8', build: single('Cast', [{ shape: [6], values: [1.75, -1.75, 127.9, -128.9, 200, -300], store: 'float32' }], [], { to: 3 }) },
  { name: 'Identity/Regular', build: single('Identity', [{ shape: [2, 3] }]) },
  // Layout
  { name: 'Concat/Axis1', build: single('Concat', [{ shape: [1, 2, 3] }, { shape: [1, 4, 3] }], [], { axis: 1 }) },
  { name: 'Reshape/Regular', build: single('Reshape', [{ shape: [2, 3, 4] }], [{ dtype: 'int64', shape: [2], values: [0, -1] }]) },
  { name: 'Transpose/Perm', build: single('Transpose', [{ shape: [2, 3, 4] }], [], { perm: [2, 0, 1] }) },
  { name: 'Flatten/Axis2', build: single('Flatten', [{ shape: [2, 3, 4] }], [], { axis: 2 }) },
  { name: 'Slice/Steps', build: single('Slice', [{ shape: [1, 8, 8] }], [{ dtype: 'int64', shape: [2], values: [1, 7] }, { dtype: 'int64', shape: [2], values: [7, 0] }, { dtype: 'int64', shape: [2], values: [1, 2] }, { dtype: 'int64', shape: [2], values: [2, -3] }]) },
  { name: 'Pad/Constant2D', build: single('Pad', [{ shape: [1, 2, 3, 3] }], [{ dtype: 'int64', shape: [8], values: [0, 0, 1, 2, 0, 0, 0, 1] }, { shape: [], values: [-7] }], { mode: 'constant' }) },
  { name: 'Gather/Axis1', build: single('Gather', [{ shape: [3, 5] }], [{ dtype: 'int64', shape: [3], values: [4, 0, -1] }], { axis: 1 }) },
  { name: 'Squeeze/Axes', build: single('Squeeze', [{ shape: [1, 4, 1] }], [{ dtype: 'int64', shape: [1], values: [0] }]) },
  { name: 'Unsqueeze/Axes', build: single('Unsqueeze', [{ shape: [4, 3] }], [{ dtype: 'int64', shape: [1], values: [1] }]) },
  // Linear algebra
  { name: 'MatMul/BatchBroadcast', build: single('MatMul', [{ shape: [2, 3, 5, 8] }, { shape: [8, 4] }]) },
  { name: 'Gemm/AlphaBetaTrans', build: (rng) => single('Gemm', [{ shape: [6, 4] }], [{ shape: [5, 6], values: ints(rng, 30, -128, 127) }, { shape: [5], values: ints(rng, 5, -1000, 1000) }], { alpha: 2, beta: 3, transA: 1, transB: 1 })(rng) },
  { name: 'Conv/Regular2D', build: (rng) => single('Conv', [{ shape: [1, 3, 8, 8] }], [{ shape: [4, 3, 3, 3], values: ints(rng, 108, -128, 127) }, { shape: [4], values: ints(rng, 4, -500, 500) }], { pads: [1, 1, 1, 1], strides: [2, 2], kernel_shape: [3, 3], group: 1, dilations: [1, 1] })(rng) },
  { name: 'Conv/Depthwise2D', build: (rng) => single('Conv', [{ shape: [1, 4, 6, 6] }], [{ shape: [4, 1, 3, 3], values: ints(rng, 36, -128, 127) }], { pads: [1, 1, 1, 1], group: 4, kernel_shape: [3, 3] })(rng) },
  { name: 'Conv/Pointwise', build: (rng) => single('Conv', [{ shape: [1, 8, 4, 4] }], [{ shape: [6, 8, 1, 1], values: ints(rng, 48, -128, 127) }], { kernel_shape: [1, 1] })(rng) },
  { name: 'Conv/Grouped', build: (rng) => single('Conv', [{ shape: [1, 4, 5, 5] }], [{ shape: [6, 2, 3, 3], values: ints(rng, 108, -128, 127) }], { group: 2, kernel_shape: [3, 3] })(rng) },
  { name: 'Conv/Strided1DDilated', build: (rng) => single('Conv', [{ shape: [1, 2, 20] }], [{ shape: [3, 2, 3], values: ints(rng, 18, -128, 127) }], { pads: [2, 1], strides: [3], dilations: [2], kernel_shape: [3] })(rng) },
  { name: 'MaxPool/Regular2D', build: single('MaxPool', [{ shape: [1, 2, 7, 7] }], [], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: 'ReduceMean/HalfUp', build: single('ReduceMean', [{ shape: [1, 2, 6], values: [1, 2, -1, -2, 3, 4, 2, 2, -2, -4, 4, 4] }], [], { axes: [1], keepdims: 0 }) },
  { name: 'ReduceSum/Regular', build: single('ReduceSum', [{ shape: [1, 4, 3, 5] }], [{ dtype: 'int64', shape: [1], values: [1] }], { keepdims: 1 }) },
  // Quantized nonlinearities
  { name: 'iSoftmax/Regular', build: single('iSoftmax', [{ shape: [1, 2, 4, 8] }], [], smAttrs) },
  { name: 'iSoftmax/AllEqualRows', build: single('iSoftmax', [{ shape: [3, 5], values: [...new Array(5).fill(7), ...new Array(5).fill(-128), ...new Array(5).fill(127)] }], [], smAttrs) },
  { name: 'ITAMax/Regular', build: single('ITAMax', [{ shape: [2, 16] }], [], { n_levels: ftensor(256) }) },
  { name: 'iRMSNorm/Regular', build: (rng) => single('iRMSNorm', [{ shape: [1, 4, 16] }], [{ shape: [16], values: ints(rng, 16, -128, 127) }], { D: ftensor(65536), n_levels: ftensor(256) })(rng) },
  { name: 'iRMSNorm/ZeroRows', build: (rng) => single('iRMSNorm', [{ shape: [3, 8], values: [...new Array(8).fill(0), ...ints(rng, 8, -128, 127), ...new Array(8).fill(0)] }], [{ shape: [8], values: ints(rng, 8, -128, 127) }], { D: ftensor(64), n_levels: ftensor(256) })(rng) },
  { name: 'iLayerNorm/Regular', build: (rng) => single('iLayerNorm', [{ shape: [2, 16] }], [{ shape: [16], values: ints(rng, 16, -128, 127) }, { shape: [16], values: ints(rng, 16, -1000, 1000) }], { D: ftensor(256), n_levels: ftensor(256) })(rng) },
  { name: 'iHardswish/Regular', build: single('iHardswish', [{ shape: [1, 32] }], [], { one_over_six: 42, six: 244, three: 122 }) },
  { name: 'iGELU/Regular', build: single('iGELU', [{ shape: [32] }], [], { b: -1024, one: 1048576 }) },
  { name: 'TrueIntegerDiv/Regular', build: single('TrueIntegerDiv', [{ shape: [1, 16] }], [], { Delta: 16384, eps: 1, eta: 200000, y: 2 }) },
  // A chain: Conv -> RequantShift -> Flatten -> Gemm -> RequantShift -> iSoftmax
  {
    name: 'Network/ConvGemmSoftmax',
    build: (rng) => {
      const b = new GraphBuilder('network');
      b.input('input_0', 'float32', [1, 2, 6, 6]);
      const w = b.init('conv_w', 'float32', [4, 2, 3, 3], ints(rng, 72, -128, 127));
      const c = b.node('Conv', ['input_0', w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, { dtype: 'float32' });
      const r1 = b.node('RequantShift', [c, b.init('rq1_mul', 'float32', [4, 1, 1], ints(rng, 4, 50, 200)), b.init('rq1_add', 'float32', [4, 1, 1], ints(rng, 4, -1000, 1000))], rqAttrs(16384), { dtype: 'float32' });
      const f = b.node('Flatten', [r1], { axis: 1 }, { dtype: 'float32' });
      const g = b.node('Gemm', [f, b.init('fc_w', 'float32', [10, 36], ints(rng, 360, -128, 127)), b.init('fc_b', 'float32', [10], ints(rng, 10, -2000, 2000))], { transB: 1 }, { dtype: 'float32' });
      const r2 = b.node('RequantShift', [g, b.init('rq2_mul', 'float32', [], [97]), b.init('rq2_add', 'float32', [], [0])], rqAttrs(65536), { dtype: 'float32' });
      const s = b.node('iSoftmax', [r2], smAttrs, { name: 'output_0', dtype: 'float32' });
      return { graph: b.output(s).build(), inputs: [inputTensor('input_0', 'int8', [1, 2, 6, 6], ints(rng, 72, -128, 127))] };
    },
  },
];

export function goldenCaseNames(): string[] {
  return CASES.map((c) => c.name);
}

/** Write every case under outDir; returns what it wrote. */
export function generateGoldenCases(outDir: string, seed: string = DEFAULT_SEED): GeneratedCase[] {
  const out: GeneratedCase[] = [];
  for (const c of CASES) {
    const rng = seedrandom(`${seed}/${c.name}`);
    const { graph, inputs } = c.build(rng);
    const r = execute(graph, inputs, { source: c.name });
    const dir = join(outDir, ...c.name.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'network.onnx'), writeOnnx(graph));
    writeFileSync(join(dir, 'inputs.npz'), formatNpz(inputs));
    writeFileSync(join(dir, 'outputs.npz'), formatNpz(graph.outputs.map((o, i) => toStorage(graph, o.name, r.outputs[i]!))));
    out.push({ name: c.name, dir, ops: [...new Set(graph.nodes.map((n) => n.op))] });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [outDir, seed] = process.argv.slice(2);
  if (!outDir) {
    process.stderr.write('usage: node dist/golden/generate.js <outDir> [seed]\n');
    process.exitCode = 2;
  } else {
    const cases = generateGoldenCases(outDir, seed ?? DEFAULT_SEED);
    for (const c of cases) process.stdout.write(`${c.name}\n`);
    process.stdout.write(`${cases.length} cases written to ${outDir} (seed ${seed ?? DEFAULT_SEED})\n`);
  }
}
