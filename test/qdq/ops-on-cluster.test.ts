// The new Deeploy-vocabulary ops compiled for the 8-core cluster and run on the simulator, bit for
// bit against the reference executor, on edge cases: saturation, rounding at .5, all-equal rows,
// zero rows, negative values into unsigned outputs. One network holds every case as an
// independent branch (one compile, one simulation).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { fromNumbers } from '../../src/frontend/dtype.js';
import type { AttrValue, DType, Tensor } from '../../src/frontend/ir.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { execute } from '../../src/reference/execute.js';

const OUT = join(process.cwd(), 'test', '.out', 'qdq-ops', `run-${process.pid}`);
const rng = seedrandom('quant-ops-on-cluster');
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo + 1)));
/** An L1 budget (runtime included) below the branches' activations: every op is tiled. */
const SMALL_L1 = 1200;
const t = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });
const rq = (signed = 1) => ({ div: t(1), n_levels: t(256), signed: t(signed) });

interface Branch {
  op: string;
  inputs: { shape: number[]; values: number[]; store?: DType }[];
  consts?: { shape: number[]; values: number[] }[];
  attrs: Record<string, AttrValue>;
  /** Declared output type (pools follow it: float mean or integer mean). */
  out?: DType;
}

const BRANCHES: Record<string, Branch> = {
  // rows: halves up / away from zero, all-equal, zeros, saturating sums
  mean_pow2: { op: 'IntegerMean', inputs: [{ shape: [4, 8], values: [1, 2, 0, 0, 0, 0, 0, 0, -1, -2, 0, 0, 0, 0, 0, 0, ...new Array(8).fill(-7), ...new Array(8).fill(0)] }], attrs: { axes: [1], keepdims: 0 } },
  mean_odd: { op: 'IntegerMean', inputs: [{ shape: [4, 6], values: [1, 1, 1, 0, 0, 0, -1, -1, -1, 0, 0, 0, ...new Array(6).fill(127), ...new Array(6).fill(-128)] }], attrs: { axes: [-1], keepdims: 1 } },
  itapartialmax: { op: 'ITAPartialMax', inputs: [{ shape: [4, 8], values: [...ints(8, -128, 127), ...new Array(8).fill(5), -100, -100, -100, -100, 100, 0, 127, -128, ...ints(8, -20, 20)] }], attrs: { group_width: 4, n_levels: t(256) } },
  intdiv: { op: 'IntegerDiv', inputs: [{ shape: [2, 6], values: [7, -7, 5, -5, 0, 1000, 9, -9, 3, -3, 100000, -100000], store: 'int32' }, { shape: [2, 1], values: [2, 3], store: 'int32' }], attrs: { Delta: 1, eta: 1, eps: 0 } },
  rqintdiv: { op: 'RQIntegerDiv', inputs: [{ shape: [8], values: [7, 300, -300, 1, -1, 5, -5, 0], store: 'int32' }, { shape: [8], values: [2, 1, 1, 2, 2, 2, 2, 1], store: 'int32' }], consts: [{ shape: [], values: [3] }, { shape: [], values: [1] }, { shape: [], values: [2] }], attrs: { Delta: 1, eta: 1, eps: 0, ...rq() } },
  rqintdiv_unsigned: { op: 'RQIntegerDiv', inputs: [{ shape: [4], values: [-9, 9, 600, -1], store: 'int32' }, { shape: [1], values: [1], store: 'int32' }], consts: [{ shape: [], values: [1] }, { shape: [], values: [0] }, { shape: [], values: [0] }], attrs: { Delta: 1, eta: 1, eps: 0, ...rq(0) } },
  rqgelu: { op: 'RequantizediGELU', inputs: [{ shape: [16], values: [-128, -9, -4, -2, -1, 0, 1, 2, 3, 4, 9, 50, 100, 127, -50, 7] }], consts: [{ shape: [], values: [4] }, { shape: [], values: [0] }, { shape: [], values: [2] }], attrs: { b: -4, one: 16, ...rq() } },
  rqhardswish: { op: 'RequantizediHardswish', inputs: [{ shape: [16], values: [-128, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6, 20, 60, 127, -60, 8] }], attrs: { one_over_six: 1, three: 3, six: 6, mul: 3, add: 1, shift: 1, ...rq(0) } },
  inonorm: { op: 'iNoNorm', inputs: [{ shape: [1, 2, 4], values: [1, 1, 10, 100, -128, 127, 0, -5] }], consts: [{ shape: [4], values: [2, -3, 5, 127] }, { shape: [4], values: [1, 0, -7, 3] }], attrs: { D: t(4), mul: t(3) } },
  avgpool: { op: 'AveragePool', inputs: [{ shape: [1, 2, 5, 5], values: ints(50, -128, 127) }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, out: 'int8' },
  avgpool_1d: { op: 'AveragePool', inputs: [{ shape: [1, 2, 7], values: [1, 2, -1, -2, 3, 4, 0, -7, -7, -7, 100, -100, 0, 0] }], attrs: { kernel_shape: [2], strides: [2], pads: [1, 0], count_include_pad: 1 }, out: 'int8' },
  gap: { op: 'GlobalAveragePool', inputs: [{ shape: [1, 3, 3, 3], values: [...new Array(9).fill(0), ...new Array(9).fill(-5), ...ints(9, -128, 127)] }], attrs: {}, out: 'int8' },
  // x*0.5 + 0.25: 0.5 -> 0.5 -> 1 (away from zero), -1.5 -> -0.5 -> -1, 2.5 -> 1.5 -> 2; saturation at 7 / -8 (4 bits)
  quant: { op: 'Quant', inputs: [{ shape: [8], values: [0.5, -1.5, 2.5, -2.5, 100, -100, 0, 3.1], store: 'float32' }], attrs: { scale: 0.5, zero_point: 0.25, bit_width: 4, signed: 1 } },
  dequant: { op: 'Dequant', inputs: [{ shape: [6], values: [-128, -1, 0, 1, 127, 3] }], attrs: { scale: 0.1, zero_point: -3, bit_width: 8, signed: 1 } },
  rq_wide: {
    op: 'RequantShiftWide',
    inputs: [{ shape: [1, 3, 4], values: [0, 1 << 20, -(1 << 20), 3 << 19, 100, -100, 2 ** 30, -(2 ** 30), 5, 6, 7, 8], store: 'int32' }],
    consts: [{ shape: [3, 1], values: [3, 1 << 24, 12345] }, { shape: [3, 1], values: [7, -3, 0] }, { shape: [], values: [-2] }],
    attrs: { div: 2 ** 21, n_levels: 256, signed: 1 },
  },
};

function buildCase(dir: string): void {
  const b = new GraphBuilder('quant_ops');
  const inputs: Tensor[] = [];
  const outs: string[] = [];
  for (const [name, br] of Object.entries(BRANCHES)) {
    const ins = br.inputs.map((s, k) => {
      const n = `${name}_in${k}`;
      b.input(n, 'float32', s.shape);
      inputs.push({ name: n, dtype: s.store ?? 'int8', shape: s.shape, data: fromNumbers(s.store ?? 'int8', s.values) });
      return n;
    });
    const consts = (br.consts ?? []).map((c, k) => b.init(`${name}_c${k}`, 'float32', c.shape, c.values));
    outs.push(b.node(br.op, [...ins, ...consts], br.attrs, { name: `${name}_out`, dtype: br.out ?? 'float32', nodeName: name }));
  }
  const g = b.output(...outs).build();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'network.onnx'), writeOnnx(g));
  writeFileSync(join(dir, 'inputs.npz'), formatNpz(inputs));
  // Guard against a vacuous run: the reference computes every branch without warnings.
  expect(execute(g, inputs).warnings).toEqual([]);
}

describe('new integer ops on the 8-core cluster', () => {
  it('every branch matches the reference executor bit for bit', async () => {
    rmSync(OUT, { recursive: true, force: true });
    const dir = join(OUT, 'case');
    buildCase(dir);
    const r = await testCase(dir, join(OUT, 'build'));
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    expect(r.compile!.manifest.layers.map((l: { kernel: string }) => l.kernel).sort()).toEqual(expect.arrayContaining(['dk_avgpool', 'dk_intdiv', 'dk_intmean', 'dk_inonorm', 'dk_itapartialmax', 'dk_requant_wide', 'dk_rq_act', 'dk_quantize', 'dk_dequantize']));
    // a small L1: the activations go to L2 and every op runs from L1 tiles (its tiling rule)
    const small = await testCase(dir, join(OUT, 'build-small'), { l1: SMALL_L1 });
    expect(small.reason).toBeUndefined();
    expect(small.passed).toBe(true);
    const tiled = small.compile!.manifest.layers.filter((l) => l.tiles && l.tiles.dmaBytesIn + l.tiles.dmaBytesOut > 0).map((l) => l.kernel);
    expect(new Set(tiled)).toEqual(new Set(['dk_avgpool', 'dk_intdiv', 'dk_intmean', 'dk_inonorm', 'dk_itapartialmax', 'dk_requant_wide', 'dk_rq_act', 'dk_quantize', 'dk_dequantize']));
    rmSync(OUT, { recursive: true, force: true });
  }, 120_000);
});
