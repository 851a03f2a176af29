// Per-layer causes from the profile marks (src/sim/cluster/layer-marks.ts): the generated code marks
// layer k's start with the value k and the network's end with the number of layers, so region k of
// the marker's table is layer k. Two views: `run --json`'s `layerCauses` (the simulator's counters,
// core-cycles summed over the cores) and the run record's (cycles averaged over the cores, with
// the DMA wait and the NPU taken out of the barrier/sleep share).
import type { LayerCauseTable, MarkCause, RegionCauses } from '../sim/cluster/layer-marks.js';

/** The regions of layers 0..layers-1 in order, or undefined when the marks are not one per layer. */
export function markedLayers(table: LayerCauseTable | undefined, layers: number): RegionCauses[] | undefined {
  if (!table || table.regions.length !== layers + 1) return undefined;
  return table.regions.every((r, k) => r.region === k) ? table.regions.slice(0, layers) : undefined;
}

/** The record's cause key of a simulator cause. */
const RECORD_KEY = (k: MarkCause) => (k === 'compute' || k === 'sleep' || k === 'dmaQueue' ? k : `stall.${k}`);

/**
 * A layer's causes for the record: cycles averaged over the cores (so they add up to the layer's
 * cycles). `dmaWait` (core 0's wait for tile DMAs, the generated counter) and then `npu` (the NPU's
 * busy cycles) move out of the sleep share: while core 0 waits for them the other cores sleep in
 * the layer's barrier. Neither takes more than the sleep there is.
 */
export function recordCauses(region: RegionCauses, cores: number, dmaWait: number): Record<string, number> {
  const c: Record<string, number> = {};
  for (const [k, v] of Object.entries(region.causes) as [MarkCause, number][]) if (v > 0) c[RECORD_KEY(k)] = v / cores;
  const move = (key: string, cycles: number) => {
    const moved = Math.min(cycles, c.sleep ?? 0);
    if (!(moved > 0)) return;
    c.sleep! -= moved;
    c[key] = moved;
  };
  move('dmaWait', dmaWait);
  move('npu', region.engines.npu ?? 0);
  return c;
}

/** `run --json`'s layerCauses (docs/report.md "run --json: layerCauses"). */
export function layerCausesJson(table: LayerCauseTable, layerNames: readonly string[] = []) {
  const entry = (r: Omit<RegionCauses, 'region'>) => ({ start: r.start, cycles: r.cycles, causes: r.causes, engines: r.engines });
  return {
    cores: table.cores,
    before: entry(table.before),
    regions: table.regions.map((r) => ({ region: r.region, ...(layerNames[r.region] !== undefined ? { layer: layerNames[r.region] } : {}), ...entry(r) })),
  };
}

/** The largest stall cause of a region (core-cycles), or undefined when it has none. */
export function mainStall(region: RegionCauses): [MarkCause, number] | undefined {
  let best: [MarkCause, number] | undefined;
  for (const [k, v] of Object.entries(region.causes) as [MarkCause, number][])
    if (k !== 'compute' && k !== 'sleep' && v > 0 && (!best || v > best[1])) best = [k, v];
  return best;
}
