// The cluster works on the next layers while the NPU runs (issue 11 "overlap"). An NPU layer
// returns without waiting for its jobs (`async`) when nothing is left for the cores after the
// jobs: no transpose back (GEMM rows, elementwise requantisation, or a conv whose output stays
// HWC, layout.ts) and no DMA-out (a single tile, or none). NPU jobs run in submission order, so a
// later NPU layer that touches no memory before its own jobs (no tile DMA-in, no input transpose,
// no prefetch it starts) needs no wait either. Every other layer is checked against the jobs in
// flight: core 0 waits for the NPU (`dsim_npu_wait`, before the barrier that ends the previous
// layer) before the first later layer that reads what a job writes, or writes what a job reads or
// writes, and at the end of the network. Decided on the memory plan, so the hazards are the
// planned addresses (a buffer whose lifetime ended may be reused). A blocking NPU layer ends with
// a wait for every job. `verifyNpuOverlap` replays a decision and names the first missing wait.
import type { EmittedLayer } from '../constants.js';
import type { MemoryPlan, PlannedBuffer } from '../plan.js';
import type { TilingPlan } from '../tile.js';
import { NPU_KERNEL } from './binding.js';

export interface NpuOverlap {
  /** functions of the NPU layers that return without waiting (their args' `async` is set) */
  asyncLayers: Set<string>;
  /** k (index in the emitted layers): core 0 waits for the NPU after layer k, before the barrier */
  waitAfter: Set<number>;
}

type Range = { level: string; lo: number; hi: number };

const overlaps = (a: Range[], b: Range[]) => a.some((x) => b.some((y) => x.level === y.level && x.lo < y.hi && y.lo < x.hi));

/** What each layer touches, and how it stands towards the NPU's queue. */
interface LayerAccess {
  reads: Range[];
  writes: Range[];
  npu: boolean;
  /** the cores (or core 0's DMAs) touch memory before the layer's own jobs are submitted */
  touchesBeforeJobs: boolean;
  /** may return with its jobs running */
  canReturnEarly: boolean;
}

function accesses(layers: EmittedLayer[], plan: MemoryPlan, tiling: TilingPlan | undefined): LayerAccess[] {
  const byTensor = new Map<string, PlannedBuffer>();
  for (const b of plan.buffers) if (b.kind !== 'constant') for (const t of b.tensors) byTensor.set(t, b);
  const ranges = (tensors: string[]): Range[] =>
    tensors.flatMap((t) => {
      const b = byTensor.get(t);
      return b ? [{ level: b.level, lo: b.offset, hi: b.offset + b.size }] : [];
    });
  const tileRanges = (step: number): Range[] => plan.buffers.filter((b) => b.kind === 'tile' && b.first <= step && step <= b.last).map((b) => ({ level: b.level, lo: b.offset, hi: b.offset + b.size }));
  const tilingAt = new Map((tiling?.layers ?? []).map((t) => [t.step, t]));
  const prefetchers = new Set((tiling?.layers ?? []).filter((t) => t.prefetchAt !== undefined).map((t) => t.prefetchAt!));
  return layers.map((L) => {
    const reads = [...ranges(L.bound.node.inputs.filter((i) => i)), ...tileRanges(L.index)];
    const writes = [...ranges(L.bound.node.outputs), ...tileRanges(L.index)];
    const npu = L.bound.binding.kernel === NPU_KERNEL;
    if (!npu) return { reads, writes, npu, touchesBeforeJobs: true, canReturnEarly: false };
    const f = L.call.fields;
    const t = tilingAt.get(L.index);
    const dmaIn = !!t && (t.once.length > 0 || t.tiles.some((x) => x.transfers.some((y) => y.dir === 'in')));
    const dmaOut = !!t && t.tiles.some((x) => x.transfers.some((y) => y.dir === 'out'));
    const transposeIn = f.flat !== 1 && f.hwc_in !== 1;
    const transposeOut = f.flat !== 1 && f.hwc_out !== 1;
    return {
      reads,
      writes,
      npu,
      touchesBeforeJobs: dmaIn || transposeIn || prefetchers.has(L.index),
      canReturnEarly: !transposeOut && !dmaOut && (t?.tiles.length ?? 1) === 1,
    };
  });
}

export function planNpuOverlap(layers: EmittedLayer[], plan: MemoryPlan, tiling: TilingPlan | undefined, forkPerLayer: boolean): NpuOverlap {
  const out: NpuOverlap = { asyncLayers: new Set(), waitAfter: new Set() };
  if (forkPerLayer) return out;
  let pending: { reads: Range[]; writes: Range[] } | undefined;
  accesses(layers, plan, tiling).forEach((a, k) => {
    if (pending && a.touchesBeforeJobs && (overlaps(a.reads, pending.writes) || overlaps(a.writes, pending.reads) || overlaps(a.writes, pending.writes))) {
      out.waitAfter.add(k - 1);
      pending = undefined;
    }
    if (a.npu && a.canReturnEarly) {
      out.asyncLayers.add(layers[k]!.function);
      pending = { reads: [...(pending?.reads ?? []), ...a.reads], writes: [...(pending?.writes ?? []), ...a.writes] };
    } else if (a.npu) pending = undefined; // a blocking NPU layer ends with a wait for every job
  });
  if (pending) out.waitAfter.add(layers.length - 1);
  return out;
}

/**
 * Replay a decision: every layer that touches memory while NPU jobs of earlier layers may still
 * run must not touch what those jobs read or write, only layers that may return early are async,
 * and the network ends with no job in flight. Throws naming the first violation.
 */
export function verifyNpuOverlap(layers: EmittedLayer[], plan: MemoryPlan, tiling: TilingPlan | undefined, ov: NpuOverlap): void {
  const acc = accesses(layers, plan, tiling);
  let inFlight: { layer: string; reads: Range[]; writes: Range[] }[] = [];
  acc.forEach((a, k) => {
    const L = layers[k]!;
    const isAsync = ov.asyncLayers.has(L.function);
    if (isAsync && !(a.npu && a.canReturnEarly)) throw new Error(`NPU overlap: layer '${L.name}' returns before its jobs end, but the cores or its DMAs still use their results`);
    if (a.touchesBeforeJobs)
      for (const j of inFlight)
        if (overlaps(a.reads, j.writes) || overlaps(a.writes, j.reads) || overlaps(a.writes, j.writes))
          throw new Error(`NPU overlap: layer '${L.name}' touches memory of layer '${j.layer}''s NPU jobs while they may run (no dsim_npu_wait between them)`);
    if (a.npu && !isAsync) inFlight = [];
    if (isAsync) inFlight.push({ layer: L.name, reads: a.reads, writes: a.writes });
    if (ov.waitAfter.has(k)) inFlight = [];
  });
  if (inFlight.length) throw new Error(`NPU overlap: the network ends while layer '${inFlight[0]!.layer}''s NPU jobs may run (no dsim_npu_wait after the last layer)`);
}

/** Comment lines for layer k's header in network.c: where its jobs overlap and who waits. */
export function overlapComment(layers: EmittedLayer[], k: number, ov: NpuOverlap): string[] {
  const L = layers[k]!;
  const out: string[] = [];
  if (ov.asyncLayers.has(L.function)) {
    let w = k;
    while (w < layers.length && !ov.waitAfter.has(w) && (w === k || !(layers[w]!.bound.binding.kernel === NPU_KERNEL && !ov.asyncLayers.has(layers[w]!.function)))) w++;
    const until = w >= layers.length ? 'the end of the network' : ov.waitAfter.has(w) ? (w + 1 < layers.length ? `core 0's dsim_npu_wait() before layer ${layers[w + 1]!.name}` : `core 0's dsim_npu_wait() at the end of the network`) : `layer ${layers[w]!.name}'s own wait`;
    out.push(`overlap: returns once core 0 has submitted the jobs (async); the next layers run while the NPU works, until ${until}`);
  }
  if (ov.waitAfter.has(k - 1)) out.push(`waits first: core 0 waits for the NPU jobs still running (dsim_npu_wait after layer ${layers[k - 1]!.name}): this layer touches their memory`);
  return out;
}
