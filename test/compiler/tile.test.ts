// The tiling phase: the solver against brute force, the verifier against broken tilings, the
// error of a layer that cannot be tiled, and the args struct sizes against riscv-gcc.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind } from '../../src/compiler/bind.js';
import { ARGS_STRUCT_BYTES, materializeConstants } from '../../src/compiler/constants.js';
import { lower } from '../../src/compiler/lower.js';
import { compileGraph, DEFAULT_OPTIONS, referenceEvaluator } from '../../src/compiler/pipeline.js';
import { PlanError, verifyPlan } from '../../src/compiler/plan.js';
import type { TileDim, TilingRule } from '../../src/compiler/registry.js';
import { candidateSizes, evaluateTiling, solveTiling, verifyTiling, type LayerProblem } from '../../src/compiler/tile.js';
import { inferTypes } from '../../src/compiler/types.js';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, TensorData } from '../../src/frontend/ir.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { OUT } from './cases.js';
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

/** x[M,K] -> MatMul(W[K,N]) + RequantShift */
function gemmGraph(M: number, K: number, N: number): Graph {
  const b = new GraphBuilder('gemm');
  const x = b.input('x', 'float32', [M, K]);
  const w = b.init('W', 'float32', [K, N], seq(K * N, (i) => (i % 7) - 3));
  const mul = b.init('mul', 'float32', [], [3]);
  const add = b.init('add', 'float32', [], [0]);
  const y = b.node('MatMul', [x, w], {}, { nodeName: 'mm', dtype: 'float32', shape: [M, N] });
  const r = b.node('RequantShift', [y, mul, add], rqAttrs(32), { nodeName: 'rq', dtype: 'float32', shape: [M, N] });
  return b.output(r).build();
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

/** Every tile size of every dimension the kernel accepts (no pruning, no candidate reduction):
 *  the preferred alignment, else the smallest one the kernel takes. */
function bruteForce(pb: LayerProblem, budget: number): number {
  const best = bruteForceAligned(pb, budget, pb.rule.dims(pb.params));
  return best < Infinity ? best : bruteForceAligned(pb, budget, pb.rule.dims(pb.params).map((d) => ({ ...d, align: d.minAlign ?? d.align })));
}

function bruteForceAligned(pb: LayerProblem, budget: number, dims: TileDim[]): number {
  const all = dims.map((d) => (d.choices ? d.choices.map((c) => Math.min(c, d.size)) : seq(d.size, (i) => i + 1).filter((t) => t % d.align === 0 || t === d.size)));
  let best = Infinity;
  const walk = (k: number, sizes: number[]) => {
    if (k === dims.length) {
      const e = evaluateTiling(pb, dims, sizes);
      if (e.legal && e.need <= budget) best = Math.min(best, e.cycles);
      return;
    }
    for (const t of all[k]!) walk(k + 1, [...sizes, t]);
  };
  walk(0, []);
  return best;
}

describe('tiling solver', () => {
  const shapes: [string, Graph][] = [
    ['conv 4x12x10 -> 8, 3x3, stride 1, pad 1', convGraph(4, 12, 10, 8, 3, 1, 1)],
    ['conv 3x11x9 -> 6, 3x3, stride 2, pad 1', convGraph(3, 11, 9, 6, 3, 2, 1)],
    ['gemm 12x32 by 32x20', gemmGraph(12, 32, 20)],
    ['gemm 1x64 by 64x36 (decode)', gemmGraph(1, 64, 36)],
  ];
  for (const [name, g] of shapes)
    it(`${name}: the search finds the cheapest legal tiling of brute force at every budget`, () => {
      const pb = problem(g);
      const full = solveTiling(pb, Infinity);
      expect('sizes' in full).toBe(true);
      const fullNeed = 'sizes' in full ? full.eval.need : 0;
      for (const budget of [fullNeed, Math.round(fullNeed * 0.6), Math.round(fullNeed * 0.3), Math.round(fullNeed * 0.15)]) {
        const s = solveTiling(pb, budget);
        const brute = bruteForce(pb, budget);
        if (!('sizes' in s)) {
          expect(brute).toBe(Infinity);
          continue;
        }
        expect(s.eval.need).toBeLessThanOrEqual(budget);
        expect(s.eval.cycles).toBe(brute);
      }
    });

  it('candidate sizes: every aligned size and the whole; reduced: one per tile count', () => {
    expect(candidateSizes({ name: 'n', size: 10, align: 4 })).toEqual([4, 8, 10]);
    expect(candidateSizes({ name: 'oh', size: 7, align: 1 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(candidateSizes({ name: 'oh', size: 7, align: 1 }, true)).toEqual([1, 2, 3, 4, 7]);
    expect(candidateSizes({ name: 'b', size: 16, align: 1, choices: [1, 16] })).toEqual([1, 16]);
  });

  it('a conv tile reads its halo: the input rows of the output rows, clipped to the image', () => {
    const pb = problem(convGraph(2, 10, 8, 4, 3, 2, 1)); // OH = 5
    const sl = pb.rule.slices(pb.params, pb.types, [0, 0, 2], [1, 4, 2]); // output rows 2..3
    const x = sl.find((s) => s.field === 'X')!;
    // rows 2*2-1 = 3 .. 3*2-1+2 = 7: 5 input rows of 8 bytes, per channel (stride 80)
    expect(x).toMatchObject({ offset: 3 * 8, rowBytes: 5 * 8, rows: 2, stride: 80 });
    expect(pb.rule.coords(pb.params, [0, 0, 0], [1, 4, 2])).toMatchObject({ padt: 1, hh: 4 });
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
