// NPU / cluster overlap and the NPU's layout between NPU layers (src/compiler/npu/overlap.ts,
// layout.ts, tile-loop.ts): a conv whose output stays HWC returns once its job is submitted and an
// independent cluster layer computes while the job runs (the run's layer marks hold NPU busy
// cycles in that cluster layer); a tiled NPU layer's jobs run while core 0 moves tiles (the trace's
// DMA and NPU spans overlap); the overlap verifier names a missing wait. Every run bit-exact.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGraph, DEFAULT_OPTIONS } from '../../src/compiler/pipeline.js';
import { planNpuOverlap, verifyNpuOverlap, type NpuOverlap } from '../../src/compiler/npu/overlap.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { ints, requantGraph, rng, rq, writeCase as writeCaseIn } from './graphs.js';

const OUT = join(process.cwd(), 'test', '.out', 'npu-overlap', `run-${process.pid}`);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');

/**
 * x[1,16,10,10] -> conv1 1x1 (32) -> dw 3x3 -> y, and x -> side (a RequantShift to 128 levels,
 * which the NPU cannot run) -> y2, in the order conv1, side, dw: conv1's output is read only by
 * the NPU (HWC), so conv1 returns after submitting its job and side computes while it runs.
 */
function convOverlapGraph(): { graph: Graph; input: Tensor } {
  const g = rng(21);
  const b = new GraphBuilder('npu_conv_overlap');
  const x = b.input('x', 'float32', [1, 16, 10, 10]);
  const w1 = b.init('w1', 'float32', [32, 16, 1, 1], ints(g, 512, -90, 90));
  const c1 = b.node('Conv', [x, w1], { kernel_shape: [1, 1] }, { nodeName: 'conv1', dtype: 'float32', shape: [1, 32, 10, 10] });
  const m1 = b.init('m1', 'float32', [1, 32, 1, 1], ints(g, 32, 1, 60));
  const a1 = b.init('a1', 'float32', [1, 32, 1, 1], ints(g, 32, -2000, 2000));
  const r1 = b.node('RequantShift', [c1, m1, a1], rq(2 ** 12), { nodeName: 'rq1', dtype: 'float32', shape: [1, 32, 10, 10] });
  const sm = b.init('sm', 'float32', [], [3]);
  const sa = b.init('sa', 'float32', [], [5]);
  const side = b.node('RequantShift', [x, sm, sa], rq(4, 128), { nodeName: 'side', dtype: 'float32', shape: [1, 16, 10, 10] });
  const w2 = b.init('w2', 'float32', [32, 1, 3, 3], ints(g, 288, -90, 90));
  const c2 = b.node('Conv', [r1, w2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 32 }, { nodeName: 'dw', dtype: 'float32', shape: [1, 32, 10, 10] });
  const m2 = b.init('m2', 'float32', [1, 32, 1, 1], ints(g, 32, 1, 60));
  const a2 = b.init('a2', 'float32', [1, 32, 1, 1], ints(g, 32, -2000, 2000));
  const r2 = b.node('RequantShift', [c2, m2, a2], rq(2 ** 11), { nodeName: 'rq2', dtype: 'float32', shape: [1, 32, 10, 10] });
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, 16, 10, 10], data: Int8Array.from(ints(g, 1600, -128, 127)) };
  return { graph: b.output(r2).output(side).build(), input };
}

/** x[1,7,40] -> fc (MatMul, NPU, returns at once) -> use (a RequantShift to 128 levels, cluster) reads fc's output. */
function readAfterGraph(): { graph: Graph; input: Tensor } {
  const g = rng(5);
  const b = new GraphBuilder('npu_read_after');
  const x = b.input('x', 'float32', [1, 7, 40]);
  const w = b.init('W', 'float32', [40, 36], ints(g, 1440, -100, 100));
  const mm = b.node('MatMul', [x, w], {}, { nodeName: 'fc', dtype: 'float32' });
  const mul = b.init('mul', 'float32', [36], ints(g, 36, 1, 90));
  const add = b.init('add', 'float32', [36], ints(g, 36, -3000, 3000));
  const y = b.node('RequantShift', [mm, mul, add], rq(2 ** 11), { nodeName: 'fc_rq', dtype: 'float32', shape: [1, 7, 36] });
  const um = b.init('um', 'float32', [], [3]);
  const ua = b.init('ua', 'float32', [], [1]);
  const z = b.node('RequantShift', [y, um, ua], rq(4, 128), { nodeName: 'use', dtype: 'float32', shape: [1, 7, 36] });
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, 7, 40], data: Int8Array.from(ints(g, 280, -128, 127)) };
  return { graph: b.output(z).build(), input };
}

const writeCase = (name: string, c: { graph: Graph; input: Tensor }) => writeCaseIn(OUT, name, c);

async function runNpu(dir: string, name: string, l1?: number) {
  const out = join(OUT, 'build', `${name}-${l1 ?? 'default'}`);
  const r = await testCase(dir, out, { npu: true, ...(l1 ? { l1 } : {}) });
  expect(r.reason).toBeUndefined();
  expect(r.passed).toBe(true);
  return r;
}

const engines = (m: { layers: { name: string; engine: string }[] }) => Object.fromEntries(m.layers.map((l) => [l.name, l.engine]));

describe('NPU / cluster overlap', () => {
  it('a conv whose output stays HWC returns at once: the independent cluster layer after it computes while the NPU runs (layer marks)', async () => {
    const dir = writeCase('conv-overlap', convOverlapGraph());
    const r = await runNpu(dir, 'conv-overlap');
    const m = r.compile!.manifest;
    expect(engines(m)).toEqual({ conv1: 'npu', side: 'cluster', dw: 'npu' });
    expect(m.layers.find((l) => l.name === 'conv1')!.npuLayout).toEqual({ input: 'nchw', output: 'hwc' });
    const build = r.compile!.outDir;
    const c = readFileSync(join(build, 'src', 'network.c'), 'utf8');
    expect(c).toMatch(/layer_conv1_args = \{[^}]*\.async = 1,/s);
    expect(c).toMatch(/overlap: returns once core 0 has submitted the jobs \(async\)/);
    // the run's layer-marks record: NPU busy cycles inside the cluster layer's region, next to its compute
    expect(spawnSync(process.execPath, [MAIN, 'run', build], { encoding: 'utf8' }).status).toBe(0);
    const stats = join(build, 'stats');
    const rec = JSON.parse(readFileSync(join(stats, readdirSync(stats).filter((f) => f.endsWith('.json')).sort().pop()!), 'utf8')) as {
      layers: { name: string; causes: Record<string, number> }[];
    };
    const side = rec.layers.find((l) => l.name === 'side')!;
    expect(side.causes.compute).toBeGreaterThan(0);
    expect(side.causes.npu ?? 0).toBeGreaterThan(0);
    rmSync(build, { recursive: true, force: true });
  });

  it("a tiled NPU layer: core 0 moves tiles while the NPU runs the previous tile's jobs (trace), bit-exact", async () => {
    const dir = writeCase('requant-tiles', requantGraph());
    const r = await runNpu(dir, 'requant-tiles', 6000);
    const build = r.compile!.outDir;
    expect(r.compile!.manifest.layers[0]!.tiles!.count).toBeGreaterThan(2);
    const c = readFileSync(join(build, 'src', 'network.c'), 'utf8');
    expect(c).toMatch(/dsim_npu_wait_job\(last\[\(i - 1\) & 1\]\)/);
    const trace = join(build, 'trace.json');
    expect(spawnSync(process.execPath, [MAIN, 'run', build, '--trace', trace, '--no-record'], { encoding: 'utf8' }).status).toBe(0);
    const ev = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { ph: string; cat?: string; ts: number; dur: number }[] }).traceEvents;
    const jobs = ev.filter((e) => e.ph === 'X' && e.cat === 'engine');
    const dmas = ev.filter((e) => e.ph === 'X' && e.cat === 'dma');
    expect(jobs.length).toBeGreaterThan(2);
    const overlapping = dmas.filter((d) => jobs.some((j) => d.ts < j.ts + j.dur && j.ts < d.ts + d.dur));
    expect(overlapping.length).toBeGreaterThan(0);
    rmSync(build, { recursive: true, force: true });
  });

  it('the verifier catches a missing wait, a blocking layer marked async and a network ending with jobs in flight', () => {
    const { graph, input } = readAfterGraph();
    const zeros = graph.outputs.map((o) => new Int8Array(o.shape.reduce((a, b) => a * b, 1)));
    const c = compileGraph(graph, [input.data], zeros, { ...DEFAULT_OPTIONS });
    const layers = c.constants.layers;
    expect(layers.map((L) => [L.name, L.bound.binding.kernel])).toEqual([
      ['fc', 'dsim_npu_layer'],
      ['use', expect.not.stringMatching(/npu/)],
    ]);
    const ov = planNpuOverlap(layers, c.plan, c.tiling, false);
    expect([...ov.asyncLayers]).toEqual(['layer_fc']);
    expect([...ov.waitAfter]).toEqual([0]); // 'use' reads fc's output: core 0 waits after fc
    expect(() => verifyNpuOverlap(layers, c.plan, c.tiling, ov)).not.toThrow();
    const broken = (o: Partial<NpuOverlap>): NpuOverlap => ({ asyncLayers: new Set(ov.asyncLayers), waitAfter: new Set(ov.waitAfter), ...o });
    // the wait before 'use' moved after it: 'use' reads what fc's job writes while it may run
    expect(() => verifyNpuOverlap(layers, c.plan, c.tiling, broken({ waitAfter: new Set([1]) }))).toThrow(/layer 'use' touches memory of layer 'fc''s NPU jobs/);
    // no wait at all: the network also ends with the job in flight
    expect(() => verifyNpuOverlap(layers.slice(0, 1), c.plan, c.tiling, broken({ waitAfter: new Set() }))).toThrow(/network ends while layer 'fc''s NPU jobs may run/);
    // a cluster layer cannot return early
    expect(() => verifyNpuOverlap(layers, c.plan, c.tiling, broken({ asyncLayers: new Set(['layer_fc', 'layer_use']) }))).toThrow(/layer 'use' returns before its jobs end/);
  });
});
