// The NPU's HWC layout carried through layout-free layers (src/compiler/npu/layout.ts): the
// propagation on small hand-built graphs (a per-tensor Add between NPU convs passes HWC; a tensor
// a cluster conv also reads, a network output, an Add with one input from a cluster layer stay
// NCHW, and the whole tied group with them), the per-channel RequantShift's HWC walk, and
// bit-exact runs with the eltwise layers tiled over pixels at small L1 budgets; miniMobileNetv2's
// requant / add layers HWC and its NPU convs without transposes, bit-exact at three budgets.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BoundNode } from '../../src/compiler/bind.js';
import { assignNpuLayouts, npuLayoutOf } from '../../src/compiler/npu/layout.js';
import { compileGraph, DEFAULT_OPTIONS } from '../../src/compiler/pipeline.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { CONFORMANCE } from '../compiler/cases.js';
import { ints, rng, rq, writeCase } from './graphs.js';

const OUT = join(process.cwd(), 'test', '.out', 'npu-layout-chain', `run-${process.pid}`);
const S = [1, 32, 12, 12];

interface ChainOptions {
  /** a cluster conv (2x2, the NPU takes 1x1 / 3x3) also reads convA's output */
  clusterReader?: boolean;
  /** the Add's output is also a network output */
  addIsOutput?: boolean;
  /** the Add's second input comes from a cluster conv instead of an NPU conv */
  clusterInput?: boolean;
  /** a per-channel RequantShift between the Add and convC */
  perChannel?: boolean;
  /** a Clip (ReLU-like, on the cluster) between the Add and convC */
  clip?: boolean;
  /** an RQAdd of a per-channel constant [1,32,1,1] before convC */
  constAdd?: boolean;
}

/**
 * x[1,32,12,12] -> convA 1x1 (NPU) -> a; x -> convB 1x1 (NPU) or 2x2 (cluster) -> b;
 * add = RQAdd(a, b) (one mul, one add); [pc = per-channel RequantShift(add)]; convC 1x1 (NPU) -> y.
 */
function chainGraph(o: ChainOptions = {}): { graph: Graph; input: Tensor } {
  const g = rng(17);
  const b = new GraphBuilder('npu_chain');
  const x = b.input('x', 'float32', S);
  const conv = (name: string, from: string, k: number) => {
    const w = b.init(`${name}_w`, 'float32', [32, 32, k, k], ints(g, 32 * 32 * k * k, -60, 60));
    const pads = k === 2 ? [0, 0, 1, 1] : [0, 0, 0, 0];
    const c = b.node('Conv', [from, w], { kernel_shape: [k, k], pads }, { nodeName: name, dtype: 'float32', shape: S });
    const m = b.init(`${name}_m`, 'float32', [1, 32, 1, 1], ints(g, 32, 1, 40));
    const a = b.init(`${name}_a`, 'float32', [1, 32, 1, 1], ints(g, 32, -2000, 2000));
    return b.node('RequantShift', [c, m, a], rq(2 ** 13), { nodeName: `${name}_rq`, dtype: 'float32', shape: S });
  };
  const a = conv('convA', x, 1);
  const bb = conv('convB', x, o.clusterInput ? 2 : 1);
  const sum = b.node('Add', [a, bb], {}, { nodeName: 'add', dtype: 'float32', shape: S });
  const am = b.init('add_m', 'float32', [], [3]);
  const aa = b.init('add_a', 'float32', [], [-7]);
  let s = b.node('RequantShift', [sum, am, aa], rq(4), { nodeName: 'add_rq', dtype: 'float32', shape: S });
  if (o.perChannel) {
    const pm = b.init('pc_m', 'float32', [1, 32, 1, 1], ints(g, 32, 1, 30));
    const pa = b.init('pc_a', 'float32', [1, 32, 1, 1], ints(g, 32, -200, 200));
    s = b.node('RequantShift', [s, pm, pa], rq(16), { nodeName: 'pc', dtype: 'float32', shape: S });
  }
  if (o.clip) s = b.node('Clip', [s, b.init('lo', 'float32', [], [0]), b.init('hi', 'float32', [], [100])], {}, { nodeName: 'relu', dtype: 'float32', shape: S });
  if (o.constAdd) {
    const bias = b.node('Add', [s, b.init('cb', 'float32', [1, 32, 1, 1], ints(g, 32, -50, 50))], {}, { nodeName: 'cadd', dtype: 'float32', shape: S });
    s = b.node('RequantShift', [bias, b.init('cb_m', 'float32', [], [5]), b.init('cb_a', 'float32', [], [3])], rq(8), { nodeName: 'cadd_rq', dtype: 'float32', shape: S });
  }
  const y = conv('convC', s, 1);
  b.output(y);
  if (o.clusterReader) b.output(conv('side', a, 2));
  if (o.addIsOutput) b.output(s);
  const input: Tensor = { name: 'x', dtype: 'int8', shape: S, data: Int8Array.from(ints(g, 32 * 144, -128, 127)) };
  return { graph: b.build(), input };
}

/** x -> convA 1x1 (NPU) -> k per-channel (or per-tensor) RequantShifts -> convC 1x1 (NPU) -> y, all [1,32,12,12]. */
function requantRunGraph(k: number, perTensor = false): { graph: Graph; input: Tensor } {
  const g = rng(23);
  const b = new GraphBuilder('npu_requant_run');
  const conv = (name: string, from: string) => {
    const w = b.init(`${name}_w`, 'float32', [32, 32, 1, 1], ints(g, 1024, -60, 60));
    const c = b.node('Conv', [from, w], { kernel_shape: [1, 1] }, { nodeName: name, dtype: 'float32', shape: S });
    const m = b.init(`${name}_m`, 'float32', [1, 32, 1, 1], ints(g, 32, 1, 40));
    const a = b.init(`${name}_a`, 'float32', [1, 32, 1, 1], ints(g, 32, -2000, 2000));
    return b.node('RequantShift', [c, m, a], rq(2 ** 13), { nodeName: `${name}_rq`, dtype: 'float32', shape: S });
  };
  let t = conv('convA', b.input('x', 'float32', S));
  for (let i = 0; i < k; i++) {
    const shape = perTensor ? [] : [1, 32, 1, 1];
    const m = b.init(`pc${i}_m`, 'float32', shape, ints(g, perTensor ? 1 : 32, 1, 30));
    const a = b.init(`pc${i}_a`, 'float32', shape, ints(g, perTensor ? 1 : 32, -200, 200));
    t = b.node('RequantShift', [t, m, a], rq(16), { nodeName: `pc${i}`, dtype: 'float32', shape: S });
  }
  const input: Tensor = { name: 'x', dtype: 'int8', shape: S, data: Int8Array.from(ints(g, 32 * 144, -128, 127)) };
  return { graph: b.output(conv('convC', t)).build(), input };
}

function compileChain(o: ChainOptions | number | 'tensor', l1 = DEFAULT_OPTIONS.l1) {
  const { graph, input } = o === 'tensor' ? requantRunGraph(1, true) : typeof o === 'number' ? requantRunGraph(o) : chainGraph(o);
  const zeros = graph.outputs.map((v) => new Int8Array(v.shape.reduce((p, q) => p * q, 1)));
  return compileGraph(graph, [input.data], zeros, { ...DEFAULT_OPTIONS, l1 });
}

const layouts = (bound: BoundNode[]) => Object.fromEntries(bound.map((b) => [b.node.name, npuLayoutOf(b) ?? null]));
const kernels = (bound: BoundNode[]) => Object.fromEntries(bound.map((b) => [b.node.name, b.binding.kernel]));
const HWC = { input: 'hwc', output: 'hwc' };
const NCHW = { input: 'nchw', output: 'nchw' };

describe('HWC through layout-free layers: the propagation', () => {
  it('a per-tensor Add between NPU convs takes HWC: no transposes around it, and assigning again gives the same', () => {
    const c = compileChain({});
    expect(kernels(c.bound)).toEqual({ convA: 'dsim_npu_layer', convB: 'dsim_npu_layer', add: 'dk_add', convC: 'dsim_npu_layer' });
    expect(layouts(c.bound)).toEqual({ convA: { input: 'nchw', output: 'hwc' }, convB: { input: 'nchw', output: 'hwc' }, add: HWC, convC: { input: 'hwc', output: 'nchw' } });
    // the pipeline assigns again after demoting a layer: from scratch, the same result
    const again = assignNpuLayouts(c.bound, c.typed, 8);
    expect(layouts(again.bound)).toEqual(layouts(c.bound));
    const out = (n: string) => c.bound.find((b) => b.node.name === n)!.node.outputs[0]!;
    expect([...again.hwc].sort()).toEqual(['convA', 'convB', 'add'].map(out).sort());
    const add = c.bound.find((b) => b.node.name === 'add')!;
    expect(add.hwc!.why).toMatch(/written by NPU conv convA, convB, read by NPU conv convC/);
    expect(c.emitted.files['network.c']).toMatch(/layout: activations HWC \(pixel-major\)/);
  });

  it('a tensor a cluster conv also reads stays NCHW, and so does everything tied to it through the Add', () => {
    const c = compileChain({ clusterReader: true });
    expect(kernels(c.bound).side).not.toBe('dsim_npu_layer');
    expect(layouts(c.bound)).toEqual({ convA: NCHW, convB: NCHW, add: null, convC: NCHW, side: null });
  });

  it('a network output stays NCHW, and the Add producing it with its inputs', () => {
    const c = compileChain({ addIsOutput: true });
    expect(layouts(c.bound)).toEqual({ convA: NCHW, convB: NCHW, add: null, convC: NCHW });
  });

  it('an Add with one input from a cluster layer: both inputs and its output NCHW', () => {
    const c = compileChain({ clusterInput: true });
    expect(kernels(c.bound).convB).not.toBe('dsim_npu_layer');
    expect(layouts(c.bound)).toEqual({ convA: NCHW, convB: null, add: null, convC: NCHW });
  });

  it('a Clip (ReLU-like) on the cluster passes HWC too', () => {
    const c = compileChain({ clip: true });
    expect(kernels(c.bound).relu).toBe('dk_clip');
    expect(layouts(c.bound)).toEqual({ convA: { input: 'nchw', output: 'hwc' }, convB: { input: 'nchw', output: 'hwc' }, add: HWC, relu: HWC, convC: { input: 'hwc', output: 'nchw' } });
  });

  it('a per-channel RequantShift passes HWC: dk_requant walks pixels x channels, the vectors by channel', () => {
    const c = compileChain({ perChannel: true });
    expect(layouts(c.bound)).toEqual({ convA: { input: 'nchw', output: 'hwc' }, convB: { input: 'nchw', output: 'hwc' }, add: HWC, pc: HWC, convC: { input: 'hwc', output: 'nchw' } });
    const pc = c.bound.find((b) => b.node.name === 'pc')!;
    expect(pc.binding.kernel).toBe('dk_requant_hwc');
    expect(pc.hwc!.nchw.binding.kernel).toBe('dk_requant');
    // NCHW: [channels, pixels] with the vectors stepping per channel; HWC: [pixels, channels]
    expect(pc.hwc!.nchw.params).toMatchObject({ shape: [32, 144], rqs: [[1, 0], [1, 0]] });
    expect(pc.params).toMatchObject({ shape: [144, 32], rqs: [[0, 1], [0, 1]] });
  });

  it("a per-tensor RequantShift on the NPU (elementwise job) passes HWC: the flat job's byte order is free", () => {
    const c = compileChain('tensor');
    expect(kernels(c.bound)).toEqual({ convA: 'dsim_npu_layer', pc0: 'dsim_npu_layer', convC: 'dsim_npu_layer' });
    expect(layouts(c.bound)).toEqual({ convA: { input: 'nchw', output: 'hwc' }, pc0: HWC, convC: { input: 'hwc', output: 'nchw' } });
    expect(c.bound[1]!.hwc!.why).toMatch(/flat job is the same in any order/);
  });

  it('the cost model decides: HWC pays across 2 per-channel requants (dk_requant_hwc), not across 8 (the transposes are cheaper)', () => {
    const two = compileChain(2);
    expect(layouts(two.bound)).toEqual({ convA: { input: 'nchw', output: 'hwc' }, pc0: HWC, pc1: HWC, convC: { input: 'hwc', output: 'nchw' } });
    expect(kernels(two.bound).pc0).toBe('dk_requant_hwc');
    const eight = compileChain(8);
    expect(Object.values(layouts(eight.bound))).toEqual([NCHW, ...Array.from({ length: 8 }, () => null), NCHW]);
    expect(kernels(eight.bound).pc0).toBe('dk_requant');
  });
});

async function runCase(dir: string, name: string, l1: number) {
  const out = join(OUT, 'build', `${name}-${l1}`);
  const r = await testCase(dir, out, { npu: true, l1 });
  expect(r.reason).toBeUndefined();
  expect(r.passed).toBe(true);
  return { manifest: r.compile!.manifest, out, done: () => rmSync(out, { recursive: true, force: true }) };
}

describe('HWC through layout-free layers: bit-exact runs', () => {
  it('NPU convs, an RQAdd, a per-channel RequantShift, a Clip and an RQAdd of a per-channel constant on HWC, whole and tiled over pixels at small L1', async () => {
    const dir = writeCase(OUT, 'chain', chainGraph({ perChannel: true, clip: true, constAdd: true }));
    for (const l1 of [256 * 1024, 5000]) {
      const r = await runCase(dir, 'chain', l1);
      const L = Object.fromEntries(r.manifest.layers.map((l) => [l.name, l]));
      expect(L.add!.npuLayout).toEqual(HWC);
      expect(L.pc!.npuLayout).toEqual(HWC);
      expect(L.pc!.kernel).toBe('dk_requant_hwc');
      expect(L.relu!.npuLayout).toEqual(HWC);
      expect(L.cadd!.npuLayout).toEqual(HWC);
      expect(L.convC!.npuLayout).toEqual({ input: 'hwc', output: 'nchw' });
      if (l1 === 5000) {
        // a tile of an HWC tensor is a range of pixels with all their channels
        for (const n of ['add', 'pc', 'relu', 'cadd']) expect(L[n]!.tiles?.count, n).toBeGreaterThan(1);
      }
      r.done();
    }
  });
});

describe('HWC through layout-free layers: the NPU elementwise job', () => {
  it('NPU conv -> per-tensor requant on the NPU -> NPU conv, all HWC between, bit-exact', async () => {
    const r = await runCase(writeCase(OUT, 'npu-eltwise', requantRunGraph(1, true)), 'npu-eltwise', 256 * 1024);
    expect(r.manifest.layers.map((l) => l.npuLayout)).toEqual([{ input: 'nchw', output: 'hwc' }, HWC, { input: 'hwc', output: 'nchw' }]);
    r.done();
  });
});

describe.skipIf(!existsSync(CONFORMANCE))('HWC through layout-free layers: miniMobileNetv2', () => {
  it('the requant and add layers are HWC, the NPU convs around them transpose nothing, bit-exact at 3 budgets', async () => {
    const dir = join(CONFORMANCE, 'Models', 'miniMobileNetv2');
    for (const l1 of [256 * 1024, 16000, 8000]) {
      const r = await runCase(dir, 'mmv2', l1);
      const L = Object.fromEntries(r.manifest.layers.map((l) => [l.name, l]));
      for (const n of ['RequantShift_8', 'RequantShift_15', 'Add_16']) expect(L[n]!.npuLayout, `${n} at ${l1}`).toEqual(HWC);
      for (const n of ['Conv_6', 'Conv_9', 'Conv_13', 'Conv_18']) expect(L[n]!.npuLayout, `${n} at ${l1}`).toEqual(HWC);
      const c = readFileSync(join(r.out, 'src', 'network.c'), 'utf8');
      expect(c).toMatch(/RequantShift_8[\s\S]*layout: activations HWC \(pixel-major\)[^\n]*written by NPU conv Conv_6, Conv_13/);
      // the NPU convs writing HWC still return once their jobs are submitted; core 0 waits before the cluster reads
      for (const n of ['Conv_6', 'Conv_13']) expect(c).toMatch(new RegExp(`layer_${n}_args = \\{[^}]*\\.async = 1,`, 's'));
      expect(c).toMatch(/until core 0's dsim_npu_wait\(\) before layer RequantShift_8/);
      r.done();
    }
  });
});
