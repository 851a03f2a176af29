// Event unit with the pulp-sdk eu_v3 register layout (platform.md "Event unit and barriers"):
// per-core event mask / buffer, wait and wait-and-clear (p.elw sleeps the core), hardware
// barriers, the dispatch FIFO used for fork, software events. Events carry a time: a core that
// sleeps at cycle s and whose event arrives at cycle e resumes at max(s + request, e) + wake-up.
import type { ClusterTiming } from './timing.js';

export const EVT = { dma0: 8, dma1: 9, timer0: 10, timer1: 11, npu: 12, barrier: 16, mutex: 17, dispatch: 18 } as const;

// eu_v3 offsets (pulp-sdk archi/eu/eu_v3.h)
export const EU_CORE = {
  MASK: 0x00, MASK_AND: 0x04, MASK_OR: 0x08, MASK_IRQ: 0x0c, MASK_IRQ_AND: 0x10, MASK_IRQ_OR: 0x14,
  STATUS: 0x18, BUFFER: 0x1c, BUFFER_MASKED: 0x20, BUFFER_IRQ_MASKED: 0x24, BUFFER_CLEAR: 0x28,
  SW_EVENTS_MASK: 0x2c, SW_EVENTS_MASK_AND: 0x30, SW_EVENTS_MASK_OR: 0x34, EVENT_WAIT: 0x38, EVENT_WAIT_CLEAR: 0x3c,
} as const;
export const EU_BARRIER = {
  TRIGGER_MASK: 0x00, STATUS: 0x04, STATUS_SUMMARY: 0x08, TARGET_MASK: 0x0c, TRIGGER: 0x10,
  TRIGGER_SELF: 0x14, TRIGGER_WAIT: 0x18, TRIGGER_WAIT_CLEAR: 0x1c,
} as const;
export const EU_AREA = {
  coreSize: 0x40, barriers: 0x400, barrierSize: 0x20, nbBarriers: 9, swEvents: 0x600, // global view
  demuxDispatch: 0x80, demuxMutex: 0xc0, demuxSwEvents: 0x100, demuxBarriers: 0x200, // per-core view
  dispatchFifo: 0x0, dispatchTeam: 0x4, dispatchDepth: 8, swTrigger: 0x00, swTriggerWait: 0x40, swTriggerWaitClear: 0x80,
} as const;

/** Why a core sleeps (0 = awake). */
export const enum Sleep { none = 0, wait = 1, waitClear = 2, dispatch = 3 }

/** What a blocking read did: answered now (cost = request latency) or put the core to sleep. */
export interface EuHost {
  /** a sleeping core is woken: it resumes at `cycle`, its pending load returns `value` */
  wake(core: number, cycle: number, value: number): void;
  /** a simulated fault caused by `core` (the host adds the pc) */
  fault(core: number, message: string): never;
  /** the current cycle of an awake core */
  time(core: number): number;
  /** called before events of cycle t reach any core (the DMA moves the bytes due by then) */
  sync?(t: number): void;
}

export class EventUnit {
  readonly n: number;
  readonly mask: Uint32Array;
  readonly buffer: Uint32Array;
  readonly irqMask: Uint32Array;
  readonly swMask: Uint32Array;
  readonly sleep: Uint8Array;
  readonly sleepStart: Float64Array;
  /** when the core fell asleep, for trace/statistics; set by the host */
  private readonly fifo: Uint32Array;
  /** cycle each FIFO value was pushed: a core behind that cycle waits for it */
  private readonly fifoTime: Float64Array;
  private readonly fifoHead: Uint8Array;
  private readonly fifoCount: Uint8Array;
  private team = 0;
  readonly barTrigger = new Uint32Array(EU_AREA.nbBarriers);
  readonly barStatus = new Uint32Array(EU_AREA.nbBarriers);
  readonly barTarget = new Uint32Array(EU_AREA.nbBarriers);
  /** latest arrival time at each barrier: cores run a few cycles apart, so the last core to
   * arrive in simulation order is not always the one with the latest cycle count */
  private readonly barLatest = new Float64Array(EU_AREA.nbBarriers);
  /** future events (DMA completions), kept sorted by time then insertion */
  private pendTime: number[] = [];
  private pendMask: number[] = [];
  private pendEvt: number[] = [];
  barriersCompleted = 0;
  /** set by a blocking read that answered without sleeping: the host charges request latency */
  blockedRead = false;
  /** with blockedRead: the cycle the answer was ready (> the reader's cycle when it had to wait
   * for a value pushed in its future: then it sleeps and wakes as for an event) */
  readyAt = 0;

  constructor(n: number, readonly timing: ClusterTiming, readonly host: EuHost) {
    this.n = n;
    this.mask = new Uint32Array(n);
    this.buffer = new Uint32Array(n);
    this.irqMask = new Uint32Array(n);
    this.swMask = new Uint32Array(n);
    this.sleep = new Uint8Array(n);
    this.sleepStart = new Float64Array(n);
    this.fifo = new Uint32Array(n * EU_AREA.dispatchDepth);
    this.fifoTime = new Float64Array(n * EU_AREA.dispatchDepth);
    this.fifoHead = new Uint8Array(n);
    this.fifoCount = new Uint8Array(n);
  }

  private get allCores(): number {
    return this.n >= 32 ? 0xffffffff : (1 << this.n) - 1;
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Raise event `evt` at cycle t for the cores in coreMask. A core sees an event only once its
   * own clock has reached t: cores run a slice apart, and a core that is behind must not find (and
   * clear) an event from its future. Such cores, and sleeping cores that fell asleep before t, get
   * the event from the queue: the core itself on its next event-unit access at or after t
   * (deliverFor), the scheduler for sleepers once every awake core has passed t (deliverDue).
   */
  post(coreMask: number, evt: number, t: number): void {
    coreMask &= this.allCores;
    let later = 0;
    let synced = false;
    for (let c = 0, m = coreMask; m !== 0; c++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      const now = this.sleep[c] !== Sleep.none ? this.sleepStart[c]! : this.host.time(c);
      if (now < t) {
        later |= 1 << c;
        continue;
      }
      if (!synced) {
        this.host.sync?.(t);
        synced = true;
      }
      this.raise(c, evt, t);
    }
    if (later !== 0) this.enqueue(later, evt, t);
  }

  private raise(c: number, evt: number, t: number): void {
    this.buffer[c]! |= 1 << evt;
    const s = this.sleep[c]!;
    if ((s === Sleep.wait || s === Sleep.waitClear) && (this.buffer[c]! & this.mask[c]!) !== 0) this.wakeWait(c, t);
  }

  private enqueue(mask: number, evt: number, t: number): void {
    let i = this.pendTime.length;
    while (i > 0 && this.pendTime[i - 1]! > t) i--;
    this.pendTime.splice(i, 0, t);
    this.pendMask.splice(i, 0, mask);
    this.pendEvt.splice(i, 0, evt);
  }

  /** Earliest queued event, or Infinity. */
  nextPending(): number {
    return this.pendTime.length ? this.pendTime[0]! : Infinity;
  }
  hasPending(): boolean {
    return this.pendTime.length > 0;
  }

  /** Scheduler: deliver every queued event due at or before cycle t to all its cores (t is at most
   * the clock of every awake core, so each of them has reached the event). */
  deliverDue(t: number): void {
    while (this.pendTime.length && this.pendTime[0]! <= t) {
      const time = this.pendTime.shift()!;
      let m = this.pendMask.shift()!;
      const e = this.pendEvt.shift()!;
      this.host.sync?.(time);
      for (let c = 0; m !== 0; c++, m >>>= 1) if ((m & 1) !== 0) this.raise(c, e, time);
    }
  }

  /** Core c at cycle t: deliver to it the queued events it has reached. */
  private deliverFor(c: number, t: number): void {
    const bit = 1 << c;
    for (let i = 0; i < this.pendTime.length && this.pendTime[i]! <= t; i++) {
      if ((this.pendMask[i]! & bit) === 0) continue;
      this.host.sync?.(this.pendTime[i]!);
      this.pendMask[i]! &= ~bit;
      this.raise(c, this.pendEvt[i]!, this.pendTime[i]!);
      if (this.pendMask[i] === 0) {
        this.pendTime.splice(i, 1);
        this.pendMask.splice(i, 1);
        this.pendEvt.splice(i, 1);
        i--;
      }
    }
  }

  private wakeAt(c: number, tEvent: number): number {
    const s = this.sleepStart[c]! + this.timing.eventRequestLatency;
    return (s > tEvent ? s : tEvent) + this.timing.eventWakeup;
  }

  private wakeWait(c: number, tEvent: number): void {
    const v = this.buffer[c]! & this.mask[c]!;
    if (this.sleep[c] === Sleep.waitClear) this.buffer[c]! &= ~this.mask[c]!;
    this.sleep[c] = Sleep.none;
    this.host.wake(c, this.wakeAt(c, tEvent), v >>> 0);
  }

  /** A blocking wait by core c at cycle t: answers now, or sleeps (returns 0 and sets sleep). */
  private wait(c: number, t: number, clear: boolean): number {
    const v = this.buffer[c]! & this.mask[c]!;
    if (v !== 0) {
      if (clear) this.buffer[c]! &= ~this.mask[c]!;
      this.blockedRead = true;
      return v >>> 0;
    }
    this.sleep[c] = clear ? Sleep.waitClear : Sleep.wait;
    this.sleepStart[c] = t;
    return 0;
  }

  // ---- barriers ------------------------------------------------------------------------------

  private trigger(b: number, cores: number, t: number): void {
    this.barStatus[b]! |= cores;
    if (t > this.barLatest[b]!) this.barLatest[b] = t;
    const m = this.barTrigger[b]!;
    if (m !== 0 && (this.barStatus[b]! & m) === m) {
      const at = this.barLatest[b]!;
      this.barStatus[b] = 0;
      this.barLatest[b] = 0;
      this.barriersCompleted++;
      // released at the latest arrival; a core behind that time sees it as a future event
      this.post(this.barTarget[b]!, EVT.barrier, at);
    }
  }

  private barrierRead(c: number, b: number, reg: number, t: number): number {
    if (b >= EU_AREA.nbBarriers) this.host.fault(c, `event unit: no hardware barrier ${b} (there are ${EU_AREA.nbBarriers})`);
    switch (reg) {
      case EU_BARRIER.TRIGGER_MASK: return this.barTrigger[b]!;
      case EU_BARRIER.STATUS: case EU_BARRIER.STATUS_SUMMARY: return this.barStatus[b]!;
      case EU_BARRIER.TARGET_MASK: return this.barTarget[b]!;
      case EU_BARRIER.TRIGGER_SELF: this.trigger(b, 1 << c, t); return 0;
      case EU_BARRIER.TRIGGER_WAIT: this.trigger(b, 1 << c, t); return this.wait(c, t, false);
      case EU_BARRIER.TRIGGER_WAIT_CLEAR: this.trigger(b, 1 << c, t); return this.wait(c, t, true);
    }
    return this.host.fault(c, `event unit: barrier ${b} has no readable register at +0x${reg.toString(16)}`);
  }

  private barrierWrite(c: number, b: number, reg: number, v: number, t: number): void {
    if (b >= EU_AREA.nbBarriers) this.host.fault(c, `event unit: no hardware barrier ${b} (there are ${EU_AREA.nbBarriers})`);
    switch (reg) {
      case EU_BARRIER.TRIGGER_MASK: this.barTrigger[b] = v & this.allCores; return;
      case EU_BARRIER.TARGET_MASK: this.barTarget[b] = v & this.allCores; return;
      case EU_BARRIER.TRIGGER: this.trigger(b, v & this.allCores, t); return;
    }
    this.host.fault(c, `event unit: barrier ${b} has no writable register at +0x${reg.toString(16)}`);
  }

  // ---- per-core registers --------------------------------------------------------------------

  private coreRead(c: number, target: number, reg: number, t: number): number {
    switch (reg) {
      case EU_CORE.MASK: return this.mask[target]!;
      case EU_CORE.MASK_IRQ: return this.irqMask[target]!;
      case EU_CORE.STATUS: return this.sleep[target] === Sleep.none ? 1 : 0;
      case EU_CORE.BUFFER: return this.buffer[target]!;
      case EU_CORE.BUFFER_MASKED: return (this.buffer[target]! & this.mask[target]!) >>> 0;
      case EU_CORE.BUFFER_IRQ_MASKED: return (this.buffer[target]! & this.irqMask[target]!) >>> 0;
      case EU_CORE.SW_EVENTS_MASK: return this.swMask[target]!;
      case EU_CORE.EVENT_WAIT: case EU_CORE.EVENT_WAIT_CLEAR:
        if (target !== c) this.host.fault(c, `event unit: core ${c} cannot wait on core ${target}'s event register`);
        return this.wait(c, t, reg === EU_CORE.EVENT_WAIT_CLEAR);
      case EU_CORE.MASK_AND: case EU_CORE.MASK_OR: case EU_CORE.MASK_IRQ_AND: case EU_CORE.MASK_IRQ_OR:
      case EU_CORE.BUFFER_CLEAR: case EU_CORE.SW_EVENTS_MASK_AND: case EU_CORE.SW_EVENTS_MASK_OR:
        return 0; // write-only
    }
    return this.host.fault(c, `event unit: no core register at +0x${reg.toString(16)}`);
  }

  private coreWrite(c: number, target: number, reg: number, v: number): void {
    switch (reg) {
      case EU_CORE.MASK: this.mask[target] = v; return;
      case EU_CORE.MASK_AND: this.mask[target]! &= ~v; return;
      case EU_CORE.MASK_OR: this.mask[target]! |= v; return;
      case EU_CORE.MASK_IRQ: this.irqMask[target] = v; return;
      case EU_CORE.MASK_IRQ_AND: this.irqMask[target]! &= ~v; return;
      case EU_CORE.MASK_IRQ_OR: this.irqMask[target]! |= v; return;
      case EU_CORE.BUFFER_CLEAR: this.buffer[target]! &= ~v; return;
      case EU_CORE.SW_EVENTS_MASK: this.swMask[target] = v; return;
      case EU_CORE.SW_EVENTS_MASK_AND: this.swMask[target]! &= ~v; return;
      case EU_CORE.SW_EVENTS_MASK_OR: this.swMask[target]! |= v; return;
    }
    this.host.fault(c, `event unit: core register +0x${reg.toString(16)} is not writable`);
  }

  // ---- dispatch FIFO (fork) ------------------------------------------------------------------

  private dispatchPush(c: number, v: number, t: number): void {
    const depth = EU_AREA.dispatchDepth;
    let team = this.team & this.allCores;
    if (team === 0) this.host.fault(c, 'event unit: dispatch FIFO written with an empty team (write TEAM_CONFIG first)');
    for (let k = 0; team !== 0; k++, team >>>= 1) {
      if ((team & 1) === 0) continue;
      if (this.sleep[k] === Sleep.dispatch) {
        this.sleep[k] = Sleep.none;
        this.host.wake(k, this.wakeAt(k, t), v >>> 0);
        continue;
      }
      if (this.fifoCount[k]! >= depth) this.host.fault(c, `event unit: dispatch FIFO of core ${k} is full (${depth} values not yet read)`);
      const slot = k * depth + ((this.fifoHead[k]! + this.fifoCount[k]!) % depth);
      this.fifo[slot] = v;
      this.fifoTime[slot] = t;
      this.fifoCount[k]!++;
    }
  }

  private dispatchPop(c: number, t: number): number {
    if (this.fifoCount[c]! > 0) {
      const depth = EU_AREA.dispatchDepth;
      const slot = c * depth + this.fifoHead[c]!;
      const v = this.fifo[slot]!;
      this.fifoHead[c] = (this.fifoHead[c]! + 1) % depth;
      this.fifoCount[c]!--;
      this.blockedRead = true;
      const pushed = this.fifoTime[slot]!;
      if (pushed > t) {
        this.sleepStart[c] = t; // as if it had slept until the push
        this.readyAt = this.wakeAt(c, pushed);
      }
      return v;
    }
    this.sleep[c] = Sleep.dispatch;
    this.sleepStart[c] = t;
    return 0;
  }

  // ---- the two views -------------------------------------------------------------------------

  /** Read from the per-core (demux) view at offset off by core c at cycle t. */
  readDemux(c: number, off: number, t: number): number {
    this.deliverFor(c, t);
    if (off < EU_AREA.coreSize) return this.coreRead(c, c, off, t);
    if (off === EU_AREA.demuxDispatch + EU_AREA.dispatchFifo) return this.dispatchPop(c, t);
    if (off === EU_AREA.demuxDispatch + EU_AREA.dispatchTeam) return this.team;
    if (off >= EU_AREA.demuxSwEvents && off < EU_AREA.demuxBarriers) {
      const rel = off - EU_AREA.demuxSwEvents;
      const e = (rel & 0x3f) >> 2;
      const kind = rel & ~0x3f;
      if (e < 8 && (kind === EU_AREA.swTriggerWait || kind === EU_AREA.swTriggerWaitClear)) {
        this.post(this.swMask[c]!, e, t);
        return this.wait(c, t, kind === EU_AREA.swTriggerWaitClear);
      }
    }
    if (off >= EU_AREA.demuxBarriers && off < EU_AREA.demuxBarriers + 0x200) {
      const rel = off - EU_AREA.demuxBarriers;
      return this.barrierRead(c, rel >> 5, rel & 0x1f, t);
    }
    return this.host.fault(c, `event unit (per-core view): no readable register at +0x${off.toString(16)}`);
  }

  writeDemux(c: number, off: number, v: number, t: number): void {
    this.deliverFor(c, t);
    v >>>= 0;
    if (off < EU_AREA.coreSize) return this.coreWrite(c, c, off, v);
    if (off === EU_AREA.demuxDispatch + EU_AREA.dispatchFifo) return this.dispatchPush(c, v, t);
    if (off === EU_AREA.demuxDispatch + EU_AREA.dispatchTeam) {
      this.team = v;
      return;
    }
    if (off >= EU_AREA.demuxSwEvents && off < EU_AREA.demuxSwEvents + 0x20) {
      this.post(v, (off - EU_AREA.demuxSwEvents) >> 2, t);
      return;
    }
    if (off >= EU_AREA.demuxBarriers && off < EU_AREA.demuxBarriers + 0x200) {
      const rel = off - EU_AREA.demuxBarriers;
      return this.barrierWrite(c, rel >> 5, rel & 0x1f, v, t);
    }
    this.host.fault(c, `event unit (per-core view): no writable register at +0x${off.toString(16)}`);
  }

  /** Global view (cluster peripherals + 0x800). */
  readGlobal(c: number, off: number, t: number): number {
    this.deliverFor(c, t);
    if (off < EU_AREA.barriers) {
      const target = off >> 6;
      if (target >= this.n) this.host.fault(c, `event unit: no core ${target} (cluster has ${this.n})`);
      return this.coreRead(c, target, off & 0x3f, t);
    }
    if (off < EU_AREA.swEvents) {
      const rel = off - EU_AREA.barriers;
      return this.barrierRead(c, rel >> 5, rel & 0x1f, t);
    }
    return this.host.fault(c, `event unit: no readable register at +0x${off.toString(16)}`);
  }

  writeGlobal(c: number, off: number, v: number, t: number): void {
    this.deliverFor(c, t);
    v >>>= 0;
    if (off < EU_AREA.barriers) {
      const target = off >> 6;
      if (target >= this.n) this.host.fault(c, `event unit: no core ${target} (cluster has ${this.n})`);
      return this.coreWrite(c, target, off & 0x3f, v);
    }
    if (off < EU_AREA.swEvents) {
      const rel = off - EU_AREA.barriers;
      return this.barrierWrite(c, rel >> 5, rel & 0x1f, v, t);
    }
    if (off >= EU_AREA.swEvents && off < EU_AREA.swEvents + 0x20) {
      this.post(v, (off - EU_AREA.swEvents) >> 2, t);
      return;
    }
    this.host.fault(c, `event unit: no writable register at +0x${off.toString(16)}`);
  }
}
