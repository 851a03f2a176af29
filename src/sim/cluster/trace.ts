// Chrome trace-event JSON (opens in Perfetto / chrome://tracing): one track (thread) per core with
// busy / stall / sleep spans, one track for the DMA with its transfers. Spans of the same state
// that touch are merged, and stalls shorter than `minStall` cycles are folded into "busy", so a
// long run gives a small file. Timestamps are cycles (written as microseconds: 1 us = 1 cycle).
import { writeFileSync } from 'node:fs';

export type CoreState = 'busy' | 'stall' | 'sleep';

interface Span { name: string; tid: number; ts: number; dur: number; args?: Record<string, unknown> }

export const DMA_TID = 100;

export class TraceWriter {
  private readonly spans: Span[] = [];
  /** per core: the open span (state, start, end) */
  private readonly openState: (CoreState | null)[];
  private readonly openStart: Float64Array;
  private readonly openEnd: Float64Array;
  private readonly openCause: (string | null)[];

  constructor(readonly cores: number, readonly minStall = 8) {
    this.openState = new Array<CoreState | null>(cores).fill(null);
    this.openStart = new Float64Array(cores);
    this.openEnd = new Float64Array(cores);
    this.openCause = new Array<string | null>(cores).fill(null);
  }

  /** Core `core` was in `state` during [t0, t1). Calls must come in time order per core. */
  core(core: number, state: CoreState, t0: number, t1: number, cause?: string): void {
    if (t1 <= t0) return;
    if (state === 'stall' && t1 - t0 < this.minStall) state = 'busy';
    const cur = this.openState[core];
    if (cur === state && t0 <= this.openEnd[core]! && (state !== 'stall' || this.openCause[core] === (cause ?? null))) {
      if (t1 > this.openEnd[core]!) this.openEnd[core] = t1;
      return;
    }
    this.flushCore(core);
    // a gap between spans belongs to "busy" (cycles the core ran without a recorded span)
    this.openState[core] = state;
    this.openStart[core] = t0;
    this.openEnd[core] = t1;
    this.openCause[core] = cause ?? null;
  }

  private flushCore(core: number): void {
    const st = this.openState[core];
    if (st === null) return;
    const s: Span = { name: st, tid: core, ts: this.openStart[core]!, dur: this.openEnd[core]! - this.openStart[core]! };
    if (this.openCause[core]) s.args = { cause: this.openCause[core] };
    this.spans.push(s);
    this.openState[core] = null;
  }

  dma(t0: number, t1: number, name: string, args: Record<string, unknown>): void {
    this.spans.push({ name, tid: DMA_TID, ts: t0, dur: Math.max(t1 - t0, 1), args });
  }

  private readonly extra: string[] = [];
  /** Another engine's track (e.g. the NPU): returns its id for span(). */
  track(name: string): number {
    let k = this.extra.indexOf(name);
    if (k < 0) k = this.extra.push(name) - 1;
    return DMA_TID + 1 + k;
  }
  span(track: number, t0: number, t1: number, name: string, args?: Record<string, unknown>): void {
    this.spans.push({ name, tid: track, ts: t0, dur: Math.max(t1 - t0, 1), ...(args ? { args } : {}) });
  }

  /** The whole trace as a Chrome trace-event object. */
  toJSON(): { traceEvents: unknown[]; displayTimeUnit: string; otherData: Record<string, unknown> } {
    for (let c = 0; c < this.cores; c++) this.flushCore(c);
    const ev: unknown[] = [{ name: 'process_name', ph: 'M', pid: 0, tid: 0, args: { name: 'siracusa cluster (1 us = 1 cycle)' } }];
    for (let c = 0; c < this.cores; c++) {
      ev.push({ name: 'thread_name', ph: 'M', pid: 0, tid: c, args: { name: `core ${c}` } });
      ev.push({ name: 'thread_sort_index', ph: 'M', pid: 0, tid: c, args: { sort_index: c } });
    }
    ev.push({ name: 'thread_name', ph: 'M', pid: 0, tid: DMA_TID, args: { name: 'DMA (MCHAN)' } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid: 0, tid: DMA_TID, args: { sort_index: this.cores } });
    this.extra.forEach((name, k) => {
      ev.push({ name: 'thread_name', ph: 'M', pid: 0, tid: DMA_TID + 1 + k, args: { name } });
      ev.push({ name: 'thread_sort_index', ph: 'M', pid: 0, tid: DMA_TID + 1 + k, args: { sort_index: this.cores + 1 + k } });
    });
    const sorted = [...this.spans].sort((a, b) => a.tid - b.tid || a.ts - b.ts);
    for (const s of sorted) ev.push({ name: s.name, cat: s.tid < this.cores ? 'core' : s.tid === DMA_TID ? 'dma' : 'engine', ph: 'X', pid: 0, tid: s.tid, ts: s.ts, dur: s.dur, ...(s.args ? { args: s.args } : {}) });
    return { traceEvents: ev, displayTimeUnit: 'ns', otherData: { timeUnit: 'cycles' } };
  }

  write(path: string): void {
    writeFileSync(path, JSON.stringify(this.toJSON()));
  }
}
