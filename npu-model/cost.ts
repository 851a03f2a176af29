// The NPU cost model for a compiler: the cycles one job of a given shape takes on an idle
// interconnect (no bank waits), by replaying the same FSM steps the device times (timing.ts), so
// the prediction and the simulation cannot drift apart.
import { decodeJob, type NpuJob } from './job.js';
import { conf0, GEOMETRY, JOB_WORDS, MODE, W, WMEM_BASE, type NpuMode } from './regs.js';
import { JobTimer, jobSteps } from './timing.js';

export interface NpuJobShape {
  mode: NpuMode;
  ko: number;
  ki: number;
  ho: number;
  wo: number;
  stride?: 1 | 2;
  qw?: number;
  outBits?: 8 | 32;
  normQuant?: boolean;
  perChannelShift?: boolean;
  streamIn?: boolean;
  prefetch?: boolean;
  /** weights in the weight memory (CONF0 bit 9) */
  wmem?: boolean;
}

/** The job words of a shape with its buffers laid out densely from the start of L1 (cost only). */
function shapeJob(s: NpuJobShape): NpuJob {
  const stride = s.stride ?? 1, qw = s.qw ?? 8, outBits = s.outBits ?? 8;
  const side = stride === 2 ? GEOMETRY.outSideStrided : GEOMETRY.outSide;
  const subKi = s.mode === 'conv1x1' ? GEOMETRY.kiConv1x1 : GEOMETRY.kiConv3x3;
  const subKo = s.mode === 'dw3x3' ? GEOMETRY.kDepthwise : GEOMETRY.ko;
  const fs = s.mode === 'conv1x1' ? 1 : 3;
  const w = new Uint32Array(JOB_WORDS);
  const l1 = 0x10000000;
  const nKi = Math.ceil(s.ki / subKi);
  w[W.inD0] = s.ki;
  w[W.inD1] = ((s.wo - 1) * stride + fs) * s.ki;
  w[W.outD0] = 32;
  w[W.outD1] = (s.ko * outBits) / 8;
  w[W.outD2] = s.wo * w[W.outD1]!;
  w[W.wD0] = 32;
  w[W.wD1] = s.mode === 'conv1x1' ? 32 * nKi : s.mode === 'conv3x3' ? 32 * qw * nKi : 0;
  w[W.infeat] = l1;
  w[W.outfeat] = l1 + 0x10000;
  w[W.scale] = w[W.scaleShift] = w[W.scaleBias] = l1 + 0x20000;
  w[W.weights] = s.wmem ? 0 : l1 + 0x21000;
  w[W.nb0] = (Math.ceil(s.ko / subKo) << 16) | nKi;
  w[W.rem0] = ((s.ko % subKo) << 16) | s.ki % subKi;
  w[W.nb1] = (Math.ceil(s.ho / side) << 16) | Math.ceil(s.wo / side);
  w[W.rem1] = ((s.ho % side) << 16) | s.wo % side;
  w[W.conf0] = conf0({
    mode: MODE[s.mode], weightBitsM1: qw - 1, outBits: outBits === 32 ? 2 : 0, normQuant: s.normQuant === false ? 0 : 1,
    perChannelShift: s.perChannelShift ? 1 : 0, streamIn: s.streamIn ? 1 : 0, prefetch: s.prefetch ? 1 : 0,
    weightsFromWmem: s.wmem ? 1 : 0, strided2x2: stride === 2 ? 1 : 0, layerWeightOffset: 1,
  });
  // only the geometry matters here: every buffer counts as mapped where the job expects it
  return decodeJob(0, w, (addr) => (addr >= WMEM_BASE ? 'wmem' : 'l1'));
}

/** Cycles of one job of this shape from start to end, without bank waits. */
export function npuJobCycles(shape: NpuJobShape): number {
  const job = shapeJob(shape);
  const t = new JobTimer(job, jobSteps(job), 0);
  t.run(Infinity, () => 0);
  return t.clock;
}
