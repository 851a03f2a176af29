// The cluster works on the next layers while the NPU runs (issue 11 "overlap"): an NPU layer whose
// operands are all read in place (no tiles: no DMA-out after its job) and whose jobs core 0 alone
// submits (GEMM rows, elementwise requantisation) returns without waiting; core 0 waits for the
// NPU only before the first later layer that reads the NPU layer's output or writes memory the
// job reads or writes (its input's buffer may be reused once its lifetime ends), and at the end
// of the network. Decided on the memory plan, so the hazards are the planned addresses.
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

export function planNpuOverlap(layers: EmittedLayer[], plan: MemoryPlan, tiling: TilingPlan | undefined, forkPerLayer: boolean): NpuOverlap {
  const out: NpuOverlap = { asyncLayers: new Set(), waitAfter: new Set() };
  if (forkPerLayer) return out;
  const byTensor = new Map<string, PlannedBuffer>();
  for (const b of plan.buffers) if (b.kind !== 'constant') for (const t of b.tensors) byTensor.set(t, b);
  const ranges = (tensors: string[]): Range[] =>
    tensors.flatMap((t) => {
      const b = byTensor.get(t);
      return b ? [{ level: b.level, lo: b.offset, hi: b.offset + b.size }] : [];
    });
  const tileRanges = (step: number): Range[] => plan.buffers.filter((b) => b.kind === 'tile' && b.first <= step && step <= b.last).map((b) => ({ level: b.level, lo: b.offset, hi: b.offset + b.size }));
  const tiled = new Set((tiling?.layers ?? []).map((t) => t.step));
  let pending: { reads: Range[]; writes: Range[] } | undefined;
  layers.forEach((L, k) => {
    const reads = [...ranges(L.bound.node.inputs.filter((i) => i)), ...tileRanges(L.index)];
    const writes = [...ranges(L.bound.node.outputs), ...tileRanges(L.index)];
    const npu = L.bound.binding.kernel === NPU_KERNEL;
    // NPU jobs run in submission order: a later asynchronous job needs no wait for an earlier one
    const asyncNpu = npu && L.call.fields.flat === 1 && !tiled.has(L.index);
    if (pending && !asyncNpu && (overlaps(reads, pending.writes) || overlaps(writes, pending.reads) || overlaps(writes, pending.writes))) {
      out.waitAfter.add(k - 1);
      pending = undefined;
    }
    if (asyncNpu) {
      out.asyncLayers.add(L.function);
      pending = { reads: [...(pending?.reads ?? []), ...reads], writes: [...(pending?.writes ?? []), ...writes] };
    } else if (npu) pending = undefined; // a blocking NPU layer ends with a wait for every job
  });
  if (pending) out.waitAfter.add(layers.length - 1);
  return out;
}
