// N-EUREKA as a cluster device (src/sim/cluster/device.ts): the HWPE register file with its
// two-context job queue, the job runner on the NPU's own clock, L1 bank arbitration against the
// cores, completion events on line 12 and per-job statistics. See docs/npu.md for the protocol.
//
// Time: a job starts 1 cycle after its trigger (or after the previous job's end) and replays its
// FSM steps (timing.ts) on the NPU clock. The scheduler advances that clock to the slowest awake
// core (cores first: every core access of those cycles is already booked, so the NPU waits for
// them, at most `max stall` cycles per access) or, with the priority bit, up to two quanta ahead
// of it (the NPU books its banks before the cores get there). Inputs are read when the job starts;
// the outputs land, and event 12 is raised, at the job's last cycle.
import type { ClusterDevice, DeviceContext, EngineStats } from '../src/sim/cluster/device.js';
import { computeJob, WeightCache, type OutputWrite } from './compute.js';
import { decodeJob, JobError, type NpuJob, type Resolve } from './job.js';
import { ACQUIRE_FULL, JOB_WORDS, NPU_EVENT_LINE, NPU_PRIORITY_WINDOW, NPU_WINDOW, NPU_WINDOW_SIZE, REG, STATUS_CTX } from './regs.js';
import { JobTimer, jobSteps, type JobSteps } from './timing.js';

/** Priority register reset value: cores first, the NPU waits at most 255 cycles per access (assumption). */
export const PRIORITY_RESET = 0xff;
const PRIORITY_NPU_FIRST = 1 << 8;

export interface NpuJobStats {
  id: number;
  mode: string;
  trigger: number;
  start: number;
  end: number;
  macs: number;
  busyCycles: number;
  stallCycles: number;
}

interface Queued {
  id: number;
  ctx: number;
  words: Uint32Array;
  job: NpuJob;
  /** cycle of the TRIGGER write; Infinity while held (commit only, not yet run) */
  runAt: number;
  trigger: number;
  end: number; // Infinity until the job has run
  writes?: OutputWrite[];
  posted: boolean;
}

export class Neureka implements ClusterDevice {
  readonly name = 'npu';
  readonly windows = [[NPU_WINDOW, NPU_WINDOW_SIZE], [NPU_PRIORITY_WINDOW, 4]] as const;
  stall = 0;
  priority = PRIORITY_RESET;
  /** every job run, in order */
  readonly jobStats: NpuJobStats[] = [];
  /** their sums (engineStats is asked at every layer mark and after every sim-engine step) */
  private readonly totals = { jobs: 0, busyCycles: 0, macs: 0, stallCycles: 0 };
  private nextId = 0;
  private nextCtx = 0;
  /** job being written (between ACQUIRE and TRIGGER) */
  private staged: { id: number; ctx: number; words: Uint32Array; t: number } | null = null;
  /** triggered jobs not yet ended+retired, in order */
  private queue: Queued[] = [];
  private timer: JobTimer | null = null;
  private running: Queued | null = null;
  private lastEnd = -Infinity;
  private lastStarted = -1;
  private finished = 0;
  private l1 = 0;
  private readonly resolve: Resolve;
  private readonly weightCache = new WeightCache();
  /** unrolled FSM steps by job words (a program runs the same jobs again: the next token, tile or run) */
  private readonly stepsCache = new Map<string, JobSteps>();
  /** the trace track, made at the first job (a run without NPU jobs has no NPU track) */
  private track: number | undefined;

  constructor(readonly ctx: DeviceContext) {
    const m = ctx.memory;
    this.resolve = (addr, len) => {
      const f = m.find(addr);
      if (!f || f.offset + len > f.region.size) return null;
      return f.region === m.l1 ? 'l1' : f.region === m.mram || f.region === m.sram ? 'wmem' : 'other';
    };
  }

  private busyJobs(t: number): number {
    let n = this.staged ? 1 : 0;
    for (const q of this.queue) if (q.end > t) n++;
    return n;
  }

  read(core: number, off: number, t: number, window: number): number {
    if (window === 1) return this.priority;
    switch (off) {
      case REG.ACQUIRE: {
        if (this.staged || this.busyJobs(t) >= 2) return ACQUIRE_FULL;
        const id = this.nextId;
        this.nextId = (this.nextId + 1) & 0xff;
        this.staged = { id, ctx: this.nextCtx, words: new Uint32Array(JOB_WORDS), t };
        this.nextCtx ^= 1;
        return id;
      }
      case REG.STATUS: {
        let s = 0;
        if (this.staged) s |= STATUS_CTX[this.staged.ctx]!;
        for (const q of this.queue) if (q.end > t) s |= STATUS_CTX[q.ctx]!;
        return s;
      }
      case REG.RUNNING_JOB:
        return this.lastStarted < 0 ? 0 : this.lastStarted;
      case REG.FINISHED:
        return this.finished | 0;
      case REG.SWSYNC:
      case REG.TRIGGER:
      case REG.SOFT_CLEAR:
        return 0;
    }
    if (off >= REG.JOB && off < REG.JOB + 4 * JOB_WORDS) return this.staged ? this.staged.words[(off - REG.JOB) >> 2]! | 0 : 0;
    return this.ctx.fault(core, `NPU: no register at 0x${(0x10200000 + NPU_WINDOW + off).toString(16)} (TRIGGER +0x0 .. SWSYNC +0x18, job registers +0x20..+0x7c)`);
  }

  write(core: number, off: number, value: number, t: number, window: number): void {
    if (window === 1) {
      this.priority = value & (PRIORITY_NPU_FIRST | 0xff);
      return;
    }
    if (off >= REG.JOB && off < REG.JOB + 4 * JOB_WORDS) {
      if (!this.staged) this.ctx.fault(core, `NPU: job register ${(off - REG.JOB) >> 2} written without an acquired job (read ACQUIRE first)`);
      this.staged!.words[(off - REG.JOB) >> 2] = value;
      return;
    }
    switch (off) {
      case REG.TRIGGER:
        return this.trigger(core, value >>> 0, t);
      case REG.SOFT_CLEAR:
        return this.softClear(t);
      case REG.SWSYNC:
        return;
    }
    this.ctx.fault(core, `NPU: register +0x${off.toString(16)} is not writable (TRIGGER +0x0, SOFT_CLEAR +0x14, job registers +0x20..+0x7c)`);
  }

  private trigger(core: number, value: number, t: number): void {
    const run = value === 0;
    const s = this.staged;
    if (!s) {
      const held = this.queue.filter((q) => q.runAt === Infinity);
      if (run && held.length) {
        for (const q of held) q.runAt = t;
        return;
      }
      this.ctx.fault(core, `NPU: TRIGGER written (${value}) without an acquired job (read ACQUIRE, write the 24 job registers, then TRIGGER)`);
    }
    let job: NpuJob;
    try {
      job = decodeJob(s!.id, s!.words, this.resolve);
    } catch (e) {
      if (e instanceof JobError) this.ctx.fault(core, e.message);
      throw e;
    }
    this.staged = null;
    if (run) for (const q of this.queue) if (q.runAt === Infinity) q.runAt = t;
    this.queue.push({ id: s!.id, ctx: s!.ctx, words: s!.words, job: job!, runAt: run ? t : Infinity, trigger: t, end: Infinity, posted: false });
  }

  private softClear(t: number): void {
    // drops the staged job, every queued job and the running one (no outputs, no event); ended jobs stay
    this.staged = null;
    if (this.running && this.running.end === Infinity) {
      this.timer = null;
      this.running = null;
    }
    this.queue = this.queue.filter((q) => q.end <= t);
    this.nextId = 0;
    this.nextCtx = 0;
  }

  /** Bank-booking cost of an L1 access of the NPU at cycle t. */
  private readonly access = (addr: number, len: number, t: number): number => {
    const banks = this.ctx.banks;
    if (banks === null) return 0;
    let wait = 0;
    for (let a = addr & ~3; a < addr + len; a += 4) {
      const w = banks.book(a, t) - t;
      if (w > wait) wait = w;
    }
    if ((this.priority & PRIORITY_NPU_FIRST) === 0 && wait > (this.priority & 0xff)) wait = this.priority & 0xff;
    return wait;
  };

  private view = (addr: number) => {
    const f = this.ctx.memory.find(addr)!;
    return { bytes: f.region.bytes, off: f.offset };
  };

  private commit(q: Queued): void {
    if (!q.writes) return;
    for (const w of q.writes) this.ctx.memory.writeBytes(w.addr, w.data);
    q.writes = undefined;
  }

  advance(t: number): void {
    if (this.timer === null && this.queue.length === 0) return; // idle: nothing to run or retire
    const until = (this.priority & PRIORITY_NPU_FIRST) !== 0 && t !== Infinity ? t + 2 * this.ctx.quantum : t;
    for (;;) {
      if (!this.timer) {
        const next = this.queue.find((q) => q.end === Infinity);
        if (!next || next.runAt === Infinity) break;
        const start = Math.max(next.runAt, this.lastEnd) + 1;
        if (start >= until) break;
        // the NPU's own order: an earlier job's outputs are in memory before this one reads its inputs
        for (const q of this.queue) if (q.end < start) this.commit(q);
        next.writes = computeJob(next.job, this.view, this.weightCache);
        this.running = next;
        this.timer = new JobTimer(next.job, this.stepsOf(next), start);
        this.lastStarted = next.id;
      }
      const tm = this.timer;
      if (!tm.run(until, this.access)) break;
      const q = this.running!;
      q.end = tm.clock;
      this.lastEnd = tm.clock;
      this.l1 += tm.l1Bytes;
      const st: NpuJobStats = { id: q.id, mode: q.job.mode, trigger: q.trigger, start: tm.start, end: tm.clock, macs: q.job.macs, busyCycles: tm.clock - tm.start, stallCycles: tm.stallCycles };
      this.jobStats.push(st);
      this.totals.jobs++;
      this.totals.busyCycles += st.busyCycles;
      this.totals.macs += st.macs;
      this.totals.stallCycles += st.stallCycles;
      const tr = this.ctx.trace;
      if (tr) tr.span((this.track ??= tr.track('NPU (N-EUREKA)')), st.start, st.end, `job ${q.id} ${q.job.mode}`, { macs: st.macs, stallCycles: st.stallCycles });
      this.timer = null;
      this.running = null;
    }
    this.retire(t);
  }

  /** The job's FSM steps: a pure function of its words (JobTimer only reads them). */
  private stepsOf(q: Queued): JobSteps {
    const key = q.words.join(',');
    let steps = this.stepsCache.get(key);
    if (steps === undefined) {
      steps = jobSteps(q.job);
      if (this.stepsCache.size >= 512) this.stepsCache.delete(this.stepsCache.keys().next().value!);
      this.stepsCache.set(key, steps);
    }
    return steps;
  }

  /** Jobs that ended at or before t: outputs in memory, event 12 raised, context free. */
  private retire(t: number): void {
    while (this.queue.length && this.queue[0]!.end <= t) {
      const q = this.queue.shift()!;
      this.commit(q);
      if (!q.posted) {
        q.posted = true;
        this.finished++;
        this.ctx.event(this.ctx.cores >= 32 ? -1 : (1 << this.ctx.cores) - 1, NPU_EVENT_LINE, q.end);
      }
    }
  }

  nextWork(): number {
    if (this.timer) return this.timer.clock;
    const q = this.queue[0];
    if (!q) return Infinity;
    if (q.end !== Infinity) return q.end;
    return q.runAt === Infinity ? Infinity : Math.max(q.runAt, this.lastEnd) + 1;
  }

  nextDue(): number {
    return Infinity; // outputs land in advance()/retire(), on the NPU clock
  }

  applyDue(t: number): void {
    void t;
  }

  engineStats(): EngineStats {
    return { ...this.totals };
  }

  l1Bytes(): number {
    return this.l1;
  }
}

export const neurekaDevice = (ctx: DeviceContext): Neureka => new Neureka(ctx);
