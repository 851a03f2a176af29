// Size limits of everything a file can declare (shapes, initializers, npz members, checkpoints),
// checked before anything is allocated: a hostile or broken file ends with one InputError line,
// never with a multi-gigabyte allocation or a RangeError.
//
// The host-memory budget is the most bytes one input may make this process hold (every tensor of
// a graph as the reference executor stores it, an npz archive inflated, a checkpoint's floats).
// DSIM_HOST_BUDGET=<bytes>[K|M|G] changes it (default 512 MiB).
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { toNumberArray } from './dtype.js';
import { attrInts, SHAPE_RULES, windowOut } from './shapes.js';
import type { Graph } from './ir.js';

export const DEFAULT_HOST_BUDGET = 512 * 1024 * 1024;
/** The reference executor holds every value as a Float64Array, whatever its dtype. */
export const EXECUTOR_BYTES_PER_ELEMENT = 8;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

let override: number | undefined;

/** Bytes one input may occupy in this process (DSIM_HOST_BUDGET, else 512 MiB). */
export function hostBudget(): number {
  if (override !== undefined) return override;
  const raw = process.env.DSIM_HOST_BUDGET;
  if (raw === undefined || raw === '') return DEFAULT_HOST_BUDGET;
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(raw.trim());
  const bytes = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new InputError(`DSIM_HOST_BUDGET=${raw}: expected a positive byte count such as 536870912, 512M or 2G`);
  return bytes;
}

/** Set the budget for this process (tests, the fuzz harness); undefined restores the environment's. */
export function setHostBudget(bytes: number | undefined): void {
  override = bytes;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 3 : 0)} MiB`;

/** Refuse `bytes` beyond the budget, naming what needed them. */
export function checkBudget(bytes: number, what: string): void {
  const budget = hostBudget();
  if (!(bytes <= budget)) throw new InputError(`${what} needs ${mib(bytes)}, more than the host-memory budget of ${mib(budget)} (DSIM_HOST_BUDGET)`);
}

/**
 * Element count of a declared shape: every dimension a non-negative safe integer, the count
 * and its bytes (`bytesPerElement`) within the budget. Never allocates.
 */
export function checkedCount(shape: readonly number[], bytesPerElement: number, what: string): number {
  let count = 1;
  for (const [i, d] of shape.entries())
    if (!Number.isSafeInteger(d) || d < 0) throw new InputError(`${what}: dimension ${i} of shape [${shape.join(', ')}] is ${d}, expected a non-negative integer`);
  for (const d of shape) count *= d;
  checkBudget(count * bytesPerElement, `${what} (shape [${shape.join(', ')}])`);
  return count;
}

/** A file's size before it is read: refuse files larger than the budget. */
export function checkFileSize(path: string, what: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // the read that follows reports the file-system error
  }
  checkBudget(size, `${path}: ${what} of ${size} bytes`);
}

const WINDOW_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'ConvInteger']);

/**
 * Every value of a loaded graph is shaped within the budget (one value and all of them as the
 * executor holds them), and window operators have strides, dilations, pads and kernels that give
 * a non-empty output: checked before the reference executor or the compiler allocates anything.
 */
export function checkGraphSizes(graph: Graph, source: string): void {
  for (const n of graph.nodes) {
    if (!WINDOW_OPS.has(n.op)) continue;
    const where = `${source}: node '${n.name}' (${n.op})`;
    const x = graph.values.get(n.inputs[0] ?? '')?.shape;
    if (!x || x.length < 3) continue;
    const sp = x.length - 2;
    const w = n.op.startsWith('Conv') ? graph.values.get(n.inputs[1] ?? '')?.shape : undefined;
    const k = attrInts(n, 'kernel_shape') ?? w?.slice(2);
    const st = attrInts(n, 'strides') ?? new Array<number>(sp).fill(1);
    const dl = attrInts(n, 'dilations') ?? new Array<number>(sp).fill(1);
    const pd = attrInts(n, 'pads') ?? new Array<number>(2 * sp).fill(0);
    const ints = (what: string, list: number[] | undefined, len: number, min: number) => {
      if (list === undefined) throw new InputError(`${where}: no '${what}' attribute and no weight shape to take it from`);
      if (list.length !== len || list.some((v) => !Number.isSafeInteger(v) || v < min))
        throw new InputError(`${where}: ${what} [${list.join(', ')}]: expected ${len} integers >= ${min}`);
    };
    ints('kernel_shape', k, sp, 1);
    ints('strides', st, sp, 1);
    ints('dilations', dl, sp, 1);
    ints('pads', pd, 2 * sp, 0);
    if (n.op.startsWith('Conv')) {
      const group = Number(n.attrs.group ?? 1);
      if (!Number.isSafeInteger(group) || group < 1) throw new InputError(`${where}: group ${String(n.attrs.group)}: expected an integer >= 1`);
    }
    for (let i = 0; i < sp; i++)
      if (windowOut(x[i + 2]!, k![i]!, st[i]!, dl[i]!, pd[i]!, pd[i + sp]!) < 1)
        throw new InputError(
          `${where}: a window of kernel ${k![i]} with dilation ${dl[i]} spans ${dl[i]! * (k![i]! - 1) + 1} elements, more than the padded input ${x[i + 2]! + pd[i]! + pd[i + sp]!} along spatial axis ${i}`,
        );
  }
  let total = 0;
  for (const [name, v] of graph.values) total += checkedCount(v.shape, EXECUTOR_BYTES_PER_ELEMENT, `${source}: tensor '${name}'`);
  // Declared shapes need not agree with the operators: what the executor will compute from the
  // inputs and attributes must be a valid shape within the budget too.
  const konst = (name: string) => {
    const t = graph.initializers.get(name);
    return t && t.data.length <= 1 << 16 ? Array.from(toNumberArray(t.data)) : undefined;
  };
  for (const n of graph.nodes) {
    const rule = Object.hasOwn(SHAPE_RULES, n.op) ? SHAPE_RULES[n.op] : undefined;
    if (!rule) continue;
    let shape: number[] | undefined;
    try {
      shape = rule(n, n.inputs.map((i) => (i === '' ? undefined : graph.values.get(i))), konst)?.shape;
    } catch {
      shape = undefined; // attributes the rule cannot read: the executor reports them
    }
    if (shape) checkedCount(shape, EXECUTOR_BYTES_PER_ELEMENT, `${source}: node '${n.name}' (${n.op}): output '${n.outputs[0]}' as its inputs and attributes give it`);
  }
  checkBudget(total * EXECUTOR_BYTES_PER_ELEMENT, `${source}: the graph's tensors together (${total} elements)`);
}
