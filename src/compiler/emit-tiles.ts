// The C of a tiled layer (tile.ts decided the schedule): a table with one row per tile (its
// coordinates, the ext offset / bytes / row / stride of each DMA, the offsets of operands read in
// place), and a loop in which core 0 starts tile i+1's DMA-in, waits for tile i's inputs and the
// output buffer it reuses, points the tile's args at the L1 buffers, and every core runs the
// kernel on the tile; tile i's DMA-out leaves while tile i+1 computes.
import type { EmittedLayer } from './constants.js';
import type { MemoryPlan } from './plan.js';
import { fieldSymbol, tableColumns, tableEntryBytes, type LayerTiling, type TileBuffer } from './tile.js';
import { operandExpr, type TilePipeline } from './registry.js';
import { NPU_TILE_LOOP_COMMENT, npuPipelined, npuTileLoop, npuTransposeLoop, npuTransposeLoopComment, transposeSchedule, verifyTransposePipeline, waitOutputDmas } from './npu/tile-loop.js';

/** Name of copy k of a tile buffer in the memory plan. */
export const tileBufferName = (b: TileBuffer, k: number) => `${b.name}[${k}]`;

/** The network.c helper every tiled layer uses (printed once). */
export const TILE_DMA_HELPER = [
  '/* cycles core 0 waited for tile DMAs in the current layer (run --profile: DMA-wait column) */',
  'static uint32_t tile_wait_cycles;',
  'static inline void tile_wait(uint32_t id) { uint32_t t0 = dsim_cycles(); dsim_dma_wait(id); tile_wait_cycles += dsim_cycles() - t0; }',
  '/* one tile transfer: 1D when its rows are contiguous, else 2D (rows strided on the external side) */',
  'static inline uint32_t tile_dma(void *l1, const void *ext, uint32_t bytes, uint32_t row, uint32_t stride, int in) {',
  '  return row == bytes ? dsim_dma_copy_1d(l1, ext, bytes, in) : dsim_dma_copy_2d(l1, ext, bytes, row, stride, in);',
  '}',
];

const hex = (x: number) => `0x${x.toString(16)}`;

/** An array field ('x' of `{ a, b }`) with the items some moved operands ('x[1]') replace, if any. */
function arrayWith(all: EmittedLayer['call']['fields'], key: string, replaced: Record<string, string>): string | undefined {
  const items = Object.keys(replaced).filter((f) => f.startsWith(`${key}[`));
  if (items.length === 0) return undefined;
  const out: string[] = [];
  for (let i = 0; operandExpr(all, `${key}[${i}]`) !== ''; i++) out.push(replaced[`${key}[${i}]`] ?? operandExpr(all, `${key}[${i}]`));
  return `{ ${out.join(', ')} }`;
}

/** Where a layer's args come from when they stay in L2 (emit.ts ARGS_SLOTS_C): slot 0 or 1, and
 *  whether its tile table came along. */
export interface LayerArgsSlot {
  index: number;
  table: boolean;
}

/** The C lvalue of a layer's args in its L1 slot. */
export const slotArgs = (L: EmittedLayer, slot: LayerArgsSlot) => `ARGS_SLOT(${slot.index}, ${L.call.argsType})`;

export interface TiledLayerText {
  /** Comment lines (without the comment markers) for the layer's header. */
  comment: string[];
  /** Declarations and functions, ending with `static void <fn>(unsigned cores)`. */
  code: string[];
  /** The code defines the layer's args struct itself (single tile: pointing at the L1 buffers). */
  ownsArgs: boolean;
}

export function emitTiledLayer(
  L: EmittedLayer,
  t: LayerTiling,
  plan: MemoryPlan,
  argsName: string,
  argsSection: string,
  tablesInL1: boolean,
  forkPerLayer: boolean,
  slot?: LayerArgsSlot,
): TiledLayerText {
  const fn = L.function;
  const kernel = L.bound.binding.kernel;
  const rule = L.bound.binding.tiling!;
  const T = t.tiles.length;
  const double = T > 1;
  const offsetOf = (name: string) => {
    const b = plan.buffers.find((x) => x.name === name);
    if (!b) throw new Error(`internal: tile buffer '${name}' is not in the memory plan`);
    return b.offset;
  };
  const macro = (b: TileBuffer, k: number) => `((void *)&dsim_arena_l1[${offsetOf(tileBufferName(b, k))}])`;
  const first = t.tiles[0]!;
  const coordNames = Object.keys(first.coords);
  const bufOf = (field: string) => t.buffers.find((b) => b.field === field)!;

  const comment: string[] = [];
  comment.push(
    `tiled: ${t.dims.map((d) => `${d.name} ${d.size}${d.tile < d.size ? ` by ${d.tile}` : ''}`).join(' x ')} = ${T} tile${T > 1 ? 's' : ''}` +
      (double ? ', double-buffered (DMA-in of tile i+1 and DMA-out of tile i-1 while tile i computes)' : ''),
  );
  if (double) comment.push(`  loop order ${t.order.join(' > ')} (outermost first); an operand whose slice does not change is not moved again`);
  if (t.noScratch) comment.push('  the kernel runs without its scratch (the L1 budget leaves no room for it)');
  // the pipelined loop of NPU conv tiles that transpose (two scratch copies), or why not
  const tpipe = t.pipeline?.on === true;
  if (t.pipeline) comment.push(`  ${tpipe ? 'pipelined' : 'synchronous'} tile loop: ${t.pipeline.why}`);
  for (const b of t.buffers)
    comment.push(`  L1 ${b.field}: ${b.copies} x ${b.bytes} B at ${Array.from({ length: b.copies }, (_, k) => `L1+${hex(offsetOf(tileBufferName(b, k)))}`).join(', ')}`);
  for (const x of t.once) comment.push(`  ${x.field}: one DMA of ${x.bytes} B before the first tile (the same slice for every tile)`);
  for (const p of first.inPlace) comment.push(`  ${p.field}: read in place`);
  comment.push(`  DMA in ${t.dmaBytesIn} B, out ${t.dmaBytesOut} B; predicted ${t.predicted.total} cycles (kernel ${t.predicted.compute}, DMA ${t.predicted.dma})`);

  const code: string[] = [];
  if (slot) comment.push(`  args${slot.table && T > 1 ? ' and tile table' : ''}: in L2, brought to L1 args slot ${slot.index} by RunNetwork while the layer before runs`);
  if (T === 1) return { comment, code: singleTile(L, t, argsName, argsSection, forkPerLayer, macro, bufOf, slot ? slotArgs(L, slot) : argsName), ownsArgs: true };
  const tableSection = tablesInL1 ? '__attribute__((section(".l1.const"))) ' : '';
  // one group of columns per moved operand (bytes 0: no DMA at that tile), its buffer copy when
  // double-buffered; the transfers of tile 0 first (their order is the prefetch's)
  const { cols, rows, fixed, moved } = tableColumns(t);
  const dirOf = new Map(t.tiles.flatMap((x) => x.transfers).map((x) => [x.field, x.dir]));
  const inFields = moved.filter((f) => dirOf.get(f) === 'in');
  const outFields = moved.filter((f) => dirOf.get(f) === 'out');
  const perTile = [...new Set(t.tiles.flatMap((x) => Object.keys(x.copy)))];
  const twice = (f: string) => bufOf(f).copies > 1;
  const pargs = `${fn}_pargs`;
  if (tpipe) {
    const pipe = t.buffers.find((b) => b.field === 'pipe')!;
    code.push(`#define ${pargs} ((${L.call.argsType} *)${macro(pipe, 0)}) /* the working args of tiles i % 3 (tile buffer ${fn}.pipe) */`);
  } else if (slot) code.push(`#define ${fn}_targs ${slotArgs(L, slot)} /* the working args: the layer's own, in L1 */`);
  else code.push(`static ${tablesInL1 ? 'DSIM_L1 ' : ''}${L.call.argsType} ${fn}_targs;`);
  code.push(`/* per tile: ${cols.join(', ')}${fixed.size ? `; the same for every tile: ${[...fixed].map(([n, v]) => `${n} ${v}`).join(', ')}` : ''} */`);
  const entry = tableEntryBytes(t) === 2 ? 'uint16_t' : 'uint32_t';
  code.push(`static const ${entry} ${fn}_tiles[${T}][${cols.length}] ${tableSection}= {`);
  for (const row of rows) code.push(`  { ${row.join(', ')} },`);
  code.push('};');
  // a column of tile i's row, or its value when it is the same for every tile
  const val = (name: string) => (fixed.has(name) ? `${fixed.get(name)}u` : `t[${cols.indexOf(name)}]`);
  // tile i's row: in the args slot when the table came with the args, else in the table itself
  const tileRow = slot?.table ? `(const ${entry} *)TABLE_SLOT(${slot.index}) + i * ${cols.length}u` : `${fn}_tiles[i]`;
  const sel = (f: string) => (twice(f) ? val(`${f}.buf`) : '0');
  // copy `sel` of a field's L1 buffer as an address computed from the copy index: a table of the
  // copies' addresses would sit in L2 (.rodata), ~15 cycles a load, two loads per tile and operand
  // on core 0 while the other cores wait at the barrier
  const bufAt = (field: string, copy: string) => {
    const b = bufOf(field);
    const o0 = offsetOf(tileBufferName(b, 0));
    if (b.copies === 1 || copy === '0') return macro(b, 0);
    if (/^\d+u$/.test(copy)) return macro(b, Number(copy.slice(0, -1)));
    return `((void *)&dsim_arena_l1[${o0} + (int32_t)${copy} * ${offsetOf(tileBufferName(b, 1)) - o0}])`;
  };
  const buf = (f: string) => bufAt(f, sel(f));
  const dmaArgs = (f: string) => `${ext(f)} + ${val(`${f}.off`)}, ${val(`${f}.bytes`)}, ${val(`${f}.row`)}, ${val(`${f}.stride`)}`;
  const ext = (field: string) => `(const uint8_t *)(${fieldSymbol(L.call, field)})`;
  if (inFields.length && !tpipe) {
    code.push(`/* tile i's input DMAs (the operands whose slice changed); returns how many */`);
    code.push(`static uint32_t ${fn}_in(uint32_t i, uint32_t *id) {`);
    code.push(`  const ${entry} *t = ${tileRow};`);
    code.push('  uint32_t n = 0;');
    code.push('  (void)t;');
    for (const f of inFields) code.push(`  if (${val(`${f}.bytes`)}) id[n++] = tile_dma(${buf(f)}, ${dmaArgs(f)}, 1);`);
    code.push('  return n;');
    code.push('}');
  }
  if (inFields.length && tpipe) {
    // the pipelined conv loop starts the DMA of the channel-major input (read by the cores alone)
    // a tile earlier than the DMAs of what the job reads
    const early = (f: string) => f === 'X' && L.call.fields.hwc_in !== 1;
    code.push(`/* tile i's input DMAs of the operands only the cores read (job = 0: the channel-major input) or the job reads (job = 1) */`);
    code.push(`static uint32_t ${fn}_in_part(uint32_t i, uint32_t *id, int job) {`);
    code.push(`  const ${entry} *t = ${tileRow};`);
    code.push('  uint32_t n = 0;');
    code.push('  (void)t;');
    for (const f of inFields) code.push(`  if (${early(f) ? '!job' : 'job'} && ${val(`${f}.bytes`)}) id[n++] = tile_dma(${buf(f)}, ${dmaArgs(f)}, 1);`);
    code.push('  return n;');
    code.push('}');
  }
  if (outFields.length) {
    code.push(`/* before tile i writes its output copies: wait for the DMA-out still reading them */`);
    code.push(`static void ${fn}_drain(uint32_t i, uint32_t id[][2], uint8_t busy[][2]) {`);
    code.push(`  const ${entry} *t = ${tileRow};`);
    code.push('  (void)t;');
    outFields.forEach((f, k) => code.push(`  if (busy[${k}][${sel(f)}]) { tile_wait(id[${k}][${sel(f)}]); busy[${k}][${sel(f)}] = 0; }`));
    code.push('}');
    code.push(`/* tile i's output DMAs (after the last tile writing each output slice) */`);
    code.push(`static void ${fn}_out(uint32_t i, uint32_t id[][2], uint8_t busy[][2]) {`);
    code.push(`  const ${entry} *t = ${tileRow};`);
    code.push('  (void)t;');
    outFields.forEach((f, k) => {
      code.push(`  if (${val(`${f}.bytes`)}) { id[${k}][${sel(f)}] = tile_dma(${buf(f)}, ${dmaArgs(f)}, 0); busy[${k}][${sel(f)}] = 1; }`);
    });
    code.push('}');
  }
  code.push(tpipe ? `static void ${fn}_set(uint32_t i, ${L.call.argsType} *T) {` : `static void ${fn}_set(uint32_t i) {`);
  code.push(`  const ${entry} *t = ${tileRow};`);
  coordNames.forEach((c) => code.push(`  const uint32_t ${c} = ${val(c)};`));
  code.push(`  const ${L.call.argsType} *P = &${argsName};`);
  if (!tpipe) code.push(`  ${L.call.argsType} *T = &${fn}_targs;`);
  const part = t.buffers.find((b) => b.field === 'partial');
  code.push(`  void *const PART = ${part ? bufAt('partial', '0') : '(void *)0'}; /* int32 partial sums of a split reduction */`);
  for (const x of t.once) code.push(`  T->${x.field} = ${bufAt(x.field, '0')};`);
  for (const f of perTile) code.push(`  T->${f} = ${buf(f)};`);
  for (const p of first.inPlace) code.push(`  T->${p.field} = (void *)(${ext(p.field)} + ${val(`${p.field}.off`)});`);
  const scratch = t.buffers.find((b) => b.field === 'scratch');
  if (scratch && !tpipe) code.push(`  T->scratch = ${bufAt('scratch', '0')};`);
  for (const st of rule.setup(L.bound.params, fixed)) code.push(`  ${st}`);
  if (scratch && tpipe) code.push(`  dsim_npu_tile_place_scratch(T, (uint8_t *)${bufAt('scratch', '(i & 1u)')}, ${t.pipeline!.split}u); /* tile i's scratch copy: input below, output from byte ${t.pipeline!.split} */`);
  code.push(`  (void)P; (void)t; (void)i; (void)PART; ${coordNames.map((c) => `(void)${c};`).join(' ')}`);
  code.push('}');

  const ins = first.transfers.filter((x) => x.dir === 'in');
  const ni = Math.max(1, inFields.length);
  const no = Math.max(1, outFields.length);
  // core 0 before the first tile: the tile args, the operands the same for every tile, tile 0's DMA-in
  const prologue: string[] = slot || tpipe ? [] : [`${fn}_targs = ${argsName};`];
  if (t.once.length) {
    prologue.push(`uint32_t once_id[${t.once.length}];`);
    t.once.forEach((x, k) =>
      prologue.push(
        t.prefetchAt !== undefined
          ? `once_id[${k}] = ${fn}_prefetch[${k}]; /* the same for every tile, started by the layer before */`
          : `once_id[${k}] = tile_dma(${bufAt(x.field, '0')}, ${ext(x.field)} + ${x.offset}u, ${x.bytes}u, ${x.rowBytes}u, ${x.stride}u, 1); /* the same for every tile */`,
      ),
    );
  }
  if (ins.length && t.prefetchAt !== undefined && tpipe) {
    // the pipelined loop tracks tile 0's DMAs in two groups: wait for the prefetched ones here
    prologue.push(`for (unsigned k = 0; k < ${ins.length}u; k++) tile_wait(${fn}_prefetch[${t.once.length} + k]); /* tile 0: started by the layer before */`);
  } else if (ins.length && t.prefetchAt !== undefined) {
    prologue.push(`for (unsigned k = 0; k < ${ins.length}u; k++) in_id[0][k] = ${fn}_prefetch[${t.once.length} + k]; /* tile 0: started by the layer before */`);
    prologue.push(`in_n[0] = ${ins.length}u;`);
  } else if (inFields.length && tpipe) prologue.push(`xin_n[0] = ${fn}_in_part(0, xin_id[0], 0); /* tile 0's channel-major input */`, `in_n[0] = ${fn}_in_part(0, in_id[0], 1); /* what tile 0's job reads */`);
  else if (inFields.length) prologue.push(`in_n[0] = ${fn}_in(0, in_id[0]);`);
  if (t.once.length) prologue.push(`for (unsigned k = 0; k < ${t.once.length}u; k++) tile_wait(once_id[k]);`);
  if (tpipe) {
    const hwcIn = L.call.fields.hwc_in === 1;
    const hwcOut = L.call.fields.hwc_out === 1;
    const steps = transposeSchedule(hwcIn, hwcOut);
    const parts = (rule.pipeline!(L.bound.params) as TilePipeline).scratchParts;
    verifyTransposePipeline(t, steps, { hwcIn, hwcOut, fork: forkPerLayer, scratchParts: parts });
    comment.push(...npuTransposeLoopComment(hwcIn, hwcOut));
    const argsSource = slot ? slotArgs(L, slot) : argsName;
    code.push(...npuTransposeLoop({ fn, T, ni, no, inFields: inFields.length > 0, outFields: outFields.length, prologue, forkPerLayer, argsType: L.call.argsType, pargs, argsSource, hwcIn, hwcOut }));
    return { comment, code, ownsArgs: false };
  }
  if (npuPipelined(L, T)) {
    comment.push(...NPU_TILE_LOOP_COMMENT);
    code.push(...npuTileLoop({ fn, T, ni, no, inFields: inFields.length > 0, outFields: outFields.length, prologue, forkPerLayer }));
    return { comment, code, ownsArgs: false };
  }
  code.push(`static void ${fn}(unsigned cores) {`);
  code.push('  (void)cores;');
  const core0 = forkPerLayer ? '1' : 'dsim_core_id() == 0';
  code.push(`  const int core0 = ${core0};`);
  code.push(`  uint32_t in_id[2][${ni}], in_n[2] = { 0, 0 }, out_id[${no}][2];`);
  code.push(`  uint8_t out_busy[${no}][2] = { { 0 } };`);
  code.push('  (void)in_id; (void)in_n; (void)out_id; (void)out_busy;');
  code.push(`  if (core0) {`);
  for (const st of prologue) code.push(`    ${st}`);
  code.push('  }');
  code.push(`  for (uint32_t i = 0; i < ${T}u; i++) {`);
  code.push('    if (core0) {');
  if (inFields.length) {
    code.push(`      if (i + 1 < ${T}u) in_n[(i + 1) & 1] = ${fn}_in(i + 1, in_id[(i + 1) & 1]);`);
    code.push(`      for (unsigned k = 0; k < in_n[i & 1]; k++) tile_wait(in_id[i & 1][k]);`);
  }
  if (outFields.length) code.push(`      ${fn}_drain(i, out_id, out_busy);`);
  code.push(`      ${fn}_set(i);`);
  code.push('    }');
  if (forkPerLayer) code.push(`    dsim_fork(cores, ${kernel}, &${fn}_targs);`);
  else {
    code.push('    dsim_barrier();');
    code.push(`    ${kernel}(&${fn}_targs);`);
    code.push('    dsim_barrier();');
  }
  if (outFields.length) code.push(`    if (core0) ${fn}_out(i, out_id, out_busy);`);
  code.push('  }');
  if (outFields.length) code.push(...waitOutputDmas(outFields.length, 'core0'));
  code.push('}');
  return { comment, code, ownsArgs: false };
}

/**
 * One tile: the args struct points at the L1 buffers from the start (no table, no per-tile
 * set-up); core 0 brings the inputs, every core computes, core 0 sends the output back.
 */
function singleTile(
  L: EmittedLayer,
  t: LayerTiling,
  argsName: string,
  argsSection: string,
  forkPerLayer: boolean,
  macro: (b: TileBuffer, k: number) => string,
  bufOf: (field: string) => TileBuffer,
  argsRef: string,
): string[] {
  const kernel = L.bound.binding.kernel;
  const tile = t.tiles[0]!;
  const moved = [...t.once, ...tile.transfers];
  const fields: Record<string, string> = {};
  for (const x of moved) fields[x.field] = macro(bufOf(x.field), 0);
  const scratch = t.buffers.find((b) => b.field === 'scratch');
  if (scratch) fields.scratch = macro(scratch, 0);
  const code: string[] = [];
  code.push(`static ${argsSection}${L.call.argsType} ${argsName} = {`);
  // a pointer inside a nested initializer ('rq.mul'): the initializer names the L1 buffer instead
  const nested = (k: string, v: string) =>
    Object.entries(fields)
      .filter(([f]) => f.startsWith(`${k}.`))
      .reduce((init, [f, m]) => init.replace(`.${f.slice(k.length + 1)} = ${fieldSymbol(L.call, f)}`, `.${f.slice(k.length + 1)} = ${m}`), v);
  for (const [k, v] of Object.entries(L.call.fields)) code.push(`  .${k} = ${fields[k] ?? arrayWith(L.call.fields, k, fields) ?? (typeof v === 'object' ? `{ ${v.join(', ')} }` : nested(k, String(v)))},`);
  code.push('};');
  const ext = (field: string) => `(const uint8_t *)(${fieldSymbol(L.call, field)})`;
  const dma = (x: (typeof moved)[number]) => `tile_dma(${fields[x.field]}, ${ext(x.field)} + ${x.offset}u, ${x.bytes}u, ${x.rowBytes}u, ${x.stride}u, ${x.dir === 'in' ? 1 : 0})`;
  const ins = moved.filter((x) => x.dir === 'in');
  const outs = moved.filter((x) => x.dir === 'out');
  const core0 = forkPerLayer ? '1' : 'dsim_core_id() == 0';
  if (t.prefetchAt !== undefined) {
    // the previous layer started these DMAs (prefetchStatements)
    code.push(`static void ${L.function}(unsigned cores) {`);
    code.push('  (void)cores;');
    code.push(`  if (${core0}) for (unsigned k = 0; k < ${ins.length}u; k++) tile_wait(${L.function}_prefetch[k]);`);
  } else {
    code.push(`static void ${L.function}(unsigned cores) {`);
    code.push('  (void)cores;');
  }
  if (ins.length && t.prefetchAt === undefined) {
    code.push(`  if (${core0}) {`);
    code.push(`    uint32_t id[${ins.length}];`);
    ins.forEach((x, k) => code.push(`    id[${k}] = ${dma(x)};`));
    code.push(`    for (unsigned k = 0; k < ${ins.length}u; k++) tile_wait(id[k]);`);
    code.push('  }');
  }
  if (forkPerLayer) code.push(`  dsim_fork(cores, ${kernel}, &${argsRef});`);
  else {
    if (ins.length) code.push('  dsim_barrier();');
    code.push(`  ${kernel}(&${argsRef});`);
    if (outs.length) code.push('  dsim_barrier();');
  }
  if (outs.length) {
    code.push(`  if (${core0}) {`);
    code.push(`    uint32_t id[${outs.length}];`);
    outs.forEach((x, k) => code.push(`    id[${k}] = ${dma(x)};`));
    code.push(`    for (unsigned k = 0; k < ${outs.length}u; k++) tile_wait(id[k]);`);
    code.push('  }');
  }
  code.push('}');
  return code;
}

/** The DMAs a prefetched single-tile layer's inputs need, started by the previous layer (core 0). */
export function prefetchStatements(L: EmittedLayer, t: LayerTiling, plan: MemoryPlan): { decl: string; issue: string[] } {
  const ins = [...t.once, ...t.tiles[0]!.transfers].filter((x) => x.dir === 'in');
  const buf = (field: string) => {
    const b = t.buffers.find((x) => x.field === field)!;
    const p = plan.buffers.find((x) => x.name === tileBufferName(b, 0))!;
    return `((void *)&dsim_arena_l1[${p.offset}])`;
  };
  return {
    decl: `static uint32_t ${L.function}_prefetch[${ins.length}]; /* DMAs of ${L.function}'s weights, started by the layer before it */`,
    issue: ins.map(
      (x, k) => `${L.function}_prefetch[${k}] = tile_dma(${buf(x.field)}, (const uint8_t *)(${fieldSymbol(L.call, x.field)}) + ${x.offset}u, ${x.bytes}u, ${x.rowBytes}u, ${x.stride}u, 1);`,
    ),
  };
}
