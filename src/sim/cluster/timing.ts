// Cluster-level timing (platform.md, "manual" column, plus the event unit and DMA): the meaning and
// source of each number. The numbers themselves live in ONE table, the platform description
// src/sim/platform/siracusa.ts (`siracusa.cluster`, next to the core's `siracusa.timing`).
import { siracusa } from '../platform/siracusa.js';

export interface ClusterTiming {
  /** L1 TCDM banks, word-interleaved: bank = (addr >> 2) & (banks - 1) (platform.md). A bank
   * serves one access per cycle, so each conflicting access waits +1 (platform.md). */
  l1Banks: number;
  /** Extra cycles of a core load from weight memory (stores posted, like L2 in the core table).
   * Assumption: it hangs off the cluster interconnect (0x104.. / 0x108.. is inside the cluster
   * range), so the cluster's 2 cycles and no SoC crossing; no public figure. */
  wmemLoad: number;
  /** p.elw request latency to the event unit (GVSoC eu_v3: 6). */
  eventRequestLatency: number;
  /** Wake-up after the event arrives (GVSoC eu_v3: 2). */
  eventWakeup: number;
  /** MCHAN: bytes per cycle per direction (4 TCDM ports, 2 read + 2 write, 4 B each -> 8 B/cycle). */
  dmaBytesPerCycle: number;
  /** MCHAN: largest external burst (GVSoC mchan_v7: 256 B). */
  dmaBurstBytes: number;
  /** MCHAN: outstanding external bursts per direction (GVSoC: 8). */
  dmaMaxOutstanding: number;
  /** MCHAN: commands queued per core and overall before the pushing core stalls (GVSoC: 2 / 8). */
  dmaQueuePerCore: number;
  dmaQueueGlobal: number;
  /** MCHAN: cycles from the last command word to the first external request. Assumption (GVSoC
   * schedules the first burst on the next cycle). */
  dmaSetupCycles: number;
  /** MCHAN: external latency of one burst request (same interconnect path as a core access:
   * L2 = cluster 2 + SoC AXI 12 = the core table's l2Load; weight memory = wmemLoad + 1). */
  dmaL2Latency: number;
  dmaWmemLatency: number;
}

/** The numbers of the default platform (siracusa.cluster). */
export const clusterTiming: ClusterTiming = siracusa.cluster;
