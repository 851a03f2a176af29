// Reading node attributes and constant tensors as numbers. QuantLib graphs store scalar
// attributes of their custom ops (div, n_levels, signed, coeffA, ...) as one-element float
// tensors, standard ops as INT/INTS: these helpers accept both, so parsers stay typed and short.
import { InputError } from '../errors.js';
import { toNumberArray } from '../frontend/dtype.js';
import type { AttrValue, Node, Tensor } from '../frontend/ir.js';

function describe(node: Node): string {
  return `node '${node.name}' (${node.op})`;
}

function asNumbers(v: AttrValue): number[] | undefined {
  if (typeof v === 'number') return [v];
  if (typeof v === 'bigint') return [Number(v)];
  if (typeof v === 'string') return undefined;
  if (Array.isArray(v)) return v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  return Array.from(toNumberArray((v as Tensor).data));
}

/** A scalar attribute (INT, FLOAT or a one-element tensor); `fallback` when absent. */
export function scalarAttr(node: Node, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new InputError(`${describe(node)}: missing attribute '${name}'`);
  }
  const nums = asNumbers(v);
  if (!nums || nums.length !== 1) throw new InputError(`${describe(node)}: attribute '${name}' must be one number, got ${JSON.stringify(v)}`);
  return nums[0]!;
}

/** An integer-valued scalar attribute. */
export function intAttr(node: Node, name: string, fallback?: number): number {
  const x = scalarAttr(node, name, fallback);
  if (!Number.isInteger(x)) throw new InputError(`${describe(node)}: attribute '${name}' must be an integer, got ${x}`);
  return x;
}

/** An INTS attribute; `fallback` when absent. */
export function intsAttr(node: Node, name: string, fallback?: number[]): number[] {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new InputError(`${describe(node)}: missing attribute '${name}'`);
  }
  const nums = asNumbers(v);
  if (!nums || !nums.every(Number.isInteger)) throw new InputError(`${describe(node)}: attribute '${name}' must be a list of integers`);
  return nums;
}

export function stringAttr(node: Node, name: string, fallback: string): string {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw new InputError(`${describe(node)}: attribute '${name}' must be a string`);
  return v;
}

/** Integer values of a constant tensor (throws naming the node when one is not an integer). */
export function integerValues(t: Tensor, node: Node): number[] {
  const nums = Array.from(toNumberArray(t.data));
  const bad = nums.findIndex((x) => !Number.isInteger(x));
  if (bad >= 0) throw new InputError(`${describe(node)}: constant '${t.name}' holds the non-integer value ${nums[bad]} at index ${bad}`);
  return nums;
}

export function isPowerOfTwo(x: number): boolean {
  return Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0 && x <= 2 ** 30;
}
