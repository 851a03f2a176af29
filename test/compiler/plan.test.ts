import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { InputError } from '../../src/errors.js';
import { lower } from '../../src/compiler/lower.js';
import '../../src/compiler/ops/index.js';
import { bind } from '../../src/compiler/bind.js';
import { materializeConstants } from '../../src/compiler/constants.js';
import { ARGS_BYTES_PER_LAYER, l1Minimum, liveness, packGreedyBySize, planMemory as planWith, PlanError, verifyPlan, type Level, type MemoryPlan, type PlanOptions, type TilePlacement } from '../../src/compiler/plan.js';
import { tileNetwork } from '../../src/compiler/tile.js';
import type { TypedGraph } from '../../src/compiler/types.js';
import { inferTypes } from '../../src/compiler/types.js';
import { linearGraph } from './helpers.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';

/** x -> Transpose -> Transpose -> Transpose -> out, int8 [16,16] (256 B per tensor). */
function chain() {
  const b = new GraphBuilder('chain');
  let v = b.input('x', 'float32', [16, 16]);
  for (let k = 0; k < 3; k++) v = b.node('Transpose', [v], { perm: [1, 0] }, { nodeName: `t${k}`, dtype: 'float32', shape: [16, 16] });
  const g = lower(b.output(v).build());
  return inferTypes(g, [new Int8Array(256)]);
}

const opts = { l1: 256 * 1024, l2: 2 * 1024 * 1024, wmem: false };

/** A placement without tiles (what the tiler gives a network of untiled layers): every
 *  activation at `level`, the args structs in L1, no constant in L1. */
function placement(tg: TypedGraph, level: Level = 'L1'): TilePlacement {
  return {
    activationLevels: new Map(liveness(tg).map((s) => [s.tensors[0]!, level])),
    buffers: [],
    l1Constants: new Set(),
    tableBytes: 0,
    argsInL1: true,
    tablesInL1: false,
    argsBytes: ARGS_BYTES_PER_LAYER * tg.nodes.length,
  };
}
const planMemory = (tg: TypedGraph, o: PlanOptions, consts: Map<string, number>) => planWith(tg, o, consts, placement(tg));

describe('memory planner', () => {
  it('computes lifetimes in layer steps (inputs from -1, outputs to L)', () => {
    const live = liveness(chain());
    expect(live.map((s) => [s.tensors[0], s.first, s.last, s.kind])).toEqual([
      ['x', -1, 0, 'input'],
      ['transpose_0_out', 0, 1, 'activation'],
      ['transpose_1_out', 1, 2, 'activation'],
      ['transpose_2_out', 2, 3, 'output'],
    ]);
  });

  it('greedy by size reuses memory of dead buffers: a chain needs two buffers, not four', () => {
    const plan = planMemory(chain(), opts, new Map());
    const arena = Math.max(...plan.buffers.filter((b) => b.kind !== 'constant').map((b) => b.offset + b.size));
    expect(arena).toBe(512);
    expect(new Set(plan.buffers.filter((b) => b.kind !== 'constant').map((b) => b.level))).toEqual(new Set(['L1']));
    expect(plan.peakLive).toBe(512);
  });

  it('places by size, largest first, at the lowest free offset among overlapping lifetimes', () => {
    const items = [
      { size: 100, first: 0, last: 1 },
      { size: 300, first: 1, last: 2 },
      { size: 40, first: 2, last: 3 },
      { size: 8, first: 0, last: 3 },
    ];
    const top = packGreedyBySize(items);
    // 300 -> 0; 100 (overlaps 300) -> 300; 40 (overlaps 300) -> 300; 8 (overlaps all) -> 400
    expect(items.map((i) => (i as { offset?: number }).offset)).toEqual([300, 0, 300, 400]);
    expect(top).toBe(408);
  });

  it('an alias shares its input buffer', () => {
    const t = inferTypes(lower(linearGraph()), [new Int8Array(32)]);
    const live = liveness(t);
    const out = live.find((s) => s.tensors.includes('reshape_3_out'))!;
    expect(out.tensors).toEqual(['requantshift_2_out', 'reshape_3_out']);
    expect(out.kind).toBe('output');
  });

  it('the verifier catches two live buffers that overlap', () => {
    const plan = planMemory(chain(), opts, new Map());
    expect(() => verifyPlan(plan)).not.toThrow();
    const broken: MemoryPlan = structuredClone(plan);
    const a = broken.buffers.find((b) => b.name === 'transpose_0_out')!;
    const b = broken.buffers.find((x) => x.name === 'transpose_1_out')!;
    b.offset = a.offset + 4; // both live at step 1
    expect(() => verifyPlan(broken)).toThrow(PlanError);
    expect(() => verifyPlan(broken)).toThrow(/'transpose_0_out'.*'transpose_1_out'|'transpose_1_out'.*'transpose_0_out'/);
  });

  it('the verifier catches a buffer beyond its level and a misaligned one', () => {
    const plan = planMemory(chain(), opts, new Map());
    const big: MemoryPlan = structuredClone(plan);
    big.buffers[0]!.offset = big.levels.find((l) => l.level === 'L1')!.capacity;
    expect(() => verifyPlan(big)).toThrow(/exceeds L1 capacity/);
    const odd: MemoryPlan = structuredClone(plan);
    odd.buffers[0]!.offset = 2;
    expect(() => verifyPlan(odd)).toThrow(/not 4-byte aligned/);
  });

  it('a network too big for L2 fails with the plan numbers', () => {
    const t = chain();
    const consts = new Map([['c_weights', 3 * 1024 * 1024]]);
    let err: unknown;
    try {
      planMemory(t, opts, consts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toContain('does not fit L2');
    expect(msg).toContain(`${3 * 1024 * 1024} B`);
    expect(msg).toContain(`${2 * 1024 * 1024 - siracusa.l2RuntimeBytes} B are available`);
    expect(msg).toContain('--wmem');
    // the same constants fit the 4 MiB weight memory
    expect(() => planMemory(t, { ...opts, wmem: true }, consts)).not.toThrow();
  });

  it('activations go to L2 when they do not fit the L1 budget (the tiler spills them; the plan follows)', () => {
    const t = chain();
    const small = { ...opts, l1: l1Minimum() + 256 };
    const tiling = tileNetwork(t, materializeConstants(t, bind(t)), { ...small, cores: 8 });
    expect(new Set(tiling.activationLevels.values())).toEqual(new Set(['L2']));
    const plan = planWith(t, small, new Map(), { ...placement(t), activationLevels: tiling.activationLevels });
    expect(new Set(plan.buffers.filter((b) => b.kind !== 'constant').map((b) => b.level))).toEqual(new Set(['L2']));
    // a placement that keeps them in L1 anyway is refused with the plan's numbers
    expect(() => planWith(t, small, new Map(), placement(t, 'L1'))).toThrow(/network does not fit L1: the memory plan needs \d+ B/);
  });
});
