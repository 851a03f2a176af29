// Energy model: a table of per-event energies at an operating point (supply voltage, clock).
// Every number comes from a published figure (SOURCES below) through a derivation written as code
// (deriveTable), so docs/energy.md and test/report/energy.test.ts can reproduce each entry. Status:
//   calibrated  - fitted to silicon measurements: leakage to Siracusa's two measured operating
//                 points, the dynamic scale to its cluster's peak power (one figure, see below)
//   derived     - a published figure carried over under a stated assumption (e.g. V^2 scaling)
//   assumption  - a ratio to a derived entry, with the reasoning written down
//   placeholder - a simulator's default taken as is (none left: GVSoC's are voltage-scaled now)
// Dynamic entries scale with (V / V_source)^2; leakage is a power (mW, linear in V by the fit)
// charged per cycle at the clock, so a slower clock costs more leakage per cycle.
import type { InstrClass } from '../../isa/table.js';

export type EnergyStatus = 'placeholder' | 'derived' | 'assumption' | 'calibrated';

export interface EnergyEntry {
  pj: number;
  per: 'instruction' | 'byte' | 'cycle' | 'mac';
  status: EnergyStatus;
  source: string;
}

/** The published figures the table rests on (facts only; docs/energy.md cites each). */
export const SOURCES = {
  siracusa: {
    cite: 'Prasad et al., "Siracusa: A 16 nm Heterogenous RISC-V SoC for Extended Reality With At-MRAM Neural Engine", IEEE JSSC 59(7):2055-2069, 2024 (arXiv 2312.14750)',
    /** measured operating points of the SoC: supply (V), maximum clock (MHz), SoC power (mW) */
    points: [
      { voltage: 0.8, fmaxMHz: 360, socMw: 332 },
      { voltage: 0.65, fmaxMHz: 210, socMw: 151 },
    ],
    /** N-EUREKA peak energy efficiency at 8 bit (TOp/J) and peak throughput (GOp/s) */
    npuPeakTopPerJ: 8.84,
    npuPeakGops: 1950,
    /** end-to-end throughput at 8 bit (GOp/s) and area efficiency (GOp/s/mm^2) */
    endToEndGops: 698,
    areaGopsPerMm2: 65.2,
    /** RISC-V cluster peak, as reported in a secondary summary of the paper: GOp/s and efficiency
     * at the two points. The pair is not self-consistent as summarised (the 0.65 V point would
     * draw more power than the 0.8 V one): only the 0.8 V point is used (dynamicScale). */
    cluster: [
      { voltage: 0.8, gops: 120.6, gopPerJ: 1130 },
      { voltage: 0.65, gops: 57.5, gopPerJ: 485 },
    ],
  },
  deeploy: {
    cite: 'Scherer et al., "Deeploy: Enabling Energy-Efficient Deployment of Small Language Models on Heterogeneous Microcontrollers", IEEE TCAD 43(11), 2024 (arXiv 2408.04413)',
    /** TinyStories-class Llama on Siracusa, cluster + N-EUREKA */
    uJPerToken: 490,
    tokensPerSecond: 340,
  },
  gvsoc: {
    cite: "GVSoC's Siracusa power model files (pulp-platform/gvsoc): per-event energies at 1.2 V, not silicon data",
    voltage: 1.2,
    instrPj: 2.49,
    l1AccessPj: 2.12, // one 32-bit access
  },
  vega: {
    cite: 'Rossi et al., "Vega: A Ten-Core SoC for IoT Endnodes With DNN Acceleration and Cognitive Wake-Up From MRAM-Based State-Retentive Sleep Mode", IEEE JSSC 57(1), 2022 (22 nm FD-SOI; another technology: comparison only)',
    peakGops: 32.2,
    peakMw: 49.4,
    int8GopsPerW: 615,
  },
} as const;

/** P = a V^2 f + b V through two (V, f, P) points: a in mW/(V^2 MHz), b in mW/V. Dynamic power
 * goes with V^2 f; leakage is taken linear in V (assumption: over 0.65..0.8 V, a first-order fit). */
export function fitPowerModel(points: readonly { voltage: number; fmaxMHz: number; socMw: number }[]): { a: number; b: number } {
  const [p, q] = points as [(typeof points)[0], (typeof points)[0]];
  const det = p.voltage * p.voltage * p.fmaxMHz * q.voltage - q.voltage * q.voltage * q.fmaxMHz * p.voltage;
  const a = (p.socMw * q.voltage - q.socMw * p.voltage) / det;
  const b = (p.socMw - a * p.voltage * p.voltage * p.fmaxMHz) / p.voltage;
  return { a, b };
}

export const POWER_FIT = fitPowerModel(SOURCES.siracusa.points);

export interface OperatingPoint {
  voltage: number;
  freqMHz: number;
}

/** The published points (V, fmax). The default is the fast one: 0.8 V, 360 MHz. */
export const OPERATING_POINTS = SOURCES.siracusa.points.map((p) => ({ voltage: p.voltage, fmaxMHz: p.fmaxMHz }));
export const DEFAULT_OPERATING_POINT: OperatingPoint = { voltage: 0.8, freqMHz: 360 };
/** Clock of the default operating point (MHz), the one tokens/s figures assume by default. */
export const ENERGY_REF_FREQ_MHZ = DEFAULT_OPERATING_POINT.freqMHz;
/** Deeploy paper: 490 uJ/token at 340 tokens/s = 166.6 mW for the whole SoC. */
export const ANCHOR_SOC_MW = SOURCES.deeploy.uJPerToken * 1e-6 * SOURCES.deeploy.tokensPerSecond * 1e3;

/** Highest clock the sources support at `voltage` (linear between the two measured points). */
export function fmaxAt(voltage: number): number {
  const [hi, lo] = OPERATING_POINTS as [{ voltage: number; fmaxMHz: number }, { voltage: number; fmaxMHz: number }];
  return lo.fmaxMHz + ((voltage - lo.voltage) * (hi.fmaxMHz - lo.fmaxMHz)) / (hi.voltage - lo.voltage);
}

/** Check an operating point against the range the sources cover; returns a reason or undefined. */
export function operatingPointProblem(op: Partial<OperatingPoint>): string | undefined {
  const vs = OPERATING_POINTS.map((p) => p.voltage);
  const vmin = Math.min(...vs);
  const vmax = Math.max(...vs);
  if (op.voltage !== undefined && !(op.voltage >= vmin && op.voltage <= vmax))
    return `--voltage ${op.voltage}: expected ${vmin}..${vmax} V (the range Siracusa was measured over)`;
  const v = op.voltage ?? DEFAULT_OPERATING_POINT.voltage;
  if (op.freqMHz !== undefined && !(op.freqMHz > 0 && op.freqMHz <= fmaxAt(v) + 1e-9))
    return `--freq-mhz ${op.freqMHz}: expected 0 < f <= ${fmaxAt(v).toFixed(0)} MHz at ${v} V`;
  return undefined;
}

/** Leakage split over the blocks (assumption: cores 40%, L1 20%, L2 30%, DMA 10%). */
export const LEAK_SPLIT = { core: 0.4, l1: 0.2, l2: 0.3, dma: 0.1 } as const;

/** What a core does per cycle at the cluster's peak (assumption): one SIMD dot product and one
 * 32-bit L1 access (the operand stream of an int8 dot-product inner loop). */
export const PEAK_ACTIVITY = { simdInstr: 1, l1Bytes: 4 } as const;

/**
 * GVSoC's per-event figures are far below silicon. One scale for all of them, from the cluster's
 * measured peak at 0.8 V / 360 MHz: P = GOp/s / (GOp/J) = 120.6 / 1130 W = 106.7 mW, i.e. 37.1 pJ
 * per core-cycle; minus the cluster's share of the fitted leakage (cores, L1, DMA: 70%) leaves the
 * dynamic energy of one PEAK_ACTIVITY core-cycle; divided by what the V^2-scaled GVSoC figures
 * give for it. Only the 0.8 V point of the summarised pair is used (the 0.65 V one is not
 * self-consistent: see SOURCES).
 */
export function dynamicScale(): { clusterMw: number; pjPerCoreCycle: number; leakPj: number; gvsocPj: number; scale: number } {
  const p = SOURCES.siracusa.cluster[0];
  const at = SOURCES.siracusa.points[0];
  const clusterMw = (p.gops / p.gopPerJ) * 1e3;
  const pjPerCoreCycle = (clusterMw * 1e-3) / (8 * at.fmaxMHz * 1e6) * 1e12;
  const leakMw = POWER_FIT.b * at.voltage * (LEAK_SPLIT.core + LEAK_SPLIT.l1 + LEAK_SPLIT.dma);
  const leakPj = (leakMw * 1e-3) / (8 * at.fmaxMHz * 1e6) * 1e12;
  const v2 = (at.voltage / SOURCES.gvsoc.voltage) ** 2;
  const gvsocPj = (PEAK_ACTIVITY.simdInstr * CLASS_RATIO.simd * SOURCES.gvsoc.instrPj + (PEAK_ACTIVITY.l1Bytes * SOURCES.gvsoc.l1AccessPj) / 4) * v2;
  return { clusterMw, pjPerCoreCycle, leakPj, gvsocPj, scale: (pjPerCoreCycle - leakPj) / gvsocPj };
}
/** Ratios of instruction classes to GVSoC's single per-instruction figure (assumptions). */
export const CLASS_RATIO = { alu: 1, mulMac: 1.5, loadStore: 1, simd: 2, div: 3, branchJump: 1, system: 1 } as const;

/** Each entry's value at `op`, computed from SOURCES (the derivations the test re-does). */
export function deriveTable(op: OperatingPoint = DEFAULT_OPERATING_POINT): Record<EnergyKey, EnergyEntry> {
  const g = SOURCES.gvsoc;
  const v2 = (op.voltage / g.voltage) ** 2;
  const k = dynamicScale().scale;
  const instr = (ratio: number) => g.instrPj * v2 * k * ratio;
  const l1 = (g.l1AccessPj / 4) * v2 * k;
  const leakMw = POWER_FIT.b * op.voltage;
  const perCycle = (mw: number) => (mw * 1e-3) / (op.freqMHz * 1e6) * 1e12;
  const at = `at ${op.voltage} V`;
  const scaled = `GVSoC 2.49 pJ at 1.2 V x (${op.voltage}/1.2)^2 x ${k.toFixed(2)} (scale fitted to Siracusa's cluster peak, 106.7 mW at 0.8 V / 360 MHz)`;
  const fit = `Siracusa fit P = a V^2 f + b V through (0.8 V, 360 MHz, 332 mW) and (0.65 V, 210 MHz, 151 mW): b = ${POWER_FIT.b.toFixed(2)} mW/V, leakage ${leakMw.toFixed(1)} mW ${at}, per cycle at ${op.freqMHz} MHz`;
  // N-EUREKA's peak efficiency is taken at the low point (peak efficiency is quoted where a chip is
  // most efficient: assumption), 1 MAC = 2 ops, then V^2-scaled to the operating point
  const npuVref = Math.min(...OPERATING_POINTS.map((p) => p.voltage));
  const npuMacPj = (2 / SOURCES.siracusa.npuPeakTopPerJ) * (op.voltage / npuVref) ** 2;
  return {
    instrAlu: { pj: instr(CLASS_RATIO.alu), per: 'instruction', status: 'calibrated', source: `class alu (all instructions when per-class counts are off): ${scaled}` },
    instrMulMac: { pj: instr(CLASS_RATIO.mulMac), per: 'instruction', status: 'assumption', source: `class mul (mul, mulh*, p.mac/p.msu): 1.5x instrAlu (multiplier and accumulate adder on top of the pipeline)` },
    instrLoadStore: { pj: instr(CLASS_RATIO.loadStore), per: 'instruction', status: 'calibrated', source: `classes load/store: ${scaled}, ratio 1; the memory access is charged per byte` },
    instrSimd: { pj: instr(CLASS_RATIO.simd), per: 'instruction', status: 'assumption', source: 'class simd (pv.*): 2x instrAlu (four 8-bit lanes; dot products add multipliers and an adder tree)' },
    instrDiv: { pj: instr(CLASS_RATIO.div), per: 'instruction', status: 'assumption', source: 'class div (div/rem): 3x instrAlu (the serial divider iterates; its stall cycles also leak)' },
    instrBranchJump: { pj: instr(CLASS_RATIO.branchJump), per: 'instruction', status: 'calibrated', source: `classes branch/jump: ${scaled}, ratio 1` },
    instrSystem: { pj: instr(CLASS_RATIO.system), per: 'instruction', status: 'calibrated', source: `classes system and hwloop: ${scaled}, ratio 1` },
    l1Byte: { pj: l1, per: 'byte', status: 'calibrated', source: `GVSoC 2.12 pJ per 32-bit L1 access at 1.2 V / 4 x (${op.voltage}/1.2)^2 x ${k.toFixed(2)} (the same fitted scale)` },
    l2Byte: { pj: 3 * l1, per: 'byte', status: 'assumption', source: '3x l1Byte: larger SRAM macros (2 MiB vs 16 KiB banks) plus the SoC interconnect' },
    wmemByte: { pj: 2 * l1, per: 'byte', status: 'assumption', source: '2x l1Byte: 4 MiB SRAM on the cluster side, no SoC crossing' },
    dmaByte: { pj: 0.1 * (op.voltage / 0.8) ** 2, per: 'byte', status: 'assumption', source: 'MCHAN engine and interconnect: 0.1 pJ/B at 0.8 V (V^2-scaled), on top of both memory ends' },
    coreLeakCycle: { pj: perCycle((leakMw * LEAK_SPLIT.core) / 8), per: 'cycle', status: 'calibrated', source: `${fit}; per core (40% of it over 8 cores: split assumed)` },
    l1LeakCycle: { pj: perCycle(leakMw * LEAK_SPLIT.l1), per: 'cycle', status: 'calibrated', source: `${fit}; L1 share 20% (split assumed)` },
    l2LeakCycle: { pj: perCycle(leakMw * LEAK_SPLIT.l2), per: 'cycle', status: 'calibrated', source: `${fit}; L2 share 30% (split assumed)` },
    dmaLeakCycle: { pj: perCycle(leakMw * LEAK_SPLIT.dma), per: 'cycle', status: 'calibrated', source: `${fit}; DMA share 10% (split assumed)` },
    npuMac: { pj: npuMacPj, per: 'mac', status: 'derived', source: `Siracusa N-EUREKA peak 8.84 TOp/J (taken at ${npuVref} V), 2 ops per MAC, x (${op.voltage}/${npuVref})^2; charged per useful MAC of the NPU jobs (npu-model), its L1 bytes under l1Byte` },
  };
}

export type EnergyKey =
  | 'instrAlu' | 'instrMulMac' | 'instrLoadStore' | 'instrSimd' | 'instrDiv' | 'instrBranchJump' | 'instrSystem'
  | 'l1Byte' | 'l2Byte' | 'wmemByte' | 'dmaByte' | 'coreLeakCycle' | 'l1LeakCycle' | 'l2LeakCycle' | 'dmaLeakCycle' | 'npuMac';

/** The table at the default operating point (0.8 V, 360 MHz). */
export const energyTable: Record<EnergyKey, EnergyEntry> = deriveTable();

/** The counts the simulator collects for the estimate. */
export interface EnergyCounts {
  cycles: number; // cluster cycles (wall)
  cores: number; // cores present (leakage)
  instrAlu: number;
  instrMulMac: number;
  instrLoadStore: number;
  instrSimd?: number;
  instrDiv?: number;
  instrBranchJump?: number;
  instrSystem?: number;
  l1Bytes: number; // core + DMA accesses to L1
  l2Bytes: number;
  wmemBytes: number;
  dmaBytes: number;
  npuMacs?: number;
}

/** Which instruction entry each class is charged to (one place). */
export const CLASS_ENTRY: Record<InstrClass, 'instrAlu' | 'instrMulMac' | 'instrLoadStore' | 'instrSimd' | 'instrDiv' | 'instrBranchJump' | 'instrSystem'> = {
  alu: 'instrAlu', mul: 'instrMulMac', div: 'instrDiv', load: 'instrLoadStore', store: 'instrLoadStore',
  branch: 'instrBranchJump', jump: 'instrBranchJump', simd: 'instrSimd', system: 'instrSystem', hwloop: 'instrSystem',
};

/** The instruction counts of EnergyCounts from retired instructions by class. */
export function energyCountsOfClasses(classes: Record<InstrClass, number>) {
  const c = { instrAlu: 0, instrMulMac: 0, instrLoadStore: 0, instrSimd: 0, instrDiv: 0, instrBranchJump: 0, instrSystem: 0 };
  for (const [k, n] of Object.entries(classes)) c[CLASS_ENTRY[k as InstrClass]] += n;
  return c;
}

export interface EnergyReport {
  totalUJ: number;
  byEntryUJ: Record<string, number>;
  averageMw?: number;
  freqMHz?: number;
  voltage: number;
  calibrated: string[];
  uncalibrated: string[];
  note: string;
  /** the counts the estimate was made from (to re-estimate at another operating point) */
  counts: EnergyCounts;
}

/**
 * Energy of `c` at an operating point: a clock in MHz (at 0.8 V) or {voltage, freqMHz}. Without
 * one, the default point's table (0.8 V, 360 MHz) and no average power.
 */
export function estimateEnergy(c: EnergyCounts, at?: number | Partial<OperatingPoint>, table?: Record<string, EnergyEntry>): EnergyReport {
  const given = typeof at === 'number' ? { freqMHz: at } : (at ?? {});
  const op: OperatingPoint = { voltage: given.voltage ?? DEFAULT_OPERATING_POINT.voltage, freqMHz: given.freqMHz ?? DEFAULT_OPERATING_POINT.freqMHz };
  const t = (table ?? (op.voltage === DEFAULT_OPERATING_POINT.voltage && op.freqMHz === DEFAULT_OPERATING_POINT.freqMHz ? energyTable : deriveTable(op))) as Record<EnergyKey, EnergyEntry>;
  const by: Record<string, number> = {
    instrAlu: c.instrAlu * t.instrAlu.pj,
    instrMulMac: c.instrMulMac * t.instrMulMac.pj,
    instrLoadStore: c.instrLoadStore * t.instrLoadStore.pj,
    instrSimd: (c.instrSimd ?? 0) * t.instrSimd.pj,
    instrDiv: (c.instrDiv ?? 0) * t.instrDiv.pj,
    instrBranchJump: (c.instrBranchJump ?? 0) * t.instrBranchJump.pj,
    instrSystem: (c.instrSystem ?? 0) * t.instrSystem.pj,
    l1Byte: c.l1Bytes * t.l1Byte.pj,
    l2Byte: c.l2Bytes * t.l2Byte.pj,
    wmemByte: c.wmemBytes * t.wmemByte.pj,
    dmaByte: c.dmaBytes * t.dmaByte.pj,
    coreLeakCycle: c.cycles * c.cores * t.coreLeakCycle.pj,
    l1LeakCycle: c.cycles * t.l1LeakCycle.pj,
    l2LeakCycle: c.cycles * t.l2LeakCycle.pj,
    dmaLeakCycle: c.cycles * t.dmaLeakCycle.pj,
    npuMac: (c.npuMacs ?? 0) * t.npuMac.pj,
  };
  let total = 0;
  for (const k of Object.keys(by)) {
    by[k] = by[k]! * 1e-6; // pJ -> uJ
    total += by[k]!;
  }
  const entries = Object.entries(t);
  const perClass = c.instrSimd !== undefined;
  const rep: EnergyReport = {
    totalUJ: total,
    byEntryUJ: by,
    voltage: op.voltage,
    calibrated: entries.filter(([, e]) => e.status === 'calibrated').map(([k]) => k),
    uncalibrated: entries.filter(([, e]) => e.status !== 'calibrated').map(([k, e]) => `${k} (${e.status})`),
    note:
      `leakage calibrated on Siracusa's two measured operating points, dynamic entries on its cluster's peak power (GVSoC's figures scaled to ${op.voltage} V and to that peak), class and memory ratios assumed (src/sim/energy.ts, docs/energy.md)` +
      (perClass ? '' : '; no per-class instruction counts: every instruction charged as instrAlu'),
    counts: { ...c },
  };
  if (at !== undefined && c.cycles > 0) {
    rep.freqMHz = op.freqMHz;
    rep.averageMw = (total * 1e-6) / (c.cycles / (op.freqMHz * 1e6)) * 1e3;
  }
  return rep;
}
