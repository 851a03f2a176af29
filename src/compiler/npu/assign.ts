// The engine of every layer (issue 11): each requantised conv / GEMM / MatMul the NPU can run
// exactly (layer.ts) goes to the NPU when its predicted cycles (npu-model/cost.ts through the NPU
// tiling rule, binding.ts) beat the cluster kernel's (the tiler's cost model of that kernel on the
// whole layer); every other candidate stays on the cluster with the reason, for the manifest.
import type { BoundNode } from '../bind.js';
import type { AnyMapping } from '../registry.js';
import type { TypedGraph } from '../types.js';
import { layerConf0, NPU_CONV_BINDING, NPU_ELTWISE_BINDING, NPU_GEMM_BINDING, npuLayerCycles } from './binding.js';
import { analyseNpuLayer, type NpuLayer } from './layer.js';

export interface EngineChoice {
  engine: 'npu' | 'cluster';
  /** why an NPU candidate (a requantised conv / GEMM / MatMul) stays on the cluster */
  reason?: string;
  /** predicted cycles of the whole layer on each engine (operands in L1), when both were costed */
  npuCycles?: number;
  clusterCycles?: number;
  /** the NPU job's mode and weight bits (NPU layers) */
  mode?: string;
  weightBits?: number;
}

const CANDIDATES = new Set(['RQConv', 'RQGemm', 'RQMatMul', 'Conv', 'Gemm', 'MatMul', 'RequantShift']);

/** Cluster cycles of a bound layer: its kernel's tile cost model on the whole layer. */
export function clusterCycles(b: BoundNode, cores: number): number {
  const rule = b.binding.tiling;
  if (!rule) return Math.round(b.mapping.cycles(b.params, cores));
  return Math.round(rule.compute(b.params, b.types, rule.dims(b.params).map((d) => d.size), cores));
}

/** Choose the engines; NPU layers get the NPU binding (their mapping keeps its ops count). */
export function assignEngines(bound: BoundNode[], tg: TypedGraph, opts: { npu: boolean; cores: number }): { bound: BoundNode[]; engines: EngineChoice[] } {
  const engines: EngineChoice[] = [];
  const out = bound.map((b) => {
    if (!CANDIDATES.has(b.node.op)) {
      engines.push({ engine: 'cluster' });
      return b;
    }
    if (!opts.npu) {
      engines.push({ engine: 'cluster', reason: 'NPU off (--no-npu)' });
      return b;
    }
    const a = analyseNpuLayer(b, tg.ranges);
    if (!a.ok) {
      engines.push({ engine: 'cluster', reason: a.reason });
      return b;
    }
    const cluster = clusterCycles(b, opts.cores);
    const npu = npuLayerCycles(a.layer, b.types, opts.cores);
    if (npu >= cluster) {
      engines.push({ engine: 'cluster', reason: `the cluster is predicted faster (${cluster} cycles, NPU ${npu})`, npuCycles: npu, clusterCycles: cluster });
      return b;
    }
    engines.push({ engine: 'npu', npuCycles: npu, clusterCycles: cluster, mode: a.layer.mode, weightBits: a.layer.qw });
    return npuBound(b, a.layer, npu);
  });
  return { bound: out, engines };
}

function npuBound(b: BoundNode, layer: NpuLayer, cycles: number): BoundNode {
  const binding = layer.kind === 'conv' ? NPU_CONV_BINDING : layer.kind === 'gemm' ? NPU_GEMM_BINDING : NPU_ELTWISE_BINDING;
  const ops = b.mapping.ops(b.params);
  const mapping: AnyMapping = { ...b.mapping, cycles: () => cycles, ops: () => ops, bindings: [binding] };
  return { node: b.node, mapping, params: layer, binding, types: b.types };
}

/** Comment lines for the layer's header in network.c: the NPU job fields; the layout of a layer
 *  that passes the NPU's HWC activations through (npu/layout.ts). */
export function npuComment(b: BoundNode): string[] {
  const layout = b.hwc ? [`layout: ${b.hwc.why}`] : [];
  if (b.binding !== NPU_CONV_BINDING && b.binding !== NPU_GEMM_BINDING && b.binding !== NPU_ELTWISE_BINDING) return layout;
  const p = b.params as NpuLayer;
  const f = p.folded;
  return [
    `NPU (N-EUREKA) job: mode ${p.mode}${p.stride === 2 ? ' strided 2x2' : ''}, Ki ${p.ki}, Ko ${p.ko}, ${p.kind === 'eltwise' ? `${p.OH} elements as pixels of ${p.ki} channels, centre tap only (acc = x), padding 1` : p.kind === 'gemm' ? `${p.OH} rows as pixels (6 per subtile row)` : `out ${p.OH}x${p.OW}, in ${p.H}x${p.W}, pad t${p.padT} l${p.padL}`}`,
    `  CONF0 0x${layerConf0(p).toString(16)} (+ bit 9 when the weights are in the weight memory): ${p.inSigned ? 'signed' : 'unsigned'} input, ${p.qw}-bit weights offset ${p.packed.offset}, ` +
      `normquant ${f.scaleBits}-bit scale, bias, shift ${f.shift}, ${f.relu ? 'ReLU [0,255]' : 'identity [-128,127]'}, prefetch`,
    `  RequantShift folded: scale = |mul|, bias = conv bias * mul + add + ${f.shift ? `2^${f.shift - 1}` : '0'} (rounding)${f.negate.some((x) => x) ? `, ${f.negate.filter((x) => x).length} channel(s) with mul < 0 on negated weights` : ''}`,
    `  weights packed (pulp-nnx layout) ${p.packed.bytes.length} B, strides d0 ${p.packed.strides[0]} d1 ${p.packed.strides[1]}`,
    ...(p.kind === 'conv'
      ? [
          `  layout: input ${p.hwcIn ? 'HWC as the NPU layer before wrote it (no transpose)' : 'NCHW, transposed to HWC in the scratch by all cores'}, ` +
            `output ${p.hwcOut ? 'HWC, read only by layers that take HWC (no transpose)' : 'NCHW, transposed back from the scratch by all cores'}`,
        ]
      : layout),
  ];
}

/**
 * After the tiler refused a layer (`layer 'X' (Op) cannot be tiled under --l1 N: ...`): when X
 * runs on the NPU, the same engines with X back on its cluster binding; else undefined.
 */
export function demoteUntileable(message: string, cluster: BoundNode[], bound: BoundNode[], engines: EngineChoice[], l1: number): { bound: BoundNode[]; engines: EngineChoice[] } | undefined {
  const name = /^layer '(.*)' \([^)]*\) cannot be tiled under/.exec(message)?.[1];
  const k = bound.findIndex((b, i) => b.node.name === name && engines[i]!.engine === 'npu');
  if (k < 0) return undefined;
  const e = engines[k]!;
  return {
    bound: bound.map((b, i) => (i === k ? cluster[i]! : b)),
    engines: engines.map((x, i) => (i === k ? { engine: 'cluster', reason: `its NPU tiles (scratch for the layout transposes) do not fit --l1 ${l1}`, npuCycles: e.npuCycles, clusterCycles: e.clusterCycles } : x)),
  };
}
