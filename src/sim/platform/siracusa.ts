// Everything the simulator knows about the Siracusa cluster, in one place (../shared/spec/platform.md).
// The cluster model (src/sim/cluster/) adds bank conflicts, event timing and DMA on top of these;
// their numbers are the `cluster` entry of this table (fields documented in cluster/timing.ts).
import type { ClusterTiming } from '../cluster/timing.js';

export interface RegionSpec {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** A second base address that reaches the same bytes (L1 is also visible at 0x0). */
  readonly alias?: number;
}

export interface CoreTiming {
  /** Extra cycle when an instruction uses the result of the load just before it. */
  readonly loadUse: number;
  /** Total cycles of a taken branch (not taken: 1). */
  readonly branchTaken: number;
  /** jal / jalr total cycles. */
  readonly jump: number;
  /** mulh, mulhsu, mulhu total cycles (mul is 1). */
  readonly mulh: number;
  /** div/rem: divBase + clz32(divisor) cycles, i.e. 3..35 (platform.md: 3..35 data-dependent). */
  readonly divBase: number;
  /** Extra cycles of a misaligned load/store (split into two accesses). */
  readonly misaligned: number;
  /** Extra cycles of a load from L2 by a cluster core: cluster interconnect 2 + SoC AXI 12. Stores are posted. */
  readonly l2Load: number;
}

export interface Platform {
  readonly name: string;
  readonly cores: number;
  readonly l1: RegionSpec;
  readonly l2: RegionSpec;
  readonly mram: RegionSpec;
  readonly sram: RegionSpec;
  /** Cluster peripherals (event unit, timer, DMA, NPU ...) including the per-core demux at +0x4000. */
  readonly clusterPeripherals: RegionSpec;
  readonly timing: CoreTiming;
  /** Cluster-level timing: L1 banks, weight memory, event unit, DMA (src/sim/cluster/timing.ts). */
  readonly cluster: ClusterTiming;
  /** RI5CY splits misaligned accesses to memory (+1 cycle); set to trap instead (riscv-tests style). */
  readonly misalignedTraps: boolean;
}

export const siracusa: Platform = {
  name: 'siracusa',
  cores: 8,
  l1: { name: 'L1', base: 0x10000000, size: 256 * 1024, alias: 0x00000000 },
  l2: { name: 'L2', base: 0x1c000000, size: 2 * 1024 * 1024 },
  mram: { name: 'MRAM', base: 0x10400000, size: 4 * 1024 * 1024 },
  sram: { name: 'weight SRAM', base: 0x10800000, size: 4 * 1024 * 1024 },
  clusterPeripherals: { name: 'cluster peripherals', base: 0x10200000, size: 0x8000 },
  timing: { loadUse: 1, branchTaken: 3, jump: 2, mulh: 5, divBase: 3, misaligned: 1, l2Load: 14 },
  cluster: {
    l1Banks: 16, wmemLoad: 2,
    eventRequestLatency: 6, eventWakeup: 2,
    dmaBytesPerCycle: 8, dmaBurstBytes: 256, dmaMaxOutstanding: 8, dmaQueuePerCore: 2, dmaQueueGlobal: 8,
    dmaSetupCycles: 1, dmaL2Latency: 14, dmaWmemLatency: 3,
  },
  misalignedTraps: false,
};
