// Each entry of the energy table re-derived here from the published figures it names (by hand,
// not through deriveTable), and the operating points checked against the measured ones.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPERATING_POINT, deriveTable, dynamicScale, energyTable, estimateEnergy, fitPowerModel, fmaxAt, operatingPointProblem, POWER_FIT, SOURCES,
} from '../../src/sim/energy.js';

describe('energy calibration', () => {
  it('the power fit goes exactly through both measured Siracusa points (0.8 V/360 MHz/332 mW, 0.65 V/210 MHz/151 mW)', () => {
    // P = a V^2 f + b V: two equations, two unknowns, solved by hand
    //   332 = a * 0.64 * 360 + 0.8 b  and  151 = a * 0.4225 * 210 + 0.65 b
    const a = (332 * 0.65 - 151 * 0.8) / (0.64 * 360 * 0.65 - 0.4225 * 210 * 0.8);
    const b = (332 - a * 0.64 * 360) / 0.8;
    expect(POWER_FIT.a).toBeCloseTo(a, 12);
    expect(POWER_FIT.b).toBeCloseTo(b, 12);
    expect(a).toBeCloseTo(1.20589, 4); // mW / (V^2 MHz)
    expect(b).toBeCloseTo(67.7037, 3); // mW / V
    for (const p of SOURCES.siracusa.points) expect(a * p.voltage ** 2 * p.fmaxMHz + b * p.voltage).toBeCloseTo(p.socMw, 9);
    // leakage share at the fast point: 54.2 of 332 mW (16 %), at the slow point 44.0 of 151 mW (29 %)
    expect(b * 0.8).toBeCloseTo(54.16, 2);
    expect(b * 0.65).toBeCloseTo(44.01, 2);
    expect(fitPowerModel([SOURCES.siracusa.points[1], SOURCES.siracusa.points[0]])).toEqual(expect.objectContaining({ a: expect.closeTo(a, 9), b: expect.closeTo(b, 9) }));
  });

  it('leakage entries: the fitted leakage power at 0.8 V, split 40/20/30/10 %, per cycle at 360 MHz', () => {
    const leakMw = 67.7037319 * 0.8;
    const pj = (mw: number) => (mw * 1e-3) / 360e6 * 1e12;
    expect(energyTable.coreLeakCycle.pj).toBeCloseTo(pj((leakMw * 0.4) / 8), 4); // 7.52 pJ per core per cycle
    expect(energyTable.l1LeakCycle.pj).toBeCloseTo(pj(leakMw * 0.2), 4);
    expect(energyTable.l2LeakCycle.pj).toBeCloseTo(pj(leakMw * 0.3), 4);
    expect(energyTable.dmaLeakCycle.pj).toBeCloseTo(pj(leakMw * 0.1), 4);
    expect(8 * energyTable.coreLeakCycle.pj + energyTable.l1LeakCycle.pj + energyTable.l2LeakCycle.pj + energyTable.dmaLeakCycle.pj).toBeCloseTo(pj(leakMw), 6);
    for (const k of ['coreLeakCycle', 'l1LeakCycle', 'l2LeakCycle', 'dmaLeakCycle'] as const) expect(energyTable[k].status).toBe('calibrated');
  });

  it('dynamic scale: Siracusa cluster peak 120.6 GOp/s at 1.13 TOp/J (0.8 V, 360 MHz) over one SIMD dot product + one L1 word per core-cycle', () => {
    const clusterMw = (120.6 / 1130) * 1e3; // 106.73 mW
    const perCoreCycle = (clusterMw * 1e-3) / (8 * 360e6) * 1e12; // 37.06 pJ
    const leak = (67.7037319 * 0.8 * 0.7 * 1e-3) / (8 * 360e6) * 1e12; // cores + L1 + DMA leakage: 13.16 pJ
    const s = (0.8 / 1.2) ** 2;
    const gvsoc = (2 * 2.49 + 2.12) * s; // a SIMD instruction (2x) and one 32-bit L1 access, V^2-scaled
    const k = (perCoreCycle - leak) / gvsoc;
    expect(clusterMw).toBeCloseTo(106.726, 2);
    expect(perCoreCycle).toBeCloseTo(37.058, 2);
    expect(leak).toBeCloseTo(13.165, 2);
    expect(k).toBeCloseTo(7.5717, 3);
    expect(dynamicScale().scale).toBeCloseTo(k, 6);
    // the entries: GVSoC x (0.8/1.2)^2 x k x class ratio
    expect(energyTable.instrAlu.pj).toBeCloseTo(2.49 * s * k, 6); // 8.38 pJ
    expect(energyTable.instrLoadStore.pj).toBeCloseTo(2.49 * s * k, 6);
    expect(energyTable.instrBranchJump.pj).toBeCloseTo(2.49 * s * k, 6);
    expect(energyTable.instrSystem.pj).toBeCloseTo(2.49 * s * k, 6);
    expect(energyTable.instrMulMac.pj).toBeCloseTo(1.5 * 2.49 * s * k, 6);
    expect(energyTable.instrSimd.pj).toBeCloseTo(2 * 2.49 * s * k, 6);
    expect(energyTable.instrDiv.pj).toBeCloseTo(3 * 2.49 * s * k, 6);
    expect(energyTable.l1Byte.pj).toBeCloseTo((2.12 / 4) * s * k, 6); // 1.78 pJ/B
    expect(energyTable.l2Byte.pj).toBeCloseTo(3 * (2.12 / 4) * s * k, 6);
    expect(energyTable.wmemByte.pj).toBeCloseTo(2 * (2.12 / 4) * s * k, 6);
    expect(energyTable.dmaByte.pj).toBeCloseTo(0.1, 12);
    // a peak core-cycle with its leakage gives the measured cluster power back
    const peak = energyTable.instrSimd.pj + 4 * energyTable.l1Byte.pj + energyTable.coreLeakCycle.pj + (energyTable.l1LeakCycle.pj + energyTable.dmaLeakCycle.pj) / 8;
    expect(peak * 8 * 360e6 * 1e-12 * 1e3).toBeCloseTo(clusterMw, 6);
    // at GVSoC's own 1.2 V the table gives GVSoC's figures times the scale
    const at12 = deriveTable({ voltage: 1.2, freqMHz: 360 });
    expect(at12.instrAlu.pj / k).toBeCloseTo(2.49, 9);
    expect((at12.l1Byte.pj * 4) / k).toBeCloseTo(2.12, 9);
  });

  it('NPU MAC: 8.84 TOp/J taken at 0.65 V, 2 ops per MAC, V^2-scaled to 0.8 V', () => {
    expect(energyTable.npuMac.pj).toBeCloseTo((2 / 8.84) * (0.8 / 0.65) ** 2, 12); // 0.343 pJ
    expect(deriveTable({ voltage: 0.65, freqMHz: 210 }).npuMac.pj).toBeCloseTo(2 / 8.84, 12);
  });

  it('every entry names its source; the report lists the calibrated ones', () => {
    for (const e of Object.values(energyTable)) expect(e.source.length).toBeGreaterThan(20);
    const r = estimateEnergy({ cycles: 1000, cores: 8, instrAlu: 0, instrMulMac: 0, instrLoadStore: 0, l1Bytes: 0, l2Bytes: 0, wmemBytes: 0, dmaBytes: 0 }, 360);
    expect(r.calibrated).toEqual(['instrAlu', 'instrLoadStore', 'instrBranchJump', 'instrSystem', 'l1Byte', 'coreLeakCycle', 'l1LeakCycle', 'l2LeakCycle', 'dmaLeakCycle']);
    // an idle cluster draws the fitted leakage: 54.16 mW at 0.8 V
    expect(r.averageMw).toBeCloseTo(67.7037319 * 0.8, 3);
    // and at the slow point the leakage of that point
    const slow = estimateEnergy(r.counts, { voltage: 0.65, freqMHz: 210 });
    expect(slow.averageMw).toBeCloseTo(67.7037319 * 0.65, 3);
  });

  it('operating points: the measured range only, fmax interpolated between the two measured points', () => {
    expect(DEFAULT_OPERATING_POINT).toEqual({ voltage: 0.8, freqMHz: 360 });
    expect(fmaxAt(0.8)).toBeCloseTo(360, 9);
    expect(fmaxAt(0.65)).toBeCloseTo(210, 9);
    expect(fmaxAt(0.725)).toBeCloseTo(285, 9);
    expect(operatingPointProblem({ voltage: 0.7, freqMHz: 200 })).toBeUndefined();
    expect(operatingPointProblem({ voltage: 0.9 })).toMatch(/--voltage 0.9: expected 0.65..0.8 V/);
    expect(operatingPointProblem({ voltage: 0.65, freqMHz: 300 })).toMatch(/--freq-mhz 300: expected 0 < f <= 210 MHz at 0.65 V/);
  });
});
