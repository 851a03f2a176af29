// Attention windows of the decoder step (docs/llm.md, "Window buckets").
//
// The step graph's state holds W past slots (W = seq_len - 1) and attention runs over all of them,
// the empty ones masked to probability exactly 0 (quantize.ts, chooseMaskFill). The same graph with
// a smaller W computes the same outputs as long as every filled slot fits: the dropped slots only
// ever contributed zeros. withWindow() derives such a graph (same nodes and initializers, state
// inputs of W slots, every other shape inferred again); resizeWindow() moves a state between
// windows; usedSlots() says how many of the newest slots a state occupies.
import { InputError } from '../errors.js';
import { fromNumbers, toNumberArray } from '../frontend/dtype.js';
import type { Tensor, TensorInfo } from '../frontend/ir.js';
import { inferShapes } from '../frontend/shapes.js';
import type { StepGraphInfo } from './quantize.js';

/** The slot axis of a state tensor: mask [1, 1, W] and K [kv_heads, head_size, W] last, V [kv_heads, W, head_size] second. */
export function windowAxis(name: string): number {
  if (/^(mask|k)_(in|out)/.test(name)) return 2;
  if (/^v_(in|out)/.test(name)) return 1;
  throw new Error(`internal: '${name}' is not a state tensor of the decoder step`);
}

/** The step graph with a state of `window` past slots (window <= the graph's own). */
export function withWindow(info: StepGraphInfo, window: number): StepGraphInfo {
  if (!Number.isInteger(window) || window < 1 || window > info.window)
    throw new InputError(`attention window ${window}: expected an integer 1..${info.window} (the step graph's own window)`);
  if (window === info.window) return info;
  const g = info.graph;
  const values = new Map<string, TensorInfo>();
  for (const [name, t] of g.initializers) values.set(name, { name, dtype: t.dtype, shape: t.shape.slice() });
  const inputs = g.inputs.map((v, i) => {
    const shape = v.shape.slice();
    if (i >= 2) shape[windowAxis(v.name)] = window;
    const info2 = { name: v.name, dtype: v.dtype, shape };
    values.set(v.name, info2);
    return info2;
  });
  // The Slices that drop the oldest slot end at seq_len, clamped to the (now shorter) axis.
  const graph = { ...g, name: `${g.name}_w${window}`, inputs, values };
  inferShapes(graph, g.values, `${g.name} with window ${window}`);
  graph.outputs = g.outputs.map((o) => values.get(o.name)!);
  return { ...info, graph, window };
}

function layout(t: Tensor): { outer: number; len: number; inner: number } {
  const axis = windowAxis(t.name);
  const prod = (a: number[]) => a.reduce((p, d) => p * d, 1);
  return { outer: prod(t.shape.slice(0, axis)), len: t.shape[axis]!, inner: prod(t.shape.slice(axis + 1)) };
}

/** What an empty slot holds: the mask value in the mask, zero in K and V. */
function emptyValue(t: Tensor, maskFill: number): number {
  return t.name.startsWith('mask_') ? maskFill : 0;
}

/** How many of the newest slots the state occupies (0: all empty); every state tensor counts. */
export function usedSlots(state: readonly Tensor[], maskFill: number): number {
  let used = 0;
  for (const t of state) {
    const { outer, len, inner } = layout(t);
    const d = t.data;
    const e = emptyValue(t, maskFill);
    // the oldest slot not yet known to be empty is len - used - 1
    for (let j = 0; j < len - used; j++) {
      let filled = false;
      for (let o = 0; o < outer && !filled; o++)
        for (let i = 0, base = (o * len + j) * inner; i < inner; i++)
          if (Number(d[base + i]) !== e) {
            filled = true;
            break;
          }
      if (filled) {
        used = len - j;
        break;
      }
    }
  }
  return used;
}

/** The state with `window` slots: the newest slots kept, empty ones added (or dropped) at the old end. */
export function resizeWindow(state: readonly Tensor[], window: number, maskFill: number): Tensor[] {
  return state.map((t) => {
    const { outer, len, inner } = layout(t);
    if (len === window) return t;
    const src = toNumberArray(t.data);
    const out = new Array<number>(outer * window * inner).fill(emptyValue(t, maskFill));
    const keep = Math.min(len, window);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < keep; j++) {
        const from = (o * len + len - keep + j) * inner;
        const to = (o * window + window - keep + j) * inner;
        for (let i = 0; i < inner; i++) out[to + i] = src[from + i]!;
      }
    const shape = t.shape.slice();
    shape[windowAxis(t.name)] = window;
    return { name: t.name, dtype: t.dtype, shape, data: fromNumbers(t.dtype, out) };
  });
}
