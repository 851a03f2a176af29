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

/** A memory level the compiler places tensors in (the planner's view of the regions above). */
export type MemoryLevel = 'L1' | 'L2' | 'WMEM';

export interface MemoryLevelSpec {
  readonly region: RegionSpec;
  /** Extra cycles of a core load from this level (L1: 0; stores are posted). */
  readonly coreLoadLatency: number;
  /** External latency of one DMA burst from this level; undefined: the DMA's local side (L1). */
  readonly dmaLatency?: number;
}

/** MCHAN v7 as the compiler must respect it (platform.md "Cluster DMA"). */
export interface DmaLimits {
  /** Largest transfer of one command: the 17-bit length field. */
  readonly maxTransferBytes: number;
  /** Largest external burst; a 2D transfer's rows are cut into bursts separately. */
  readonly burstBytes: number;
  /** Bytes per cycle per direction. */
  readonly bytesPerCycle: number;
  /** Cycles from the last command word to the first external request. */
  readonly setupCycles: number;
  /** Only the external side may be strided (2D_TCDM is rejected by the model). */
  readonly stridedLocalSide: boolean;
}

export interface Platform {
  readonly name: string;
  readonly cores: number;
  /** Memory levels the compiler plans (L1 TCDM, L2, weight memory SRAM). */
  readonly memory: Readonly<Record<MemoryLevel, MemoryLevelSpec>>;
  readonly dma: DmaLimits;
  /** Bytes of each core's stack in L1 (siracusa.ld __stack_size default). */
  readonly stackBytesPerCore: number;
  /** L1 the runtime keeps beyond the stacks (alignment of the L1 sections). */
  readonly l1RuntimeBytes: number;
  /** L2 kept for code, runtime data, the test vectors and the L2 stack. */
  readonly l2RuntimeBytes: number;
  readonly l1: RegionSpec;
  readonly l2: RegionSpec;
  readonly mram: RegionSpec;
  readonly sram: RegionSpec;
  /** Cluster peripherals (event unit, timer, DMA, NPU ...) including the per-core demux at +0x4000. */
  readonly clusterPeripherals: RegionSpec;
  /** The profile marker: a simulator-only 32-bit register in the cluster peripherals (no silicon
   * counterpart; a free slot after MCHAN). A store of a layer index snapshots every core's cycles
   * by cause (src/sim/cluster/layer-marks.ts); the runtime gets the address as DSIM_PROFILE_MARK. */
  readonly profileMarker: number;
  readonly timing: CoreTiming;
  /** Cluster-level timing: L1 banks, weight memory, event unit, DMA (src/sim/cluster/timing.ts). */
  readonly cluster: ClusterTiming;
  /** RI5CY splits misaligned accesses to memory (+1 cycle); set to trap instead (riscv-tests style). */
  readonly misalignedTraps: boolean;
}

const l1: RegionSpec = { name: 'L1', base: 0x10000000, size: 256 * 1024, alias: 0x00000000 };
const l2: RegionSpec = { name: 'L2', base: 0x1c000000, size: 2 * 1024 * 1024 };
const sram: RegionSpec = { name: 'weight SRAM', base: 0x10800000, size: 4 * 1024 * 1024 };
const timing: CoreTiming = { loadUse: 1, branchTaken: 3, jump: 2, mulh: 5, divBase: 3, misaligned: 1, l2Load: 14 };
const cluster: ClusterTiming = {
  l1Banks: 16, wmemLoad: 2,
  eventRequestLatency: 6, eventWakeup: 2,
  dmaBytesPerCycle: 8, dmaBurstBytes: 256, dmaMaxOutstanding: 8, dmaQueuePerCore: 2, dmaQueueGlobal: 8,
  dmaSetupCycles: 1, dmaL2Latency: 14, dmaWmemLatency: 3,
};

export const siracusa: Platform = {
  name: 'siracusa',
  cores: 8,
  l1,
  l2,
  mram: { name: 'MRAM', base: 0x10400000, size: 4 * 1024 * 1024 },
  sram,
  clusterPeripherals: { name: 'cluster peripherals', base: 0x10200000, size: 0x8000 },
  profileMarker: 0x10201c00,
  timing,
  cluster,
  memory: {
    L1: { region: l1, coreLoadLatency: 0 },
    L2: { region: l2, coreLoadLatency: timing.l2Load, dmaLatency: cluster.dmaL2Latency },
    WMEM: { region: sram, coreLoadLatency: cluster.wmemLoad, dmaLatency: cluster.dmaWmemLatency },
  },
  dma: {
    maxTransferBytes: (1 << 17) - 1,
    burstBytes: cluster.dmaBurstBytes,
    bytesPerCycle: cluster.dmaBytesPerCycle,
    setupCycles: cluster.dmaSetupCycles,
    stridedLocalSide: false,
  },
  stackBytesPerCore: 2048,
  l1RuntimeBytes: 1024,
  l2RuntimeBytes: 256 * 1024,
  misalignedTraps: false,
};

/** Platforms by the name `--platform` takes. */
export const PLATFORMS: Readonly<Record<string, Platform>> = { siracusa };

export function platformByName(name: string): Platform | undefined {
  return Object.prototype.hasOwnProperty.call(PLATFORMS, name) ? PLATFORMS[name] : undefined;
}
