// The NPU as a kernel binding: `dsim_npu_layer` (src/runtime/include/dsim_npu.h) with a tiling
// rule in the NPU's subtile geometry, so the tiler (tile.ts) schedules NPU layers like cluster
// ones: tiles of the activations in L1 (the NPU reads and writes L1 only), double-buffered DMA
// (the cluster's DMA brings tile i+1 while the NPU computes tile i), the per-channel scale and
// bias vectors as tile slices. The packed weights stay in the weight memory (CONF0 bit 9): they
// are no slice, the plan puts them in .wmem (or L1 when the tiler keeps small constants there).
import { DTYPES } from '../../frontend/dtype.js';
import { npuJobCycles } from '../../../npu-model/cost.js';
import { conf0, GEOMETRY, MODE } from '../../../npu-model/regs.js';
import type { Binding, TileContext, TileDim, TilePipeline, TilingRule, TypeSignature } from '../registry.js';
import type { NpuLayer } from './layer.js';

/** Cycles a job adds besides the NPU's own (acquire, 24 job words, trigger, the sleep and wake-up on
 *  event 12, the layer's barrier): fitted to the per-layer counters of microLlama64 and miniMobileNetv2. */
export const NPU_JOB_OVERHEAD = 550;
/** Cycles per byte of a channel-major <-> pixel-major transpose on one core (load, store, loop). */
export const TRANSPOSE_CYCLES_PER_BYTE = 10;
/** The barriers of a conv tile (after the transpose in, after the job). */
const CONV_TILE_SYNC = 60;
/** Pipelined conv tiles (tile-loop.ts): the two barriers of an iteration and core 0's steps
 *  between them while the other cores wait (the previous job's end, the DMA programs, the next
 *  tile's args): about 330 cycles a tile on Conv/PW_2D_RQ's traces. */
const PIPE_TILE_SYNC = 330;
/** Pipelined conv tiles: from the end of tile i-1's job to the start of tile i's, core 0 sees the
 *  end, runs its steps before the barrier and submits (acquire, 24 job words, trigger): about 870
 *  cycles on a 3x3 conv whose jobs are longer than its transposes. */
const PIPE_JOB_GAP = 870;
/** sizeof(dsim_npu_layer_args_t) on RV32, rounded up (the emitted C asserts it): the pipelined
 *  loop keeps three tiles' working args in L1. */
export const NPU_ARGS_BYTES = 96;
export const NPU_PIPE_ARGS = 3;

const align4 = (x: number) => Math.ceil(x / 4) * 4;
const scaleBytes = (p: NpuLayer) => p.folded.scaleBits / 8;

/** Input rows [first, end) of output rows [oh0, oh0 + toh), clipped to the image. */
function inputRows(p: NpuLayer, oh0: number, toh: number): [number, number] {
  const first = oh0 * p.stride - p.padT;
  const last = (oh0 + toh - 1) * p.stride - p.padT + p.fs - 1;
  return [Math.max(0, first), Math.min(p.H, last + 1)];
}

function jobCycles(p: NpuLayer, ko: number, ki: number, ho: number, wo: number): number {
  return npuJobCycles({ mode: p.mode, ko, ki, ho, wo, stride: p.stride, qw: p.qw, prefetch: true, wmem: true }) + NPU_JOB_OVERHEAD;
}

/** A conv tile's cycles on the cores (the transposes and their barriers) and on the NPU (the job
 *  and core 0's submission and wake-up). */
function convTileParts(p: NpuLayer, size: number[], cores: number, pipelined: boolean): { cores: number; npu: number } {
  // pipelined, core 0 submits the jobs and moves the tiles while the other cores transpose
  const movers = pipelined && cores > 1 ? cores - 1 : cores;
  const [tk, toh, tw = p.OW] = size as [number, number, number?];
  const cc = p.mode === 'dw3x3' ? tk : p.ki;
  const hh = Math.min(p.H, (toh - 1) * p.stride + p.fs);
  const win = tw < p.OW ? tw : p.W;
  // the transposes of the operands kept channel-major, and their barriers; HWC operands have none
  const moved = (p.hwcIn ? 0 : cc * hh * win) + (p.hwcOut ? 0 : tk * toh * tw);
  const sync = pipelined ? PIPE_TILE_SYNC : (p.hwcIn ? 0 : CONV_TILE_SYNC / 2) + (p.hwcOut ? 0 : CONV_TILE_SYNC / 2);
  return { cores: Math.round((moved * TRANSPOSE_CYCLES_PER_BYTE) / movers) + sync, npu: jobCycles(p, tk, cc, toh, tw) };
}

/** Predicted cycles of one tile (conv: [tk, toh]; gemm: [tm, tn]); a pipelined conv tile
 *  (tile-loop.ts): its transposes run while the NPU runs the next tile's job. */
export function npuTileCycles(p: NpuLayer, size: number[], cores: number, ctx?: Pick<TileContext, 'pipelined'>): number {
  if (p.kind === 'eltwise') {
    // elements as pixels of ki channels, 6 pixels wide; the rows left; the channels left
    const te = size[0]!;
    const px = Math.floor(te / p.ki);
    const rows6 = Math.floor(px / 6);
    const rest = px % 6;
    const tail = te % p.ki;
    return (rows6 ? jobCycles(p, p.ko, p.ki, rows6, 6) : 0) + (rest ? jobCycles(p, p.ko, p.ki, 1, rest) : 0) + (tail ? jobCycles(p, tail, tail, 1, 1) : 0);
  }
  if (p.kind === 'gemm') {
    const [tm, tn] = size as [number, number];
    const rows6 = Math.floor(tm / 6);
    const rest = tm % 6;
    return (rows6 ? jobCycles(p, tn, p.ki, rows6, 6) : 0) + (rest ? jobCycles(p, tn, p.ki, 1, rest) : 0);
  }
  const parts = convTileParts(p, size, cores, ctx?.pipelined === true);
  if (!ctx?.pipelined) return parts.cores + parts.npu;
  return Math.max(parts.cores, parts.npu - NPU_JOB_OVERHEAD + PIPE_JOB_GAP);
}

/** A conv tile's scratch: its HWC input (unless X is HWC already), then its HWC output (unless Y is). */
function convScratch(p: NpuLayer, tk: number, toh: number, tw: number): { input: number; output: number } {
  const cc = p.mode === 'dw3x3' ? tk : p.ki;
  const hh = Math.min(p.H, (toh - 1) * p.stride + p.fs);
  const win = tw < p.OW ? tw : p.W;
  return { input: p.hwcIn ? 0 : align4(cc * hh * win), output: p.hwcOut ? 0 : align4(tk * toh * tw) };
}

/** A conv that still transposes (an operand channel-major) may pipeline its tiles: two scratch
 *  copies, three tiles' working args. A tile then costs the longer of its transposes and its job;
 *  the pipeline's start and end add the shorter once (the first tile's transpose in and the last
 *  one's out when the NPU is the slower, the last job when the cores are). */
function convPipeline(p: NpuLayer): TilePipeline | undefined {
  if (p.hwcIn && p.hwcOut) return undefined; // nothing for the cores: npuPipelined's loop
  return {
    extraBytes: NPU_PIPE_ARGS * NPU_ARGS_BYTES,
    // the HWC input, then the HWC output (dsim_npu_tile_place_scratch)
    scratchParts: ([, tk, toh, tw]) => {
      const { input, output } = convScratch(p, tk!, toh!, tw!);
      return [input, output];
    },
    fill: ([, tk, toh, tw], cores) => {
      const parts = convTileParts(p, [tk!, toh!, tw!], cores, true);
      return Math.min(parts.cores, parts.npu);
    },
  };
}

/** A pointwise conv without padding may also split its output columns, one output row per tile
 *  (the input tile is then one strided 2D DMA, and its transpose scratch shrinks with it). */
const splitsColumns = (p: NpuLayer) => p.mode === 'conv1x1' && p.padT === 0 && p.padL === 0 && p.W === p.OW && p.H === p.OH;

const dwChoices = (K: number) => [...Array.from({ length: Math.floor((K - 1) / GEOMETRY.kDepthwise) }, (_, i) => (i + 1) * GEOMETRY.kDepthwise), K];

const convRule: TilingRule<NpuLayer> = {
  dims(p) {
    // an HWC output (and a depthwise HWC input) is not split by channels: its tile's pixels stay
    // ko (ki) bytes apart whether the tile is DMA'd or read in place
    const whole = p.hwcOut || (p.mode === 'dw3x3' && p.hwcIn);
    const k: TileDim = whole
      ? { name: 'k', size: p.ko, align: 1, choices: [p.ko] }
      : p.mode === 'dw3x3'
        ? { name: 'k', size: p.ko, align: 1, choices: dwChoices(p.ko) }
        : { name: 'k', size: p.ko, align: GEOMETRY.ko, minAlign: 1 };
    const side = p.stride === 2 ? GEOMETRY.outSideStrided : GEOMETRY.outSide;
    const ow: TileDim = splitsColumns(p) ? { name: 'ow', size: p.OW, align: side, minAlign: 1 } : { name: 'ow', size: p.OW, align: 1, choices: [p.OW] };
    return [{ name: 'n', size: p.N, align: 1, choices: [1] }, k, { name: 'oh', size: p.OH, align: side, minAlign: 1 }, ow];
  },
  legal: (p, [, , toh, tw]) => tw === p.OW || toh === 1,
  slices(p, t, [n, k0, oh0, ow0], [, tk, toh, tw]) {
    const eY = DTYPES[t.outputs[0]!].bytes;
    const [ih0, ih1] = inputRows(p, oh0!, toh!);
    const dw = p.mode === 'dw3x3';
    const c0 = dw ? k0! : 0;
    const cc = dw ? tk! : p.ki;
    const sb = scaleBytes(p);
    // HWC operands: whole pixels (all channels), so a tile's rows are one contiguous range
    // a column tile (pointwise, one row): input column = output column
    const cols = tw! < p.OW;
    const X = p.hwcIn
      ? cols
        ? { offset: ((n! * p.H + ih0) * p.W + ow0!) * p.ki, rowBytes: tw! * p.ki, rows: 1, stride: 0 }
        : { offset: (n! * p.H + ih0) * p.W * p.ki, rowBytes: (ih1 - ih0) * p.W * p.ki, rows: 1, stride: 0 }
      : cols
        ? { offset: ((n! * p.ki + c0) * p.H + ih0) * p.W + ow0!, rowBytes: tw!, rows: cc, stride: p.H * p.W }
        : { offset: ((n! * p.ki + c0) * p.H + ih0) * p.W, rowBytes: (ih1 - ih0) * p.W, rows: cc, stride: p.H * p.W };
    const Y = p.hwcOut
      ? { offset: ((n! * p.OH + oh0!) * p.OW + ow0!) * p.ko * eY, rowBytes: toh! * tw! * p.ko * eY, rows: 1, stride: 0 }
      : { offset: (((n! * p.ko + k0!) * p.OH + oh0!) * p.OW + ow0!) * eY, rowBytes: toh! * tw! * eY, rows: tk!, stride: p.OH * p.OW * eY };
    return [
      { field: 'X', dir: 'in', ...X },
      { field: 'scale', dir: 'in', offset: k0! * sb, rowBytes: tk! * sb, rows: 1, stride: 0 },
      { field: 'bias', dir: 'in', offset: k0! * 4, rowBytes: tk! * 4, rows: 1, stride: 0 },
      { field: 'Y', dir: 'out', ...Y },
    ];
  },
  coords(p, [, k0, oh0], [, tk, toh, tw]) {
    const [ih0, ih1] = inputRows(p, oh0!, toh!);
    return { k0: k0!, tk: tk!, toh: toh!, cc: p.mode === 'dw3x3' ? tk! : p.ki, hh: ih1 - ih0, padt: ih0 - (oh0! * p.stride - p.padT), ...(splitsColumns(p) ? { tw: tw! } : {}) };
  },
  setup: (p) => ['T->ki = cc; T->hin = hh; T->ko = tk; T->ho = toh; T->pad_t = padt; T->k0 = k0;', ...(splitsColumns(p) ? ['T->win = tw; T->wo = tw; /* a column tile: its input is tw pixels wide too */'] : [])],
  scratch(p, _t, [, tk, toh, tw]) {
    const { input, output } = convScratch(p, tk!, toh!, tw!);
    return input + output;
  },
  compute: (p, _t, [, tk, toh, tw], cores, ctx) => npuTileCycles(p, [tk!, toh!, tw!], cores, ctx),
  pipeline: convPipeline,
};

const gemmRule: TilingRule<NpuLayer> = {
  dims: (p) => [
    { name: 'm', size: p.OH, align: GEOMETRY.outSide, minAlign: 1 },
    { name: 'n', size: p.ko, align: GEOMETRY.ko, minAlign: 1 },
  ],
  slices(p, _t, [m0, n0], [tm, tn]) {
    const sb = scaleBytes(p);
    return [
      { field: 'X', dir: 'in', offset: m0! * p.ki, rowBytes: tm! * p.ki, rows: 1, stride: 0 },
      { field: 'scale', dir: 'in', offset: n0! * sb, rowBytes: tn! * sb, rows: 1, stride: 0 },
      { field: 'bias', dir: 'in', offset: n0! * 4, rowBytes: tn! * 4, rows: 1, stride: 0 },
      { field: 'Y', dir: 'out', offset: m0! * p.ko + n0!, rowBytes: tn!, rows: tm!, stride: p.ko },
    ];
  },
  coords: (_p, [m0, n0], [tm, tn]) => ({ m0: m0!, n0: n0!, tm: tm!, tn: tn! }),
  setup: () => ['T->ho = tm; T->ko = tn; T->k0 = n0;'],
  scratch: () => 0,
  compute: (p, _t, [tm, tn]) => npuTileCycles(p, [tm!, tn!], 1),
};

const eltwiseRule: TilingRule<NpuLayer> = {
  dims: (p) => [{ name: 'e', size: p.OH, align: 6 * p.ki, minAlign: p.ki }],
  slices(p, _t, [e0], [te]) {
    const sb = scaleBytes(p);
    return [
      { field: 'X', dir: 'in', offset: e0!, rowBytes: te!, rows: 1, stride: 0 },
      { field: 'scale', dir: 'in', offset: 0, rowBytes: p.ko * sb, rows: 1, stride: 0 },
      { field: 'bias', dir: 'in', offset: 0, rowBytes: p.ko * 4, rows: 1, stride: 0 },
      { field: 'Y', dir: 'out', offset: e0!, rowBytes: te!, rows: 1, stride: 0 },
    ];
  },
  coords: (_p, [e0], [te]) => ({ e0: e0!, te: te! }),
  setup: () => ['T->ho = te;'],
  scratch: () => 0,
  compute: (p, _t, [te]) => npuTileCycles(p, [te!], 1),
};

/** CONF0 of a layer's jobs, but the weight-memory bit (the C sets it from the weights' address). */
export function layerConf0(p: NpuLayer): number {
  return conf0({
    mode: MODE[p.mode], weightBitsM1: p.qw - 1, normQuant: 1, shift: p.folded.shift, identity: p.folded.relu ? 0 : 1,
    outBits: 0, scaleBits: p.folded.scaleBits === 8 ? 0 : 2, bias: 1, inSigned: p.inSigned ? 1 : 0, layerWeightOffset: 1,
    prefetch: 1, strided2x2: p.stride === 2 ? 1 : 0,
  });
}

export const NPU_KERNEL = 'dsim_npu_layer';
export const NPU_ARGS_TYPE = 'dsim_npu_layer_args_t';

function makeBinding(rule: TilingRule<NpuLayer>): Binding<NpuLayer> {
  return {
    kernel: NPU_KERNEL,
    tiling: rule,
    check: () => undefined,
    emit(p, ctx) {
      const W = ctx.constant(`${p.layer}_npu_w`, 'uint8', p.packed.bytes, [p.packed.bytes.length]);
      const scale = ctx.constant(`${p.layer}_npu_scale`, p.folded.scaleBits === 8 ? 'uint8' : 'int32', p.folded.scale, [p.ko]);
      const bias = ctx.constant(`${p.layer}_npu_bias`, 'int32', p.folded.bias, [p.ko]);
      const conv = p.kind === 'conv';
      return {
        argsType: NPU_ARGS_TYPE,
        fields: {
          // bare names: the tiler recognises activations and constants by them (the fields' C types convert)
          X: ctx.inputs[0]!.ptr,
          Y: ctx.outputs[0]!.ptr,
          W,
          scale,
          bias,
          scratch: '0',
          hwc_in: p.hwcIn ? 1 : 0,
          hwc_out: p.hwcOut ? 1 : 0,
          flat: conv ? 0 : 1,
          eltwise: p.kind === 'eltwise' ? 1 : 0,
          async: 0, // set by the emitter where the cluster may go on (overlap.ts)
          conf0: `0x${layerConf0(p).toString(16)}u`,
          w_offset: p.packed.offset,
          w_d1: p.wD1,
          w_major: p.wMajor,
          ki: p.ki,
          hin: p.H,
          win: p.W,
          ko: p.ko,
          ho: p.OH,
          wo: p.OW,
          stride: p.stride,
          fs: p.fs,
          pad_t: p.padT,
          pad_l: p.padL,
          k0: 0,
        },
      };
    },
  };
}

export const NPU_CONV_BINDING = makeBinding(convRule);
export const NPU_GEMM_BINDING = makeBinding(gemmRule);
export const NPU_ELTWISE_BINDING = makeBinding(eltwiseRule);

/** The whole layer as one tile (the engine choice compares it with the cluster's kernel). */
export function npuLayerCycles(p: NpuLayer, t: TypeSignature, cores: number): number {
  const rule = p.kind === 'conv' ? convRule : p.kind === 'gemm' ? gemmRule : eltwiseRule;
  return rule.compute(p, t, rule.dims(p).map((d) => d.size), cores);
}
