// Activations between NPU conv layers stay in the NPU's layout (issue 11): the cluster kernels
// read and write channel-major (NCHW) tensors, the NPU pixel-major (HWC), so an NPU conv layer
// transposes its input into scratch before the job and its output back after it. A tensor that
// is never seen channel-major by anyone needs neither transpose: the NPU conv that writes it
// writes it HWC and the NPU convs that read it read it as it is.
//
// Besides NPU convs, layers whose element i depends only on element i of their inputs (Add /
// RQAdd / RequantShift with per-tensor or per-channel constants: the registry's `hwc` view, the
// same kernel walking the NHWC order; the NPU's flat elementwise requantisation: bytes in any
// order) give the HWC result on HWC inputs, so the layout passes through them. Such a layer ties
// its activations: all its runtime inputs and its output are HWC, or none.
//
// The assignment is a greatest fixed point over the graph: start from every tensor an NPU conv or
// a layout-free layer writes and only such layers read (as their activation; not a network
// output, not behind an Alias, rank 4), then drop every tensor tied to a dropped one until nothing
// changes. The ties split the survivors into independent groups; a group stays HWC when the cost
// model says it pays: the transposes its NPU convs no longer run against what the layout-free
// cluster layers cost more walking HWC (per-channel vectors read along the pixels).
// Bit-exact by construction: the same bytes, in another order that only these layers see.
import type { BoundNode } from '../bind.js';
import { consumers, isGraphOutput } from '../graph.js';
import { Unsupported } from '../registry.js';
import type { TypedGraph } from '../types.js';
import { clusterCycles } from './assign.js';
import { NPU_CONV_BINDING, NPU_ELTWISE_BINDING, npuLayerCycles } from './binding.js';
import type { NpuLayer } from './layer.js';

const isNpuConv = (b: BoundNode | undefined) => b?.binding === NPU_CONV_BINDING;

/** A layer's part in the layout: an NPU conv (input 0 and output independently), a layout-free
 *  layer (its activations together, with its params for the HWC walk), or NCHW only. */
type Role = { kind: 'conv' } | { kind: 'free'; acts: string[]; hwc: Pick<BoundNode, 'params' | 'binding'>; extra: number } | { kind: 'fixed' };

function roleOf(b: BoundNode, tg: TypedGraph, cores: number): Role {
  if (isNpuConv(b)) return { kind: 'conv' };
  if (b.node.outputs.length !== 1) return { kind: 'fixed' };
  const acts = [...new Set(b.node.inputs.filter((i) => i && !tg.graph.initializers.has(i))), b.node.outputs[0]!];
  // the NPU's elementwise job: the tensor's bytes as pixels of ki channels, one scale and bias
  if (b.binding === NPU_ELTWISE_BINDING) return { kind: 'free', acts, hwc: { params: b.params, binding: b.binding }, extra: 0 };
  if (!b.mapping.hwc) return { kind: 'fixed' };
  let hwcParams: unknown;
  try {
    hwcParams = b.mapping.hwc(b.node, tg.graph);
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'fixed' };
    throw e;
  }
  // the mapping's first binding that takes the HWC walk (an HWC variant of the kernel, or the same)
  const binding = b.mapping.bindings.find((x) => x.check(hwcParams, b.types) === undefined);
  if (!binding) return { kind: 'fixed' };
  const extra = clusterCycles({ ...b, params: hwcParams, binding }, cores) - clusterCycles(b, cores);
  return { kind: 'free', acts, hwc: { params: hwcParams, binding }, extra };
}

/** Cycles an NPU conv saves when its input (`side` in) or output is HWC: that side's transposes. */
function transposeCycles(b: BoundNode, side: 'in' | 'out', cores: number): number {
  const p = { ...(b.params as NpuLayer), hwcIn: false, hwcOut: false };
  return npuLayerCycles(p, b.types, cores) - npuLayerCycles(side === 'in' ? { ...p, hwcIn: true } : { ...p, hwcOut: true }, b.types, cores);
}

/** The tensors kept in HWC; NPU conv layers get `hwcIn` / `hwcOut`, layout-free layers on HWC
 *  tensors their HWC params and `hwc` (the reason, for the manifest and the C comment). */
export function assignNpuLayouts(assigned: BoundNode[], tg: TypedGraph, cores: number): { bound: BoundNode[]; hwc: Set<string> } {
  const g = tg.graph;
  // from scratch (the pipeline assigns again after moving a layer back to the cluster)
  const bound = assigned.map((b) => (b.hwc ? { node: b.node, mapping: b.mapping, types: b.types, ...b.hwc.nchw } : b));
  const byNode = new Map(bound.map((b) => [b.node, b]));
  const producer = new Map(bound.flatMap((b) => b.node.outputs.map((o) => [o, b] as const)));
  const readers = consumers(g);
  const roles = new Map(bound.map((b) => [b, roleOf(b, tg, cores)]));
  const role = (b: BoundNode | undefined): Role => (b ? roles.get(b)! : { kind: 'fixed' });
  const readsHwc = (b: BoundNode | undefined, t: string) => {
    const r = role(b);
    if (r.kind === 'free') return true;
    // an NPU conv reads HWC only as its activation (input 0), and only there
    return r.kind === 'conv' && b!.node.inputs.indexOf(t) === 0 && b!.node.inputs.lastIndexOf(t) === 0;
  };
  const rank4 = (t: string) => g.values.get(t)?.shape.length === 4;

  // candidates: written by an NPU conv / layout-free layer, read only by such layers
  const hwc = new Set<string>();
  for (const b of bound) {
    if (role(b).kind === 'fixed') continue;
    const y = b.node.outputs[0]!;
    const rs = readers.get(y) ?? [];
    if (rs.length > 0 && !isGraphOutput(g, y) && rank4(y) && rs.every((n) => readsHwc(byNode.get(n as BoundNode['node']), y))) hwc.add(y);
  }
  // greatest fixed point: a layout-free layer keeps all its activations HWC or none
  const free = bound.filter((b) => role(b).kind === 'free');
  const actsOf = (b: BoundNode) => (role(b) as Extract<Role, { kind: 'free' }>).acts;
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of free) {
      const acts = actsOf(b);
      if (acts.some((t) => hwc.has(t)) && !acts.every((t) => hwc.has(t))) {
        for (const t of acts) hwc.delete(t);
        changed = true;
      }
    }
  }
  // groups of tensors tied by layout-free layers; each stays HWC only where it pays
  const group = new Map<string, string>([...hwc].map((t) => [t, t]));
  const find = (t: string): string => {
    const p = group.get(t)!;
    if (p === t) return t;
    const r = find(p);
    group.set(t, r);
    return r;
  };
  for (const b of free) {
    const acts = actsOf(b);
    if (!hwc.has(acts[0]!)) continue;
    for (const t of acts.slice(1)) group.set(find(t), find(acts[0]!));
  }
  const gain = new Map<string, number>();
  const addGain = (t: string, c: number) => gain.set(find(t), (gain.get(find(t)) ?? 0) + c);
  for (const b of bound) {
    const r = role(b);
    if (r.kind === 'conv') {
      if (hwc.has(b.node.inputs[0]!)) addGain(b.node.inputs[0]!, transposeCycles(b, 'in', cores));
      if (hwc.has(b.node.outputs[0]!)) addGain(b.node.outputs[0]!, transposeCycles(b, 'out', cores));
    } else if (r.kind === 'free' && hwc.has(r.acts[0]!)) addGain(r.acts[0]!, -r.extra);
  }
  for (const t of [...hwc]) if ((gain.get(find(t)) ?? 0) <= 0) hwc.delete(t);

  const convsOf = (t: string) => {
    const ts = [...hwc].filter((u) => find(u) === find(t));
    const wr = ts.map((u) => producer.get(u)).filter(isNpuConv).map((b) => b!.node.name);
    const rd = ts.flatMap((u) => (readers.get(u) ?? []).map((n) => byNode.get(n as BoundNode['node']))).filter(isNpuConv).map((b) => b!.node.name);
    return `written by NPU conv ${[...new Set(wr)].join(', ')}, read by NPU conv ${[...new Set(rd)].join(', ')}`;
  };
  const out = bound.map((b) => {
    const r = role(b);
    if (r.kind === 'free') {
      if (!hwc.has(r.acts[0]!)) return b;
      const how =
        b.binding === NPU_ELTWISE_BINDING
          ? 'one scale and bias for all bytes, so the flat job is the same in any order'
          : `element i from element i of its inputs, so ${r.hwc.binding.kernel} walks them pixel-major (constants indexed by their NCHW strides in that order)`;
      return { ...b, ...r.hwc, hwc: { nchw: { params: b.params, binding: b.binding }, why: `activations HWC (pixel-major) as the NPU convs around them keep them (${convsOf(r.acts[0]!)}): ${how}` } };
    }
    if (r.kind !== 'conv') return b;
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

/** The manifest's record of a layer's activation layouts: NPU conv layers, and the layout-free
 *  layers that pass HWC through (undefined for other layers). */
export function npuLayoutOf(b: BoundNode): { input: 'hwc' | 'nchw'; output: 'hwc' | 'nchw' } | undefined {
  if (b.hwc) return { input: 'hwc', output: 'hwc' };
  if (!isNpuConv(b)) return undefined;
  const p = b.params as NpuLayer;
  return { input: p.hwcIn ? 'hwc' : 'nchw', output: p.hwcOut ? 'hwc' : 'nchw' };
}

