// N-EUREKA's programming interface (../shared/spec/neureka.md, pulp-nnx neureka_task_defs.h): the
// one place for its register offsets, job-word indices, CONF0 fields and subtile geometry. The C
// driver (src/runtime/include/dsim_npu.h) spells the same numbers for the chip side.
import { EVT } from '../src/sim/cluster/event-unit.js';
import { PERIPH } from '../src/sim/cluster/periph.js';
import { siracusa } from '../src/sim/platform/siracusa.js';

/** Offset of the NPU's registers inside the cluster peripheral region (base 0x10200000). */
export const NPU_WINDOW = PERIPH.npu;
export const NPU_WINDOW_SIZE = 0x400;
/** Cluster control register holding the interconnect priority (bit 8: NPU first; [7:0] max stall). */
export const NPU_PRIORITY_WINDOW = PERIPH.ctrl + 0x18;
/** Weight pointers are relative to this address when CONF0 bit 9 (weights from weight memory) is set. */
export const WMEM_BASE = siracusa.mram.base;
/** Event line raised at the end of each job (platform.md). */
export const NPU_EVENT_LINE = EVT.npu;

/** HWPE control registers (offsets in the NPU window). */
export const REG = {
  TRIGGER: 0x00, ACQUIRE: 0x04, FINISHED: 0x08, STATUS: 0x0c, RUNNING_JOB: 0x10, SOFT_CLEAR: 0x14, SWSYNC: 0x18,
  JOB: 0x20,
} as const;
export const JOB_WORDS = 24;
/** ACQUIRE returns this while both contexts are taken: >= 256 unsigned (pulp-nnx's test, the
 * spec's wording) and negative as an int (the HWPE drivers that loop while acquire < 0). */
export const ACQUIRE_FULL = 0xffffffff;
/** STATUS bits: context 0 busy, context 1 busy. */
export const STATUS_CTX = [1 << 0, 1 << 8] as const;

/** Job word indices (register JOB + 4*i). */
export const W = {
  weights: 0, infeat: 1, outfeat: 2, scale: 3, scaleShift: 4, scaleBias: 5,
  inD0: 6, inD1: 7, inD2: 8, outD0: 9, outD1: 10, outD2: 11, wD0: 12, wD1: 13, wD2: 14,
  rem0: 15, rem1: 16, rem2: 17, nb0: 18, nb1: 19, padding: 20, weightOffset: 21, filterMask: 22, conf0: 23,
} as const;
export type JobWordName = keyof typeof W;
export const JOB_WORD_NAMES = Object.keys(W) as JobWordName[];

/** CONF0 fields: [lsb, width]. */
export const CONF0 = {
  weightBitsM1: [0, 3], mode16: [3, 1], normQuant: [4, 1], mode: [5, 2], linear: [7, 1], strided2x2: [8, 1],
  weightsFromWmem: [9, 1], prefetch: [10, 1], scaleBits: [12, 2], streamIn: [14, 1], layerWeightOffset: [15, 1],
  shift: [16, 5], outBits: [21, 2], identity: [23, 1], perChannelShift: [24, 1], bias: [25, 1], inSigned: [26, 1],
} as const;
export type Conf0Field = keyof typeof CONF0;

/** CONF0 mode field values. */
export const MODE = { conv3x3: 0, dw3x3: 1, conv1x1: 2 } as const;
export type NpuMode = keyof typeof MODE;

export function conf0Get(conf: number, f: Conf0Field): number {
  const [lsb, w] = CONF0[f];
  return (conf >>> lsb) & ((1 << w) - 1);
}

/** Build a CONF0 word from field values (fields left out are 0). */
export function conf0(fields: Partial<Record<Conf0Field, number>>): number {
  let v = 0;
  for (const [k, x] of Object.entries(fields) as [Conf0Field, number][]) {
    const [lsb, w] = CONF0[k];
    v |= (x & ((1 << w) - 1)) << lsb;
  }
  return v >>> 0;
}

/** Subtile geometry: output pixels per subtile side, output / input channels per subtile. */
export const GEOMETRY = {
  outSide: 6, outSideStrided: 3, ko: 32, kiConv3x3: 28, kiConv1x1: 32, kDepthwise: 28,
  /** 1x1 input subtile: the 6x6 output pixels (36) */
  loadPixels1x1: 36,
} as const;
