// Energy model: a table of per-event energies (platform.md "Energy"). No silicon per-event numbers
// are public, so every entry says where it comes from and how much to trust it:
//   placeholder - GVSoC's Siracusa power files (explicitly not silicon data)
//   derived     - computed from a published anchor under a stated assumption
//   assumption  - an engineering guess with the reasoning written down
//   calibrated  - fitted to a measurement (none yet: see docs/cluster.md "Energy")
// A user edits the numbers here (or passes an override object); the report lists the status.
// Instructions: one entry per group of classes (isa/table.ts INSTR_CLASSES -> CLASS_ENTRY below),
// all anchored on GVSoC's single 2.49 pJ per instruction; a ratio to it is an assumption and says so.
import type { InstrClass } from '../../isa/table.js';

export type EnergyStatus = 'placeholder' | 'derived' | 'assumption' | 'calibrated';

export interface EnergyEntry {
  pj: number;
  per: 'instruction' | 'byte' | 'cycle' | 'mac';
  status: EnergyStatus;
  source: string;
}

/** Cluster clock the leakage figures were derived at (MHz). No public figure (platform.md
 * "Frequency"); 360 MHz is the assumption used throughout deeploy-sim's reports. */
export const ENERGY_REF_FREQ_MHZ = 360;
/** Deeploy paper: 490 uJ/token at 340 tokens/s = 166.6 mW for the whole SoC. */
export const ANCHOR_SOC_MW = (490e-6 * 340) * 1e3;

const leakMw = 0.2 * ANCHOR_SOC_MW; // assumption: 20% of the average power is leakage + idle clocking
const pjPerCycle = (mw: number) => (mw * 1e-3) / (ENERGY_REF_FREQ_MHZ * 1e6) * 1e12;
/** GVSoC Siracusa power file: 2.49 pJ per instruction at 1.2 V, the anchor of every instruction entry. */
const GVSOC_INSTR_PJ = 2.49;

export const energyTable = {
  instrAlu: { pj: GVSOC_INSTR_PJ, per: 'instruction', status: 'placeholder', source: 'GVSoC Siracusa power file: 2.49 pJ per instruction at 1.2 V (class alu; all instructions when per-class counts are off)' },
  instrMulMac: { pj: 1.5 * GVSOC_INSTR_PJ, per: 'instruction', status: 'assumption', source: 'class mul (mul, mulh*, p.mac/p.msu, p.mul*/p.mac*): assumed 1.5x the GVSoC 2.49 pJ (32-bit multiplier and accumulate adder switching on top of the pipeline)' },
  instrLoadStore: { pj: GVSOC_INSTR_PJ, per: 'instruction', status: 'placeholder', source: 'classes load/store: the GVSoC 2.49 pJ for the core pipeline (ratio 1); the memory access is counted per byte below' },
  instrSimd: { pj: 2 * GVSOC_INSTR_PJ, per: 'instruction', status: 'assumption', source: 'class simd (pv.*, SIMD ALU and dot products): assumed 2x the GVSoC 2.49 pJ (four 8-bit or two 16-bit lanes, a dot product adds its multipliers and adder tree)' },
  instrDiv: { pj: 3 * GVSOC_INSTR_PJ, per: 'instruction', status: 'assumption', source: 'class div (div/rem): assumed 3x the GVSoC 2.49 pJ (the serial divider iterates 3..35 cycles; its stall cycles are also charged as leakage)' },
  instrBranchJump: { pj: GVSOC_INSTR_PJ, per: 'instruction', status: 'placeholder', source: 'classes branch/jump: the GVSoC 2.49 pJ, ratio 1 assumed (compare and pc adder instead of the ALU result)' },
  instrSystem: { pj: GVSOC_INSTR_PJ, per: 'instruction', status: 'placeholder', source: 'classes system (CSR, ecall, wfi, fence, mret) and hwloop (lp.* setup): the GVSoC 2.49 pJ, ratio 1 assumed' },
  l1Byte: { pj: 2.12 / 4, per: 'byte', status: 'placeholder', source: 'GVSoC: 2.12 pJ per 32-bit L1 access -> 0.53 pJ/B' },
  l2Byte: { pj: (3 * 2.12) / 4, per: 'byte', status: 'assumption', source: '3x the L1 access energy: larger SRAM macros (2 MiB vs 16 KiB banks) plus the SoC interconnect' },
  wmemByte: { pj: (2 * 2.12) / 4, per: 'byte', status: 'assumption', source: '2x the L1 access energy: 4 MiB SRAM on the cluster side, no SoC crossing' },
  dmaByte: { pj: 0.1, per: 'byte', status: 'assumption', source: 'MCHAN engine and interconnect per byte moved, on top of the L1 and L2/weight-memory accesses at both ends' },
  coreLeakCycle: { pj: pjPerCycle(leakMw * 0.4 / 8), per: 'cycle', status: 'derived', source: `per core per cycle, awake or asleep: 40% of the leakage budget (20% of the ${ANCHOR_SOC_MW.toFixed(0)} mW Deeploy anchor) over 8 cores at ${ENERGY_REF_FREQ_MHZ} MHz` },
  l1LeakCycle: { pj: pjPerCycle(leakMw * 0.2), per: 'cycle', status: 'derived', source: '20% of the leakage budget (same anchor and clock)' },
  l2LeakCycle: { pj: pjPerCycle(leakMw * 0.3), per: 'cycle', status: 'derived', source: '30% of the leakage budget (same anchor and clock)' },
  dmaLeakCycle: { pj: pjPerCycle(leakMw * 0.1), per: 'cycle', status: 'derived', source: '10% of the leakage budget (same anchor and clock)' },
  npuMac: { pj: 1 / 8.84, per: 'mac', status: 'derived', source: 'Siracusa JSSC 2024 peak 8.84 TOp/J at 8 bit -> 0.113 pJ/op (a MAC counted as one op); charged per MAC of the NPU jobs (npu-model: the useful MACs of each job), its L1 bytes under l1Byte' },
} satisfies Record<string, EnergyEntry>;

export type EnergyKey = keyof typeof energyTable;

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
  calibrated: string[];
  uncalibrated: string[];
  note: string;
}

export function estimateEnergy(c: EnergyCounts, freqMHz?: number, table: Record<string, EnergyEntry> = energyTable): EnergyReport {
  const t = table as Record<EnergyKey, EnergyEntry>;
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
  const entries = Object.entries(table);
  const perClass = c.instrSimd !== undefined;
  const rep: EnergyReport = {
    totalUJ: total,
    byEntryUJ: by,
    calibrated: entries.filter(([, e]) => e.status === 'calibrated').map(([k]) => k),
    uncalibrated: entries.filter(([, e]) => e.status !== 'calibrated').map(([k, e]) => `${k} (${e.status})`),
    note:
      'no entry is calibrated against silicon; GVSoC placeholders, anchor-derived figures and stated class ratios (src/sim/energy.ts)' +
      (perClass ? '' : '; no per-class instruction counts: every instruction charged as instrAlu'),
  };
  if (freqMHz && c.cycles > 0) {
    rep.freqMHz = freqMHz;
    rep.averageMw = (total * 1e-6) / (c.cycles / (freqMHz * 1e6)) * 1e3;
  }
  return rep;
}
