// The tiling phase: the solver against brute force, the verifier against broken tilings, the
// error of a layer that cannot be tiled, and the args struct sizes against riscv-gcc.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind } from '../../src/compiler/bind.js';
import { ARGS_STRUCT_BYTES, materializeConstants } from '../../src/compiler/constants.js';
import { lower } from '../../src/compiler/lower.js';
import { compileGraph, DEFAULT_OPTIONS, referenceEvaluator } from '../../src/compiler/pipeline.js';
import { PlanError, verifyPlan } from '../../src/compiler/plan.js';
import type { TileDim, TilingRule } from '../../src/compiler/registry.js';
import { candidateSizes, evaluateOrders, evaluateTiling, loopOrders, solveTiling, verifyTiling, type LayerProblem } from '../../src/compiler/tile.js';
import { inferTypes } from '../../src/compiler/types.js';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, TensorData } from '../../src/frontend/ir.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { execute } from '../../src/reference/execute.js';
import { toStorage } from '../../src/reference/storage.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { CONFORMANCE, OUT } from './cases.js';
import { rqAttrs } from './helpers.js';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** x[1,C,H,W] -> Conv(K, kxk, stride, pad) + RequantShift */
function convGraph(C: number, H: number, W: number, K: number, k: number, stride: number, pad: number): Graph {
  const b = new GraphBuilder('conv');
  const x = b.input('x', 'float32', [1, C, H, W]);
  const w = b.init('W', 'float32', [K, C, k, k], seq(K * C * k * k, (i) => (i % 5) - 2));
  const mul = b.init('mul', 'float32', [], [3]);
  const add = b.init('add', 'float32', [], [1]);
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const y = b.node('Conv', [x, w], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] }, { nodeName: 'conv', dtype: 'float32', shape: [1, K, OH, OW] });
  const r = b.node('RequantShift', [y, mul, add], rqAttrs(64), { nodeName: 'rq', dtype: 'float32', shape: [1, K, OH, OW] });
  return b.output(r).build();
}

/** x[M,K] -> MatMul(W[K,N]) (+ bias[N]) + RequantShift */
function gemmGraph(M: number, K: number, N: number, bias = false): Graph {
  const b = new GraphBuilder('gemm');
  const x = b.input('x', 'float32', [M, K]);
  const w = b.init('W', 'float32', [K, N], seq(K * N, (i) => (i % 7) - 3));
  const mul = b.init('mul', 'float32', [], [3]);
  const add = b.init('add', 'float32', [], [0]);
  let y = b.node('MatMul', [x, w], {}, { nodeName: 'mm', dtype: 'float32', shape: [M, N] });
  if (bias) y = b.node('Add', [y, b.init('bias', 'float32', [N], seq(N, (i) => 40 * (i % 9) - 160))], {}, { nodeName: 'bias_add', dtype: 'float32', shape: [M, N] });
  const r = b.node('RequantShift', [y, mul, add], rqAttrs(K > 256 ? 512 : 32), { nodeName: 'rq', dtype: 'float32', shape: [M, N] });
  return b.output(r).build();
}

/** A case folder of `g` (int8 inputs, outputs from the reference executor). */
function writeGraphCase(dir: string, g: Graph): string {
  mkdirSync(dir, { recursive: true });
  const inputs = g.inputs.map((i, k) => ({ name: i.name, dtype: 'int8' as const, shape: i.shape, data: int8Input(g)[k]! }));
  const r = execute(g, inputs, { source: dir });
  writeFileSync(join(dir, 'network.onnx'), writeOnnx(g));
  writeFileSync(join(dir, 'inputs.npz'), formatNpz(inputs));
  writeFileSync(join(dir, 'outputs.npz'), formatNpz(g.outputs.map((o, i) => toStorage(g, o.name, r.outputs[i]!))));
  return dir;
}

const int8Input = (g: Graph): TensorData[] => g.inputs.map((i) => new Int8Array(i.shape.reduce((a, b) => a * b, 1)).map((_, k) => (k % 11) - 5));

/** The one tiled layer of a graph as the tiler sees it, every operand outside L1. */
function problem(g: Graph): LayerProblem {
  const typed = inferTypes(lower(g, { evaluate: referenceEvaluator }), int8Input(g));
  const cs = materializeConstants(typed, bind(typed));
  const L = cs.layers.find((l) => l.bound.binding.tiling)!;
  return {
    rule: L.bound.binding.tiling as TilingRule<unknown>,
    params: L.bound.params,
    types: L.bound.types,
    cores: 8,
    moved: (f) => f !== 'scratch',
    latency: () => siracusa.cluster.dmaL2Latency,
  };
}

/** Every tile size of every dimension the kernel accepts (no pruning, no candidate reduction),
 *  every loop order, with and without the kernel's
 *  scratch when it may go: (L1 need, cycles) of each legal tiling, for the preferred alignment
 *  and for the smallest one the kernel takes. */
function bruteForce(pb: LayerProblem): { preferred: [number, number][]; smallest: () => [number, number][] } {
  const dims = pb.rule.dims(pb.params);
  let smallest: [number, number][] | undefined;
  return { preferred: bruteForceAligned(pb, dims), smallest: () => (smallest ??= bruteForceAligned(pb, dims.map((d) => ({ ...d, align: d.minAlign ?? d.align })))) };
}

/** The cheapest of brute force's tilings within `budget` (the preferred alignment first). */
function bruteBest(all: ReturnType<typeof bruteForce>, budget: number): number {
  const best = (l: [number, number][]) => Math.min(...l.filter(([need]) => need <= budget).map(([, c]) => c));
  const p = best(all.preferred);
  return p < Infinity ? p : best(all.smallest());
}

function bruteForceAligned(pb: LayerProblem, dims: TileDim[]): [number, number][] {
  const all = dims.map((d) => (d.choices ? d.choices.map((c) => Math.min(c, d.size)) : seq(d.size, (i) => i + 1).filter((t) => t % d.align === 0 || t === d.size)));
  const out: [number, number][] = [];
  const walk = (k: number, sizes: number[]) => {
    if (k === dims.length) {
      // every loop order of these sizes (the loops of more than one tile, the reduction innermost)
      for (const scratch of pb.rule.scratchOptional ? [true, false] : [true])
        for (const e of evaluateOrders(pb, dims, sizes, scratch)) if (e.legal) out.push([e.need, e.cycles]);
      return;
    }
    for (const t of all[k]!) walk(k + 1, [...sizes, t]);
  };
  walk(0, []);
  return out;
}

describe('tiling solver', () => {
  const shapes: [string, Graph][] = [
    ['conv 4x12x10 -> 8, 3x3, stride 1, pad 1', convGraph(4, 12, 10, 8, 3, 1, 1)],
    ['conv 3x11x9 -> 6, 3x3, stride 2, pad 1', convGraph(3, 11, 9, 6, 3, 2, 1)],
    ['gemm 12x32 by 32x20', gemmGraph(12, 32, 20)],
    ['gemm 1x64 by 64x36 (decode)', gemmGraph(1, 64, 36)],
    // big K: small budgets split K (partial sums); several row and column tiles: the loop order
    ['gemm 4x256 by 256x8 (K splits)', gemmGraph(4, 256, 8)],
    ['gemm 16x32 by 32x48 (loop order)', gemmGraph(16, 32, 48)],
  ];
  for (const [name, g] of shapes)
    it(`${name}: the search finds the cheapest legal tiling of brute force at every budget`, () => {
      const pb = problem(g);
      const full = solveTiling(pb, Infinity);
      expect('sizes' in full).toBe(true);
      const fullNeed = 'sizes' in full ? full.eval.need : 0;
      const all = bruteForce(pb);
      for (const budget of [fullNeed, Math.round(fullNeed * 0.6), Math.round(fullNeed * 0.3), Math.round(fullNeed * 0.15)]) {
        const s = solveTiling(pb, budget);
        const brute = bruteBest(all, budget);
        if (!('sizes' in s)) {
          expect(brute).toBe(Infinity);
          continue;
        }
        expect(s.eval.need).toBeLessThanOrEqual(budget);
        expect(s.eval.cycles).toBe(brute);
      }
    });

  it('K splits only when a whole-K tile does not fit; the weights are not fetched again per row tile when columns loop outside', () => {
    const pb = problem(gemmGraph(4, 256, 8));
    const whole = solveTiling(pb, Infinity);
    const small = solveTiling(pb, 1200);
    expect('sizes' in whole && whole.sizes[3]).toBe(256);
    expect('sizes' in small && small.sizes[3]).toBeLessThan(256);
    // 16 x 48 by 32: B^T (weights) tiles per column tile, A per row tile; with n outermost, B moves once
    const mm = problem(gemmGraph(16, 32, 48));
    const dims = mm.rule.dims(mm.params);
    const nOuter = evaluateTiling(mm, dims, [1, 4, 16, 32], { order: [0, 2, 1, 3] });
    const mOuter = evaluateTiling(mm, dims, [1, 4, 16, 32], { order: [0, 1, 2, 3] });
    // A per column tile, B once, Y once (and the requant mul and add, 4 B each, once)
    expect(nOuter.dmaBytes).toBe(16 * 32 * 3 * 1 + 48 * 32 + 16 * 48 + 8);
    expect(mOuter.dmaBytes).toBe(16 * 32 + 48 * 32 * 4 + 16 * 48 + 8); // B per row tile
    expect(loopOrders(dims, [1, 4, 3, 1])).toEqual([[0, 1, 2, 3], [0, 2, 1, 3]]); // the two orders of m and n
    expect(loopOrders(dims, [1, 4, 3, 2]).every((o) => o[3] === 3)).toBe(true); // a split K runs innermost
  });

  it('candidate sizes: every aligned size and the whole; reduced: one per tile count', () => {
    expect(candidateSizes({ name: 'n', size: 10, align: 4 })).toEqual([4, 8, 10]);
    expect(candidateSizes({ name: 'oh', size: 7, align: 1 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(candidateSizes({ name: 'oh', size: 7, align: 1 }, true)).toEqual([1, 2, 3, 4, 7]);
    expect(candidateSizes({ name: 'b', size: 16, align: 1, choices: [1, 16] })).toEqual([1, 16]);
  });

  it('a full-width conv tile brings whole input rows and tells the kernel so, even when the last columns feed no output', () => {
    const pb = problem(convGraph(2, 64, 32, 2, 8, 4, 1)); // OW 7: the outputs read input columns 0..30 of 32
    const sl = pb.rule.slices(pb.params, pb.types, [0, 0, 0, 0], [1, 2, 5, 7]);
    // output rows 0..4: input rows -1..22, clipped to 0..22, whole rows of 32 bytes
    expect(sl.find((s) => s.field === 'X')).toMatchObject({ rowBytes: 23 * 32 });
    expect(pb.rule.coords(pb.params, [0, 0, 0, 0], [1, 2, 5, 7])).toMatchObject({ ww: 32, padl: 1 });
  });

  it('a conv tile reads its halo: the input rows of the output rows, clipped to the image', () => {
    const pb = problem(convGraph(2, 10, 8, 4, 3, 2, 1)); // OH = 5
    const sl = pb.rule.slices(pb.params, pb.types, [0, 0, 2, 0], [1, 4, 2, 4]); // output rows 2..3
    const x = sl.find((s) => s.field === 'X')!;
    // rows 2*2-1 = 3 .. 3*2-1+2 = 7: 5 input rows of 8 bytes, per channel (stride 80)
    expect(x).toMatchObject({ offset: 3 * 8, rowBytes: 5 * 8, rows: 2, stride: 80 });
    expect(pb.rule.coords(pb.params, [0, 0, 0, 0], [1, 4, 2, 4])).toMatchObject({ padt: 1, hh: 4 });
  });
});

describe('tiling in the pipeline', () => {
  const g = convGraph(4, 24, 16, 8, 3, 1, 1);
  const zeros = g.outputs.map((o) => new Int8Array(o.shape.reduce((a, b) => a * b, 1)));
  const compile = (l1: number) => compileGraph(g, int8Input(g), zeros, { ...DEFAULT_OPTIONS, l1 });

  it('stays untiled (no DMA) when everything fits, tiles with double buffers under a small budget', () => {
    const big = compile(DEFAULT_OPTIONS.l1);
    expect(big.tiling.layers.every((t) => t.tiles.length === 1 && t.dmaBytesIn === 0)).toBe(true);
    const small = compile(4000);
    const t = small.tiling.layers[0]!;
    expect(t.tiles.length).toBeGreaterThan(1);
    expect(t.buffers.filter((b) => b.field !== 'scratch' && b.field !== 'W').every((b) => b.copies === 2)).toBe(true);
    expect(t.l1Bytes).toBeLessThanOrEqual(small.tiling.budget);
  });

  it('the verifier catches overlapping ping-pong buffers, a tile past the L1 budget, and a DMA over MCHAN\'s limit', () => {
    const c = compile(4000);
    expect(() => verifyPlan(c.plan)).not.toThrow();
    expect(() => verifyTiling(c.tiling, c.plan)).not.toThrow();
    const clone = () => structuredClone(c.plan);
    const pingPong = clone();
    const x0 = pingPong.buffers.find((b) => b.name.endsWith('.X[0]'))!;
    pingPong.buffers.find((b) => b.name.endsWith('.X[1]'))!.offset = x0.offset;
    expect(() => verifyPlan(pingPong)).toThrow(/overlap in L1/);
    const past = clone();
    past.buffers.find((b) => b.kind === 'tile')!.offset = past.levels.find((l) => l.level === 'L1')!.capacity;
    expect(() => verifyPlan(past)).toThrow(/exceeds L1 capacity/);
    const tiling = structuredClone(c.tiling);
    const x = tiling.layers[0]!.tiles[1]!.transfers[0]!;
    x.bytes = siracusa.dma.maxTransferBytes + 1;
    tiling.layers[0]!.buffers.find((b) => b.field === x.field)!.bytes = x.bytes + 3;
    expect(() => verifyTiling(tiling, c.plan)).toThrow(PlanError);
    expect(() => verifyTiling(tiling, c.plan)).toThrow(/exceeds the DMA's 131071 B per transfer|is (L1|L2)\+/);
    const overflow = structuredClone(c.tiling);
    overflow.layers[0]!.tiles[0]!.transfers[0]!.bytes += 4096;
    overflow.layers[0]!.tiles[0]!.transfers[0]!.rowBytes += 4096;
    expect(() => verifyTiling(overflow, c.plan)).toThrow(/into a \d+ B buffer/);
  });

  it('the verifier catches a broken split reduction: partial sums missing, too small, overlapping, moved by DMA; a slice loaded into the copy the tile before reads', () => {
    const gg = gemmGraph(6, 1024, 20);
    const z = gg.outputs.map((o) => new Int8Array(o.shape.reduce((a, b) => a * b, 1)));
    const c = compileGraph(gg, int8Input(gg), z, { ...DEFAULT_OPTIONS, l1: 6000, npu: false });
    expect(() => verifyTiling(c.tiling, c.plan)).not.toThrow();
    const t0 = c.tiling.layers[0]!;
    expect(t0.buffers.some((b) => b.field === 'partial')).toBe(true);
    const missing = structuredClone(c.tiling);
    missing.layers[0]!.buffers = missing.layers[0]!.buffers.filter((b) => b.field !== 'partial');
    expect(() => verifyTiling(missing, c.plan)).toThrow(/split reduction over k needs one partial-sum buffer of \d+ B$/);
    const small = structuredClone(c.tiling);
    small.layers[0]!.buffers.find((b) => b.field === 'partial')!.bytes -= 4;
    expect(() => verifyTiling(small, c.plan)).toThrow(/needs one partial-sum buffer of \d+ B, has 1 x \d+ B/);
    const overlap = structuredClone(c.plan);
    overlap.buffers.find((b) => b.name.endsWith('.partial[0]'))!.offset = overlap.buffers.find((b) => b.name.endsWith('.A[1]'))!.offset;
    expect(() => verifyPlan(overlap)).toThrow(/partial\[0\].* overlap in L1|overlap in L1/);
    const dma = structuredClone(c.tiling);
    const x = dma.layers[0]!.tiles[1]!.transfers[0]!;
    dma.layers[0]!.tiles[1]!.transfers.push({ ...x, field: 'partial' });
    expect(() => verifyTiling(dma, c.plan)).toThrow(/the partial sums never move by DMA/);
    const pingPong = structuredClone(c.tiling);
    const tiles = pingPong.layers[0]!.tiles;
    const i = tiles.findIndex((t, k) => k > 0 && t.transfers.some((y) => y.field === 'B'));
    tiles[i]!.copy.B = tiles[i - 1]!.copy.B!;
    expect(() => verifyTiling(pingPong, c.plan)).toThrow(/DMA-in of its slice overwrites copy \d while tile \d+ reads it/);
  });

  it('a layer that cannot be tiled fails with its name and the minimum L1 (exit 2)', () => {
    let err: unknown;
    try {
      compile(1500);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^layer 'conv' \(RQConv\) cannot be tiled under --l1 1500: its smallest tiling needs \d+ B of L1 tile buffers but \d+ B are left .*; minimum --l1 \d+$/);
    const min = Number(/minimum --l1 (\d+)/.exec((err as Error).message)![1]);
    expect(() => compile(min)).not.toThrow();
  });
});

describe('tiles on the cluster, bit-exact', () => {
  for (const [name, g, l1] of [
    ['6x1024 by 1024x20', gemmGraph(6, 1024, 20), 6000],
    ['6x1024 by 1024x20 with a bias', gemmGraph(6, 1024, 20, true), 6000],
    ['1x2048 by 2048x12 (decode) with a bias', gemmGraph(1, 2048, 12, true), 5000],
  ] as const)
    it(`a GEMM whose K does not fit splits K (${name}): int32 partial sums in L1, requantised at the last K tile`, async () => {
      const tag = name.replace(/\W+/g, '_');
      const dir = writeGraphCase(join(OUT, 'ksplit', tag, 'case'), g);
      const r = await testCase(dir, join(OUT, 'ksplit', tag, 'build'), { l1, npu: false }); // the cluster's K split (the NPU would take these)
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      const t = r.compile!.compiled.tiling.layers[0]!;
      const k = t.dims.find((d) => d.name === 'k')!;
      expect(k.tile).toBeLessThan(k.size);
      expect(t.buffers.find((b) => b.field === 'partial')).toMatchObject({ copies: 1 });
      // the output leaves once per output tile, not once per K tile (none: written in place)
      const outs = t.tiles.flatMap((x) => x.transfers.filter((y) => y.dir === 'out')).length;
      expect([0, t.tiles.length / Math.ceil(k.size / k.tile)]).toContain(outs);
    });
});

describe('column tiles of a conv (halo left and right), bit-exact', () => {
  it('a pointwise conv whose input row does not fit splits output columns', async () => {
    const g = convGraph(256, 4, 16, 8, 1, 1, 0);
    const dir = writeGraphCase(join(OUT, 'wsplit', 'pw', 'case'), g);
    const r = await testCase(dir, join(OUT, 'wsplit', 'pw', 'build'), { l1: 6000, npu: false });
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    const ow = r.compile!.compiled.tiling.layers[0]!.dims.find((d) => d.name === 'ow')!;
    expect(ow.tile).toBeLessThan(ow.size);
  });

  it('a 3x3 conv column tile reads (KW-1) halo columns, clipped to the image with the padding that remains', () => {
    const pb = problem(convGraph(2, 6, 10, 4, 3, 1, 1)); // OH = 6, OW = 10
    expect(pb.rule.legal!(pb.params, [1, 4, 6, 3])).toBe(true); // whole input images: one 2D DMA
    expect(pb.rule.legal!(pb.params, [1, 4, 2, 3])).toBe(false); // rows and columns: not one 2D DMA
    const sl = pb.rule.slices(pb.params, pb.types, [0, 0, 0, 3], [1, 4, 6, 3]); // output columns 3..5
    // input columns 2..6 of every row of both channels: 12 rows of 5 bytes, 10 apart
    expect(sl.find((s) => s.field === 'X')).toMatchObject({ offset: 2, rowBytes: 5, rows: 12, stride: 10 });
    expect(sl.find((s) => s.field === 'Y')).toMatchObject({ offset: 3, rowBytes: 3, rows: 24, stride: 10 });
    expect(pb.rule.coords(pb.params, [0, 0, 0, 0], [1, 4, 6, 3])).toMatchObject({ padl: 1, ww: 4 });
    expect(pb.rule.coords(pb.params, [0, 0, 0, 9], [1, 4, 6, 1])).toMatchObject({ padl: 0, ww: 2 });
  });

  // the conformance convs whose smallest row tile did not fit 8000 B of L1 before column tiles
  for (const name of ['PW_2D_RQ/Regular_RQ', 'PW_2D_RQ/Unsigned_RQ', 'Regular_3x3', 'Regular_3x3_RQ'])
    it.skipIf(!existsSync(join(CONFORMANCE, 'Kernels/Integer/Conv', name)))(`Conv/${name} runs bit-exact at --l1 8000`, async () => {
      const out = join(OUT, 'wsplit', name.replace(/\//g, '_'));
      const r = await testCase(join(CONFORMANCE, 'Kernels/Integer/Conv', name), out, { l1: 8000, npu: false }); // the cluster's column tiles
      expect(r.reason).toBeUndefined();
      expect(r.passed).toBe(true);
      expect(r.compile!.manifest.memory.levels.find((l) => l.level === 'L1')!.used).toBeLessThanOrEqual(8000);
    });
});

describe('args struct sizes', () => {
  it('match sizeof of kernels.h on RV32 (riscv-gcc)', () => {
    const dir = join(OUT, 'args-sizes');
    mkdirSync(dir, { recursive: true });
    const names = Object.keys(ARGS_STRUCT_BYTES);
    writeFileSync(join(dir, 'sz.c'), ['#include "kernels.h"', ...names.map((n) => `unsigned sz_${n} = sizeof(${n});`)].join('\n'));
    const inc = (p: string) => `-I${join(process.cwd(), p)}`;
    const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv32imc', '-mabi=ilp32', '-ffreestanding', inc('src/compiler/kernels/include'), inc('src/runtime/include'), inc('src/runtime/include/libc'), '-S', '-o', join(dir, 'sz.s'), join(dir, 'sz.c')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const s = readFileSync(join(dir, 'sz.s'), 'utf8');
    for (const n of names) expect(Number(new RegExp(`^sz_${n}:\\n\\s+\\.word\\s+(\\d+)`, 'm').exec(s)?.[1]), n).toBe(ARGS_STRUCT_BYTES[n]);
  });
});
