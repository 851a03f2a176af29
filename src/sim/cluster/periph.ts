// The cluster peripheral region (platform.md memory map) as one memory-mapped device: it routes
// accesses to the timer, the event unit (global view and per-core demux) and the attached devices
// (MCHAN, the NPU, ...: anything implementing ClusterDevice, device.ts), charges their timing to
// the accessing core, and turns a blocking event-unit read into a sleeping core. Anything else in
// the region is a simulated fault.
import { BLOCK, type Block, type Device } from '../memory.js';
import type { EventUnit } from './event-unit.js';
import type { ClusterDevice } from './device.js';
import type { ClusterTiming } from './timing.js';

/** Offsets inside the cluster peripheral region (base 0x10200000). */
export const PERIPH = {
  ctrl: 0x0000, timer: 0x0400, eu: 0x0800, euSize: 0x0800, npu: 0x1000, icache: 0x1400, mchan: 0x1800, mchanSize: 0x400,
  demux: 0x4000, demuxEu: 0x4000, demuxEuSize: 0x400, demuxMchan: 0x4400, demuxMchanSize: 0x400,
} as const;

// pulp timer_unit offsets (cluster timer): only the counter is modelled, always running.
const TIMER = { CFG_LO: 0x0, CFG_HI: 0x4, CNT_LO: 0x8, CNT_HI: 0xc, CMP_LO: 0x10, CMP_HI: 0x14, START_LO: 0x18, START_HI: 0x1c, RESET_LO: 0x20, RESET_HI: 0x24 } as const;

/** What the peripherals need from the cores: the current cycle, a way to add cycles, the pc. */
export interface CoreClock {
  cycle(core: number): number;
  /** add stall cycles of `cause` to core */
  stall(core: number, cycles: number, cause: 'event' | 'dma' | 'sleep'): void;
  fault(core: number, message: string): never;
}

export class ClusterPeripherals implements Device {
  /** a woken core retries its blocked load: it gets the value the event unit delivered */
  private readonly wakeValue: Uint32Array;
  private readonly hasWake: Uint8Array;
  private timerBase = 0;
  private readonly timerRegs = new Uint32Array(10);

  readonly devices: readonly ClusterDevice[];
  /** per device window: start offset, end offset, device index, window index (flat, for the lookup) */
  private readonly winStart: number[] = [];
  private readonly winEnd: number[] = [];
  private readonly winDev: number[] = [];
  private readonly winIdx: number[] = [];

  constructor(readonly n: number, readonly timing: ClusterTiming, readonly eu: EventUnit, devices: ClusterDevice | readonly ClusterDevice[], readonly clock: CoreClock) {
    this.wakeValue = new Uint32Array(n);
    this.hasWake = new Uint8Array(n);
    this.devices = Array.isArray(devices) ? devices : [devices as ClusterDevice];
    this.devices.forEach((d, k) =>
      d.windows.forEach(([off, size], w) => {
        this.winStart.push(off);
        this.winEnd.push(off + size);
        this.winDev.push(k);
        this.winIdx.push(w);
      }),
    );
  }

  /** The window of an attached device holding offset, or -1. */
  private window(offset: number): number {
    for (let i = 0; i < this.winStart.length; i++) if (offset >= this.winStart[i]! && offset < this.winEnd[i]!) return i;
    return -1;
  }

  /** Bring every device up to cycle t before a core observes it through a register. */
  private sync(t: number): void {
    const devices = this.devices;
    for (let k = 0; k < devices.length; k++) {
      devices[k]!.advance?.(t);
      devices[k]!.applyDue(t);
    }
  }

  /** Called when the event unit wakes core c: its retried load returns v. */
  delivered(c: number, v: number): void {
    this.wakeValue[c] = v;
    this.hasWake[c] = 1;
  }

  private check(c: number, offset: number, size: number): void {
    if (size !== 4 || (offset & 3) !== 0)
      this.clock.fault(c, `cluster peripheral register at 0x${(0x10200000 + offset).toString(16)} accessed with a ${size}-byte access (registers are 32-bit, aligned)`);
  }

  private extra(c: number, t: number): void {
    if (this.eu.blockedRead) {
      this.eu.blockedRead = false;
      let k = this.timing.eventRequestLatency - 1;
      if (this.eu.readyAt > t) {
        // the value was pushed in this core's future: it sleeps until then (t includes the load's 1 cycle)
        k = this.eu.readyAt - t;
        this.eu.readyAt = 0;
        this.clock.stall(c, k, 'sleep');
        return;
      }
      this.clock.stall(c, k, 'event');
    }
  }

  read(c: number, offset: number, size: 1 | 2 | 4): number | Block {
    if (this.hasWake[c]) {
      this.hasWake[c] = 0;
      return this.wakeValue[c]! | 0;
    }
    this.check(c, offset, size);
    const t = this.clock.cycle(c);
    this.sync(t); // what the core learns from a register (status, events) matches memory
    let v: number;
    let w: number;
    if (offset >= PERIPH.demuxEu && offset < PERIPH.demuxEu + PERIPH.demuxEuSize) {
      v = this.eu.readDemux(c, offset - PERIPH.demuxEu, t);
    } else if (offset >= PERIPH.eu && offset < PERIPH.eu + PERIPH.euSize) {
      v = this.eu.readGlobal(c, offset - PERIPH.eu, t);
    } else if ((w = this.window(offset)) >= 0) {
      v = this.devices[this.winDev[w]!]!.read(c, offset - this.winStart[w]!, t, this.winIdx[w]!);
    } else if (offset >= PERIPH.timer && offset < PERIPH.timer + 0x28) {
      v = this.timerRead(offset - PERIPH.timer, t);
    } else {
      return this.clock.fault(c, this.noDevice(offset));
    }
    if (this.eu.sleep[c] !== 0) return BLOCK;
    this.extra(c, t);
    return v | 0;
  }

  write(c: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.check(c, offset, size);
    const t = this.clock.cycle(c);
    this.sync(t);
    let w: number;
    if (offset >= PERIPH.demuxEu && offset < PERIPH.demuxEu + PERIPH.demuxEuSize) {
      this.eu.writeDemux(c, offset - PERIPH.demuxEu, value, t);
    } else if (offset >= PERIPH.eu && offset < PERIPH.eu + PERIPH.euSize) {
      this.eu.writeGlobal(c, offset - PERIPH.eu, value, t);
    } else if ((w = this.window(offset)) >= 0) {
      const d = this.devices[this.winDev[w]!]!;
      d.stall = 0;
      d.write(c, offset - this.winStart[w]!, value, t, this.winIdx[w]!);
      if (d.stall > 0) this.clock.stall(c, d.stall, 'dma');
    } else if (offset >= PERIPH.timer && offset < PERIPH.timer + 0x28) {
      this.timerWrite(offset - PERIPH.timer, value, t);
    } else {
      this.clock.fault(c, this.noDevice(offset));
    }
  }

  private timerRead(off: number, t: number): number {
    const cnt = t - this.timerBase;
    if (off === TIMER.CNT_LO) return cnt % 0x100000000;
    if (off === TIMER.CNT_HI) return Math.floor(cnt / 0x100000000);
    return this.timerRegs[off >> 2]!;
  }
  private timerWrite(off: number, v: number, t: number): void {
    if (off === TIMER.RESET_LO || off === TIMER.RESET_HI) this.timerBase = t;
    this.timerRegs[off >> 2] = v;
  }

  private noDevice(offset: number): string {
    const addr = '0x' + (0x10200000 + offset).toString(16);
    const names: [number, number, string][] = [
      [PERIPH.ctrl, 0x400, 'cluster control unit'], [PERIPH.npu, 0x400, 'NPU'], [PERIPH.icache, 0x400, 'icache controller'],
    ];
    for (const [b, s, n] of names) if (offset >= b && offset < b + s) return `no modelled register at ${addr} (${n}, not modelled by the cluster)`;
    return `no peripheral register at ${addr} (cluster peripherals: timer +0x400, event unit +0x800, MCHAN +0x1800, demux 0x10204000)`;
  }
}
