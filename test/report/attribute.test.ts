// Per-layer causes from trace spans: boundaries found from the wake-ups, causes adding up to each
// layer's cycles, and the report's cause list holding only causes some layer has.
import { describe, expect, it } from 'vitest';
import { attributeLayers, layerBoundaries, type CoreSpan } from '../../src/report/attribute.js';
import { causeKeys } from '../../src/report/network-report.js';
import { withDmaWait } from '../../src/report/record.js';
import { paretoFront } from '../../src/report/sweep-report.js';

// two cores; layers of 1000, 500, 300 cycles starting at t = 9950; each layer ends with a barrier
// that core 1 waits in (core 0 arrives last); the harness reads the clock right after it
const x10 = (l: CoreSpan[]) => l.map((s) => ({ ...s, t0: 10 * s.t0, t1: 10 * s.t1 }));
const spans: CoreSpan[][] = [
  [{ state: 'busy', t0: 0, t1: 1185 }],
  [
    { state: 'busy', t0: 0, t1: 900 }, { state: 'sleep', t0: 900, t1: 995 }, // waiting for the fork
    { state: 'busy', t0: 995, t1: 1060 }, { state: 'sleep', t0: 1060, t1: 1095 },
    { state: 'busy', t0: 1095, t1: 1120 }, { state: 'stall', cause: 'dma-queue', t0: 1120, t1: 1130 }, { state: 'sleep', t0: 1130, t1: 1145 },
    { state: 'busy', t0: 1145, t1: 1165 }, { state: 'sleep', t0: 1165, t1: 1175 }, { state: 'busy', t0: 1175, t1: 1185 },
  ],
].map(x10);

describe('attribution', () => {
  it('places the boundaries on the wake-ups and splits each layer by cause', () => {
    expect(layerBoundaries([1000, 500, 300], spans)).toEqual([10950, 11450, 11750]);
    const a = attributeLayers([1000, 500, 300], spans)!;
    expect(a.map((c) => Object.values(c).reduce((x, y) => x + y, 0))).toEqual([1000, 500, 300]);
    expect(a[1]).toEqual({ compute: (500 + 250) / 2, dmaQueue: 100 / 2, sleep: 150 / 2 });
  });
  it('no attribution when the lengths match no run of wake-ups (one core, no barrier sleeps)', () => {
    expect(attributeLayers([1000, 500, 300], [[{ state: 'busy', t0: 0, t1: 20000 }]])).toBeUndefined();
    expect(layerBoundaries([1000, 770, 300], spans)).toBeUndefined();
  });
  it("a layer's tile-DMA wait moves out of its sleep share (at most all of it), the sum kept", () => {
    expect(withDmaWait({ compute: 900, sleep: 100 }, 40)).toEqual({ compute: 900, sleep: 60, dmaWait: 40 });
    expect(withDmaWait({ compute: 900, sleep: 30 }, 40)).toEqual({ compute: 900, sleep: 0, dmaWait: 30 });
    expect(withDmaWait({ compute: 900, sleep: 100 }, 0)).toEqual({ compute: 900, sleep: 100 });
    expect(withDmaWait({ compute: 1000 }, 40)).toEqual({ compute: 1000 });
  });
  it('the report draws a cause only when some layer has it, known causes first', () => {
    const L = (causes: Record<string, number>) => ({ index: 0, name: 'x', function: 'f', op: 'Op', kernel: 'k', ops: 1, estimatedCycles: 1, cycles: 1, causes });
    expect(causeKeys([L({ compute: 5, sleep: 0 })])).toEqual(['compute']);
    expect(causeKeys([L({ compute: 5, 'stall.l2': 3 }), L({ npu: 2, dmaWait: 1, sleep: 4 })])).toEqual(['compute', 'stall.l2', 'dmaWait', 'npu', 'sleep']);
    expect(causeKeys([L({ 'stall.zzz': 1, sleep: 1, 'stall.branch': 2 })])).toEqual(['stall.branch', 'sleep', 'stall.zzz']);
  });
  it('Pareto front: the points no other point of the case beats on both cycles and energy', () => {
    const pts = [
      { case: 'a', cycles: 10, energy: 5 }, { case: 'a', cycles: 20, energy: 2 }, { case: 'a', cycles: 30, energy: 3 },
      { case: 'b', cycles: 100, energy: 100 },
    ];
    expect([...paretoFront(pts)].sort()).toEqual([0, 1, 3]);
  });
});
