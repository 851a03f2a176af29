// The tiling rules of the kernels outside GEMM/Conv (src/compiler/ops/tile-rules.ts): slices of
// broadcast operands, whole rows, window halos, blocks with a whole reduced axis, transposes; a
// layer whose row cannot fit fails naming itself and its minimum L1; and microLlama at a small
// L1 runs its former "operands in place" layers from L1 tiles, bit-exact.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind } from '../../src/compiler/bind.js';
import { materializeConstants } from '../../src/compiler/constants.js';
import { lower } from '../../src/compiler/lower.js';
import { compileGraph, DEFAULT_OPTIONS, referenceEvaluator } from '../../src/compiler/pipeline.js';
import type { TilingRule, TypeSignature } from '../../src/compiler/registry.js';
import { evaluateTiling, type LayerProblem } from '../../src/compiler/tile.js';
import {
  bcastRule,
  blockRule,
  canonicalTranspose,
  fixedElem,
  inElem,
  kernelCycles,
  mergeDims,
  outElem,
  rowsRule,
  stridedChoices,
  stridedRule,
  tileAxis,
  transposeRule,
  windowRule,
} from '../../src/compiler/ops/tile-rules.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { inferTypes } from '../../src/compiler/types.js';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, TensorData } from '../../src/frontend/ir.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { cleanUp, CONFORMANCE, OUT } from './cases.js';
import { ft } from './helpers.js';

const I8: TypeSignature = { inputs: ['int8', 'int8'], outputs: ['int8'] };
const COST = { call: 100, perElem: 1, split: 'elements' } as const;
const P = {}; // the builders below close over their data; params only key their caches

/** A layer problem over a rule with every operand outside L1. */
const problem = <Q>(rule: TilingRule<Q>, params: Q, types = I8): LayerProblem<Q> => ({
  rule,
  params,
  types,
  cores: 8,
  moved: () => true,
  latency: () => siracusa.cluster.dmaL2Latency,
});

describe('strided (broadcasting) element-wise rule', () => {
  it('merges dims where every operand chains, keeps broadcast dims apart', () => {
    // out [2,3,4]: a dense, b a row of 4 broadcast over [2,3]
    const m = mergeDims([2, 3, 4], [[12, 4, 1], [0, 0, 1]]);
    expect(m).toEqual({ shape: [6, 4], strides: [[4, 1], [0, 1]] });
    // size-1 dims drop; all-dense collapses to one dim
    expect(mergeDims([1, 8, 1, 4], [[32, 4, 4, 1]]).shape).toEqual([32]);
  });

  it('tiles never wrap an axis and start word-aligned', () => {
    const shape = [6, 10];
    const strides = [[10, 1], [0, 1]];
    for (const t of stridedChoices(shape, strides)) {
      const { ax, tk } = tileAxis(shape, t);
      if (ax > 0) expect(shape[ax]! % tk).toBe(0);
      // outer rows of 10 bytes: a row split needs origins at multiples of 4 bytes
      if (ax === 0 && t < 60) expect((tk * 10) % 4).toBe(0);
    }
    expect(stridedChoices(shape, strides)).toContain(60);
  });

  const rule = (b: number[]) =>
    stridedRule(() => ({
      shape: [8, 16],
      operands: [
        { field: 'a', dir: 'in', elem: inElem(0), strides: [16, 1] },
        { field: 'b', dir: 'in', elem: inElem(1), strides: b },
        { field: 'y', dir: 'out', elem: outElem(0), strides: [16, 1] },
      ],
      params: [{ field: 'rq.mul', strides: [1, 0] }],
      setup: [],
      cost: COST,
    }));

  it('a broadcast row is stationary (one DMA for every tile), the dense operands are sliced', () => {
    const r = rule([0, 1]);
    const sl = r.slices(P, I8, [32], [32]); // rows 2..3
    expect(sl.find((s) => s.field === 'a')).toMatchObject({ offset: 32, rowBytes: 32 });
    expect(sl.find((s) => s.field === 'b')).toMatchObject({ offset: 0, rowBytes: 16 });
    expect(r.coords(P, [32], [32])).toMatchObject({ ax: 0, tk: 2, p0: 2 }); // rq.mul per row: offset 2
    const e = evaluateTiling(problem(r, P), r.dims(P), [32]);
    expect(e.tiles).toBe(4);
    expect(e.stationary).toEqual(['b']);
  });

  it('a per-row operand is sliced with its rows; a split inside a row slices the broadcast row', () => {
    const perRow = rule([1, 0]);
    expect(perRow.slices(P, I8, [32], [32]).find((s) => s.field === 'b')).toMatchObject({ offset: 2, rowBytes: 2 });
    expect(evaluateTiling(problem(perRow, P), perRow.dims(P), [32]).stationary).toEqual([]);
    const r = rule([0, 1]);
    const inRow = r.slices(P, I8, [20], [4]); // row 1, columns 4..7
    expect(r.coords(P, [20], [4])).toMatchObject({ ax: 1, tk: 4 });
    expect(inRow.find((s) => s.field === 'b')).toMatchObject({ offset: 4, rowBytes: 4 });
    expect(inRow.find((s) => s.field === 'a')).toMatchObject({ offset: 20, rowBytes: 4 });
  });

  it('a parameter vector shared through dk_bcast_t moves with the tile origin', () => {
    // n = 2 x 3 x 4, the parameter per middle index (inner 4, count 3)
    const r = bcastRule(
      () => ({
        n: 24,
        dense: [
          { field: 'x', dir: 'in', elem: inElem(0) },
          { field: 'y', dir: 'out', elem: outElem(0) },
        ],
        params: [{ field: 'mul', bcast: { inner: 4, count: 3 }, elem: fixedElem(4) }],
      }),
      COST,
    );
    const mul = r.slices(P, I8, [16], [4]).find((s) => s.field === 'mul')!; // image 1, channel 1
    expect(mul).toMatchObject({ offset: 4, rowBytes: 4 });
    expect(r.setup(P)).toContain('T->n = tn;');
  });
});

describe('rows, blocks, windows, transposes', () => {
  it('softmax / norm rows stay whole; a weight row every tile reads is loaded once', () => {
    const r = rowsRule(() => ({ rows: 10, len: 7, whole: [{ field: 'w', dir: 'in', whole: 7, elem: fixedElem(4) }] }), COST);
    const [d] = r.dims(P);
    expect(d!.align).toBe(4); // 7-byte rows: origins every 4 rows stay word-aligned
    const sl = r.slices(P, I8, [4], [4]);
    expect(sl.find((s) => s.field === 'x')).toMatchObject({ offset: 28, rowBytes: 28 });
    expect(sl.find((s) => s.field === 'w')).toMatchObject({ offset: 0, rowBytes: 28 });
    expect(evaluateTiling(problem(r, P), r.dims(P), [4]).stationary).toEqual(['w']);
    expect(r.setup(P)[0]).toBe('T->rows = trows;');
  });

  it('a reduction keeps its reduced axis whole; one outer index splits its inner extent (2D DMA)', () => {
    const r = blockRule(
      () => ({
        outer: 1,
        inner: 100,
        operands: [
          { field: 'x', dir: 'in', rows: 4, elem: inElem(0) },
          { field: 'y', dir: 'out', rows: 1, elem: outElem(0) },
        ],
      }),
      COST,
    );
    const sl = r.slices(P, I8, [0, 20], [1, 20]);
    expect(sl.find((s) => s.field === 'x')).toMatchObject({ offset: 20, rowBytes: 20, rows: 4, stride: 100 });
    expect(sl.find((s) => s.field === 'y')).toMatchObject({ offset: 20, rowBytes: 20, rows: 1 });
    const two = blockRule(() => ({ outer: 4, inner: 100, operands: [] }), COST);
    expect(two.legal!(P, [2, 20])).toBe(false); // several outer rows: whole inner only
    expect(two.legal!(P, [2, 100])).toBe(true);
  });

  it('a pooling window reads its halo: the input rows of its output rows, clipped, top padding kept', () => {
    const spec = (stride: number) => ({
      N: 1,
      C: 2,
      H: 8,
      W: 5,
      OH: Math.floor((8 + 2 - 3) / stride) + 1,
      OW: 5,
      KH: 3,
      strideH: stride,
      dilH: 1,
      padT: 1,
      xField: 'X',
      yField: 'Y',
      xElem: inElem(0),
      yElem: outElem(0),
      setup: [],
      cost: () => 0,
    });
    const r1 = windowRule(() => spec(1));
    // output rows 2..4 read input rows 1..5, every channel (stride 40 B)
    expect(r1.slices(P, I8, [0, 0, 2], [1, 2, 3])[0]).toMatchObject({ offset: 5, rowBytes: 25, rows: 2, stride: 40 });
    expect(r1.coords(P, [0, 0, 0], [1, 2, 3])).toMatchObject({ hh: 4, padt: 1 });
    expect(r1.coords(P, [0, 0, 6], [1, 2, 2])).toMatchObject({ hh: 3, padt: 0 }); // bottom: clipped
    const r2 = windowRule(() => spec(2)); // OH 4: output rows 1..2 read 1..5
    expect(r2.slices(P, I8, [0, 1, 1], [1, 1, 2])[0]).toMatchObject({ offset: 40 + 5, rowBytes: 25, rows: 1 });
  });

  it('transposes drop size-1 axes and merge adjacent ones; a tile of output rows gathers strided input runs', () => {
    expect(canonicalTranspose([1, 16, 4, 8], [0, 2, 1, 3])).toEqual({ inShape: [16, 4, 8], perm: [1, 0, 2] });
    expect(canonicalTranspose([2, 3, 4], [0, 1, 2])).toEqual({ inShape: [24], perm: [0] });
    const r = transposeRule(() => canonicalTranspose([16, 4, 8], [1, 0, 2]), COST);
    // output [4,16,8]: output row 1 = input [:, 1, :]: 16 runs of 8 bytes, 32 B apart
    const sl = r.slices(P, I8, [1, 0], [1, 16]);
    expect(sl[0]).toMatchObject({ field: 'x', offset: 8, rowBytes: 8, rows: 16, stride: 32 });
    expect(sl[1]).toMatchObject({ field: 'y', offset: 128, rowBytes: 128, rows: 1 });
    expect(r.legal!(P, [2, 8])).toBe(false);
  });

  it('kernel costs: elements over the cores, whole rows over the cores, chunked rows', () => {
    expect(kernelCycles({ call: 10, perElem: 2, split: 'elements' }, 80, 1, 8)).toBe(10 + 20);
    expect(kernelCycles({ call: 10, perElem: 1, perUnit: 5, split: 'units' }, 9, 4, 8)).toBe(10 + 2 * 9);
    // one row on 8 cores: 8 column chunks, each core passes the row once
    expect(kernelCycles({ call: 0, perElem: 1, perRowElem: 1, perUnit: 0, split: 'chunks' }, 1, 64, 8)).toBe(64 + 8);
  });
});

describe('whole rows bigger than L1', () => {
  it('fail naming the layer and the minimum --l1 (exit 2)', () => {
    const b = new GraphBuilder('rms');
    const x = b.input('x', 'float32', [1, 4, 4096]);
    const w = b.init('w', 'float32', [4096], Array.from({ length: 4096 }, (_, i) => (i % 5) + 1));
    const y = b.node('iRMSNorm', [x, w], { D: ft(1 << 10), n_levels: ft(256) }, { nodeName: 'norm', dtype: 'float32', shape: [1, 4, 4096] });
    const g: Graph = b.output(y).build();
    const input: TensorData[] = [new Int8Array(4 * 4096).map((_, k) => (k % 9) - 4)];
    const zeros = [new Int8Array(4 * 4096)];
    const typed = inferTypes(lower(g, { evaluate: referenceEvaluator }), input);
    expect(materializeConstants(typed, bind(typed)).layers[0]!.bound.binding.tiling).toBeDefined();
    let err: unknown;
    try {
      compileGraph(g, input, zeros, { ...DEFAULT_OPTIONS, l1: 8000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^layer 'norm' \(iRMSNorm\) cannot be tiled under --l1 8000: its smallest tiling needs \d+ B .*; minimum --l1 \d+$/);
    const min = Number(/minimum --l1 (\d+)/.exec((err as Error).message)![1]);
    expect(() => compileGraph(g, input, zeros, { ...DEFAULT_OPTIONS, l1: min + 4096 })).not.toThrow();
  });

  it('a broadcast add at a small budget: the broadcast row comes once, the rest in tiles', () => {
    const b = new GraphBuilder('bcast');
    const x = b.input('x', 'float32', [1, 64, 96]);
    const c = b.input('c', 'float32', [1, 1, 96]);
    const y = b.node('Add', [x, c], {}, { nodeName: 'add', dtype: 'float32', shape: [1, 64, 96] });
    const g = b.output(y).build();
    const input: TensorData[] = [new Int8Array(64 * 96).map((_, k) => (k % 11) - 5), new Int8Array(96).map((_, k) => (k % 7) - 3)];
    const small = compileGraph(g, input, [new Int32Array(64 * 96)], { ...DEFAULT_OPTIONS, l1: 6000 });
    const t = small.tiling.layers.find((l) => l.layer === 'add')!;
    expect(t.tiles.length).toBeGreaterThan(1);
    // b (96 B) stays in L1 and is read in place, or comes once: never per tile
    expect(t.tiles.every((tile) => tile.transfers.every((x) => x.field !== 'b'))).toBe(true);
    // with every operand outside L1, the rule makes it stationary
    const typed = inferTypes(lower(g, { evaluate: referenceEvaluator }), input);
    const L = materializeConstants(typed, bind(typed)).layers.find((l) => l.name === 'add')!;
    const pb = problem(L.bound.binding.tiling as TilingRule<unknown>, L.bound.params, L.bound.types);
    const e = evaluateTiling(pb, pb.rule.dims(pb.params), [2 * 96]);
    expect(e.tiles).toBe(32);
    expect(e.stationary).toEqual(['b']);
    // everything fits: untiled
    const big = compileGraph(g, input, [new Int32Array(64 * 96)], DEFAULT_OPTIONS);
    expect(big.tiling.layers.find((l) => l.layer === 'add')).toBeUndefined();
  });
});

describe.skipIf(!existsSync(CONFORMANCE))('microLlama at a small L1', () => {
  it('microLlama1 --l1 2048: RequantShift, RQHardswish and iRMSNorm layers (formerly read in place) run from L1 tiles, bit-exact', async () => {
    const out = join(OUT, 'tile-rules', 'microLlama1-2048');
    const r = await testCase(join(CONFORMANCE, 'Models/microLlama/INT8/microLlama1'), out, { l1: 2048 });
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    const tiled = (op: string) => r.compile!.manifest.layers.filter((l) => l.op === op && l.tiles && l.tiles.dmaBytesIn + l.tiles.dmaBytesOut > 0);
    expect(tiled('RequantShift').some((l) => l.tiles!.count > 1)).toBe(true);
    expect(tiled('RQHardswish').length).toBeGreaterThan(0);
    expect(tiled('iRMSNorm').length).toBeGreaterThan(0);
    cleanUp(out, r.passed);
  });
});
