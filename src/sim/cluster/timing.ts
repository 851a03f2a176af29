// Cluster-level timing numbers (platform.md, "manual" column, plus the event unit and DMA).
// ONE place for these facts; the core's per-instruction costs live in the core's platform table,
// which re-exports this object so that a user reads and changes one description.
// Every number says where it comes from.

export interface ClusterTiming {
  /** L1 TCDM banks, word-interleaved: bank = (addr >> 2) & (banks - 1) (platform.md). */
  l1Banks: number;
  /** Extra cycles per conflicting access to one bank in one cycle (platform.md: +1 per conflict). */
  bankConflictPenalty: number;
  /** Total cycles of a core load/store to L2 (GVSoC: cluster interconnect 2 + SoC AXI 12). */
  l2AccessCycles: number;
  /** Total cycles of a core load/store to weight memory. Assumption: it hangs off the cluster
   * interconnect (address 0x104../0x108.. is inside the cluster range), so the cluster's 2 cycles
   * plus the access itself; no public figure. */
  wmemAccessCycles: number;
  /** p.elw request latency to the event unit (GVSoC eu_v3: 6). */
  eventRequestLatency: number;
  /** Wake-up after the event arrives (GVSoC eu_v3: 2). */
  eventWakeup: number;
  /** Plain (non-blocking) peripheral register access, total cycles. Assumption: like an L1 access
   * through the cluster peripheral interconnect; 1 keeps hand-derived tests simple. */
  periphAccessCycles: number;
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
  /** MCHAN: external latency of one burst request (same interconnect path as a core access). */
  dmaL2Latency: number;
  dmaWmemLatency: number;
}

export const clusterTiming: ClusterTiming = {
  l1Banks: 16,
  bankConflictPenalty: 1,
  l2AccessCycles: 14,
  wmemAccessCycles: 3,
  eventRequestLatency: 6,
  eventWakeup: 2,
  periphAccessCycles: 1,
  dmaBytesPerCycle: 8,
  dmaBurstBytes: 256,
  dmaMaxOutstanding: 8,
  dmaQueuePerCore: 2,
  dmaQueueGlobal: 8,
  dmaSetupCycles: 1,
  dmaL2Latency: 14,
  dmaWmemLatency: 3,
};
