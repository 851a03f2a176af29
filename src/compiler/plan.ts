// Phase 5: static memory planning, and the verifier that checks every plan.
//
// Every runtime tensor gets a buffer; an Alias node's output shares its input's buffer (same
// bytes, another shape). A buffer lives from the step that writes it to the last step that reads
// it (steps = layers in execution order; graph inputs are written at step -1 by the harness,
// graph outputs are read at step L after the network ran). Buffers of one memory level are packed
// into one arena per level by "greedy by size": largest first, each at the lowest offset where it
// overlaps no already placed buffer whose lifetime intersects its own (Pisarchyk & Lee 2020).
//
// Levels are the tiling phase's decisions (tile.ts): which activations live in L1 or L2, the tile
// buffers of each layer (L1, live during their layer), which constants are read in place from
// L1. Other constants are plain `const` arrays placed by the linker: in L2 .rodata, or in the
// weight memory SRAM (.wmem at 0x10800000) with --wmem. Their addresses are read back from the
// ELF after linking.
import { InputError } from '../errors.js';
import { DTYPES } from '../frontend/dtype.js';
import { elementCount } from '../frontend/ir.js';
import { siracusa, type MemoryLevel, type Platform } from '../sim/platform/siracusa.js';
import type { TypedGraph } from './types.js';

export type Level = MemoryLevel;

export interface LevelInfo {
  level: Level;
  base: number;
  /** Bytes the planner may use in this level. */
  capacity: number;
  /** Bytes the plan uses (arena size, or total constant bytes). */
  used: number;
}

export interface PlannedBuffer {
  /** Name of the tensor that owns the storage (the first of `tensors`). */
  name: string;
  /** Every tensor stored here (aliases share one buffer). */
  tensors: string[];
  kind: 'input' | 'output' | 'activation' | 'constant' | 'tile';
  level: Level;
  /** Offset in the level's arena (activations), or in the constant section (constants, in link order). */
  offset: number;
  size: number;
  /** First and last step that touch it (inclusive). */
  first: number;
  last: number;
}

export interface MemoryPlan {
  buffers: PlannedBuffer[];
  levels: LevelInfo[];
  steps: number;
  /** Peak live activation bytes at any step (a lower bound of the arena size). */
  peakLive: number;
}

export interface PlanOptions {
  l1: number;
  l2: number;
  wmem: boolean;
  /** The platform description (memory levels, stacks); default siracusa. */
  platform?: Platform;
}

export const ALIGN = 4;
const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

/**
 * `--l1` is the L1 budget of the network's data (Deeploy's meaning: tensors, tiles, args), as
 * with Deeploy's L1 option; the core stacks live beside it. The budget is capped by the L1 the
 * stacks leave, and the runtime's own L1 sections come out of it.
 */
export function l1Capacity(l1: number, p: Platform = siracusa): number {
  return Math.max(0, Math.min(l1, p.memory.L1.region.size - p.cores * p.stackBytesPerCore) - p.l1RuntimeBytes);
}

/** The smallest `--l1` the runtime can live with. */
export function l1Minimum(p: Platform = siracusa): number {
  return p.l1RuntimeBytes;
}
/** Pseudo-constant standing for the layers' kernel args structs, and a bound of one struct's size. */
export const ARGS_BUFFER = '(layer args structs)';
/** Pseudo-constant standing for the tiled layers' per-tile tables and working args structs. */
export const TABLES_BUFFER = '(tile tables)';
/** Pseudo-constant standing for the two L1 slots the args structs (in L2) come to, layer by layer. */
export const ARGS_SLOTS_BUFFER = '(args slots)';
export const ARGS_BYTES_PER_LAYER = 192;

interface Storage {
  tensors: string[];
  size: number;
  first: number;
  last: number;
  kind: PlannedBuffer['kind'];
}

/** Buffers and lifetimes before placement (exported for the tests). */
export function liveness(tg: TypedGraph): Storage[] {
  const g = tg.graph;
  const L = tg.nodes.length;
  const root = new Map<string, string>();
  const find = (v: string): string => {
    let r = v;
    while (root.has(r)) r = root.get(r)!;
    return r;
  };
  for (const { node, mapping } of tg.nodes) if (mapping.alias) root.set(node.outputs[0]!, find(node.inputs[0]!));

  const storages = new Map<string, Storage>();
  const touch = (v: string, step: number) => {
    if (!v || g.initializers.has(v)) return;
    const r = find(v);
    let s = storages.get(r);
    if (!s) {
      const info = g.values.get(r);
      if (!info) throw new Error(`internal: no shape for '${r}'`);
      s = { tensors: [r], size: elementCount(info.shape) * DTYPES[tg.dtypes.get(r)!].bytes, first: step, last: step, kind: 'activation' };
      storages.set(r, s);
    }
    if (r !== v && !s.tensors.includes(v)) s.tensors.push(v);
    s.first = Math.min(s.first, step);
    s.last = Math.max(s.last, step);
  };
  for (const inp of g.inputs) {
    touch(inp.name, -1);
    storages.get(find(inp.name))!.kind = 'input';
  }
  tg.nodes.forEach(({ node, mapping }, step) => {
    if (mapping.alias) return; // an alias touches nothing at run time; its users do
    for (const i of node.inputs) touch(i, step);
    for (const o of node.outputs) touch(o, step);
  });
  // Users of aliases: the loop above touched the alias names, which resolve to their roots.
  for (const out of g.outputs) {
    touch(out.name, L);
    const s = storages.get(find(out.name))!;
    if (s.kind !== 'input') s.kind = 'output';
  }
  return [...storages.values()];
}

/** Greedy by size: place `items` (with lifetimes) at offsets; returns the arena size. */
export function packGreedyBySize(items: { size: number; first: number; last: number; offset?: number }[]): number {
  const order = items.map((_, k) => k).sort((a, b) => items[b]!.size - items[a]!.size || items[a]!.first - items[b]!.first);
  const placed: number[] = [];
  let top = 0;
  for (const k of order) {
    const it = items[k]!;
    const size = align(Math.max(it.size, 1));
    const conflicts = placed
      .map((j) => items[j]!)
      .filter((o) => o.first <= it.last && it.first <= o.last)
      .sort((a, b) => a.offset! - b.offset!);
    let offset = 0;
    for (const o of conflicts) {
      if (offset + size <= o.offset!) break;
      offset = Math.max(offset, align(o.offset! + Math.max(o.size, 1)));
    }
    it.offset = offset;
    top = Math.max(top, offset + size);
    placed.push(k);
  }
  return top;
}

export function peakLive(items: readonly { size: number; first: number; last: number }[], steps: number): number {
  let peak = 0;
  for (let t = -1; t <= steps; t++) {
    let sum = 0;
    for (const it of items) if (it.first <= t && t <= it.last) sum += align(it.size);
    peak = Math.max(peak, sum);
  }
  return peak;
}

/** What the tiling phase decided (tile.ts): the planner places it. */
export interface TilePlacement {
  /** Level of each activation buffer by storage name (tile.ts spills some to L2). */
  activationLevels: Map<string, Level>;
  /** L1 buffers of tiled layers, live during their layer's step (from `from` when prefetched). */
  buffers: { name: string; size: number; step: number; from?: number }[];
  /** Constants kept in L1; all others go to L2 / weight memory. */
  l1Constants: Set<string>;
  /** Bytes of per-tile tables and tile args, kept with the layers' args structs. */
  tableBytes: number;
  /** Whether the args structs, and the tile tables, go to L1. */
  argsInL1: boolean;
  tablesInL1: boolean;
  /** Bytes of the layers' args structs (constants phase). */
  argsBytes: number;
  /** L1 bytes of the args slots (tile.ts ArgsSlots) when the args structs stay in L2; else 0. */
  argsSlotBytes?: number;
  /** Constants outside L1 that must be in the weight memory (the NPU's packed weights). */
  wmemConstants?: Set<string>;
}

export function planMemory(tg: TypedGraph, opts: PlanOptions, constantBytes: Map<string, number>, tiles: TilePlacement): MemoryPlan {
  const steps = tg.nodes.length;
  const storages = liveness(tg);
  const items = storages.map((s) => ({ size: s.size, first: s.first, last: s.last, offset: undefined as number | undefined }));
  const peak = peakLive(items, steps);
  const levelOfStorage = storages.map((s) => tiles.activationLevels.get(s.tensors[0]!) ?? 'L2');
  // one arena per level: pack each level's buffers on their own
  const arenaBy: Record<Level, number> = { L1: 0, L2: 0, WMEM: 0 };
  for (const lv of ['L1', 'L2'] as const) {
    const idx = storages.map((_, k) => k).filter((k) => levelOfStorage[k] === lv);
    const sub = idx.map((k) => items[k]!);
    arenaBy[lv] = packGreedyBySize(sub);
  }
  // Tile buffers after the activations in L1 (each lives during its layer only).
  const tileItems = tiles.buffers.map((b) => ({ size: b.size, first: b.from ?? b.step, last: b.step, offset: undefined as number | undefined }));
  const workspace = packGreedyBySize(tileItems);

  const pf = opts.platform ?? siracusa;
  const L2_RESERVED = pf.l2RuntimeBytes;
  const l1Cap = l1Capacity(opts.l1, pf);
  const l2Capacity = Math.max(0, opts.l2 - L2_RESERVED);
  const farLevel: Level = opts.wmem ? 'WMEM' : 'L2';
  const tileBase = align(arenaBy.L1);

  const buffers: PlannedBuffer[] = storages.map((s, k) => ({
    name: s.tensors[0]!,
    tensors: s.tensors,
    kind: s.kind,
    level: levelOfStorage[k]!,
    offset: items[k]!.offset!,
    size: s.size,
    first: s.first,
    last: s.last,
  }));
  tiles.buffers.forEach((b, k) =>
    buffers.push({ name: b.name, tensors: [b.name], kind: 'tile', level: 'L1', offset: tileBase + tileItems[k]!.offset!, size: b.size, first: b.from ?? b.step, last: b.step }),
  );
  // Constants (and the args structs, the tile tables) the tiler kept in L1 follow the arena and
  // the tile workspace, smallest first; the rest go to L2 (or the weight memory with --wmem). The
  // linker places them in their own sections (.l1.const, .rodata, .wmem).
  const used: Record<Level, number> = { L1: align(arenaBy.L1) + align(workspace), L2: align(arenaBy.L2), WMEM: 0 };
  const constIn: Record<Level, number> = { L1: 0, L2: 0, WMEM: 0 };
  const pseudo: [string, number][] = [[ARGS_BUFFER, tiles.argsBytes]];
  if (tiles.tableBytes > 0) pseudo.push([TABLES_BUFFER, tiles.tableBytes]);
  if (tiles.argsSlotBytes) pseudo.unshift([ARGS_SLOTS_BUFFER, tiles.argsSlotBytes]);
  for (const [name, size] of [...pseudo, ...[...constantBytes].sort((a, b) => a[1] - b[1])]) {
    const fits = used.L1 + align(size) <= l1Cap;
    const wanted = name === ARGS_BUFFER ? tiles.argsInL1 : name === TABLES_BUFFER ? tiles.tablesInL1 : name === ARGS_SLOTS_BUFFER || tiles.l1Constants.has(name);
    // the tiler decided which constants are read in place from L1 (and the args slots): the plan must honour it
    if (wanted && !fits && name !== ARGS_BUFFER && name !== TABLES_BUFFER) throw new PlanError(`constant '${name}' (${size} B) was kept in L1 by the tiler but does not fit the L1 left (${l1Cap - used.L1} B)`);
    const lv: Level = fits && wanted ? 'L1' : tiles.wmemConstants?.has(name) ? 'WMEM' : farLevel;
    buffers.push({ name, tensors: [name], kind: 'constant', level: lv, offset: used[lv], size, first: -1, last: steps });
    used[lv] += align(size);
    constIn[lv] += align(size);
  }
  const constTotal = constIn[farLevel];
  const constLevel = farLevel;

  const levels: LevelInfo[] = [
    { level: 'L1', base: pf.memory.L1.region.base, capacity: l1Cap, used: used.L1 },
    { level: 'L2', base: pf.memory.L2.region.base, capacity: l2Capacity, used: used.L2 },
    { level: 'WMEM', base: pf.memory.WMEM.region.base, capacity: pf.memory.WMEM.region.size, used: used.WMEM },
  ];
  const plan: MemoryPlan = { buffers, levels, steps, peakLive: peak };
  for (const lv of levels)
    if (lv.used > lv.capacity) {
      const acts =
        (arenaBy[lv.level] > 0 ? `activation arena ${arenaBy[lv.level]} B (peak live ${peak} B over ${steps} layers)` : 'no activations') +
        (lv.level === 'L1' && workspace > 0 ? `; tile buffers ${workspace} B` : '');
      const consts = lv.level === constLevel ? `constants ${constTotal} B` : 'no constants';
      const opt = lv.level === 'L1' ? '--l1' : lv.level === 'L2' ? '--l2' : `the ${pf.memory.WMEM.region.size} B weight memory`;
      throw new InputError(
        `network does not fit ${lv.level}: the memory plan needs ${lv.used} B (${acts}; ${consts}) but ${lv.capacity} B are available ` +
          `(${opt === '--l2' ? `--l2 ${opts.l2} minus ${L2_RESERVED} B reserved for code, runtime and stacks` : opt === '--l1' ? `--l1 ${opts.l1} minus ${pf.l1RuntimeBytes} B of runtime, at most ${pf.memory.L1.region.size} B minus the ${pf.cores} core stacks` : opt})` +
          (lv.level === 'L2' && !opts.wmem ? '; --wmem moves the constants to the weight memory' : ''),
      );
    }
  verifyPlan(plan);
  return plan;
}

/** Thrown when a plan is wrong: a compiler bug, never the user's fault. */
export class PlanError extends Error {}

/**
 * Proves the plan safe: every buffer lies inside its level's capacity, is aligned, and no two
 * buffers of one level that are live at the same step share a byte. Runs on every compile.
 */
export function verifyPlan(plan: MemoryPlan): void {
  const cap = new Map(plan.levels.map((l) => [l.level, l]));
  for (const b of plan.buffers) {
    const lv = cap.get(b.level);
    if (!lv) throw new PlanError(`buffer '${b.name}' is in unknown level ${b.level}`);
    if (b.offset % ALIGN !== 0) throw new PlanError(`buffer '${b.name}' at ${b.level}+${b.offset} is not ${ALIGN}-byte aligned`);
    if (b.offset < 0 || b.offset + b.size > lv.capacity)
      throw new PlanError(`buffer '${b.name}' [${b.offset}, ${b.offset + b.size}) exceeds ${b.level} capacity ${lv.capacity}`);
    if (b.first > b.last) throw new PlanError(`buffer '${b.name}' has an empty lifetime [${b.first}, ${b.last}]`);
  }
  for (const level of ['L1', 'L2', 'WMEM'] as const) {
    // Sweep by offset: only buffers whose address ranges intersect need the lifetime test.
    const bs = plan.buffers.filter((b) => b.level === level && b.size > 0).sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < bs.length; i++) {
      const a = bs[i]!;
      for (let j = i + 1; j < bs.length && bs[j]!.offset < a.offset + a.size; j++) {
        const b = bs[j]!;
        const timeOverlap = a.first <= b.last && b.first <= a.last;
        if (timeOverlap)
          throw new PlanError(
            `buffers '${a.name}' [${a.offset}, ${a.offset + a.size}) live ${a.first}..${a.last} and '${b.name}' [${b.offset}, ${b.offset + b.size}) live ${b.first}..${b.last} overlap in ${level}`,
          );
      }
    }
  }
}
