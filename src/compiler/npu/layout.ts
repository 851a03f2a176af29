// Activations between NPU conv layers stay in the NPU's layout (issue 11): the cluster kernels
// read and write channel-major (NCHW) tensors, the NPU pixel-major (HWC), so an NPU conv layer
// transposes its input into scratch before the job and its output back after it. A tensor that an
// NPU conv layer writes and only NPU conv layers read (no cluster kernel, no alias, not a network
// output) never needs the channel-major form: the producer's job writes it HWC and the consumers'
// jobs read it as it is, so both transposes go. Bit-exact by construction: the same bytes, in
// another order that only NPU jobs see.
import type { BoundNode } from '../bind.js';
import { consumers, isGraphOutput } from '../graph.js';
import type { TypedGraph } from '../types.js';
import { NPU_CONV_BINDING, npuLayerCycles } from './binding.js';
import type { NpuLayer } from './layer.js';

const isNpuConv = (b: BoundNode | undefined) => b?.binding === NPU_CONV_BINDING;

/** The tensors kept in HWC, and the NPU conv layers with `hwcIn` / `hwcOut` set accordingly. */
export function assignNpuLayouts(bound: BoundNode[], tg: TypedGraph, cores: number): { bound: BoundNode[]; hwc: Set<string> } {
  const byNode = new Map(bound.map((b) => [b.node, b]));
  const readers = consumers(tg.graph);
  const hwc = new Set<string>();
  for (const b of bound) {
    if (!isNpuConv(b)) continue;
    const y = b.node.outputs[0]!;
    const rs = readers.get(y) ?? [];
    // every reader an NPU conv reading it as its activation (input 0), none a graph output
    if (rs.length > 0 && !isGraphOutput(tg.graph, y) && rs.every((n) => isNpuConv(byNode.get(n as BoundNode['node'])) && n.inputs.indexOf(y) === 0 && n.inputs.lastIndexOf(y) === 0)) hwc.add(y);
  }
  const out = bound.map((b) => {
    if (!isNpuConv(b)) return b;
    const p = b.params as NpuLayer;
    const hwcIn = hwc.has(b.node.inputs[0]!);
    const hwcOut = hwc.has(b.node.outputs[0]!);
    if (hwcIn === p.hwcIn && hwcOut === p.hwcOut) return b;
    const params: NpuLayer = { ...p, hwcIn, hwcOut };
    const cycles = npuLayerCycles(params, b.types, cores);
    return { ...b, params, mapping: { ...b.mapping, cycles: () => cycles } };
  });
  return { bound: out, hwc };
}

/** The manifest's record of an NPU conv layer's activation layouts (undefined for other layers). */
export function npuLayoutOf(b: BoundNode): { input: 'hwc' | 'nchw'; output: 'hwc' | 'nchw' } | undefined {
  if (!isNpuConv(b)) return undefined;
  const p = b.params as NpuLayer;
  return { input: p.hwcIn ? 'hwc' : 'nchw', output: p.hwcOut ? 'hwc' : 'nchw' };
}
