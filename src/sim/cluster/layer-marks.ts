// The profile marker: a simulator-only register (platform `profileMarker`) through which a program
// marks region boundaries, e.g. the generated code's layers (dsim_layer_mark in dsim_cluster.h).
// A store snapshots, at the storing core's cycle T, every core's cycles by cause and every job
// engine's busy cycles; nothing happens per instruction. Region k runs from the mark of value k to
// the next mark (the last one to the end of the run), so per-region causes are differences of
// snapshots and, summed over the regions and the part before the first mark, give the whole run's.
//
// The cores run up to a scheduler quantum apart, so at T another core's own clock t_c may lie
// before or after T. Its snapshot is brought to T: a core asleep until after T slept the missing
// cycles; an awake core behind T is counted busy for them; a core ahead of T gives back its last
// cycles from busy first, then sleep, then the stalls. No cause may fall below the core's previous
// snapshot (so no region has a negative cause); what that moves stays within a quantum of a mark.
// Every core's causes thus add up to T exactly, and a region's to its cycles x cores.
import type { ClusterDevice, DeviceContext } from './device.js';
import { CORE_STALLS } from '../jit.js';

/** What the cluster counts per core (Cluster.coreCounters writes them after each core's clock and
 * asleep flag): sleep, the stall causes the cluster sees, the core's own stalls
 * (counted only with the `stats` option; without it they are part of `compute`). */
export const COUNTED_CAUSES = ['sleep', 'bankConflict', 'l2', 'wmem', 'event', 'dmaQueue', ...CORE_STALLS] as const;
/** Per-region causes (core-cycles): `compute` is the rest of each core's cycles (instructions
 * retired, and the core's own stalls when they were not counted). */
export const MARK_CAUSES = ['compute', ...COUNTED_CAUSES] as const;
export type MarkCause = (typeof MARK_CAUSES)[number];
const N = MARK_CAUSES.length;
/** numbers per core from DeviceContext.coreCounters: clock, asleep, COUNTED_CAUSES */
const RAW = 2 + COUNTED_CAUSES.length;
const BUSY = 0;
const SLEEP = 1;

export interface Snapshot {
  /** the cycle of the snapshot (the storing core's clock) */
  t: number;
  /** per core, N causes (MARK_CAUSES order), each core's adding up to t */
  causes: Float64Array;
  /** busy cycles of each job engine so far (a job counts once it has ended) */
  engines: Record<string, number>;
}

export interface Mark extends Snapshot {
  /** the value stored: the region that starts here */
  region: number;
  core: number;
}

export interface RegionCauses {
  /** the mark's value (a build's layer index; NETWORK_LAYERS marks the end of the network) */
  region: number;
  start: number;
  cycles: number;
  /** cycles by cause summed over the cores: they add up to cycles x cores */
  causes: Record<MarkCause, number>;
  /** busy cycles of each job engine (the NPU: `npu`) in the region */
  engines: Record<string, number>;
}

export interface LayerCauseTable {
  cores: number;
  /** from the start of the run to the first mark */
  before: Omit<RegionCauses, 'region'>;
  regions: RegionCauses[];
}

export class ProfileMarker implements ClusterDevice {
  readonly name = 'marks';
  readonly windows: readonly (readonly [number, number])[];
  stall = 0;
  readonly marks: Mark[] = [];
  private readonly prev: Float64Array;
  private readonly raw: Float64Array;
  private lastT = 0;

  constructor(private readonly ctx: DeviceContext, address: number) {
    this.windows = [[address - ctx.memory.platform.clusterPeripherals.base, 4]];
    this.prev = new Float64Array(ctx.cores * N);
    this.raw = new Float64Array(ctx.cores * RAW);
  }

  /** the number of marks so far */
  read(): number {
    return this.marks.length;
  }

  write(core: number, off: number, value: number, t: number): void {
    void off;
    this.marks.push({ region: value >>> 0, core, ...this.snapshot(t) });
  }

  /** Every core's causes at cycle t (not before the last snapshot); the next one builds on it. */
  snapshot(t: number): Snapshot {
    const T = Math.max(t, this.lastT);
    this.lastT = T;
    const out = new Float64Array(this.ctx.cores * N);
    const raw = this.raw;
    this.ctx.coreCounters(raw);
    for (let c = 0; c < this.ctx.cores; c++) {
      const v = out.subarray(c * N, (c + 1) * N);
      const clock = raw[c * RAW]!;
      let counted = 0;
      for (let i = 1; i < N; i++) counted += (v[i] = raw[c * RAW + 1 + i]!);
      v[BUSY] = clock - counted;
      if (T >= clock) v[raw[c * RAW + 1] ? SLEEP : BUSY] += T - clock;
      else v[BUSY] -= clock - T;
      keepAbove(v, this.prev.subarray(c * N, (c + 1) * N));
    }
    this.prev.set(out);
    return { t: T, causes: out, engines: this.ctx.engineBusy() };
  }

  nextDue(): number {
    return Infinity;
  }
  applyDue(): void {}

  /** The regions of the run so far, the last one ending at cycle end. */
  table(end: number): LayerCauseTable {
    const cores = this.ctx.cores;
    const fin = this.snapshot(end);
    const zero: Snapshot = { t: 0, causes: new Float64Array(cores * N), engines: {} };
    const snaps: Snapshot[] = [zero, ...this.marks, fin];
    const diff = (a: Snapshot, b: Snapshot) => {
      const causes = {} as Record<MarkCause, number>;
      MARK_CAUSES.forEach((k, i) => {
        let s = 0;
        for (let c = 0; c < cores; c++) s += b.causes[c * N + i]! - a.causes[c * N + i]!;
        causes[k] = s;
      });
      const engines: Record<string, number> = {};
      for (const [k, v] of Object.entries(b.engines)) engines[k] = v - (a.engines[k] ?? 0);
      return { start: a.t, cycles: b.t - a.t, causes, engines };
    };
    return {
      cores,
      before: diff(zero, snaps[1]!),
      regions: this.marks.map((m, k) => ({ region: m.region, ...diff(m, snaps[k + 2]!) })),
    };
  }
}

/** Raise every cause of v to at least its floor, taking the difference from the causes above
 * theirs (busy first, then sleep, then the stalls): v's sum is kept, and it is >= the floors'. */
function keepAbove(v: Float64Array, floor: Float64Array): void {
  let deficit = 0;
  for (let i = 0; i < v.length; i++)
    if (v[i]! < floor[i]!) {
      deficit += floor[i]! - v[i]!;
      v[i] = floor[i]!;
    }
  for (let i = 0; i < v.length && deficit > 0; i++) {
    const take = Math.min(deficit, v[i]! - floor[i]!);
    v[i] -= take;
    deficit -= take;
  }
}

/** The factory the cluster attaches (chip.ts): the marker at the platform's address. */
export const profileMarkerDevice = (ctx: DeviceContext): ProfileMarker => new ProfileMarker(ctx, ctx.memory.platform.profileMarker);

/** The cluster's profile marker, if it has one. */
export function profileMarkerOf(devices: readonly ClusterDevice[]): ProfileMarker | undefined {
  return devices.find((d): d is ProfileMarker => d instanceof ProfileMarker);
}
