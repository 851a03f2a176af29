// Phase 6: tiling. Owns placement: decides where activations live (L1 when the whole activation
// plan and the tiles of every layer fit the L1 budget, else L2), which constants stay in L1, and
// for every layer whose binding has a tiling rule (registry.ts TilingRule) the tile shapes that
// minimise the predicted cycles under the L1 budget.
//
// A tiled layer runs a schedule of tiles: the DMA brings tile i+1's inputs into the other half
// of a ping-pong buffer while the cores compute tile i, and tile i's output leaves behind them.
// The search is exact over the candidate tile sizes of each dimension (every tile count's size
// rounded up to the kernel's alignment: all distinct schedules), pruned by the L1 need, which
// grows with every tile size. The cost model (`layerCost`) is the one the tests check against
// brute force and the bench checks against the cluster's counters.
import { InputError } from '../errors.js';
import { siracusa, type Platform } from '../sim/platform/siracusa.js';
import { argsStructBytes, type ConstantsPhase, type EmittedLayer } from './constants.js';
import { ALIGN, ARGS_BYTES_PER_LAYER, l1Capacity, liveness, packGreedyBySize, PlanError, type Level, type MemoryPlan } from './plan.js';
import { operandExpr, operandSymbol, type KernelCall, type TileDim, type TileSlice, type TilingRule, type TypeSignature } from './registry.js';
import { NPU_KERNEL } from './npu/binding.js';
import type { TypedGraph } from './types.js';

const align4 = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

/** One DMA of one tile (bytes in rows of rowBytes, `stride` apart on the external side). */
export interface TileTransfer extends TileSlice {
  bytes: number;
}

export interface Tile {
  at: number[];
  size: number[];
  coords: Record<string, number>;
  /** DMAs the tile issues (in: before it; out: after it). An input whose slice equals the
   *  previous tile's is not moved again, an output leaves after the last tile of its run. */
  transfers: TileTransfer[];
  /** Copy (0/1) of each double-buffered operand's L1 buffer the tile uses. */
  copy: Record<string, number>;
  /** Byte offsets of the operands read or written in place (already in L1). */
  inPlace: { field: string; offset: number }[];
}

/** An L1 buffer of a tiled layer: one per moved operand (x2 when double-buffered), one scratch,
 *  one of int32 partial sums (field 'partial') when a reduction is split. */
export interface TileBuffer {
  /** Unique name (plan + C macro). */
  name: string;
  field: string;
  bytes: number;
  copies: number;
}

export interface LayerTiling {
  step: number;
  /** First tile's inputs are all constants: the previous layer (this step) starts their DMA. */
  prefetchAt?: number;
  /** Moved operands whose slice is the same for every tile: one DMA before the first tile. */
  once: TileTransfer[];
  layer: string;
  function: string;
  dims: { name: string; size: number; tile: number; reduce?: boolean }[];
  /** Bytes of int32 partial sums the largest tile needs (a split reduction). */
  partialBytes?: number;
  /** Loop nest, outermost first (dimension names; the reduction innermost). */
  order: string[];
  /** The kernel runs without its scratch (TilingRule.scratchOptional). */
  noScratch?: boolean;
  /** A rule with a TilePipeline: whether its tiles run pipelined (two scratch copies), and why
   *  (or why not); pipelined, where each copy's second part starts (TilePipeline.scratchParts). */
  pipeline?: { on: boolean; why: string; split?: number };
  tiles: Tile[];
  buffers: TileBuffer[];
  /** L1 bytes of the tile buffers (all copies, aligned). */
  l1Bytes: number;
  /** Smallest L1 any legal tiling of this layer needs. */
  minL1: number;
  predicted: { total: number; compute: number; dma: number };
  dmaBytesIn: number;
  dmaBytesOut: number;
}

export interface TilingPlan {
  /** Level of each activation buffer (by storage name): L1 unless spilled to L2. */
  activationLevels: Map<string, Level>;
  /** Bytes of L1 the tiles may use per layer (after the activation arena and args). */
  budget: number;
  layers: LayerTiling[];
  /** Constants the tiler keeps in L1 (read in place); the others live in L2 / weight memory. */
  l1Constants: Set<string>;
  /** The layers' args structs, and the tile tables, fit L1 beside the tiles. */
  argsInL1: boolean;
  tablesInL1: boolean;
  /** When the args structs stay in L2: the two L1 slots each layer's args struct (and its tile
   *  table, when `tables` holds its step) come to by DMA while the layer before runs. */
  argsSlots?: ArgsSlots;
}

/** Geometry of the L1 args slots (two, used by alternate layers): an args struct, then a table. */
export interface ArgsSlots {
  /** Bytes of the args part (the largest args struct, aligned). */
  argsBytes: number;
  /** Bytes of the tile-table part (the largest table carried; 0: none). */
  tableBytes: number;
  /** Steps of the tiled layers whose table rides in the slot (the others read theirs in L2). */
  tables: Set<number>;
}

/** L1 bytes of both slots. */
export const argsSlotsBytes = (s: ArgsSlots) => 2 * (s.argsBytes + s.tableBytes);

/** Bytes of the args part of a slot: the largest args struct of the network. */
export function slotArgsBytes(cs: ConstantsPhase): number {
  return align4(Math.max(4, ...cs.layers.map((L) => argsStructBytes(L.call.argsType))));
}

export interface TileOptions {
  l1: number;
  cores: number;
  wmem: boolean;
  platform?: Platform;
}

/** Placement scores (tileNetwork): a layer without tiles pays about this per byte of an operand
 *  in L2 (core loads at L2 latency, 8 cores), and about this per layer when the args are in L2
 *  (core 0 programs their DMA to an L1 slot and waits for it; microLlama64 at --l1 16000). */
export const L2_OPERAND_CYCLES_PER_BYTE = 1;
export const ARGS_IN_L2_PER_LAYER = 400;
/** The same with the args slots: core 0 programs the DMA of the next layer's args and waits for it. */
export const ARGS_IN_SLOTS_PER_LAYER = 40;
/** A tile table row is read by core 0 per tile: in L2 each word costs a load at L2 latency. */
export const MAX_SLOT_TABLE_BYTES = 1024;

/** Cycles one tile adds on the cores besides its kernel: two barriers and core 0's set-up. */
export const TILE_OVERHEAD = 120;
/** Cycles core 0 spends programming one DMA (5 words to MCHAN plus the call). */
export const DMA_PROGRAM = 24;

/**
 * The C symbol behind an operand field of a kernel call: a top-level field ('A') or a pointer
 * inside a nested initializer ('rq.mul' in `.rq = { .mul = c_x, ... }`); '' when none.
 */
export function fieldSymbol(call: KernelCall, path: string): string {
  if (/^\w+\[\d+\]$/.test(path)) return operandExpr(call.fields, path);
  const [top, inner] = path.split('.', 2) as [string, string | undefined];
  const v = call.fields[top];
  if (v === undefined) return '';
  if (inner === undefined) return String(v);
  const init = String(v);
  const at = init.indexOf(`.${inner} = `);
  return at < 0 ? '' : (/^[A-Za-z_][A-Za-z0-9_]*/.exec(init.slice(at + inner.length + 4))?.[0] ?? '');
}

/** A field path as a C identifier fragment ('rq.mul' -> 'rq_mul', 'x[1]' -> 'x_1_'). */
export const fieldIdent = (path: string) => path.replace(/\W/g, '_');

/** DMA cycles of one transfer (platform bandwidth, burst and latency model). */
export function dmaCycles(t: { rowBytes: number; rows: number }, latency: number, pf: Platform = siracusa): number {
  const { burstBytes, bytesPerCycle, setupCycles } = pf.dma;
  const perBurstMin = Math.ceil(latency / pf.cluster.dmaMaxOutstanding);
  const full = Math.floor(t.rowBytes / burstBytes);
  const rest = t.rowBytes % burstBytes;
  const perRow = full * Math.max(burstBytes / bytesPerCycle, perBurstMin) + (rest ? Math.max(Math.ceil(rest / bytesPerCycle), perBurstMin) : 0);
  return setupCycles + latency + t.rows * perRow;
}

/** What the tiler needs to know of a layer to evaluate a tiling. */
export interface LayerProblem<P = unknown> {
  rule: TilingRule<P>;
  params: P;
  types: TypeSignature;
  cores: number;
  /** Whether the operand in args field `field` is outside L1 (moved by DMA), and its DMA latency. */
  moved(field: string): boolean;
  latency(field: string): number;
  platform?: Platform;
}

export interface Evaluation {
  legal: boolean;
  /** L1 bytes of the tile buffers. */
  need: number;
  cycles: number;
  compute: number;
  dma: number;
  tiles: number;
  /** Moved operands loaded once (same slice in every tile). */
  stationary: string[];
  /** Loop nest (dimension indices, outermost first) the cycles are for. */
  order: number[];
  /** Bytes the DMA moves (in + out). */
  dmaBytes: number;
}

/** How a layer's tiles run besides their sizes: loop order (dimension indices, outermost first),
 *  whether the kernel gets its scratch, and whether its tiles run pipelined (TilePipeline). */
export interface TilingChoice {
  order?: number[];
  scratch?: boolean;
  pipelined?: boolean;
}

function tileStarts(size: number, t: number): number[] {
  const s: number[] = [];
  for (let a = 0; a < size; a += t) s.push(a);
  return s;
}

/** The tiles of a choice of tile sizes, each with its slices (row-merged when contiguous). */
function slicesOf<P>(pb: LayerProblem<P>, at: number[], size: number[]): TileTransfer[] {
  return pb.rule.slices(pb.params, pb.types, at, size).map((s) =>
    s.rows > 1 && s.stride === s.rowBytes
      ? { field: s.field, dir: s.dir, offset: s.offset, rowBytes: s.rowBytes * s.rows, rows: 1, stride: 0, bytes: s.rowBytes * s.rows }
      : { field: s.field, dir: s.dir, offset: s.offset, rowBytes: s.rowBytes, rows: s.rows, stride: s.stride, bytes: s.rowBytes * s.rows },
  );
}

const sliceKey = (s: TileSlice) => `${s.offset}/${s.rowBytes}/${s.rows}/${s.stride}`;

/** Every loop nest worth telling apart: the dimensions with more than one tile in any order,
 *  the reduction innermost; the first is the rule's own order. */
export function loopOrders(dims: TileDim[], counts: number[]): number[][] {
  const red = dims.map((_, k) => k).filter((k) => dims[k]!.reduce);
  const free = dims.map((_, k) => k).filter((k) => !dims[k]!.reduce);
  const split = free.filter((k) => counts[k]! > 1);
  const single = free.filter((k) => counts[k]! <= 1);
  const perms = (xs: number[]): number[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((r) => [x, ...r])));
  return perms(split).map((p) => [...single, ...p, ...red]);
}

/** A tile class (first / a middle one / last per dimension), the tiles it stands for, and what
 *  the loop orders need of it. */
interface ClassTile {
  at: number[];
  size: number[];
  n: number;
  notFirst: boolean[];
  notLast: boolean[];
  slices: TileTransfer[];
  compute: number;
}

/**
 * Cost and L1 need of tile sizes `sizes` (one per dimension), for every loop order (the best
 * first). Tiles of a dimension are full but for the last; tiles are evaluated by class (first /
 * middle / last per dimension: the halo and the edges differ), weighted by how many tiles each
 * class stands for. An operand's slice depends on some dimensions (found by moving each one
 * tile on); under a loop order it is loaded again only when one of those changes, so the cost
 * of each order follows from the classes exactly.
 */
export function evaluateOrders<P>(pb: LayerProblem<P>, dims: TileDim[], sizes: number[], withScratch = true, pipelined = false): Evaluation[] {
  const pf = pb.platform ?? siracusa;
  const starts = dims.map((d, k) => tileStarts(d.size, sizes[k]!));
  const counts = starts.map((s) => s.length);
  const T = counts.reduce((a, c) => a * c, 1);
  const illegal = (): Evaluation[] => [{ legal: false, need: Infinity, cycles: Infinity, compute: 0, dma: 0, tiles: T, stationary: [], order: dims.map((_, k) => k), dmaBytes: 0 }];
  if (pb.rule.legal && !pb.rule.legal(pb.params, sizes)) return illegal();
  if (!withScratch && !pb.rule.scratchOptional) return illegal();
  // a pipeline needs tiles to overlap and a scratch to double
  const pipe = pipelined ? pb.rule.pipeline?.(pb.params) : undefined;
  if (pipelined && (!pipe || T < 2 || !withScratch)) return illegal();
  const red = dims.findIndex((d) => d.reduce);
  const splitReduce = red >= 0 && counts[red]! > 1;
  if (splitReduce && !pb.rule.partial) throw new Error('internal: a reduction dimension without a partial-sum buffer');
  const classes = starts.map((s) => {
    if (s.length === 1) return [{ i: 0, n: 1 }];
    if (s.length === 2) return [{ i: 0, n: 1 }, { i: 1, n: 1 }];
    return [{ i: 0, n: 1 }, { i: 1, n: s.length - 2 }, { i: s.length - 1, n: 1 }];
  });
  const sizeAt = (k: number, a: number) => Math.min(sizes[k]!, dims[k]!.size - a);
  const cts: ClassTile[] = [];
  const collect = (k: number, at: number[], size: number[], idx: number[], n: number) => {
    if (k === dims.length) {
      const first = red < 0 || idx[red] === 0;
      const last = red < 0 || idx[red] === counts[red]! - 1;
      cts.push({
        at,
        size,
        n,
        notFirst: idx.map((i) => i > 0),
        notLast: idx.map((i, j) => i < counts[j]! - 1),
        slices: slicesOf(pb, at, size),
        compute: pb.rule.compute(pb.params, pb.types, size, pb.cores, { first, last, scratch: withScratch, ...(pipe ? { pipelined: true } : {}) }),
      });
      return;
    }
    for (const { i, n: m } of classes[k]!) {
      const a = starts[k]![i]!;
      collect(k + 1, [...at, a], [...size, sizeAt(k, a)], [...idx, i], n * m);
    }
  };
  collect(0, [], [], [], 1);
  // the dimensions each operand's slice depends on
  const origin = cts[0]!;
  const keyAt0 = new Map(origin.slices.map((s) => [s.field, sliceKey(s)]));
  const dep = new Map<string, number[]>([...keyAt0.keys()].map((f) => [f, []]));
  dims.forEach((_, j) => {
    if (counts[j]! < 2) return;
    const moved = new Set<string>();
    for (const i of [1, counts[j]! - 1]) {
      const at = origin.at.map((a, k) => (k === j ? starts[j]![i]! : a));
      const size = at.map((a, k) => sizeAt(k, a));
      for (const s of slicesOf(pb, at, size)) if (keyAt0.get(s.field) !== sliceKey(s)) moved.add(s.field);
    }
    for (const f of moved) dep.get(f)?.push(j);
  });
  const moved = new Set([...keyAt0.keys()].filter((f) => pb.moved(f)));
  const dirOf = new Map(origin.slices.map((s) => [s.field, s.dir]));
  const stationary = new Set([...moved].filter((f) => T > 1 && dirOf.get(f) === 'in' && dep.get(f)!.length === 0));
  // L1 need (the same for every order)
  let legal = true;
  const need = new Map<string, number>();
  let onceBytes = 0;
  let onceCycles = 0;
  let scratch = 0;
  const parts = [0, 0]; // pipelined: the largest first and second scratch parts
  let partial = 0;
  let computeSum = 0;
  for (const ct of cts) {
    for (const s of ct.slices) {
      if (!moved.has(s.field)) {
        if (s.rows > 1 && T > 1) legal = false; // read in place: the kernel needs it dense
        continue;
      }
      if (s.bytes > pf.dma.maxTransferBytes) legal = false;
      if (stationary.has(s.field)) continue;
      need.set(s.field, Math.max(need.get(s.field) ?? 0, align4(s.bytes)));
    }
    if (withScratch) scratch = Math.max(scratch, align4(pb.rule.scratch(pb.params, pb.types, ct.size, pb.cores)));
    if (pipe) pipe.scratchParts(ct.size).forEach((b, k) => (parts[k] = Math.max(parts[k]!, align4(b))));
    if (splitReduce) partial = Math.max(partial, align4(pb.rule.partial!(pb.params, pb.types, ct.size)));
    computeSum += ct.n * ct.compute;
  }
  for (const s of origin.slices)
    if (stationary.has(s.field)) {
      onceBytes += align4(s.bytes);
      onceCycles += dmaCycles(s, pb.latency(s.field), pf);
    }
  if (!legal) return illegal();
  if (pipe && scratch === 0) return illegal();
  // pipelined: the second scratch copy and the pipeline's own L1; its start and end once
  const fill = pipe ? pipe.fill(origin.size, pb.cores) : 0;
  let bytes = (pipe ? 2 * (parts[0]! + parts[1]!) + align4(pipe.extraBytes) : scratch) + partial + onceBytes;
  for (const [f, b] of need) bytes += b * (dep.get(f)!.length > 0 ? 2 : 1);
  const orders = loopOrders(dims, counts);
  const evals = orders.map((order): Evaluation => {
    const pos = new Map(order.map((k, q) => [k, q]));
    const maxpos = new Map([...dep].map(([f, ds]) => [f, Math.max(-1, ...ds.map((j) => pos.get(j)!))]));
    let steady = 0;
    let dma = 0;
    let dmaBytes = 0;
    let firstIn = 0;
    let lastOut = 0;
    for (const ct of cts) {
      // the outermost loop position that moved from the previous tile / moves to the next one
      let p = -1;
      let q = -1;
      order.forEach((k, i) => {
        if (ct.notFirst[k]) p = i;
        if (ct.notLast[k]) q = i;
      });
      let tin = 0;
      let tout = 0;
      let programs = 0;
      for (const s of ct.slices) {
        if (!moved.has(s.field) || stationary.has(s.field)) continue;
        const mp = maxpos.get(s.field)!;
        const go = s.dir === 'in' ? p < 0 || mp >= p : q < 0 || mp >= q;
        if (!go) continue;
        const c = dmaCycles(s, pb.latency(s.field), pf);
        programs++;
        dmaBytes += ct.n * s.bytes;
        if (s.dir === 'in') tin += c;
        else tout += c;
      }
      dma += ct.n * (tin + tout);
      const core = ct.compute + TILE_OVERHEAD + programs * DMA_PROGRAM;
      steady += ct.n * (T > 1 ? Math.max(core, tin, tout) : core + tin + tout);
      if (p < 0) firstIn = tin;
      if (q < 0) lastOut = tout;
    }
    const cycles = (T > 1 ? steady + firstIn + lastOut : steady) + onceCycles + (onceCycles ? DMA_PROGRAM : 0) + fill;
    return { legal: true, need: bytes, cycles: Math.round(cycles), compute: Math.round(computeSum), dma: Math.round(dma + onceCycles), tiles: T, stationary: [...stationary], order, dmaBytes: dmaBytes + onceBytes };
  });
  // cheapest first; ties: the rule's own order
  return evals.map((e, k) => ({ e, k })).sort((a, b) => a.e.cycles - b.e.cycles || a.k - b.k).map((x) => x.e);
}

/** The cost of tile sizes under one loop order (any permutation of the dimensions, the
 *  reduction innermost; default: the cheapest order). */
export function evaluateTiling<P>(pb: LayerProblem<P>, dims: TileDim[], sizes: number[], choice: TilingChoice = {}): Evaluation {
  const all = evaluateOrders(pb, dims, sizes, choice.scratch ?? true, choice.pipelined ?? false);
  if (!choice.order || !all[0]!.legal) return all[0]!;
  // dimensions with one tile do not loop: only the order of the others tells orders apart
  const split = (o: number[]) => o.filter((k) => Math.ceil(dims[k]!.size / sizes[k]!) > 1).join(',');
  const want = split(choice.order);
  const e = all.find((x) => split(x.order) === want);
  if (!e) throw new Error(`internal: loop order [${choice.order}] is not an order of sizes [${sizes}] (the reduction runs innermost)`);
  return e;
}

/**
 * Candidate tile sizes of a dimension: every multiple of the alignment and the whole size (the
 * kernels' per-core splits make uneven sizes matter, so the search cannot stop at one size per
 * tile count); `reduced`: one size per tile count, for very large search spaces.
 */
export function candidateSizes(d: TileDim, reduced = false): number[] {
  if (d.choices) return [...new Set(d.choices.map((c) => Math.min(c, d.size)))].sort((a, b) => a - b);
  const out = new Set<number>([d.size]);
  if (!reduced) {
    for (let t = d.align; t < d.size; t += d.align) out.add(t);
    return [...out].sort((a, b) => a - b);
  }
  const maxCount = Math.ceil(d.size / d.align);
  for (let c = 1; c <= maxCount; c++) {
    const t = Math.min(d.size, Math.ceil(Math.ceil(d.size / c) / d.align) * d.align);
    if (t > 0) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** Above this many combinations the search takes one size per tile count on the largest dimensions. */
export const EXACT_SEARCH_LIMIT = 4096;

export interface Solution {
  sizes: number[];
  /** Whether the kernel gets its scratch. */
  scratch: boolean;
  /** Whether the tiles run pipelined (TilePipeline), and why (or why not); only for rules with one. */
  pipeline?: { on: boolean; why: string };
  eval: Evaluation;
  /** Smallest L1 need of any legal tiling. */
  minL1: number;
}

/**
 * Exact search: every combination of candidate sizes, every loop order of it, with and without
 * the kernel's scratch when the rule allows, the innermost dimension ascending and cut at the
 * first size over the budget (the need grows with each size but for the whole size, which is
 * tried too). Ties: fewer tiles, then with scratch. A rule with a TilePipeline is also tried
 * pipelined (two scratch copies); the solution says which loop won and why.
 */
export function solveTiling<P>(pb: LayerProblem<P>, budget: number): Solution | { minL1: number } {
  const preferred = searchTiling(pb, budget, pb.rule.dims(pb.params));
  if ('sizes' in preferred || !pb.rule.dims(pb.params).some((d) => d.minAlign !== undefined && d.minAlign < d.align)) return preferred;
  return searchTiling(pb, budget, pb.rule.dims(pb.params).map((d) => ({ ...d, align: d.minAlign ?? d.align })));
}

function searchTiling<P>(pb: LayerProblem<P>, budget: number, dims: TileDim[]): Solution | { minL1: number } {
  const cands = dims.map((d) => candidateSizes(d));
  // keep the search exact when it is small enough; else reduce the largest dimensions first
  const order = dims.map((_, k) => k).sort((a, b) => cands[b]!.length - cands[a]!.length);
  for (const k of order) {
    if (cands.reduce((n, c) => n * c.length, 1) <= EXACT_SEARCH_LIMIT) break;
    cands[k] = candidateSizes(dims[k]!, true);
  }
  // the best synchronous and pipelined candidates (and whether a pipelined one was over the budget)
  let best: Solution | undefined;
  let bestPipe: Solution | undefined;
  let pipeTooBig = false;
  let minL1 = Infinity;
  const canPipe = pb.rule.pipeline?.(pb.params) !== undefined;
  const variants = [
    ...(canPipe ? [{ scratch: true, pipelined: true }] : []),
    { scratch: true, pipelined: false },
    ...(pb.rule.scratchOptional ? [{ scratch: false, pipelined: false }] : []),
  ];
  const walk = (k: number, sizes: number[]) => {
    if (k === dims.length - 1) {
      for (const v of variants) {
        const list = cands[k]!;
        for (let i = 0; i < list.length; i++) {
          const s = [...sizes, list[i]!];
          const e = evaluateOrders(pb, dims, s, v.scratch, v.pipelined)[0]!;
          if (!e.legal) continue;
          minL1 = Math.min(minL1, e.need);
          if (e.need > budget) {
            if (v.pipelined) pipeTooBig = true;
            // the need grows with the size, except at the whole size (one copy instead of two,
            // operands that become the same for every tile): jump there, then stop
            if (i < list.length - 2) i = list.length - 2;
            continue;
          }
          const cur = v.pipelined ? bestPipe : best;
          if (!cur || e.cycles < cur.eval.cycles || (e.cycles === cur.eval.cycles && e.tiles < cur.eval.tiles)) {
            const sol: Solution = { sizes: s, scratch: v.scratch, ...(canPipe ? { pipeline: { on: v.pipelined, why: '' } } : {}), eval: e, minL1: 0 };
            if (v.pipelined) bestPipe = sol;
            else best = sol;
          }
        }
      }
      return;
    }
    for (const t of cands[k]!) walk(k + 1, [...sizes, t]);
  };
  walk(0, []);
  // the pipelined loop must beat the synchronous one by a margin: its L1 (the second scratch copy)
  // is L1 the layers' args, tables and constants may then miss, which the layer's cost omits
  const pipelined = bestPipe && (!best || bestPipe.eval.cycles <= PIPELINE_MARGIN * best.eval.cycles);
  const chosen = pipelined ? bestPipe! : best;
  if (!chosen) return { minL1 };
  chosen.minL1 = minL1;
  if (chosen.pipeline) chosen.pipeline.why = pipelineWhy(chosen, pipelined ? best : bestPipe, pipeTooBig);
  return chosen;
}

/** A pipelined tiling wins over the best synchronous one only when predicted this much faster. */
export const PIPELINE_MARGIN = 0.95;

/** Why a layer whose rule can pipeline its tiles runs the loop it runs (the layer comment); `other`:
 *  the best tiling of the other loop. */
function pipelineWhy(best: Solution, other: Solution | undefined, pipeTooBig: boolean): string {
  const tiles = (n: number) => `${n} tile${n > 1 ? 's' : ''}`;
  if (best.pipeline!.on)
    return `predicted ${best.eval.cycles} cycles pipelined (two scratch copies) in ${tiles(best.eval.tiles)}${other ? `, ${other.eval.cycles} synchronous in ${tiles(other.eval.tiles)}` : ''}`;
  if (best.eval.tiles < 2 && !other) return 'one tile: nothing to overlap';
  if (!other) return pipeTooBig ? 'the second scratch copy does not fit the L1 budget at any tile size' : 'no pipelined tiling';
  const smaller = other.eval.tiles > best.eval.tiles ? ', the second scratch copy leaves room for smaller tiles only' : '';
  return `predicted ${best.eval.cycles} cycles synchronous in ${tiles(best.eval.tiles)}, ${other.eval.cycles} pipelined in ${tiles(other.eval.tiles)} (not ${Math.round((1 - PIPELINE_MARGIN) * 100)} % faster${smaller})`;
}

function buildLayerTiling<P>(pb: LayerProblem<P>, sol: Solution, L: EmittedLayer): LayerTiling {
  const dims = pb.rule.dims(pb.params);
  const starts = dims.map((d, k) => tileStarts(d.size, sol.sizes[k]!));
  const order = sol.eval.order;
  const stationary = new Set(sol.eval.stationary);
  // every tile in loop order (outermost dimension first), at in the rule's dimension order
  const raw: { at: number[]; size: number[]; sl: TileTransfer[] }[] = [];
  const walk = (q: number, at: number[]) => {
    if (q === order.length) {
      const size = at.map((a, j) => Math.min(sol.sizes[j]!, dims[j]!.size - a));
      raw.push({ at: [...at], size, sl: slicesOf(pb, at, size) });
      return;
    }
    const k = order[q]!;
    for (const a of starts[k]!) {
      at[k] = a;
      walk(q + 1, at);
    }
  };
  walk(0, dims.map(() => 0));
  const once = raw[0]!.sl.filter((s) => stationary.has(s.field));
  const single = raw.length === 1;
  const copy = new Map<string, number>();
  const tiles: Tile[] = raw.map((r, i) => {
    const transfers: TileTransfer[] = [];
    const copies: Record<string, number> = {};
    for (const s of r.sl) {
      if (!pb.moved(s.field) || stationary.has(s.field)) continue;
      if (r.sl.filter((x) => x.field === s.field).length > 1) throw new Error(`internal: layer '${L.name}': several slices of ${s.field} in one tile`);
      const key = sliceKey(s);
      const same = (j: number) => raw[j]?.sl.some((x) => x.field === s.field && sliceKey(x) === key) ?? false;
      if (s.dir === 'in') {
        // a new slice goes to the copy the previous tile does not read
        if (i === 0) copy.set(s.field, 0);
        else if (!same(i - 1)) copy.set(s.field, (copy.get(s.field) ?? 0) ^ 1);
        if (i === 0 || !same(i - 1)) transfers.push(s);
      } else {
        // an output run (tiles writing the same slice: a split reduction) uses one copy and
        // leaves after its last tile
        if (i > 0 && !same(i - 1)) copy.set(s.field, (copy.get(s.field) ?? 0) ^ 1);
        else if (i === 0) copy.set(s.field, 0);
        if (!same(i + 1)) transfers.push(s);
      }
      copies[s.field] = single ? 0 : copy.get(s.field)!;
    }
    return {
      at: r.at,
      size: r.size,
      coords: pb.rule.coords(pb.params, r.at, r.size),
      transfers,
      copy: copies,
      inPlace: r.sl.filter((s) => !pb.moved(s.field)).map((s) => ({ field: s.field, offset: s.offset })),
    };
  });
  const buffers: TileBuffer[] = [];
  for (const x of once) buffers.push({ name: `${L.function}.${x.field}`, field: x.field, bytes: align4(x.bytes), copies: 1 });
  const fields = [...new Set(raw.flatMap((r) => r.sl.filter((s) => pb.moved(s.field) && !stationary.has(s.field)).map((s) => s.field)))];
  for (const f of fields) {
    const bytes = Math.max(...raw.flatMap((r) => r.sl.filter((x) => x.field === f).map((x) => x.bytes)));
    const twice = tiles.some((t) => t.copy[f] === 1);
    buffers.push({ name: `${L.function}.${f}`, field: f, bytes: align4(bytes), copies: twice ? 2 : 1 });
  }
  const scratch = sol.scratch ? Math.max(0, ...tiles.map((t) => align4(pb.rule.scratch(pb.params, pb.types, t.size, pb.cores)))) : 0;
  const piped = sol.pipeline?.on === true;
  // pipelined: each copy holds the largest first part, then the largest second part (fixed offsets)
  const pipe = piped ? pb.rule.pipeline!(pb.params)! : undefined;
  const split = pipe ? Math.max(...tiles.map((t) => align4(pipe.scratchParts(t.size)[0]))) : 0;
  const second = pipe ? Math.max(...tiles.map((t) => align4(pipe.scratchParts(t.size)[1]))) : 0;
  if (pipe) buffers.push({ name: `${L.function}.scratch`, field: 'scratch', bytes: split + second, copies: 2 });
  else if (scratch > 0) buffers.push({ name: `${L.function}.scratch`, field: 'scratch', bytes: scratch, copies: 1 });
  // the pipeline's own L1 (the working args of the tiles in flight)
  if (piped) buffers.push({ name: `${L.function}.pipe`, field: 'pipe', bytes: align4(pb.rule.pipeline!(pb.params)!.extraBytes), copies: 1 });
  const red = dims.findIndex((d) => d.reduce);
  let partialBytes: number | undefined;
  if (red >= 0 && starts[red]!.length > 1) {
    const part = Math.max(...tiles.map((t) => align4(pb.rule.partial!(pb.params, pb.types, t.size))));
    buffers.push({ name: `${L.function}.partial`, field: 'partial', bytes: part, copies: 1 });
    partialBytes = part;
  }
  const sum = (dir: 'in' | 'out') =>
    once.filter((x) => x.dir === dir).reduce((a, x) => a + x.bytes, 0) + tiles.reduce((s, t) => s + t.transfers.filter((x) => x.dir === dir).reduce((a, x) => a + x.bytes, 0), 0);
  return {
    step: L.index,
    once,
    layer: L.name,
    function: L.function,
    dims: dims.map((d, k) => ({ name: d.name, size: d.size, tile: sol.sizes[k]!, ...(d.reduce ? { reduce: true } : {}) })),
    ...(partialBytes !== undefined ? { partialBytes } : {}),
    order: order.map((k) => dims[k]!.name),
    ...(sol.scratch ? {} : { noScratch: true }),
    ...(sol.pipeline ? { pipeline: { ...sol.pipeline, ...(pipe ? { split } : {}) } } : {}),
    tiles,
    buffers,
    l1Bytes: buffers.reduce((s, b) => s + b.bytes * b.copies, 0),
    minL1: sol.minL1,
    predicted: { total: sol.eval.cycles, compute: sol.eval.compute, dma: sol.eval.dma },
    dmaBytesIn: sum('in'),
    dmaBytesOut: sum('out'),
  };
}

/**
 * solveTiling, once per distinct problem: layers of the same shape (a transformer's blocks) share
 * their solution. Problems are told apart by what the search sees of them: the dimensions, the
 * slices and kernel cycles of the whole layer and of a small tile, the scratch, and where each
 * operand is (moved or not, DMA latency).
 */
function solveMemo<P>(pb: LayerProblem<P>, budget: number, memo: Map<string, ReturnType<typeof solveTiling>>): ReturnType<typeof solveTiling> {
  const { rule, params, types, cores } = pb;
  const dims = rule.dims(params);
  const whole = dims.map((d) => d.size);
  const small = dims.map((d) => Math.min(d.size, d.align));
  const at = dims.map((d, k) => d.size - small[k]!);
  const sl = [...rule.slices(params, types, dims.map(() => 0), whole), ...rule.slices(params, types, at, small)];
  const key = JSON.stringify([
    budget,
    cores,
    dims,
    sl,
    sl.map((x) => [pb.moved(x.field), pb.latency(x.field)]),
    rule.compute(params, types, whole, cores),
    rule.compute(params, types, small, cores),
    rule.compute(params, types, small, cores, { first: false, last: true, scratch: false }),
    rule.scratch(params, types, whole, cores),
    rule.partial?.(params, types, whole),
    rule.setup(params),
    rule.coords(params, at, small),
  ]);
  let sol = memo.get(key);
  if (!sol) {
    sol = solveTiling(pb, budget);
    memo.set(key, sol);
  }
  return sol;
}

/** Predicted kernel cycles of a layer with a tiling rule run untiled (operands where they are). */
export function untiledCycles(L: EmittedLayer, cores: number): number {
  const rule = L.bound.binding.tiling as TilingRule<unknown>;
  return rule.compute(L.bound.params, L.bound.types, rule.dims(L.bound.params).map((d) => d.size), cores);
}

/** Every column of a tiled layer's per-tile table and each tile's values, before `tableColumns`
 *  drops the columns the same for every tile. */
function fullTable(t: LayerTiling): { names: string[]; rows: number[][]; moved: string[]; perTile: string[] } {
  const first = t.tiles[0]!;
  const moved = [...new Set([...first.transfers, ...t.tiles.flatMap((x) => x.transfers)].map((x) => x.field))];
  const perTile = [...new Set(t.tiles.flatMap((x) => Object.keys(x.copy)))].filter((f) => t.buffers.find((b) => b.field === f)!.copies > 1);
  const coordNames = Object.keys(first.coords);
  const names = [...coordNames, ...moved.flatMap((f) => [`${f}.off`, `${f}.bytes`, `${f}.row`, `${f}.stride`]), ...perTile.map((f) => `${f}.buf`), ...first.inPlace.map((p) => `${p.field}.off`)];
  const rows = t.tiles.map((tile) => [
    ...coordNames.map((c) => tile.coords[c]!),
    ...moved.flatMap((f) => {
      const x = tile.transfers.find((y) => y.field === f);
      return x ? [x.offset, x.bytes, x.rowBytes, x.stride] : [0, 0, 0, 0];
    }),
    ...perTile.map((f) => tile.copy[f] ?? 0),
    ...tile.inPlace.map((p) => p.offset),
  ]);
  return { names, rows, moved, perTile };
}

/**
 * The per-tile table of a tiled layer (emit-tiles.ts prints it): the tile's coordinates, then per
 * moved operand its DMA's ext offset / bytes / row / stride (bytes 0: no DMA at that tile; tile
 * 0's transfers first, their order is the prefetch's), the buffer copy of each double-buffered
 * operand, the offsets of the operands read in place. Only the columns that change from tile to
 * tile are in the table (`cols`, `rows`); the others are constants of the code (`fixed`).
 */
/** Kernels whose outputs are only stored to, element by element, never read back nor moved by
 *  DMA: their outputs in L2 are written in place (a cluster core's store to L2 is posted, no
 *  slower than to L1), sparing the L1 copy and the DMA-out that the layer would wait for. */
const WRITE_ONLY_OUTPUTS = new Set(['dk_requant', 'dk_requant_hwc']);

export function tableColumns(t: LayerTiling): { cols: string[]; rows: number[][]; fixed: Map<string, number>; moved: string[]; perTile: string[] } {
  const { names, rows, moved, perTile } = fullTable(t);
  const varies = names.map((_, c) => rows.some((r) => r[c] !== rows[0]![c]));
  const fixed = new Map(names.flatMap((n, c) => (varies[c] ? [] : [[n, rows[0]![c]!] as [string, number]])));
  return { cols: names.filter((_, c) => varies[c]), rows: rows.map((r) => r.filter((_, c) => varies[c])), fixed, moved, perTile };
}

/** The rows of a tiled layer's per-tile table (columns: `tableColumns`). */
export const tableRows = (t: LayerTiling): number[][] => tableColumns(t).rows;

/** Bytes of one table entry: 16-bit when every entry fits (half the L1 and DMA), else 32-bit. */
export const tableEntryBytes = (t: LayerTiling) => (tableRows(t).every((r) => r.every((v) => v < 65536)) ? 2 : 4);

/** Bytes of a tiled layer's per-tile table alone (0 for one tile: it has none), aligned. */
export function tableOnlyBytes(t: LayerTiling): number {
  return t.tiles.length > 1 ? align4(tableEntryBytes(t) * tableColumns(t).cols.length * t.tiles.length) : 0;
}

/** Bytes of the tiled layers' per-tile tables and working args (they sit with the args structs). */
export function tileTableBytes(t: LayerTiling): number {
  return (t.tiles.length > 1 ? ARGS_BYTES_PER_LAYER : 0) + tableOnlyBytes(t);
}

/** The tiling phase (see the file comment). */
export function tileNetwork(tg: TypedGraph, cs: ConstantsPhase, opts: TileOptions): TilingPlan {
  const pf = opts.platform ?? siracusa;
  const storages = liveness(tg);
  const arenaOf = (ss: typeof storages) => align4(packGreedyBySize(ss.map((s) => ({ size: s.size, first: s.first, last: s.last, offset: undefined as number | undefined }))));
  // Spill order: the largest memory-time product first (long-lived graph outputs such as KV
  // caches, big intermediates), so that what stays in L1 is what layers touch most per byte.
  const spillOrder = [...storages].sort((a, b) => b.size * (b.last - b.first + 1) - a.size * (a.last - a.first + 1) || b.size - a.size);
  const macroOf = (s: (typeof storages)[number]) => cs.macroIds.get(s.tensors[0]!)!;
  const l1Cap = l1Capacity(opts.l1, pf);
  const argsBytes = cs.argsBytes;
  // args left in L2 come to two L1 slots, one layer ahead: that much L1 stays reserved for them
  const slotArgs = 2 * slotArgsBytes(cs);
  // where the cores read the args: all structs in L1, each layer's in an L1 slot, or in L2 (the
  // budget has not even room for the slots)
  type ArgsMode = 'L1' | 'slots' | 'L2';
  const argsReserve = (mode: ArgsMode) => (mode === 'L1' ? argsBytes : mode === 'slots' ? slotArgs : 0);
  const ARGS_COST: Record<ArgsMode, number> = { L1: 0, slots: ARGS_IN_SLOTS_PER_LAYER, L2: ARGS_IN_L2_PER_LAYER };
  const far: Level = opts.wmem ? 'WMEM' : 'L2';
  const activationMacros = new Set(cs.bufferMacro.values());
  const ruled = cs.layers.filter((L) => L.bound.binding.tiling);

  const memo = new Map<string, ReturnType<typeof solveTiling>>();
  const attempt = (inL2: Set<string>, l1Consts: Set<string>, budget: number): LayerTiling[] | { layer: EmittedLayer; minL1: number } => {
    const out: LayerTiling[] = [];
    for (const L of ruled) {
      const rule = L.bound.binding.tiling as TilingRule<unknown>;
      const symbols = new Map<string, string>();
      const symbol = (field: string) => {
        let s = symbols.get(field);
        if (s === undefined) symbols.set(field, (s = operandSymbol(fieldSymbol(L.call, field), (n) => activationMacros.has(n) || cs.bytes.has(n))));
        return s;
      };
      const dims0 = rule.dims(L.bound.params);
      // outputs the kernel only stores to: left in L2 (stores are posted), no L1 copy and DMA-out
      const storedOnly = WRITE_ONLY_OUTPUTS.has(L.bound.binding.kernel)
        ? new Set(rule.slices(L.bound.params, L.bound.types, dims0.map(() => 0), dims0.map((d) => d.size)).filter((x) => x.dir === 'out').map((x) => x.field))
        : new Set<string>();
      const moved = (field: string) => {
        const s = symbol(field);
        if (activationMacros.has(s)) return inL2.has(s) && !storedOnly.has(field);
        if (cs.bytes.has(s)) return !l1Consts.has(s);
        return false;
      };
      const latency = (field: string) => (activationMacros.has(symbol(field)) ? pf.memory.L2.dmaLatency! : pf.memory[far].dmaLatency!);
      const pb: LayerProblem = { rule, params: L.bound.params, types: L.bound.types, cores: opts.cores, moved, latency, platform: pf };
      const dims = rule.dims(L.bound.params);
      const anyMoved = rule.slices(L.bound.params, L.bound.types, dims.map(() => 0), dims.map((d) => d.size)).some((s) => moved(s.field));
      const needsScratch = rule.scratch(L.bound.params, L.bound.types, dims.map((d) => d.size), opts.cores) > 0;
      if (!anyMoved && !needsScratch) continue;
      const sol = solveMemo(pb, budget, memo);
      if (!('sizes' in sol)) return { layer: L, minL1: sol.minL1 };
      out.push(buildLayerTiling(pb, sol, L));
    }
    return out;
  };

  const none = new Set<string>();
  // Activations: all in L1 when they, the args and the tiles fit; else spill (spillOrder) until
  // the L1 arena (and the args) take at most a shrinking share of the budget and every layer
  // tiles in what is left.
  let inL2 = new Set<string>();
  let budget = 0;
  let first: ReturnType<typeof attempt> | undefined;
  // Placements tried: room kept for the args structs (every core reads them at every layer) or
  // not, times the share of L1 the activations may take (the rest spilled in spillOrder). Each
  // feasible one is scored: predicted cycles of the tiled layers, plus what layers without tiles
  // pay for operands in L2 and for args in L2; the lowest wins (everything in L1 stops early).
  const ruledSteps = new Set(ruled.map((L) => L.index));
  let bestScore = Infinity;
  let bestArgs: ArgsMode = 'L1';
  const scoreOf = (got: LayerTiling[], spilled: Set<string>, mode: ArgsMode) => {
    let score = got.reduce((s, t) => s + t.predicted.total, 0) + ARGS_COST[mode] * cs.layers.length;
    // a layer with a rule that stays untiled here (operands in L1) still computes: its kernel's
    // cycles, so that placements tiling different sets of layers compare like with like
    const tiledSteps = new Set(got.map((t) => t.step));
    for (const L of cs.layers) {
      if (ruledSteps.has(L.index)) {
        if (!tiledSteps.has(L.index)) score += untiledCycles(L, opts.cores);
        continue;
      }
      for (const t of [...L.bound.node.inputs, ...L.bound.node.outputs]) {
        const st = storages.find((x) => x.tensors.includes(t));
        if (st && spilled.has(macroOf(st))) score += st.size * L2_OPERAND_CYCLES_PER_BYTE;
      }
    }
    return score;
  };
  /** Keep placement (got, spilled, args mode, tile budget b) if it scores best so far. */
  const consider = (got: LayerTiling[], spilled: Set<string>, mode: ArgsMode, b: number): boolean => {
    const score = scoreOf(got, spilled, mode);
    if (score >= bestScore) return false;
    bestScore = score;
    bestArgs = mode;
    first = got;
    inL2 = spilled;
    budget = b;
    return true;
  };
  search: for (const mode of ['L1', 'slots', 'L2'] as const)
    for (const share of [1, 0.75, 0.5, 0.375, 0.25, 0.125, 0.0625, 0]) {
      // (the all-spilled share 0 still leaves the args slots their room: it is the tiles' budget)
      const target = mode === 'L1' ? share * l1Cap - argsBytes : Math.max(0, share * l1Cap - argsReserve(mode));
      if (target < 0) continue;
      const spilled = new Set<string>();
      let kept = [...storages];
      let arena = arenaOf(kept);
      for (const sp of spillOrder) {
        if (arena <= target) break;
        spilled.add(macroOf(sp));
        kept = kept.filter((x) => x !== sp);
        arena = arenaOf(kept);
      }
      if (arena > target) continue;
      const b = l1Cap - arena;
      const got = attempt(spilled, none, b - argsReserve(mode));
      if (!Array.isArray(got)) {
        // the error reports the last placement tried: everything spilled, the most L1 for tiles
        if (!Array.isArray(first)) {
          first = got;
          budget = b;
        }
        continue;
      }
      consider(got, spilled, mode, b);
      // nothing spilled, args in L1, no tile moves a byte: nothing can beat it
      if (spilled.size === 0 && mode === 'L1' && got.every((t) => t.dmaBytesIn + t.dmaBytesOut === 0)) break search;
    }
  if (!first) throw new Error('internal: the tiler tried no activation placement');
  // Producer / consumer pairs: spilled intermediates come back to L1, smallest first, into the
  // holes of the L1 arena or growing it by a share of L1 (the tiles get less); their layers then
  // read and write them in place. The cost model's score decides.
  if (Array.isArray(first) && inL2.size > 0) {
    const kept0 = storages.filter((st) => !inL2.has(macroOf(st)));
    const arena0 = arenaOf(kept0);
    const spilledBySize = storages.filter((x) => inL2.has(macroOf(x))).sort((a, b) => a.size - b.size || a.first - b.first);
    let settled = inL2;
    for (const growth of [0, 0.125, 0.25]) {
      let kept = kept0;
      let arena = arena0;
      const back = new Set(inL2);
      for (const st of spilledBySize) {
        const trial = [...kept, st];
        const a = arenaOf(trial);
        if (a > arena0 + growth * l1Cap) continue;
        kept = trial;
        arena = a;
        back.delete(macroOf(st));
      }
      if (back.size === settled.size) continue;
      const b = l1Cap - arena;
      const got = attempt(back, none, b - argsReserve(bestArgs));
      if (!Array.isArray(got)) continue;
      if (consider(got, back, bestArgs, b)) settled = back;
    }
  }
  if (!Array.isArray(first)) {
    const need = first.minL1 === Infinity ? 'no legal tiling (a single row or channel exceeds the DMA length limit)' : `its smallest tiling needs ${first.minL1} B of L1 tile buffers`;
    const minL1 = first.minL1 === Infinity ? '' : `; minimum --l1 ${first.minL1 + pf.l1RuntimeBytes}`;
    throw new InputError(
      `layer '${first.layer.name}' (${first.layer.bound.node.op}) cannot be tiled under --l1 ${opts.l1}: ${need} but ${Math.max(0, budget)} B are left ` +
        `(after ${pf.l1RuntimeBytes} B of runtime)${minL1}`,
    );
  }
  // The L1 the tiles leave: the layers' args structs and tile tables first (every core reads them
  // at every layer), then constants, smallest first (requant vectors and small weights are read
  // on every output); then the layers are tiled again with those constants read in place.
  // When the args structs do not fit, they stay in L2 and come to the two L1 args slots (each
  // with room for the largest table that fits a share of what is left: those tables come along).
  const placeRest = (ls: LayerTiling[]) => {
    let left = budget - Math.max(0, ...ls.map((t) => t.l1Bytes));
    const argsInL1 = align4(argsBytes) <= left;
    // every layer's tile table in L1 when they all fit what is left (args structs in L1 or in L2)
    const tablesAfter = (args: number) => {
      left -= args;
      const tables = align4(ls.reduce((s, t) => s + tileTableBytes(t), 0));
      const tablesInL1 = tables > 0 && tables <= left;
      if (tablesInL1) left -= tables;
      return { left, argsInL1, tablesInL1, argsSlots: undefined, argsTotal: args + (tablesInL1 ? tables : 0) };
    };
    if (argsInL1) return tablesAfter(align4(argsBytes));
    const slots: ArgsSlots = { argsBytes: slotArgsBytes(cs), tableBytes: 0, tables: new Set() };
    // not even the slots: the cores read the args in L2 (tiny budgets)
    if (argsSlotsBytes(slots) > left) return tablesAfter(0);
    left -= argsSlotsBytes(slots);
    // a table in L2 costs core 0 a load at L2 latency per entry and tile: they go before constants
    const cap = Math.min(MAX_SLOT_TABLE_BYTES, Math.floor(left / 4));
    for (const t of ls) {
      const bytes = tableOnlyBytes(t);
      if (bytes === 0 || bytes > cap) continue;
      slots.tables.add(t.step);
      slots.tableBytes = Math.max(slots.tableBytes, bytes);
    }
    left -= 2 * slots.tableBytes;
    return { left, argsInL1, tablesInL1: false, argsSlots: slots, argsTotal: argsSlotsBytes(slots) };
  };
  const bySize = [...cs.bytes].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const bytesOf = (set: Set<string>) => [...set].reduce((s, n) => s + align4(cs.bytes.get(n)!), 0);
  // The L1 the tiles (solved with constants `base` read in place) leave takes more constants,
  // smallest first, and the layers are tiled again with those in place.
  const finish = (ls: LayerTiling[], base: Set<string>) => {
    const rest = placeRest(ls);
    const room = rest.left - bytesOf(base);
    if (room < 0) return undefined;
    // the re-tiled layers' tables may need more room than the first ones': fewer constants then
    for (const share of [1, 0.5, 0.25]) {
      let left = Math.floor(room * share);
      const l1Constants = new Set(base);
      for (const [name, size] of bySize) {
        if (l1Constants.has(name)) continue;
        if (align4(size) > left) break;
        l1Constants.add(name);
        left -= align4(size);
      }
      if (l1Constants.size === base.size) break;
      const used = bytesOf(l1Constants);
      const again = attempt(inL2, l1Constants, budget - used - rest.argsTotal);
      if (!Array.isArray(again)) continue;
      const r = placeRest(again);
      // the constants fit beside the new tiles (their tables may have left L1; the args may not)
      if ((r.argsInL1 || !rest.argsInL1) && r.left >= used) return { layers: again, l1Constants, argsInL1: r.argsInL1, tablesInL1: r.tablesInL1, argsSlots: r.argsSlots };
    }
    return { layers: ls, l1Constants: base, argsInL1: rest.argsInL1, tablesInL1: rest.tablesInL1, argsSlots: rest.argsSlots };
  };
  const best = finish(first, none);
  const activationLevels = new Map(storages.map((st) => [st.tensors[0]!, (inL2.has(macroOf(st)) ? 'L2' : 'L1') as Level]));
  if (!best) throw new Error('internal: the tiles of the chosen placement leave no room for the args');
  return { activationLevels, budget, layers: planPrefetch(best.layers, cs, pf, far), l1Constants: best.l1Constants, argsInL1: best.argsInL1, tablesInL1: best.tablesInL1, argsSlots: best.argsSlots };
}

/**
 * Weights of a single-tile layer can come while the previous layer computes: its DMA starts at
 * the previous layer, its buffer lives over both steps. Only where the previous step's tile
 * buffers and these together stay within the largest tile workspace (the plan's L1 does not grow).
 */
function planPrefetch(ls: LayerTiling[], cs: ConstantsPhase, pf: Platform, far: Level): LayerTiling[] {
  const workspace = Math.max(0, ...ls.map((t) => t.l1Bytes));
  const byStep = new Map(ls.map((t) => [t.step, t]));
  const extra = new Map<number, number>();
  const steps = cs.layers.map((L) => L.index);
  // the steps writing each activation buffer (by its macro), and whether the NPU writes it
  const writers = new Map<string, { steps: number[]; npu: boolean }>();
  for (const L of cs.layers)
    for (const o of L.bound.node.outputs) {
      const m = cs.bufferMacro.get(o);
      if (!m) continue;
      const w = writers.get(m) ?? { steps: [], npu: false };
      w.steps.push(L.index);
      w.npu ||= L.bound.binding.kernel === NPU_KERNEL;
      writers.set(m, w);
    }
  const activationMacros = new Set(cs.bufferMacro.values());
  // an input is ready before layer `prev` runs: a constant, or an activation the cluster wrote
  // before `prev` (a graph input or an earlier layer's output) that `prev` does not write
  const readyBefore = (sym: string, prev: number) => {
    if (cs.bytes.has(sym)) return true;
    if (!activationMacros.has(sym)) return false;
    const w = writers.get(sym);
    return !w || (!w.npu && w.steps.every((s) => s < prev));
  };
  // the candidates, those saving the most DMA cycles first: a layer prefetched during the layer
  // before may not itself run the prefetch of the layer after it, and in layer order the 256-byte
  // norm weights took the slot from the next GEMM's 4 KB tile
  const cands: { t: LayerTiling; prev: number; bytes: number; early: number; k: number }[] = [];
  for (const t of ls) {
    const k = steps.indexOf(t.step);
    if (k <= 0) continue;
    const L = cs.layers[k]!;
    const ins = [...t.once, ...t.tiles[0]!.transfers].filter((x) => x.dir === 'in');
    const prev = steps[k - 1]!;
    if (ins.length === 0 || !ins.every((x) => readyBefore(operandSymbol(fieldSymbol(L.call, x.field), (n) => activationMacros.has(n) || cs.bytes.has(n)), prev))) continue;
    const bytes = t.buffers.filter((b) => ins.some((x) => x.field === b.field)).reduce((s, b) => s + b.bytes, 0); // copy 0 only
    const early = ins.reduce((c, x) => c + dmaCycles(x, (cs.bytes.has(operandSymbol(fieldSymbol(L.call, x.field), (n) => cs.bytes.has(n))) ? pf.memory[far] : pf.memory.L2).dmaLatency!, pf), 0);
    cands.push({ t, prev, bytes, early, k });
  }
  cands.sort((a, b) => b.early - a.early || a.k - b.k);
  const prefetching = new Set<number>(); // steps that start the next layer's prefetch
  for (const { t, prev, bytes, early } of cands) {
    const atPrev = (byStep.get(prev)?.l1Bytes ?? 0) + (extra.get(prev) ?? 0);
    if (atPrev + bytes > workspace || byStep.get(prev)?.prefetchAt !== undefined || prefetching.has(t.step)) continue;
    t.prefetchAt = prev;
    prefetching.add(prev);
    extra.set(prev, (extra.get(prev) ?? 0) + bytes);
    // the prediction: those DMAs run while the layer before computes
    t.predicted = { ...t.predicted, total: Math.max(t.predicted.compute, Math.round(t.predicted.total - early)) };
  }
  return ls;
}

/**
 * Proves a tiling safe against its memory plan (runs on every compile, after verifyPlan has
 * checked that no two live buffers overlap at any level): every tile buffer is planned in L1
 * with its size, every transfer fits its buffer, lies within MCHAN's length limit, has whole
 * rows, and stays inside its operand; a double-buffered operand's new slice goes to the copy the
 * previous tile does not read (its DMA runs while that tile computes) and a reused slice stays in
 * its copy; a split reduction has its one partial-sum buffer, as large as its tiles need, which
 * no DMA touches.
 */
export function verifyTiling(tiling: TilingPlan, plan: MemoryPlan, pf: Platform = siracusa): void {
  const planned = new Map(plan.buffers.map((b) => [b.name, b]));
  for (const t of tiling.layers) {
    for (const b of t.buffers)
      for (let k = 0; k < b.copies; k++) {
        const p = planned.get(`${b.name}[${k}]`);
        if (!p) throw new PlanError(`layer '${t.layer}': tile buffer ${b.name}[${k}] is not in the memory plan`);
        if (p.level !== 'L1' || p.size < b.bytes || p.first > t.step || p.last < t.step)
          throw new PlanError(`layer '${t.layer}': tile buffer ${b.name}[${k}] is ${p.level}+${p.offset} ${p.size} B live ${p.first}..${p.last}, needs L1 ${b.bytes} B at step ${t.step}`);
      }
    const all = [{ transfers: t.once }, ...t.tiles];
    all.forEach((tile, i) => {
      for (const x of tile.transfers) {
        const where = `layer '${t.layer}' ${i === 0 ? 'prologue' : `tile ${i - 1}`} ${x.dir} ${x.field}`;
        const buf = t.buffers.find((b) => b.field === x.field);
        if (!buf) throw new PlanError(`${where}: no tile buffer`);
        if (x.field === 'partial') throw new PlanError(`${where}: the partial sums never move by DMA`);
        if (x.bytes > buf.bytes) throw new PlanError(`${where}: ${x.bytes} B into a ${buf.bytes} B buffer`);
        if (x.bytes > pf.dma.maxTransferBytes) throw new PlanError(`${where}: ${x.bytes} B exceeds the DMA's ${pf.dma.maxTransferBytes} B per transfer`);
        if (x.bytes <= 0 || x.rowBytes <= 0 || x.bytes !== x.rows * x.rowBytes) throw new PlanError(`${where}: ${x.bytes} B is not ${x.rows} rows of ${x.rowBytes} B`);
        if (x.rows > 1 && x.stride < x.rowBytes) throw new PlanError(`${where}: rows of ${x.rowBytes} B overlap at stride ${x.stride}`);
      }
    });
    const inputs = new Set(t.tiles.flatMap((x) => x.transfers.filter((y) => y.dir === 'in').map((y) => y.field)));
    t.tiles.forEach((tile, i) => {
      for (const [f, c] of Object.entries(tile.copy)) {
        const buf = t.buffers.find((b) => b.field === f);
        const where = `layer '${t.layer}' tile ${i} ${f}`;
        if (!buf || c < 0 || c >= buf.copies) throw new PlanError(`${where}: copy ${c} of ${buf ? buf.copies : 'no'} buffer${buf?.copies === 1 ? '' : 's'}`);
        const prev = i > 0 ? t.tiles[i - 1]!.copy[f] : undefined;
        if (prev === undefined || !inputs.has(f)) continue;
        const loads = tile.transfers.some((x) => x.field === f);
        if (loads && buf.copies > 1 && prev === c) throw new PlanError(`${where}: the DMA-in of its slice overwrites copy ${c} while tile ${i - 1} reads it`);
        if (!loads && prev !== c) throw new PlanError(`${where}: reads copy ${c} but its slice (not moved again) is in copy ${prev}`);
      }
    });
    const red = t.dims.find((d) => d.reduce && d.tile < d.size);
    const part = t.buffers.find((b) => b.field === 'partial');
    if (red && (!part || part.copies !== 1 || part.bytes < (t.partialBytes ?? Infinity)))
      throw new PlanError(`layer '${t.layer}': the split reduction over ${red.name} needs one partial-sum buffer of ${t.partialBytes} B${part ? `, has ${part.copies} x ${part.bytes} B` : ''}`);
  }
}
