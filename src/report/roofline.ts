// The platform's roofline for `cores` cores, from the timing facts in src/sim/platform/siracusa.ts.
import { siracusa, type Platform } from '../sim/platform/siracusa.js';

/** int8 MACs per SIMD dot-product instruction (pv.sdotsp.b: four byte lanes), one per cycle. */
const MACS_PER_DOTP = 4;

export interface Roofs {
  peakMacPerCycle: number;
  memories: { name: string; bytesPerCycle: number; why: string }[];
}

export function roofs(cores: number, platform: Platform = siracusa): Roofs {
  const t = platform.cluster;
  return {
    peakMacPerCycle: cores * MACS_PER_DOTP,
    memories: [
      { name: 'L1', bytesPerCycle: cores * 4, why: `one 32-bit access per core per cycle, ${t.l1Banks} banks` },
      { name: 'L2', bytesPerCycle: t.dmaBytesPerCycle, why: 'the DMA moves L2 data to L1' },
      { name: 'weight memory', bytesPerCycle: (cores * 4) / (1 + t.wmemLoad), why: `core loads in place, ${1 + t.wmemLoad} cycles per 32-bit word` },
    ],
  };
}
