// The one interface through which a device plugs into the cluster: MCHAN (dma.ts) and the NPU
// (npu-model/) implement it; the cluster, its peripheral router (periph.ts) and its scheduler know
// nothing else about them. A device owns register windows in the cluster peripheral region, may
// move bytes at a future cycle (the scheduler applies them before any core could observe them),
// may run on its own clock (advance), raises event lines through the event unit, and reports its
// statistics as an engine (jobs, busy cycles, MACs, stall cycles).
import type { Memory } from '../memory.js';
import type { BankTracker } from './banks.js';
import type { ClusterTiming } from './timing.js';
import type { TraceWriter } from './trace.js';

export interface ClusterDevice {
  readonly name: string;
  /** [offset, size] register windows inside the cluster peripheral region (base 0x10200000) */
  readonly windows: readonly (readonly [number, number])[];
  /** register read by core at cycle t; off is relative to windows[window] */
  read(core: number, off: number, t: number, window: number): number;
  write(core: number, off: number, value: number, t: number, window: number): void;
  /** cycles the last write made the writing core wait (a full command queue); the router resets it */
  stall: number;
  /** cycle at which the next memory effect (bytes landing) is due, or Infinity */
  nextDue(): number;
  /** make every memory effect due at or before cycle t visible */
  applyDue(t: number): void;
  /** run the device's own clock up to cycle t (the awake cores have all reached t) */
  advance?(t: number): void;
  /** the cycle the device next has work at while every core sleeps, or Infinity */
  nextWork?(): number;
  /** statistics of an engine that runs jobs (the NPU); `run --json` prints them under its name */
  engineStats?(): EngineStats;
  /** L1 bytes the device read and wrote itself (energy); MCHAN's are counted by the cluster */
  l1Bytes?(): number;
}

export interface EngineStats {
  jobs: number;
  /** cycles with a job running (start to end of each job) */
  busyCycles: number;
  macs: number;
  /** cycles its memory accesses waited for L1 banks */
  stallCycles: number;
}

/** What the cluster gives a device it builds. */
export interface DeviceContext {
  readonly cores: number;
  readonly memory: Memory;
  readonly timing: ClusterTiming;
  /** null with ClusterOptions.noBankConflicts */
  readonly banks: BankTracker | null;
  /** scheduler skew bound (cycles): how far a core may run ahead of the slowest */
  readonly quantum: number;
  readonly trace: TraceWriter | undefined;
  /** raise event line `line` for the cores in coreMask at cycle t (t may lie in the future) */
  event(coreMask: number, line: number, t: number): void;
  /** a simulated fault of the accessing core (throws) */
  fault(core: number, message: string): never;
  /** every core's clock, 1 if it sleeps, then its cycles by cause so far (layer-marks.ts
   * COUNTED_CAUSES), core after core */
  coreCounters(out: Float64Array): void;
  /** busy cycles of every job engine among the devices so far, by device name */
  engineBusy(): Record<string, number>;
}

export type ClusterDeviceFactory = (ctx: DeviceContext) => ClusterDevice;
