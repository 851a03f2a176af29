// Unit tests of the cluster blocks on their own (no core): event unit, DMA engine, bank
// arbitration, trace writer, energy table. Expected values are derived by hand from timing.ts.
import { describe, expect, it } from 'vitest';
import { BankTracker } from '../../src/sim/cluster/banks.js';
import { EventUnit, EVT, EU_CORE, EU_BARRIER, EU_AREA, Sleep } from '../../src/sim/cluster/event-unit.js';
import { Mchan, MCHAN, Level, type DmaMemory } from '../../src/sim/cluster/dma.js';
import { clusterTiming as T } from '../../src/sim/cluster/timing.js';
import { TraceWriter, DMA_TID } from '../../src/sim/cluster/trace.js';
import { ClusterPeripherals, PERIPH } from '../../src/sim/cluster/periph.js';
import { energyTable, estimateEnergy } from '../../src/sim/energy.js';

class Fault extends Error {}
function euHarness(n = 8) {
  const woken: [number, number, number][] = [];
  const times = new Float64Array(n); // the awake cores' clocks
  const eu = new EventUnit(n, T, {
    wake: (c, t, v) => void woken.push([c, t, v]),
    fault: (c, m) => {
      throw new Fault(`core ${c}: ${m}`);
    },
    time: (c) => times[c]!,
  });
  return { eu, woken, times };
}

describe('bank tracker', () => {
  it('serialises same-bank accesses in one cycle, +1 per conflict', () => {
    const b = new BankTracker(16);
    expect(b.access(0x10000000, 10)).toBe(0);
    expect(b.access(0x10000040, 10)).toBe(1); // same bank 0 (0x40 >> 2 = 16 -> bank 0)
    expect(b.access(0x10000080, 10)).toBe(2);
    expect(b.access(0x10000004, 10)).toBe(0); // bank 1 is free
    expect(b.access(0x10000000, 11)).toBe(2); // cycles 11 and 12 are booked on bank 0
    expect(b.conflicts).toBe(3);
    expect(b.conflictCycles).toBe(1 + 2 + 2);
    expect(b.book(0x10000000, 11)).toBe(14); // 11, 12, 13 now taken
  });
  it('a later booking does not delay an earlier access (cores run a few cycles apart)', () => {
    const b = new BankTracker(16);
    expect(b.access(0, 20)).toBe(0);
    expect(b.access(0, 19)).toBe(0);
    expect(b.access(0, 19)).toBe(2); // 19 and 20 are taken
  });
});

describe('event unit', () => {
  it('wait-and-clear sleeps until a masked event and wakes at max(s + 6, e) + 2', () => {
    const { eu, woken } = euHarness();
    eu.writeDemux(1, EU_CORE.MASK_OR, 1 << EVT.dma0, 0);
    expect(eu.readDemux(1, EU_CORE.EVENT_WAIT_CLEAR, 100)).toBe(0);
    expect(eu.sleep[1]).toBe(Sleep.waitClear);
    eu.post(0b10, EVT.barrier, 150); // not in the mask
    eu.post(0b10, EVT.dma0, 103);
    expect(woken).toEqual([]); // events after the core fell asleep reach it through the scheduler
    eu.deliverDue(103);
    expect(woken).toEqual([[1, 100 + 6 + 2, 1 << EVT.dma0]]);
    expect(eu.buffer[1]).toBe(0); // the masked bit was cleared
    eu.deliverDue(150);
    expect(eu.buffer[1]).toBe(1 << EVT.barrier); // unmasked: buffered, no wake-up
    eu.readDemux(1, EU_CORE.EVENT_WAIT_CLEAR, 200);
    eu.post(0b10, EVT.dma0, 300);
    eu.deliverDue(300);
    expect(woken[1]).toEqual([1, 302, 1 << EVT.dma0]);
  });
  it('a core behind the event time does not see it yet (no early wake-up, no lost one)', () => {
    const { eu, times } = euHarness();
    eu.writeDemux(0, EU_CORE.MASK, 1 << EVT.dma0, 0);
    times[0] = 100;
    eu.post(1, EVT.dma0, 200); // e.g. a DMA completion at 200, core 0 at 100
    expect(eu.readDemux(0, EU_CORE.BUFFER, 150)).toBe(0);
    expect(eu.readDemux(0, EU_CORE.BUFFER, 200)).toBe(1 << EVT.dma0);
  });
  it('an event already buffered answers without sleeping', () => {
    const { eu } = euHarness();
    eu.writeDemux(2, EU_CORE.MASK, 1 << 3, 0);
    eu.writeGlobal(0, EU_AREA.swEvents + 3 * 4, 1 << 2, 5); // sw event 3 to core 2
    eu.blockedRead = false;
    expect(eu.readDemux(2, EU_CORE.EVENT_WAIT_CLEAR, 10)).toBe(1 << 3);
    expect(eu.blockedRead).toBe(true);
    expect(eu.sleep[2]).toBe(Sleep.none);
    expect(eu.buffer[2]).toBe(0);
  });
  it('future events are delivered when due', () => {
    const { eu, woken } = euHarness();
    eu.writeDemux(0, EU_CORE.MASK, 1 << EVT.dma0, 0);
    eu.post(1, EVT.dma0, 500);
    expect(eu.nextPending()).toBe(500);
    expect(eu.readDemux(0, EU_CORE.BUFFER, 499)).toBe(0);
    eu.readDemux(0, EU_CORE.EVENT_WAIT_CLEAR, 499);
    eu.deliverDue(500);
    expect(woken).toEqual([[0, Math.max(499 + 6, 500) + 2, 1 << EVT.dma0]]);
  });
  it('hardware barrier: the last arrival wakes everyone in the target mask', () => {
    const { eu, woken, times } = euHarness();
    const bar = (b: number, r: number) => EU_AREA.barriers + b * EU_AREA.barrierSize + r;
    eu.writeGlobal(0, bar(0, EU_BARRIER.TRIGGER_MASK), 0b111, 0);
    eu.writeGlobal(0, bar(0, EU_BARRIER.TARGET_MASK), 0b111, 0);
    for (let c = 0; c < 3; c++) eu.writeDemux(c, EU_CORE.MASK_OR, 1 << EVT.barrier, 0);
    const wc = EU_AREA.demuxBarriers + EU_BARRIER.TRIGGER_WAIT_CLEAR;
    expect(eu.readDemux(1, wc, 10)).toBe(0);
    expect(eu.readDemux(2, wc, 40)).toBe(0);
    expect(eu.readGlobal(0, bar(0, EU_BARRIER.STATUS), 41)).toBe(0b110);
    eu.blockedRead = false;
    times[0] = 50;
    expect(eu.readDemux(0, wc, 50)).toBe(1 << EVT.barrier); // completes it, answers at once
    expect(eu.blockedRead).toBe(true);
    eu.deliverDue(50); // the sleepers get it once every awake core has reached cycle 50
    expect(woken).toEqual([[1, 52, 1 << EVT.barrier], [2, 52, 1 << EVT.barrier]]);
    expect(eu.barStatus[0]).toBe(0);
    expect(eu.barriersCompleted).toBe(1);
  });
  it('dispatch FIFO: values go to the team, a reader sleeps until one arrives', () => {
    const { eu, woken } = euHarness();
    const fifo = EU_AREA.demuxDispatch + EU_AREA.dispatchFifo;
    expect(eu.readDemux(3, fifo, 5)).toBe(0);
    expect(eu.sleep[3]).toBe(Sleep.dispatch);
    eu.writeDemux(0, EU_AREA.demuxDispatch + EU_AREA.dispatchTeam, 0b1010, 20);
    eu.writeDemux(0, fifo, 0xabc, 20);
    eu.writeDemux(0, fifo, 0xdef, 21);
    expect(woken).toEqual([[3, 22, 0xabc]]);
    expect(eu.readDemux(3, fifo, 30)).toBe(0xdef);
    expect(eu.readDemux(1, fifo, 30)).toBe(0xabc);
    expect(eu.readDemux(1, fifo, 31)).toBe(0xdef);
    // a reader behind the push gets the value as if it had slept until then: max(s + 6, push) + 2
    eu.writeDemux(0, fifo, 0x123, 100);
    eu.readyAt = 0;
    expect(eu.readDemux(1, fifo, 90)).toBe(0x123);
    expect(eu.readyAt).toBe(Math.max(90 + 6, 100) + 2);
  });
  it('registers that do not exist fault with the offset', () => {
    const { eu } = euHarness();
    expect(() => eu.readDemux(0, 0x200 + 9 * 0x20, 0)).toThrow(/no hardware barrier 9/);
    expect(() => eu.readGlobal(0, 0x7f0, 0)).toThrow(/no readable register at \+0x7f0/);
    expect(() => eu.writeDemux(0, 0xc0, 1, 0)).toThrow(/no writable register/);
  });
});

function dmaHarness() {
  const l1 = new Uint8Array(256 * 1024);
  const l2 = new Uint8Array(2 * 1024 * 1024);
  const mem: DmaMemory = {
    resolve(a, n) {
      if (a >= 0x10000000 && a + n <= 0x10000000 + l1.length) return { bytes: l1, offset: a - 0x10000000, level: Level.l1 };
      if (a >= 0x1c000000 && a + n <= 0x1c000000 + l2.length) return { bytes: l2, offset: a - 0x1c000000, level: Level.l2 };
      return null;
    },
  };
  const events: [number, number][] = [];
  const dma = new Mchan(8, T, mem, {
    event: (c, t) => void events.push([c, t]),
    fault: (c, m) => {
      throw new Fault(`core ${c}: ${m}`);
    },
  });
  const push = (core: number, t: number, words: number[]) => {
    const id = dma.read(core, MCHAN.CMD, t);
    for (const w of words) dma.write(core, MCHAN.CMD, w, t);
    return id;
  };
  return { l1, l2, dma, events, push };
}

describe('MCHAN DMA', () => {
  it('1D L2 -> L1 copy is bit-exact; timing = setup + latency + bytes/8 (one burst of 256 B)', () => {
    const h = dmaHarness();
    for (let i = 0; i < 256; i++) h.l2[0x100 + i] = (i * 7 + 3) & 0xff;
    const cmd = 256 | MCHAN.EXT2LOC | MCHAN.INC | MCHAN.EVT;
    const id = h.push(2, 1000, [cmd, 0x10000010, 0x1c000100]);
    expect(id).toBe(0);
    const end = 1000 + T.dmaSetupCycles + T.dmaL2Latency + 256 / T.dmaBytesPerCycle;
    h.dma.applyDue(end - 1); // the bytes move at completion, not before
    expect(h.l1.subarray(0x10, 0x110).every((b) => b === 0)).toBe(true);
    h.dma.applyDue(end);
    expect(Array.from(h.l1.subarray(0x10, 0x110))).toEqual(Array.from(h.l2.subarray(0x100, 0x200)));
    expect(h.events).toEqual([[2, end]]);
    expect(h.dma.status(end - 1)).toBe(1);
    expect(h.dma.status(end)).toBe(0);
    h.dma.write(2, MCHAN.STATUS, 1 << id, end);
    expect(h.push(2, end, [cmd, 0x10000010, 0x1c000100])).toBe(0); // freed channel is reused
  });
  it('64 KiB runs at 8 B/cycle: bursts pipeline behind 8 outstanding requests', () => {
    const h = dmaHarness();
    h.push(0, 0, [65536 | MCHAN.EXT2LOC | MCHAN.INC | MCHAN.EVT, 0x10000000, 0x1c000000]);
    expect(h.events[0]![1]).toBe(T.dmaSetupCycles + T.dmaL2Latency + 65536 / 8);
  });
  it('2D: rows from a strided external side land contiguous in L1, and back', () => {
    const h = dmaHarness();
    for (let i = 0; i < 4096; i++) h.l2[i] = (i * 13) & 0xff;
    const cmd = 60 | MCHAN.EXT2LOC | MCHAN.INC | MCHAN.TWO_D_EXT | MCHAN.EVT; // 3 full rows of 16 + 12
    h.push(0, 0, [cmd, 0x10000100, 0x1c000008, 16, 100]);
    h.dma.applyDue(Infinity);
    const want: number[] = [];
    for (let r = 0; r < 4; r++) for (let i = 0; i < (r < 3 ? 16 : 12); i++) want.push(h.l2[8 + r * 100 + i]!);
    expect(Array.from(h.l1.subarray(0x100, 0x100 + 60))).toEqual(want);
    h.l2.fill(0);
    h.push(0, 10, [60 | MCHAN.INC | MCHAN.TWO_D_EXT, 0x10000100, 0x1c000008, 16, 100]);
    h.dma.applyDue(Infinity);
    for (let r = 0; r < 4; r++) for (let i = 0; i < (r < 3 ? 16 : 12); i++) expect(h.l2[8 + r * 100 + i]).toBe(want[r * 16 + i]);
    expect(h.l2[8 + 16]).toBe(0);
  });
  it('rejects length 0, unmapped memory and unsupported modes with a clear fault', () => {
    const h = dmaHarness();
    expect(() => h.push(0, 0, [0 | MCHAN.INC, 0x10000000, 0x1c000000])).toThrow(/length 0/);
    const h2 = dmaHarness();
    expect(() => h2.push(0, 0, [16 | MCHAN.INC | MCHAN.EXT2LOC, 0x10000000, 0x30000000])).toThrow(/not in L2 or weight memory/);
    const h3 = dmaHarness();
    expect(() => h3.push(0, 0, [16 | MCHAN.INC | MCHAN.TWO_D_TCDM, 0x10000000, 0x1c000000])).toThrow(/unsupported mode 2D_TCDM/);
    const h4 = dmaHarness();
    expect(() => h4.push(0, 0, [16 | MCHAN.INC | MCHAN.BCAST, 0x10000000, 0x1c000000])).toThrow(/BCAST/);
    const h5 = dmaHarness();
    expect(() => h5.dma.read(0, 0x8, 0)).toThrow(/no register at \+0x8/);
  });
  it('a core has 2 commands in flight at most: its 3rd waits for its 1st to complete', () => {
    const h = dmaHarness();
    const cmd = 256 | MCHAN.EXT2LOC | MCHAN.INC;
    h.push(0, 0, [cmd, 0x10000000, 0x1c000000]);
    h.push(0, 0, [cmd, 0x10000100, 0x1c000100]);
    expect(h.dma.stall).toBe(0);
    h.push(0, 0, [cmd, 0x10000200, 0x1c000200]);
    // 1st: setup 1 + latency 14 + 32 beats = 47; the 2nd shares the port and ends at 79
    expect(h.dma.stall).toBe(T.dmaSetupCycles + T.dmaL2Latency + 256 / T.dmaBytesPerCycle);
    h.push(1, 0, [cmd, 0x10000300, 0x1c000300]); // another core is not held up
    expect(h.dma.stall).toBe(0);
  });
  it('the global queue holds 8 commands: the 9th waits for the oldest', () => {
    const h = dmaHarness();
    const cmd = 8 | MCHAN.EXT2LOC | MCHAN.INC;
    for (let c = 0; c < 8; c++) h.push(c, 0, [cmd, 0x10000000 + 8 * c, 0x1c000000]);
    expect(h.dma.stall).toBe(0);
    // all 8 share the ext->loc port: first ends at 1+14+1=16, then one cycle each
    h.push(0, 0, [cmd, 0x10000100, 0x1c000000]);
    expect(h.dma.stall).toBeGreaterThan(0);
  });
});

describe('cluster timer', () => {
  it('counts cycles since reset, and restarts on a RESET write', () => {
    let now = 0;
    const eu = euHarness().eu;
    const p = new ClusterPeripherals(8, T, eu, dmaHarness().dma, {
      cycle: () => now,
      stall: () => {},
      fault: (c, m) => {
        throw new Fault(m);
      },
    });
    now = 1234;
    expect(p.read(0, PERIPH.timer + 0x8, 4)).toBe(1234);
    p.write(0, PERIPH.timer + 0x20, 4, 1);
    now = 1300;
    expect(p.read(3, PERIPH.timer + 0x8, 4)).toBe(66);
    expect(() => p.read(0, PERIPH.timer + 0x8, 2)).toThrow(/2-byte access/);
    expect(() => p.read(0, PERIPH.ctrl, 4)).toThrow(/cluster control unit, not modelled/);
  });
});

describe('trace writer', () => {
  it('merges touching spans, folds short stalls, has one track per core and one for the DMA', () => {
    const tw = new TraceWriter(2, 8);
    tw.core(0, 'busy', 0, 10);
    tw.core(0, 'stall', 10, 12, 'l2'); // short: folded into busy
    tw.core(0, 'busy', 12, 20);
    tw.core(0, 'sleep', 20, 100);
    tw.core(1, 'stall', 0, 50, 'dma-queue');
    tw.dma(5, 40, 'L2->L1 1D', { bytes: 256 });
    const j = JSON.parse(JSON.stringify(tw.toJSON())) as { traceEvents: { ph: string; tid: number; name: string; ts?: number; dur?: number }[] };
    const x = j.traceEvents.filter((e) => e.ph === 'X');
    expect(x.filter((e) => e.tid === 0).map((e) => [e.name, e.ts, e.dur])).toEqual([['busy', 0, 20], ['sleep', 20, 80]]);
    expect(x.filter((e) => e.tid === 1).map((e) => e.name)).toEqual(['stall']);
    expect(x.filter((e) => e.tid === DMA_TID).length).toBe(1);
    const names = j.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.tid);
    expect(names).toEqual([0, 1, DMA_TID]);
    const tw2 = new TraceWriter(1);
    const npu = tw2.track('NPU');
    tw2.span(npu, 10, 30, 'conv', { layer: 3 });
    const j2 = tw2.toJSON() as { traceEvents: { ph: string; tid: number; name: string; args?: { name?: string } }[] };
    expect(j2.traceEvents.find((e) => e.name === 'thread_name' && e.tid === npu)!.args!.name).toBe('NPU');
    expect(j2.traceEvents.filter((e) => e.ph === 'X' && e.tid === npu).length).toBe(1);
  });
});

describe('energy', () => {
  it('every entry names its source and status; the estimate is the sum of count x energy', () => {
    for (const e of Object.values(energyTable)) {
      expect(e.source.length).toBeGreaterThan(10);
      expect(['placeholder', 'derived', 'assumption', 'calibrated']).toContain(e.status);
    }
    const r = estimateEnergy({ cycles: 0, cores: 8, instrAlu: 1e6, instrMulMac: 0, instrLoadStore: 0, l1Bytes: 4e6, l2Bytes: 0, wmemBytes: 0, dmaBytes: 0 });
    // 1e6 instructions + 1e6 32-bit L1 accesses at the table's energies (docs/energy.md)
    expect(r.totalUJ).toBeCloseTo((1e6 * energyTable.instrAlu.pj + 4e6 * energyTable.l1Byte.pj) * 1e-6, 6);
    expect(r.calibrated).toEqual(Object.entries(energyTable).filter(([, e]) => e.status === 'calibrated').map(([k]) => k));
    expect(r.calibrated).toContain('coreLeakCycle');
  });
});
