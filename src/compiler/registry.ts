// The operator registry: what the compiler knows about each operator, in one place per operator
// (Deeploy's roles: parser, type rule, C template, cost; without its string-keyed dictionaries).
//
// For an op name the registry holds candidate mappings in preference order. A mapping parses the
// node into a typed parameter object (or says why it cannot), gives the value range of every
// output from the ranges of the inputs (the type rule of the types phase), and lists bindings:
// C kernel calls for particular element types, each with a cycle estimate. The bind phase takes
// the first mapping that parses and the first of its bindings whose type check passes.
import type { DType, Graph, Tensor } from '../frontend/ir.js';
import type { LNode } from './graph.js';

/** Closed integer interval of the values a tensor can hold. */
export interface Range {
  lo: number;
  hi: number;
  /** Stored as float32 (values need not be integers). `integral`: every value is an integer. */
  float?: boolean;
  integral?: boolean;
}

/** A node cannot be handled by this mapping/binding; `reason` ends up in the user's error. */
export class Unsupported extends Error {}

export function unsupported(reason: string): never {
  throw new Unsupported(reason);
}

/** What a binding's C template sees of one operand. */
export interface Operand {
  /** C expression of the pointer (already cast to the element type). */
  ptr: string;
  dtype: DType;
  shape: number[];
  /** Name of the tensor in the graph. */
  name: string;
}

/** A value in a kernel's args struct: a C expression, a number, or an array of numbers. */
export type CValue = string | number | readonly number[];

/** What a binding emits for one layer: the kernel's args struct (designated initialisers). */
export interface KernelCall {
  /** C type of the args struct, e.g. dk_gemm_args_t. */
  argsType: string;
  fields: Record<string, CValue>;
  /** Statements run on core 0 before the fork (e.g. choosing a scratch buffer); `ARGS` names the struct. */
  prepare?: string[];
}

export interface EmitContext {
  /** Runtime operands (undefined for constants and omitted inputs: the binding materialises
   *  the constants it needs, in the element type and layout its kernel wants, via constant()). */
  inputs: (Operand | undefined)[];
  outputs: Operand[];
  /** Define a compile-time constant (derived from the graph's constants) and return its C name. */
  constant(name: string, dtype: DType, values: ArrayLike<number>, shape?: number[]): string;
}

export interface TypeSignature {
  inputs: (DType | undefined)[];
  outputs: DType[];
}

/** One operand's part of a tile: `rows` rows of `rowBytes`, `stride` bytes apart in the full
 *  tensor, from byte `offset`; in L1 the rows are packed (the DMA's local side is contiguous). */
export interface TileSlice {
  /** The args field holding the operand's pointer ('A', 'X', 'Y', ...). */
  field: string;
  dir: 'in' | 'out';
  offset: number;
  rowBytes: number;
  rows: number;
  stride: number;
}

/** A dimension the tiler may split: tile sizes are `choices`, else multiples of `align` or `size`. */
export interface TileDim {
  name: string;
  size: number;
  align: number;
  /** The kernel also takes multiples of this (slower): tried when `align` finds no tiling. */
  minAlign?: number;
  choices?: number[];
  /** A reduction: its tiles accumulate into one int32 L1 partial-sum buffer (TilingRule.partial);
   *  the output leaves after the last of them. Runs innermost (the last dimension). */
  reduce?: boolean;
}

/** Where a tile sits for its kernel: along the reduction (first / last tile of it), and whether
 *  the kernel gets its scratch (a rule with `scratchOptional` also runs without, slower). */
export interface TileContext {
  first: boolean;
  last: boolean;
  scratch: boolean;
  /** the tiles run pipelined (TilingRule.pipeline): the cycles of a tile in the steady state */
  pipelined?: boolean;
}

/**
 * A kernel whose tiles can also run pipelined: with two copies of its scratch (and `extraBytes`
 * more L1, e.g. more working args), the cores' work on tiles i-1 and i+1 overlaps an engine's work
 * on tile i. The tiler weighs both loops; `compute` then gets `ctx.pipelined`, and `fill` is what
 * the pipeline's start and end add once (the first tile's and the last tile's core work, which no
 * engine work overlaps).
 */
export interface TilePipeline {
  extraBytes: number;
  fill(size: number[], cores: number): number;
  /** The scratch of a tile in two parts that stay put from tile to tile (the cores fill one copy's
   *  first part while the other part still holds an earlier tile's result): each copy holds the
   *  largest first part, then the largest second part. */
  scratchParts(size: number[]): [number, number];
}

/**
 * How a kernel runs on tiles (the tiling phase, tile.ts): which dimensions split, which bytes
 * of each operand a tile needs (halos included), how the args of a tile derive from the whole
 * layer's, and what one tile costs. Tile sizes are per dimension; `at` is the tile's origin.
 */
export interface TilingRule<P> {
  dims(p: P): TileDim[];
  /** Tile sizes the kernel cannot take together (default: any). */
  legal?(p: P, size: number[]): boolean;
  slices(p: P, t: TypeSignature, at: number[], size: number[]): TileSlice[];
  /** Named coordinates of a tile, in the order the C set-up reads them. */
  coords(p: P, at: number[], size: number[]): Record<string, number>;
  /** C statements deriving the tile's args `T` from the layer's args `P` (coords are C variables;
   *  `fixed`: the coords that are the same for every tile, with their value). */
  setup(p: P, fixed?: ReadonlyMap<string, number>): string[];
  /** L1 scratch of the kernel for one tile (bytes; args field `scratch`), 0 if none. */
  scratch(p: P, t: TypeSignature, size: number[], cores: number): number;
  /** Predicted kernel cycles of one tile with operands in L1 (ctx: see TileContext; absent =
   *  the only tile along the reduction, with scratch). */
  compute(p: P, t: TypeSignature, size: number[], cores: number, ctx?: TileContext): number;
  /** Bytes of the int32 partial sums of one tile (a rule with a `reduce` dimension). The C set-up
   *  sees the buffer as `PART` (NULL while the reduction is not split). */
  partial?(p: P, t: TypeSignature, size: number[]): number;
  /** The kernel also runs without its scratch (another, slower path): the tiler may leave it out. */
  scratchOptional?: boolean;
  /** The layer's tiles may also run pipelined (TilePipeline); undefined: never. */
  pipeline?(p: P): TilePipeline | undefined;
}

export interface Binding<P> {
  /** The C function it calls (for the manifest and error messages). */
  kernel: string;
  /** How the kernel runs on L1 tiles; without one the layer reads its operands where they are. */
  tiling?: TilingRule<P>;
  /** undefined when the binding accepts these element types, else why not. */
  check(p: P, t: TypeSignature): string | undefined;
  /** The args of the kernel call; every core of the fork runs the kernel (kernels split the work). */
  emit(p: P, ctx: EmitContext): KernelCall;
}

export interface Mapping<P> {
  /** Short name shown in errors ("depthwise conv"). */
  name: string;
  parse(node: LNode, graph: Graph): P;
  /** Value range of each output, from the ranges of the inputs (constants: their exact range). */
  range(p: P, inputs: (Range | undefined)[]): Range[];
  /** Estimated cycles on `cores` cores (for the manifest and for ordering work). */
  cycles(p: P, cores: number): number;
  /** Operations for the manifest (MACs or elementwise ops). */
  ops(p: P): number;
  bindings: Binding<P>[];
  /** Nodes that emit no code (aliases): the planner shares the buffer of input 0. */
  alias?: boolean;
  /** Runtime inputs and outputs must share one element type (pure data movement over several inputs). */
  sameType?: boolean;
  /**
   * Which domain the runtime inputs must be in, given the output types: 'float' (all float32),
   * 'int' (integer types), or undefined (any). The types phase inserts casts where they differ.
   */
  inputDomain?(p: P, outputs: Range[]): 'float' | 'int' | undefined;
  /**
   * The same layer on pixel-major activations (the NPU's HWC, src/compiler/npu/layout.ts): the
   * rank-4 NCHW output and every runtime input of its shape stored NHWC, walked in that order (by
   * the first of `bindings` whose check takes these params: the same kernel, or an HWC variant).
   * Only for layers whose element i depends on element i of their inputs (and on constants
   * broadcast by index); throws Unsupported when the layer cannot take HWC.
   */
  hwc?(node: LNode, graph: Graph): P;
}

// Mappings of different parameter types live in one table; the bind phase only passes each
// mapping's own parse result back to it, so erasing P here is safe.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMapping = Mapping<any>;

const REGISTRY = new Map<string, AnyMapping[]>();

export function register<P>(op: string, mapping: Mapping<P>): void {
  const list = REGISTRY.get(op) ?? [];
  list.push(mapping);
  REGISTRY.set(op, list);
}

export function mappingsFor(op: string): AnyMapping[] {
  return REGISTRY.get(op) ?? [];
}

export function registeredOps(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** The constant tensor behind input i, if it is one. */
export function constInput(node: LNode, graph: Graph, i: number): Tensor | undefined {
  const name = node.inputs[i];
  return name ? graph.initializers.get(name) : undefined;
}

/**
 * The C expression of the operand a tile slice names: a field ('x'), or an element of an array
 * field ('x[1]': the second pointer of `{ a, b }`, e.g. a concat's inputs).
 */
export function operandExpr(fields: Record<string, CValue>, field: string): string {
  const m = /^(\w+)\[(\d+)\]$/.exec(field);
  if (!m) return String(fields[field] ?? '');
  const v = String(fields[m[1]!] ?? '');
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of v.replace(/^\s*\{|\}\s*$/g, '')) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  items.push(cur.trim());
  return items[Number(m[2])] ?? '';
}

/** The buffer or constant an operand expression points into (`(const uint8_t *)BUF_x + 64` -> BUF_x). */
export function operandSymbol(expr: string, known: (name: string) => boolean): string {
  return (expr.match(/[A-Za-z_]\w*/g) ?? []).find(known) ?? expr;
}
