// The compiler's NPU offload (src/compiler/npu/): layers placed on N-EUREKA run bit-exact on the
// simulated cluster + NPU (conformance conv cases, hand-made graphs with remainders on every
// dimension, strides, padding, negative per-channel muls, GEMM rows as pixels), the eligible
// layers of miniMobileNetv2 and microLlama64 are on the NPU (from the manifest), a requantisation
// the NPU cannot express stays on the cluster with its reason, --no-npu keeps everything on the
// cluster, and the sweep's npu axis runs. DSIM_FULL_SWEEP=1: every conformance case with the NPU at
// every L1 budget (the conformance tests run them with the NPU on by default, at one budget each).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileToFolder, type Manifest } from '../../src/compiler/build-folder.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { ints, requantGraph, rng, rq, writeCase as writeCaseIn } from './graphs.js';
import { budgetsFor, CONFORMANCE, findCases, FULL_SWEEP, L1_BUDGETS, MIN_L1 } from '../compiler/cases.js';

const OUT = join(process.cwd(), 'test', '.out', 'npu-offload', `run-${process.pid}`);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const K = join(CONFORMANCE, 'Kernels', 'Integer');
const M = join(CONFORMANCE, 'Models');

/** Per-channel muls with some negative ones, adds, for C channels. */
function requant(b: GraphBuilder, g: ReturnType<typeof rng>, name: string, shape: number[], C: number) {
  const mul = b.init(`${name}_mul`, 'float32', shape, Array.from({ length: C }, (_, c) => (c % 5 === 2 ? -1 : 1) * g(1, 90)));
  const add = b.init(`${name}_add`, 'float32', shape, ints(g, C, -3000, 3000));
  return [mul, add];
}

/** x[1,7,40] -> MatMul W[40,36] (+ bias) -> RequantShift (per column, negative muls) -> y; 7 rows = one 6-wide job + 1. */
function gemmGraph(levels = 256, signed = 1): { graph: Graph; input: Tensor } {
  const g = rng(5);
  const b = new GraphBuilder('npu_gemm');
  const x = b.input('x', 'float32', [1, 7, 40]);
  const w = b.init('W', 'float32', [40, 36], ints(g, 1440, -100, 100));
  const bias = b.init('bias', 'float32', [36], ints(g, 36, -500, 500));
  const mm = b.node('MatMul', [x, w], {}, { nodeName: 'fc', dtype: 'float32' });
  const ad = b.node('Add', [mm, bias], {}, { nodeName: 'fc_bias', dtype: 'float32' });
  const [mul, add] = requant(b, g, 'rq', [36], 36);
  const y = b.node('RequantShift', [ad, mul!, add!], rq(2 ** 11, levels, signed), { nodeName: 'fc_rq', dtype: 'float32', shape: [1, 7, 36] });
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, 7, 40], data: Int8Array.from(ints(g, 280, -128, 127)) };
  return { graph: b.output(y).build(), input };
}

/** x[1,30,13,11] -> 3x3 stride 2 pad 1 (40) -> depthwise 3x3 pad 1 -> 1x1 (20), each requantised (signed, unsigned, signed). */
function convGraph(): { graph: Graph; input: Tensor } {
  const g = rng(9);
  const b = new GraphBuilder('npu_convs');
  const x = b.input('x', 'float32', [1, 30, 13, 11]);
  const w1 = b.init('w1', 'float32', [40, 30, 3, 3], ints(g, 40 * 30 * 9, -60, 60));
  const c1 = b.node('Conv', [x, w1], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { nodeName: 'conv3x3s2', dtype: 'float32', shape: [1, 40, 7, 6] });
  const [m1, a1] = requant(b, g, 'rq1', [1, 40, 1, 1], 40);
  const r1 = b.node('RequantShift', [c1, m1!, a1!], rq(2 ** 12), { nodeName: 'rq1', dtype: 'float32', shape: [1, 40, 7, 6] });
  const w2 = b.init('w2', 'float32', [40, 1, 3, 3], ints(g, 360, -100, 100));
  const c2 = b.node('Conv', [r1, w2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 40 }, { nodeName: 'dw3x3', dtype: 'float32', shape: [1, 40, 7, 6] });
  const [m2, a2] = requant(b, g, 'rq2', [1, 40, 1, 1], 40);
  const r2 = b.node('RequantShift', [c2, m2!, a2!], rq(2 ** 9, 256, 0), { nodeName: 'rq2', dtype: 'float32', shape: [1, 40, 7, 6] });
  const w3 = b.init('w3', 'float32', [20, 40, 1, 1], ints(g, 800, -100, 100));
  const c3 = b.node('Conv', [r2, w3], { kernel_shape: [1, 1] }, { nodeName: 'pw1x1', dtype: 'float32', shape: [1, 20, 7, 6] });
  const [m3, a3] = requant(b, g, 'rq3', [1, 20, 1, 1], 20);
  const r3 = b.node('RequantShift', [c3, m3!, a3!], rq(2 ** 13), { nodeName: 'rq3', dtype: 'float32', shape: [1, 20, 7, 6] });
  const input: Tensor = { name: 'x', dtype: 'int8', shape: [1, 30, 13, 11], data: Int8Array.from(ints(g, 30 * 13 * 11, -128, 127)) };
  return { graph: b.output(r3).build(), input };
}

/** The GEMM graph plus a RequantShift of x (a cluster layer independent of the GEMM) as a second output. */
function overlapGraph(): { graph: Graph; input: Tensor } {
  const input = gemmGraph().input; // the same x
  const b = new GraphBuilder('npu_overlap');
  const x = b.input('x', 'float32', [1, 7, 40]);
  const g = rng(5);
  const w = b.init('W', 'float32', [40, 36], ints(g, 1440, -100, 100));
  const mm = b.node('MatMul', [x, w], {}, { nodeName: 'fc', dtype: 'float32' });
  const [mul, add] = requant(b, g, 'rq', [36], 36);
  const y = b.node('RequantShift', [mm, mul!, add!], rq(2 ** 11), { nodeName: 'fc_rq', dtype: 'float32', shape: [1, 7, 36] });
  const m2 = b.init('side_mul', 'float32', [], [3]);
  const a2 = b.init('side_add', 'float32', [], [5]);
  const y2 = b.node('RequantShift', [x, m2, a2], rq(4), { nodeName: 'side_rq', dtype: 'float32', shape: [1, 7, 40] });
  return { graph: b.output(y).output(y2).build(), input };
}

const writeCase = (name: string, c: { graph: Graph; input: Tensor }) => writeCaseIn(OUT, name, c);
const engines = (m: Manifest) => Object.fromEntries(m.layers.map((l) => [l.name, l.engine]));
const reasons = (m: Manifest) => Object.fromEntries(m.layers.filter((l) => l.engineReason).map((l) => [l.name, l.engineReason]));

async function runNpu(dir: string, name: string, l1?: number) {
  const out = join(OUT, 'build', `${name.replace(/\//g, '_')}-${l1 ?? 'default'}`);
  const r = await testCase(dir, out, { npu: true, ...(l1 ? { l1 } : {}) });
  expect(r.reason).toBeUndefined();
  expect(r.passed).toBe(true);
  return { ...r, done: () => rmSync(out, { recursive: true, force: true }) };
}

describe('NPU offload: hand-made graphs, bit-exact on the cluster + NPU', () => {
  it('GEMM as a 1x1 job: 7 rows (6-wide job + remainder), 40 -> 36 channels, negative muls, bias folded', async () => {
    const dir = writeCase('gemm', gemmGraph());
    const r = await runNpu(dir, 'gemm');
    expect(engines(r.compile!.manifest)).toEqual({ fc: 'npu' });
    expect(readFileSync(join(r.compile!.outDir, 'src', 'network.c'), 'utf8')).toMatch(/NPU \(N-EUREKA\) job: mode conv1x1/);
    r.done();
  });

  it('3x3 strided with padding, depthwise (unsigned out) and 1x1, with remainders on every dimension', async () => {
    const dir = writeCase('convs', convGraph());
    for (const l1 of [256 * 1024, 6000]) {
      const r = await runNpu(dir, 'convs', l1);
      expect(engines(r.compile!.manifest)).toEqual({ conv3x3s2: 'npu', dw3x3: 'npu', pw1x1: 'npu' });
      // the activations between the three NPU layers stay in the NPU's layout (no transposes)
      expect(Object.fromEntries(r.compile!.manifest.layers.map((l) => [l.name, l.npuLayout]))).toEqual({
        conv3x3s2: { input: 'nchw', output: 'hwc' },
        dw3x3: { input: 'hwc', output: 'hwc' },
        pw1x1: { input: 'hwc', output: 'nchw' },
      });
      // at 6000 B the first layer (channel-major input, transpose scratch) runs several double-buffered tiles
      if (l1 === 6000) expect(r.compile!.manifest.layers[0]!.tiles?.count).toBeGreaterThan(1);
      r.done();
    }
  });

  it('a standalone per-tensor RequantShift as a depthwise job with the centre tap only, whole and in tiles', async () => {
    const dir = writeCase('requant', requantGraph());
    for (const l1 of [256 * 1024, 6000]) {
      const r = await runNpu(dir, 'requant', l1);
      expect(engines(r.compile!.manifest)).toEqual({ kv_rq: 'npu' });
      if (l1 === 6000) expect(r.compile!.manifest.layers[0]!.tiles?.count).toBeGreaterThan(1);
      r.done();
    }
  });

  it('overlap: the cluster runs an independent layer while the NPU computes; core 0 waits before the end', async () => {
    const dir = writeCase('overlap', overlapGraph());
    const r = await runNpu(dir, 'overlap');
    expect(engines(r.compile!.manifest)).toEqual({ fc: 'npu', side_rq: 'cluster' });
    const c = readFileSync(join(r.compile!.outDir, 'src', 'network.c'), 'utf8');
    expect(c).toMatch(/layer_fc_args = \{[^}]*\.async = 1,/s);
    const body = c.slice(c.indexOf('static void network_body'));
    const at = (s: string) => body.indexOf(s);
    expect(at('layer_fc(cores);')).toBeGreaterThan(0);
    expect(at('layer_fc(cores);')).toBeLessThan(at('layer_side_rq(cores);'));
    expect(at('layer_side_rq(cores);')).toBeLessThan(at('dsim_npu_wait();'));
    r.done();
  });

  it('a requantisation the NPU cannot express (n_levels 128) stays on the cluster, with the reason, and runs', async () => {
    const dir = writeCase('gemm-128', gemmGraph(128));
    const r = await testCase(dir, join(OUT, 'build', 'gemm-128'), { npu: true });
    expect(r.passed).toBe(true);
    expect(engines(r.compile!.manifest)).toEqual({ fc: 'cluster' });
    expect(reasons(r.compile!.manifest)).toEqual({ fc: "requantisation clips to [-64, 63]; the NPU's 8-bit output clips to [-128, 127] or [0, 255]" });
  });

  it('--no-npu keeps every layer on the cluster and says so', async () => {
    const dir = writeCase('convs-off', convGraph());
    const { manifest } = await compileToFolder({ network: dir, outDir: join(OUT, 'build', 'convs-off'), npu: false, build: false });
    expect(Object.values(engines(manifest))).toEqual(['cluster', 'cluster', 'cluster']);
    expect(new Set(Object.values(reasons(manifest)))).toEqual(new Set(['NPU off (--no-npu)']));
    expect(manifest.options.npu).toBe(false);
  });
});

describe.skipIf(!existsSync(CONFORMANCE))('NPU offload: conformance cases and models', () => {
  it('miniMobileNetv2: every requantised conv and the GEMM on the NPU', async () => {
    const { manifest } = await compileToFolder({ network: join(M, 'miniMobileNetv2'), outDir: join(OUT, 'build', 'mmv2'), build: false });
    const candidates = manifest.layers.filter((l) => /^RQ(Conv|Gemm|MatMul)$/.test(l.op));
    expect(candidates.length).toBe(11);
    for (const l of candidates) expect(l.engine, `${l.name}: ${l.engineReason}`).toBe('npu');
  });

  it('microLlama64: every requantised MatMul with constant weights on the NPU; the others say why not', async () => {
    const { manifest } = await compileToFolder({ network: join(M, 'microLlama', 'INT8', 'microLlama64'), outDir: join(OUT, 'build', 'ml64'), build: false });
    const candidates = manifest.layers.filter((l) => /^RQ(Conv|Gemm|MatMul)$/.test(l.op));
    const npu = candidates.filter((l) => l.engine === 'npu');
    expect(npu.length).toBe(56); // 8 decoder layers x (q, k, v, o, gate, up, down)
    for (const l of candidates.filter((x) => x.engine !== 'npu')) expect(l.engineReason).toBe('the weights (B) are not a constant');
    // the KV-cache requantisations ([1,16,65,4] int8, one mul / add) run as elementwise NPU jobs
    expect(manifest.layers.filter((l) => l.op === 'RequantShift' && l.engine === 'npu').length).toBe(16);
  });

  it('Conv/Regular_3x3_RQ stays on the cluster: its weights, negated where mul < 0, need more than 8 bits', async () => {
    const { manifest } = await compileToFolder({ network: join(K, 'Conv', 'Regular_3x3_RQ'), outDir: join(OUT, 'build', '3x3rq'), build: false });
    expect(manifest.layers[0]!.engine).toBe('cluster');
    expect(manifest.layers[0]!.engineReason).toMatch(/span more than 8 bits/);
  });

  it('Conv/PW_2D_RQ/Unsigned_RQ (500 input channels) stays on the NPU at --l1 16000 and 8000: column tiles shrink its transpose scratch', async () => {
    for (const l1 of [16000, 8000]) {
      const r = await runNpu(join(K, 'Conv', 'PW_2D_RQ', 'Unsigned_RQ'), 'pw-unsigned', l1);
      const L = r.compile!.manifest.layers[0]!;
      expect(L.engine, L.engineReason).toBe('npu');
      const ow = L.tiles!.dims.find((d) => d.name === 'ow')!;
      expect(ow.tile).toBeLessThan(ow.size);
      expect(r.compile!.manifest.memory.levels.find((l) => l.level === 'L1')!.used).toBeLessThanOrEqual(l1);
      r.done();
    }
  });

  // CI: the conv cases the NPU takes, and miniMobileNetv2, at one rotating budget; full sweep: all cases, all budgets
  const ci = ['Kernels/Integer/Conv/DW_2D_RQ', 'Kernels/Integer/Conv/DW_3x3_RQ', 'Kernels/Integer/Conv/PW_2D_RQ/Unsigned_RQ', 'Models/miniMobileNetv2'];
  const cases = FULL_SWEEP ? findCases(CONFORMANCE) : findCases(CONFORMANCE).filter((c) => ci.includes(c.name));
  cases.forEach((c, k) => {
    for (const l1 of FULL_SWEEP ? [...L1_BUDGETS] : budgetsFor(k))
      it(`${c.name} --npu --l1 ${l1}: bit-exact`, async () => {
        const r = await testCase(c.dir, join(OUT, 'build', `${c.name.replace(/\//g, '_')}-${l1}`), { npu: true, l1 });
        // below a case's minimum L1 (test/compiler/cases.ts MIN_L1, the cluster's smallest tile) the NPU
        // layer goes back to the cluster and the compile fails with the cluster's message
        const min = MIN_L1[c.name];
        if (min !== undefined && l1 < min) return void expect(r.reason).toMatch(new RegExp(`cannot be tiled under --l1 ${l1}: .*minimum --l1 ${min}$`));
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        if (ci.includes(c.name)) {
          // the NPU takes these layers unless its tiles (with the layout-transpose scratch) do not
          // fit this budget: then the cluster's tiling runs them and the manifest says why
          const layers = r.compile!.manifest.layers;
          if (!layers.some((l) => l.engine === 'npu')) expect(layers.map((l) => l.engineReason ?? '').join('\n')).toMatch(new RegExp(`do not fit --l1 ${l1}`));
        }
        rmSync(join(OUT, 'build', `${c.name.replace(/\//g, '_')}-${l1}`), { recursive: true, force: true });
      });
  });
});

describe('NPU offload: command line', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
    return { code: r.status, err: r.stderr };
  };
  const one = (r: { code: number | null; err: string }, text: string) => {
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(text);
  };
  it('--npu with a value that is not a boolean, or an unknown option: exit 2, one line', () => {
    one(cli('compile', 'x', '--npu=maybe', '-o', join(OUT, 'x')), '--npu=maybe: expected --npu or --no-npu');
    one(cli('test', 'x', '--npu=2'), '--npu=2: expected --npu or --no-npu');
    one(cli('compile', 'x', '--npu', 'maybe', '-o', join(OUT, 'x')), 'Unknown argument: maybe');
    one(cli('compile', 'x', '--npux', '-o', join(OUT, 'x')), 'Unknown argument: npux');
    one(cli('generate', '--model', 'm', '--tokenizer', 't', '--npu=yes'), '--npu=yes: expected --npu or --no-npu');
  });

  it.skipIf(!existsSync(CONFORMANCE))('sweep --npu on,off: one row per setting, both bit-exact, the NPU row faster', () => {
    const csv = join(OUT, 'sweep.csv');
    const r = spawnSync(process.execPath, [MAIN, 'sweep', join(K, 'Conv', 'DW_3x3_RQ'), '--npu', 'on,off', '-o', csv], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [head, ...rows] = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => head!.indexOf(name);
    expect(rows.map((x) => x[col('npu')])).toEqual(['on', 'off']);
    expect(rows.map((x) => x[col('bit_exact')])).toEqual(['true', 'true']);
    expect(Number(rows[0]![col('cycles')])).toBeLessThan(Number(rows[1]![col('cycles')]));
  });
});
