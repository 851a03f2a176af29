// The pipelined tile loop of NPU convs that still transpose (src/compiler/npu/tile-loop.ts): the
// cores transpose tile i+1's input (and tile i-1's output back) while the NPU runs tile i's job,
// each tile in its own scratch copy. Shown from the run itself (the trace's core tracks are busy
// inside the NPU's job spans, the output bit-exact), for a conv transposing both operands and for
// a chain whose two convs transpose one side each; the tiler falls back to the synchronous loop
// when the second scratch copy does not fit; the replay of the loop's steps names a broken order.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGraph, DEFAULT_OPTIONS } from '../../src/compiler/pipeline.js';
import { transposeSchedule, verifyTransposePipeline, type PipeStep } from '../../src/compiler/npu/tile-loop.js';
import { solveTiling, type LayerProblem } from '../../src/compiler/tile.js';
import type { TilingRule } from '../../src/compiler/registry.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { ints, rng, rq, writeCase as writeCaseIn } from './graphs.js';

const OUT = join(process.cwd(), 'test', '.out', 'npu-tile-pipeline', `run-${process.pid}`);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');

/**
 * x[1,C,12,12] -> pw (1x1, C -> 32) [-> conv3 (3x3, 32 -> 32, pad 1)] -> y. Alone, pw reads the
 * network input and writes its output channel-major (both transposes); in the chain pw's output
 * stays HWC for conv3, so pw transposes its input only and conv3 its output only.
 */
function convGraph(C: number, chain: boolean, K = 32, S = 12): { graph: Graph; input: Tensor } {
  const g = rng(7);
  const b = new GraphBuilder(chain ? 'npu_tpipe_chain' : 'npu_tpipe_pw');
  const x = b.input('x', 'float32', [1, C, S, S]);
  const w1 = b.init('w1', 'float32', [K, C, 1, 1], ints(g, K * C, -60, 60));
  const c1 = b.node('Conv', [x, w1], { kernel_shape: [1, 1] }, { nodeName: 'pw', dtype: 'float32', shape: [1, K, S, S] });
  const m1 = b.init('m1', 'float32', [1, K, 1, 1], ints(g, K, 1, 50));
  const a1 = b.init('a1', 'float32', [1, K, 1, 1], ints(g, K, -3000, 3000));
  let y = b.node('RequantShift', [c1, m1, a1], rq(2 ** 13), { nodeName: 'rq1', dtype: 'float32', shape: [1, K, S, S] });
  if (chain) {
    const w2 = b.init('w2', 'float32', [32, 32, 3, 3], ints(g, 32 * 32 * 9, -60, 60));
    const c2 = b.node('Conv', [y, w2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { nodeName: 'conv3', dtype: 'float32', shape: [1, 32, 12, 12] });
    const m2 = b.init('m2', 'float32', [1, 32, 1, 1], ints(g, 32, 1, 50));
    const a2 = b.init('a2', 'float32', [1, 32, 1, 1], ints(g, 32, -3000, 3000));
    y = b.node('RequantShift', [c2, m2, a2], rq(2 ** 14), { nodeName: 'rq2', dtype: 'float32', shape: [1, 32, 12, 12] });
  }
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, C, S, S], data: Int8Array.from(ints(g, C * S * S, -128, 127)) };
  return { graph: b.output(y).build(), input };
}

type Span = { ph: string; cat?: string; name: string; tid: number; ts: number; dur: number };

/** Compile and run a case at --l1 `l1` with a trace; bit-exact; the manifest, network.c and spans. */
async function runTraced(name: string, c: { graph: Graph; input: Tensor }, l1: number) {
  const dir = writeCaseIn(OUT, name, c);
  const r = await testCase(dir, join(OUT, 'build', `${name}-${l1}`), { npu: true, l1 });
  expect(r.reason).toBeUndefined();
  expect(r.passed).toBe(true);
  const build = r.compile!.outDir;
  const trace = join(build, 'trace.json');
  expect(spawnSync(process.execPath, [MAIN, 'run', build, '--trace', trace, '--no-record'], { encoding: 'utf8' }).status).toBe(0);
  const spans = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: Span[] }).traceEvents.filter((e) => e.ph === 'X');
  const c0 = readFileSync(join(build, 'src', 'network.c'), 'utf8');
  rmSync(build, { recursive: true, force: true });
  return { manifest: r.compile!.manifest, c: c0, spans, dir };
}

/** Cycles core `tid` is busy inside each NPU job span. */
function busyInJobs(spans: Span[], tid: number): { job: Span; busy: number }[] {
  const busy = spans.filter((e) => e.cat === 'core' && e.tid === tid && e.name === 'busy');
  return spans
    .filter((e) => e.cat === 'engine')
    .map((job) => ({ job, busy: busy.reduce((s, b) => s + Math.max(0, Math.min(b.ts + b.dur, job.ts + job.dur) - Math.max(b.ts, job.ts)), 0) }));
}

/** The layer's comment block in network.c. */
function commentOf(c: string, layer: string): string {
  const at = c.search(new RegExp(`\\* Layer \\d+: ${layer}\\b`));
  expect(at).toBeGreaterThanOrEqual(0);
  return c.slice(at, c.indexOf('*/', at));
}

describe('pipelined tiles of NPU convs that transpose', () => {
  it('a conv transposing both operands: the cores transpose while the NPU runs the previous tile (trace), bit-exact', async () => {
    const { manifest, c, spans, dir } = await runTraced('pw', convGraph(96, false), 10000);
    const pw = manifest.layers.find((l) => l.name === 'pw')!;
    expect(pw.engine).toBe('npu');
    expect(pw.npuLayout).toEqual({ input: 'nchw', output: 'nchw' });
    expect(pw.tiles!.count).toBeGreaterThan(2);
    expect(pw.tiles!.pipeline).toMatchObject({ on: true });
    expect(commentOf(c, 'pw')).toMatch(/pipelined tile loop: predicted \d+ cycles pipelined \(two scratch copies\)/);
    expect(c).toMatch(/L1 scratch: 2 x \d+ B/);
    expect(c).toMatch(/dsim_npu_tile_in_others\(&layer_pw_pargs\[\(uint32_t\)next % 3u\]\)/);
    // every job but the last runs while core 1 transposes (the next tile's input, the previous one's
    // output): in the synchronous loop core 1 sleeps at the barrier during each job
    const jobs = busyInJobs(spans, 1);
    expect(jobs.length).toBe(pw.tiles!.count);
    const overlapped = jobs.filter(({ job, busy }) => busy > job.dur / 2);
    expect(overlapped.length).toBeGreaterThanOrEqual(jobs.length - 1);
    // the same loop with a fork per layer (each transpose step a fork of every core), and on one
    // core (core 0 transposes too, after submitting; smaller tiles pipeline there): bit-exact
    for (const [label, o] of [['fork', { forkPerLayer: true, l1: 10000 }], ['one-core', { cores: 1, l1: 5000 }]] as const) {
      const r = await testCase(dir, join(OUT, 'build', `pw-${label}`), { npu: true, ...o });
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      expect(r.compile!.manifest.layers.find((l) => l.name === 'pw')!.tiles!.pipeline).toMatchObject({ on: true });
      rmSync(r.compile!.outDir, { recursive: true, force: true });
    }
  });

  it('a chain: the first conv transposes its input only, the second its output only; both pipeline, bit-exact', async () => {
    const { manifest, c, spans } = await runTraced('chain', convGraph(64, true), 10000);
    const layouts = Object.fromEntries(manifest.layers.map((l) => [l.name, l.npuLayout]));
    expect(layouts).toEqual({ pw: { input: 'nchw', output: 'hwc' }, conv3: { input: 'hwc', output: 'nchw' } });
    for (const l of ['pw', 'conv3']) {
      expect(manifest.layers.find((x) => x.name === l)!.tiles!.count).toBeGreaterThan(2);
      expect(commentOf(c, l)).toMatch(/pipelined tile loop: predicted/);
    }
    expect(commentOf(c, 'pw')).toMatch(/tile i's job runs while the other cores transpose tile i\+1's input/);
    expect(commentOf(c, 'conv3')).toMatch(/tile i's job runs while the other cores transpose tile i-1's output back/);
    // pw's jobs (the first ones) overlap core 1's transposes of its next input tiles
    const pwTiles = manifest.layers.find((x) => x.name === 'pw')!.tiles!.count;
    const pwJobs = busyInJobs(spans, 1).slice(0, pwTiles);
    expect(pwJobs.filter(({ job, busy }) => busy > job.dur / 2).length).toBeGreaterThanOrEqual(pwTiles - 1);
  });

  it('tiles of unequal sizes (5, 5 and 3 columns) share the scratch copies: each copy keeps the inputs below and the outputs above a fixed split, bit-exact', async () => {
    // 64 -> 100 channels on 13x13 at --l1 6000: one-row tiles of 5, 5, 3 columns; a 5-column
    // tile's input once overwrote the output a 3-column tile's job had left in the same copy
    const { manifest, c } = await runTraced('uneven', convGraph(64, false, 100, 13), 6000);
    const pw = manifest.layers.find((l) => l.name === 'pw')!;
    expect(pw.tiles!.dims.find((d) => d.name === 'ow')).toEqual({ name: 'ow', size: 13, tile: 5 });
    expect(pw.tiles!.pipeline).toMatchObject({ on: true });
    expect(c).toMatch(/dsim_npu_tile_place_scratch\(T, .*, 320u\); \/\* tile i's scratch copy: input below, output from byte 320 \*\//);
  });

  it('falls back to the synchronous loop when the second scratch copy does not fit (or is predicted slower); the layer comment says which loop and why', () => {
    const { graph, input } = convGraph(96, false);
    const zeros = graph.outputs.map((o) => new Int8Array(o.shape.reduce((a, b) => a * b, 1)));
    const comp = compileGraph(graph, [input.data], zeros, { ...DEFAULT_OPTIONS, l1: 10000 });
    expect(commentOf(comp.emitted.files['network.c']!, 'pw')).toMatch(/pipelined tile loop: predicted \d+ cycles pipelined/);
    // at --l1 20000 three bigger tiles with one scratch are predicted faster: one scratch copy, the comment says why
    const sync = compileGraph(graph, [input.data], zeros, { ...DEFAULT_OPTIONS, l1: 20000 });
    const st = sync.tiling.layers.find((x) => x.layer === 'pw')!;
    expect(st.pipeline?.on).toBe(false);
    expect(st.buffers.find((b) => b.field === 'scratch')!.copies).toBe(1);
    const sc = sync.emitted.files['network.c']!;
    expect(commentOf(sc, 'pw')).toMatch(/synchronous tile loop: predicted \d+ cycles synchronous in \d+ tiles, \d+ pipelined in \d+ tiles/);
    expect(sc).not.toMatch(/layer_pw_pargs/);
    const L = comp.constants.layers.find((x) => x.name === 'pw')!;
    const pb: LayerProblem = { rule: L.bound.binding.tiling as TilingRule<unknown>, params: L.bound.params, types: L.bound.types, cores: 8, moved: () => true, latency: () => 100 };
    // with room for 12 one-row tiles and two scratch copies: pipelined
    const roomy = solveTiling(pb, 9000);
    expect('sizes' in roomy && roomy.pipeline).toMatchObject({ on: true });
    // the smallest tiling of all fits, the same tiles with a second scratch copy do not
    const tight = solveTiling(pb, roomy.minL1);
    expect('sizes' in tight).toBe(true);
    if (!('sizes' in tight)) return;
    expect(tight.eval.tiles).toBeGreaterThan(1);
    expect(tight.pipeline).toEqual({ on: false, why: 'the second scratch copy does not fit the L1 budget at any tile size' });
    // unbounded: one tile, faster than any pipelined tiling
    const whole = solveTiling(pb, Infinity);
    expect('sizes' in whole && whole.pipeline).toMatchObject({ on: false, why: expect.stringMatching(/synchronous in 1 tile, \d+ pipelined in 2 tiles/) });
  });

  it('the replay of the loop names a broken order: a transpose before the job it reads has ended, a DMA-out not drained, a job never waited for', () => {
    const { graph, input } = convGraph(96, false);
    const zeros = graph.outputs.map((o) => new Int8Array(o.shape.reduce((a, b) => a * b, 1)));
    const comp = compileGraph(graph, [input.data], zeros, { ...DEFAULT_OPTIONS, l1: 10000 });
    const t = comp.tiling.layers.find((x) => x.layer === 'pw')!;
    expect(t.pipeline?.on).toBe(true);
    const L = comp.constants.layers.find((x) => x.name === 'pw')!;
    const scratchParts = (L.bound.binding.tiling as TilingRule<unknown>).pipeline!(L.bound.params)!.scratchParts;
    const opts = { hwcIn: false, hwcOut: false, fork: false, scratchParts };
    const steps = transposeSchedule(false, false);
    expect(() => verifyTransposePipeline(t, steps, opts)).not.toThrow();
    expect(() => verifyTransposePipeline(t, steps, { ...opts, fork: true })).not.toThrow();
    const without = (op: PipeStep['op']) => steps.filter((s) => s.op !== op);
    // tile i-1's job waited for after the barrier: its output transpose may read the scratch while the job writes it
    const late = without('waitJob');
    late.splice(late.findIndex((s) => s.op === 'barrier') + 1, 0, { op: 'waitJob', tile: -1 });
    expect(() => verifyTransposePipeline(t, late, opts)).toThrow(/NPU pipeline of layer 'pw': tile \d+'s (transpose|job).* scratch\[\d\]/);
    // no drain: tile i-1's transpose overwrites the output copy while tile i-3's DMA-out reads it
    expect(() => verifyTransposePipeline(t, without('drain'), opts)).toThrow(/tile 2's transpose out and tile 0's DMA-out touch Y\[0\]|overwrites Y\[0\]/);
    // the channel-major input started for tile i+1 instead of i+2: after its wait, before its transpose
    const early = steps.map((s): PipeStep => (s.op === 'inCores' ? { ...s, tile: 1 } : s));
    expect(() => verifyTransposePipeline(t, early, opts)).toThrow(/NPU pipeline of layer 'pw'/);
    // no wait for jobs at all: the layer returns with jobs running
    expect(() => verifyTransposePipeline(t, without('waitJob'), opts)).toThrow(/job may still run when the layer returns|before tile \d+'s job has finished/);
    // a split below a tile's input part: that input would reach into the copy's output part
    const low = { ...t, pipeline: { ...t.pipeline!, split: t.pipeline!.split! - 4 } };
    expect(() => verifyTransposePipeline(low, steps, opts)).toThrow(/tile 0's scratch \(\d+ B input, \d+ B output\) does not fit its copy/);
  });
});
