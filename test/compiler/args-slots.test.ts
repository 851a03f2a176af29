// Where the kernels read their args (issue 10, small L1): when the layers' args structs do not fit
// the L1 budget they stay in L2, and each layer's struct (with its tile table when it fits) comes
// by DMA to one of two L1 slots while the layer before runs. A regression puts a layer's args back
// in L2 for its cores to read (every core then pays L2 latency on every field), which these tests
// catch from the plan and the emitted C; the per-tile tables keep only the columns that change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileToFolder, type CompileResult } from '../../src/compiler/build-folder.js';
import { ARGS_BUFFER, ARGS_SLOTS_BUFFER } from '../../src/compiler/plan.js';
import { tableColumns } from '../../src/compiler/tile.js';
import { CONFORMANCE, OUT } from './cases.js';

const ML64 = join(CONFORMANCE, 'Models', 'microLlama', 'INT8', 'microLlama64');

/** One compile per budget, shared by the tests (microLlama64 takes seconds to compile). */
const builds = new Map<number, Promise<CompileResult>>();
function compiledAt(l1: number): Promise<CompileResult> {
  if (!builds.has(l1)) builds.set(l1, compileToFolder({ network: ML64, outDir: join(OUT, 'args-slots', `ml64-${l1}`), build: false, force: true, l1, npu: false }));
  return builds.get(l1)!;
}

/** The text of a layer function (its definition up to the closing brace at column 0). */
function body(c: string, fn: string): string {
  const at = c.indexOf(`static void ${fn}(`);
  expect(at, fn).toBeGreaterThanOrEqual(0);
  return c.slice(at, c.indexOf('\n}\n', at));
}

describe.skipIf(!existsSync(ML64))('args slots: microLlama64 (cluster only)', () => {
  it('at --l1 16000 the args structs stay in L2 and every layer reads its own from its L1 slot', async () => {
    const { compiled } = await compiledAt(16000);
    const level = (n: string) => compiled.plan.buffers.find((b) => b.name === n)?.level;
    expect(level(ARGS_BUFFER)).toBe('L2');
    expect(level(ARGS_SLOTS_BUFFER)).toBe('L1');
    const slots = compiled.tiling.argsSlots!;
    expect(slots.argsBytes).toBe(176); // dk_gemm_args_t, the largest struct
    const c = compiled.emitted.files['network.c']!;
    const run = c.slice(c.indexOf('static void network_body'));
    compiled.emitted.layers.forEach((L, k) => {
      const s = k & 1;
      const fn = L.function;
      // the kernel's args: slot k % 2 (directly, or as the tile loop's working args)
      expect(body(c, fn).includes(`ARGS_SLOT(${s}, ${L.call.argsType})`) || c.includes(`#define ${fn}_targs ARGS_SLOT(${s}, ${L.call.argsType})`), fn).toBe(true);
      // RunNetwork brings them there before the layer runs
      expect(run, fn).toContain(`args_fetch(args_id, ${s}, &${fn}_args, sizeof ${fn}_args,`);
    });
    // the tile tables that fit the slot come along: the MLP projections' (4 tiles each)
    const carried = compiled.tiling.layers.filter((t) => slots.tables.has(t.step));
    expect(carried.length).toBeGreaterThanOrEqual(24);
    for (const t of carried) expect(body(c, `${t.function}_set`)).toContain('TABLE_SLOT(');
  });

  it('at the whole L1 the args structs are in L1 and there are no slots', async () => {
    const { compiled } = await compiledAt(262144);
    expect(compiled.plan.buffers.find((b) => b.name === ARGS_BUFFER)?.level).toBe('L1');
    expect(compiled.plan.buffers.some((b) => b.name === ARGS_SLOTS_BUFFER)).toBe(false);
    expect(compiled.tiling.argsSlots).toBeUndefined();
    expect(compiled.emitted.files['network.c']).not.toContain('ARGS_SLOT(');
  });

  it('a tile table keeps only the columns that change from tile to tile (16-bit entries when they fit)', async () => {
    const { compiled } = await compiledAt(16000);
    const t = compiled.tiling.layers.find((x) => x.tiles.length === 4 && x.dims.some((d) => d.name === 'n' && d.tile === 64))!;
    const { cols, fixed, rows } = tableColumns(t);
    // the MLP's up projection: column tiles of the weights; rows, K, batch never change
    expect(cols).toContain('n0');
    for (const f of ['m0', 'tm', 'tk', 'kf', 'kl']) expect(fixed.has(f), f).toBe(true);
    for (let c = 0; c < cols.length; c++) expect(new Set(rows.map((r) => r[c])).size, cols[c]).toBeGreaterThan(1);
    const c = compiled.emitted.files['network.c']!;
    expect(c).toContain(`static const uint16_t ${t.function}_tiles[4][${cols.length}]`);
    expect(body(c, `${t.function}_set`)).toContain('const uint32_t tk = 64u;');
  });
});
