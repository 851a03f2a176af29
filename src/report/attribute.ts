// Per-layer cycle causes from the cluster trace. The harness measures each layer on core 0 right
// after the barrier that ends it (dsim_layer_cycles), so every layer boundary sits a few cycles
// after the barrier's release, when the cores asleep in it wake up (core 0 itself often arrives
// last and does not sleep). Matching the measured layer lengths against the wake-ups of all cores
// places the boundaries in trace time; each core's busy / sleep / stall spans are then cut
// at them. When the lengths do not line up with wake-ups (one core, a fork per layer), there is
// no attribution and the caller keeps the measured totals only.
export interface CoreSpan {
  state: string; // busy | sleep | stall
  cause?: string; // for stalls
  t0: number;
  t1: number;
}

/** Boundaries within this many cycles of a wake-up count as matched (the mcycle read after it). */
const TOLERANCE = 32;

const CAUSE_OF_STALL: Record<string, string> = { 'dma-queue': 'dmaQueue' };

/** Absolute end time of each layer, or undefined when the lengths match no run of wake-ups. */
export function layerBoundaries(layerCycles: readonly number[], spans: readonly CoreSpan[][]): number[] | undefined {
  const K = layerCycles.length;
  if (K === 0) return undefined;
  const wakes = [...new Set(spans.flat().filter((s) => s.state === 'sleep').map((s) => s.t1))].sort((a, b) => a - b);
  if (wakes.length < K) return undefined;
  const cum: number[] = [];
  let acc = 0;
  for (const c of layerCycles) cum.push((acc += c));
  const near = (t: number) => {
    let lo = 0;
    let hi = wakes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (wakes[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    const a = Math.abs(wakes[lo]! - t);
    const b = lo > 0 ? Math.abs(wakes[lo - 1]! - t) : Infinity;
    return Math.min(a, b);
  };
  // the last boundary is one of the wake-ups: try each, latest first (the network ends late)
  for (let w = wakes.length - 1; w >= 0; w--) {
    const end = wakes[w]!;
    const start = end - cum[K - 1]!;
    if (start < 0) break;
    if (cum.every((c) => near(start + c) <= TOLERANCE)) return cum.map((c) => start + c);
  }
  return undefined;
}

/** Cycles by cause per layer, averaged over the cores (each layer's causes add up to its cycles). */
export function attributeLayers(layerCycles: readonly number[], spans: readonly CoreSpan[][]): Record<string, number>[] | undefined {
  if (spans.length === 0) return undefined;
  const ends = layerBoundaries(layerCycles, spans);
  if (!ends) return undefined;
  const starts = ends.map((e, k) => e - layerCycles[k]!);
  const out: Record<string, number>[] = ends.map(() => ({}));
  const n = spans.length;
  for (const list of spans) {
    const sorted = [...list].sort((a, b) => a.t0 - b.t0);
    for (let k = 0; k < ends.length; k++) {
      const a = starts[k]!;
      const b = ends[k]!;
      const causes = out[k]!;
      let covered = 0;
      for (const s of sorted) {
        if (s.t1 <= a) continue;
        if (s.t0 >= b) break;
        const len = Math.min(b, s.t1) - Math.max(a, s.t0);
        if (len <= 0) continue;
        covered += len;
        const key = s.state === 'busy' ? 'compute' : s.state === 'sleep' ? 'sleep' : (CAUSE_OF_STALL[s.cause ?? ''] ?? `stall.${s.cause ?? 'other'}`);
        causes[key] = (causes[key] ?? 0) + len / n;
      }
      // the trace leaves gaps only where a core ran without a recorded span: busy
      if (b - a > covered) causes.compute = (causes.compute ?? 0) + (b - a - covered) / n;
    }
  }
  return out;
}
