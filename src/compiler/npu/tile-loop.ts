// The tile loop of an NPU layer whose jobs leave nothing to the cores (GEMM rows, elementwise
// requantisation, a conv whose input and output both stay HWC): core 0 alone moves the tiles and
// submits the jobs, and the NPU runs tile i while core 0 sets up tile i+1. The loop keeps every
// dependency exact:
//   - tile i's jobs are submitted once its DMA-in has landed and the DMA-out still reading the
//     output copy it writes (tile i-2's) has left;
//   - tile i-1's output leaves, and tile i+1's DMA-in starts (into the input copy tile i-1's jobs
//     read), only after tile i-1's jobs have ended (dsim_npu_wait_job on tile i-1's last job id;
//     tile i's jobs run on meanwhile);
//   - the layer returns after the last tile's jobs and DMA-outs (the next layer sees the output).
import type { EmittedLayer } from '../constants.js';
import type { LayerTiling } from '../tile.js';
import { NPU_ARGS_BYTES, NPU_KERNEL, NPU_PIPE_ARGS } from './binding.js';

/** Tiled NPU layers that run the pipelined loop. */
export function npuPipelined(L: EmittedLayer, tiles: number): boolean {
  const f = L.call.fields;
  return L.bound.binding.kernel === NPU_KERNEL && tiles > 1 && (f.flat === 1 || (f.hwc_in === 1 && f.hwc_out === 1));
}

/** A tile loop's last lines: wait for the DMA-outs still in flight (out_id / out_busy per output
 *  field and copy), so the layer returns once its output has landed; `guard`: who waits. */
export function waitOutputDmas(outFields: number, guard?: string): string[] {
  const ind = guard ? '  ' : '';
  return [
    ...(guard ? [`  if (${guard}) /* the layer returns once its output has landed */`] : []),
    `${ind}  for (unsigned k = 0; k < ${outFields}u; k++)`,
    `${ind}    for (unsigned b = 0; b < 2u; b++)`,
    `${ind}      if (out_busy[k][b]) tile_wait(out_id[k][b]);`,
  ];
}

export const NPU_TILE_LOOP_COMMENT = [
  'NPU pipeline: core 0 alone runs the tiles; tile i\'s jobs run while core 0 waits for tile i-1\'s',
  '  last job (dsim_npu_wait_job), sends tile i-1\'s output and starts tile i+1\'s DMA-in; the other cores go',
  '  straight to the layer\'s barrier',
];

export function npuTileLoop(o: { fn: string; T: number; ni: number; no: number; inFields: boolean; outFields: number; prologue: string[]; forkPerLayer: boolean }): string[] {
  const { fn, T } = o;
  const c: string[] = [];
  c.push(`static void ${fn}(unsigned cores) {`);
  c.push('  (void)cores;');
  if (!o.forkPerLayer) c.push('  if (dsim_core_id() != 0) return; /* core 0 alone moves the tiles and submits the jobs */');
  c.push(`  uint32_t in_id[2][${o.ni}], in_n[2] = { 0, 0 }, out_id[${o.no}][2], last[2] = { 0, 0 };`);
  c.push(`  uint8_t out_busy[${o.no}][2] = { { 0 } };`);
  c.push('  (void)in_id; (void)in_n; (void)out_id; (void)out_busy;');
  for (const st of o.prologue) c.push(`  ${st}`);
  c.push(`  ${fn}_targs.async = 1; /* each tile's jobs run while core 0 prepares the next tile */`);
  c.push(`  for (uint32_t i = 0; i < ${T}u; i++) {`);
  if (o.inFields) c.push('    for (unsigned k = 0; k < in_n[i & 1]; k++) tile_wait(in_id[i & 1][k]); /* tile i\'s inputs are in L1 */');
  if (o.outFields) c.push(`    ${fn}_drain(i, out_id, out_busy); /* tile i-2's DMA-out has left the output copy tile i writes */`);
  c.push(`    ${fn}_set(i);`);
  c.push(`    last[i & 1] = dsim_npu_layer_run(&${fn}_targs); /* submits tile i's jobs and returns */`);
  c.push('    if (i > 0) {');
  c.push('      dsim_npu_wait_job(last[(i - 1) & 1]); /* tile i-1\'s jobs have ended; tile i\'s run on */');
  if (o.outFields) c.push(`      ${fn}_out(i - 1, out_id, out_busy);`);
  c.push('    }');
  if (o.inFields) c.push(`    if (i + 1 < ${T}u) in_n[(i + 1) & 1] = ${fn}_in(i + 1, in_id[(i + 1) & 1]); /* into the copy tile i-1's jobs read */`);
  c.push('  }');
  c.push(`  dsim_npu_wait_job(last[${(T - 1) & 1}]);`);
  if (o.outFields) {
    c.push(`  ${fn}_out(${T - 1}u, out_id, out_busy);`);
    c.push(...waitOutputDmas(o.outFields));
  }
  c.push('}');
  return c;
}

// ---- the pipelined loop of conv tiles that still transpose (an operand channel-major) ----------
// Tile i's job runs while the cores transpose tile i-1's output back and tile i+1's input, each
// tile in its own scratch copy (i & 1) and working args (i % 3: tiles i-1, i and i+1 are in
// flight). The loop is a table of steps (`transposeSchedule`) that the emitter prints and
// `verifyTransposePipeline` replays: one place for the order, and a proof of it at every compile.

/** One step of an iteration; `tile` is relative to the iteration's i (-1: tile i-1). */
export interface PipeStep {
  op: 'drain' | 'submit' | 'set' | 'waitJob' | 'out' | 'inCores' | 'inJob' | 'waitCores' | 'waitJobIn' | 'tin' | 'tout' | 'barrier';
  tile: -1 | 0 | 1 | 2;
}

/** Steps the other cores run (the others are core 0's). */
const ALL_CORES = new Set<PipeStep['op']>(['tin', 'tout', 'barrier']);

/**
 * One iteration of the loop (i = -1 .. T: the first iterations fill the pipeline, the last drain
 * it; a step runs when its tile exists). Before the first barrier, core 0 waits for tile i-1's job
 * (its scratch copy, scale and bias copies are then free), starts tile i+1's DMA-in of what the
 * job reads (scale, bias; the input when it is HWC), prepares tile i+1's args and waits for the
 * inputs the next phase needs. Between the barriers core 0 submits tile i's job and starts the
 * DMA of tile i+2's channel-major input (into tile i's copy, transposed in the iteration before)
 * while the other cores transpose tile i-1's output back and tile i+1's input; after the second,
 * tile i-1's output leaves.
 */
export function transposeSchedule(hwcIn: boolean, hwcOut: boolean): PipeStep[] {
  const s = (op: PipeStep['op'], tile: PipeStep['tile'] = 0): PipeStep => ({ op, tile });
  return [
    s('waitJob', -1),
    ...(hwcOut ? [s('out', -1)] : []), // the job wrote Y's copy itself
    s('inJob', 1),
    ...(hwcOut ? [s('drain', 0)] : [s('drain', -1)]), // the output copy the next phase writes is free
    s('set', 1),
    ...(hwcIn ? [] : [s('waitCores', 1)]),
    s('waitJobIn', 0),
    s('barrier'),
    s('submit', 0),
    ...(hwcIn ? [] : [s('inCores', 2)]),
    ...(hwcOut ? [] : [s('tout', -1)]),
    ...(hwcIn ? [] : [s('tin', 1)]),
    s('barrier'),
    ...(hwcOut ? [] : [s('out', -1)]),
  ];
}

/** Whether step `st` runs in iteration i of T tiles (tile 0's DMA-ins are the loop's prologue). */
const runs = (st: PipeStep, i: number, T: number) => st.op === 'barrier' || (i + st.tile >= (st.op === 'inJob' || st.op === 'inCores' ? 1 : 0) && i + st.tile < T);

const STEP_TEXT: Record<PipeStep['op'], string> = {
  waitJob: "tile i-1's job has ended: its scratch copy, scale and bias copies are free",
  out: "tile i-1's output leaves",
  inJob: "tile i+1's DMA-in of what its job reads (into the copies tile i-1's job read)",
  drain: "the DMA-out still reading the output copy written next has left",
  set: "tile i+1's working args (tiles i-1 and i hold the other two)",
  waitCores: "tile i+1's channel-major input has landed",
  waitJobIn: "what tile i's job reads has landed",
  submit: "tile i's job: runs while the other cores transpose",
  inCores: "tile i+2's channel-major input, into tile i's copy",
  tout: "tile i-1's output back from its scratch copy",
  tin: "tile i+1's input into scratch copy (i+1) & 1",
  barrier: '',
};

const tileName = (t: number) => (t === 0 ? 'i' : t > 0 ? `i+${t}` : `i${t}`);

export const npuTransposeLoopComment = (hwcIn: boolean, hwcOut: boolean) => [
  `NPU pipeline (transposes): tile i's job runs while the other cores transpose ${hwcOut ? '' : "tile i-1's output back"}${!hwcIn && !hwcOut ? ' and ' : ''}${hwcIn ? '' : "tile i+1's input"}`,
  '  (core 0 submits the jobs and moves the tiles); two scratch copies (tile i: copy i & 1), three working args',
  '  (tile i: i % 3); per iteration i = -1 .. T (a step runs when its tile exists):',
  ...transposeSchedule(hwcIn, hwcOut).map((st) => `    ${st.op === 'barrier' ? 'barrier' : `${ALL_CORES.has(st.op) ? 'the other cores: ' : 'core 0: '}${STEP_TEXT[st.op]}`}`),
];

export function npuTransposeLoop(o: {
  fn: string;
  T: number;
  ni: number;
  no: number;
  inFields: boolean;
  outFields: number;
  prologue: string[];
  forkPerLayer: boolean;
  argsType: string;
  pargs: string;
  argsSource: string;
  hwcIn: boolean;
  hwcOut: boolean;
}): string[] {
  const { fn, T } = o;
  const c: string[] = [];
  const idx: Record<number, string> = { [-1]: 'prev', 0: 'i', 1: 'next', 2: 'after' };
  const slot = (t: number) => `&${o.pargs}[(uint32_t)${idx[t]} % ${NPU_PIPE_ARGS}u]`;
  const waitAll = (ids: string, n: string) => `for (unsigned k = 0; k < ${n}; k++) tile_wait(${ids}[k]);`;
  const stmt = (st: PipeStep): string | undefined => {
    const j = idx[st.tile]!;
    switch (st.op) {
      case 'drain':
        return o.outFields ? `${fn}_drain((uint32_t)${j}, out_id, out_busy);` : undefined;
      case 'submit':
        return `last[${j} & 1] = dsim_npu_tile_submit(${slot(st.tile)});`;
      case 'set':
        return `${fn}_set((uint32_t)${j}, ${slot(st.tile)});`;
      case 'waitJob':
        return `dsim_npu_wait_job(last[${j} & 1]);`;
      case 'out':
        return o.outFields ? `${fn}_out((uint32_t)${j}, out_id, out_busy);` : undefined;
      case 'inCores':
        return o.inFields ? `xin_n[${j} & 1] = ${fn}_in_part((uint32_t)${j}, xin_id[${j} & 1], 0);` : undefined;
      case 'inJob':
        return o.inFields ? `in_n[${j} & 1] = ${fn}_in_part((uint32_t)${j}, in_id[${j} & 1], 1);` : undefined;
      case 'waitCores':
        return o.inFields ? waitAll(`xin_id[${j} & 1]`, `xin_n[${j} & 1]`) : undefined;
      case 'waitJobIn':
        return o.inFields ? waitAll(`in_id[${j} & 1]`, `in_n[${j} & 1]`) : undefined;
      case 'tin':
      case 'tout': {
        const f = st.op === 'tin' ? 'dsim_npu_tile_in' : 'dsim_npu_tile_out';
        return o.forkPerLayer ? `dsim_fork(cores, ${f}_task, ${slot(st.tile)});` : `${f}_others(${slot(st.tile)});`;
      }
      case 'barrier':
        return o.forkPerLayer ? undefined : 'dsim_barrier();';
    }
  };
  c.push(`_Static_assert(sizeof(${o.argsType}) <= ${NPU_ARGS_BYTES}, "NPU_ARGS_BYTES (src/compiler/npu/binding.ts) is below sizeof(${o.argsType})");`);
  c.push(`static void ${fn}(unsigned cores) {`);
  c.push('  (void)cores;');
  c.push(`  const int core0 = ${o.forkPerLayer ? '1' : 'dsim_core_id() == 0'};`);
  c.push('  /* DMA ids per tile parity: the channel-major input (xin, read by the cores) and what the job reads (in) */');
  c.push(`  uint32_t xin_id[2][${o.ni}], xin_n[2] = { 0, 0 }, in_id[2][${o.ni}], in_n[2] = { 0, 0 }, out_id[${o.no}][2], last[2] = { 0, 0 };`);
  c.push(`  uint8_t out_busy[${o.no}][2] = { { 0 } };`);
  c.push('  (void)xin_id; (void)xin_n; (void)in_id; (void)in_n; (void)out_id; (void)out_busy;');
  c.push('  if (core0) {');
  for (const st of o.prologue) c.push(`    ${st}`);
  c.push(`    for (unsigned k = 0; k < ${NPU_PIPE_ARGS}u; k++) ${o.pargs}[k] = ${o.argsSource};`);
  c.push('  }');
  c.push(`  /* i = -1 fills the pipeline (tile 0's args and input), i = ${T} drains it (tile ${T - 1}'s output) */`);
  c.push(`  for (int32_t i = -1; i <= ${T}; i++) {`);
  c.push('    const int32_t prev = i - 1, next = i + 1, after = i + 2;');
  c.push('    (void)prev; (void)next; (void)after;');
  const guard: Record<number, string> = { [-1]: `prev >= 0 && prev < ${T}`, 0: `i >= 0 && i < ${T}`, 1: `next < ${T}`, 2: `after < ${T}` };
  for (const st of transposeSchedule(o.hwcIn, o.hwcOut)) {
    const s = stmt(st);
    if (!s) continue;
    const g = st.op === 'barrier' ? '' : st.op === 'inJob' ? `next >= 1 && ${guard[1]}` : st.op === 'inCores' ? `after >= 1 && ${guard[2]}` : guard[st.tile]!;
    const cond = [...(ALL_CORES.has(st.op) || o.forkPerLayer ? [] : ['core0']), ...(g ? [g] : [])].join(' && ');
    c.push(`    ${cond ? `if (${cond}) ` : ''}${s}${STEP_TEXT[st.op] ? ` /* ${STEP_TEXT[st.op]} */` : ''}`);
  }
  c.push('  }');
  if (o.outFields) c.push(...waitOutputDmas(o.outFields, 'core0'));
  c.push('}');
  return c;
}

/** What one activity of the replayed loop touches, and when: positions in core 0's program order
 *  (a DMA or a job from its start to the wait that sees it end; the cores' transposes over their
 *  whole phase between two barriers, or at their fork). */
interface Activity {
  what: string;
  tile: number;
  s: number;
  e: number;
  reads: string[];
  writes: string[];
}

/**
 * Replays the pipelined loop of a tiled layer (steps as printed) over its T tiles and proves every
 * dependency: each read sees the write it needs (tile j's transposes and job read tile j's DMA'd
 * copies, scratch copy and args, written before they start) and no other write to the same copy
 * happens between that write and the read's end; no two activities touch the same copy at once
 * with one writing; every job and DMA has ended when the layer returns. Throws naming the first
 * violation.
 */
export function verifyTransposePipeline(
  t: LayerTiling,
  steps: PipeStep[],
  o: { hwcIn: boolean; hwcOut: boolean; fork: boolean; scratchParts: (size: number[]) => [number, number] },
): void {
  const T = t.tiles.length;
  const where = `NPU pipeline of layer '${t.layer}'`;
  // the copies' layout: every tile's input part below the split, its output part from it, so a
  // copy's two parts are apart whatever the tiles' sizes (the replay below names them apart)
  const copy = t.buffers.find((b) => b.field === 'scratch');
  const split = t.pipeline?.split ?? 0;
  t.tiles.forEach((tile, j) => {
    const [a, b] = o.scratchParts(tile.size).map((x) => Math.ceil(x / 4) * 4) as [number, number];
    if (a > split || split + b > (copy?.bytes ?? 0) || (copy?.copies ?? 0) < 2)
      throw new Error(`${where}: tile ${j}'s scratch (${a} B input, ${b} B output) does not fit its copy (${copy?.copies ?? 0} x ${copy?.bytes ?? 0} B, output from byte ${split})`);
  });
  const acts: Activity[] = [];
  let pos = 0;
  // the prologue: the operands the same for every tile (waited there), tile 0's DMA-ins
  const once = t.once.map((x) => `${x.field}[0]`);
  const onceAct: Activity | undefined = once.length ? { what: 'the DMA-in of the operands the same for every tile', tile: -1, s: pos++, e: pos++, reads: [], writes: once } : undefined;
  if (onceAct) acts.push(onceAct);
  const inFields = new Set([...t.once, ...t.tiles.flatMap((x) => x.transfers)].filter((x) => x.dir === 'in').map((x) => x.field));
  const copyOf = (j: number, f: string) => `${f}[${t.once.some((x) => x.field === f) ? 0 : (t.tiles[j]!.copy[f] ?? 0)}]`;
  const dmaIn = new Map<string, Activity>(); // `${tile}:${field}` -> the DMA that brought it
  const open = new Map<string, Activity>(); // `${part}:${tile}` -> a DMA-in not yet waited for
  const jobs: Activity[] = [];
  const outs: Activity[] = [];
  // the fields only the cores read (the channel-major input) and those the job reads
  const coresOnly = (f: string) => f === 'X' && !o.hwcIn;
  const startIn = (j: number, part: 'cores' | 'job') => {
    const fields = t.tiles[j]!.transfers.filter((x) => x.dir === 'in' && coresOnly(x.field) === (part === 'cores')).map((x) => x.field);
    if (fields.length === 0) return;
    const a: Activity = { what: `tile ${j}'s DMA-in (${fields.join(', ')})`, tile: j, s: pos, e: Infinity, reads: [], writes: fields.map((f) => copyOf(j, f)) };
    for (const f of fields) dmaIn.set(`${j}:${f}`, a);
    open.set(`${part}:${j}`, a);
    acts.push(a);
  };
  startIn(0, 'cores');
  startIn(0, 'job');
  pos++;
  const phase: Activity[] = []; // the cores' steps of the current phase (their end: the next barrier)
  let phaseStart = pos;
  const scratch = (j: number, part: 'in' | 'out') => `scratch[${j & 1}].${part}`;
  const args = (j: number) => `args[${j % NPU_PIPE_ARGS}]`;
  const jobFields = [...inFields].filter((f) => !coresOnly(f));
  for (let i = -1; i <= T; i++)
    for (const st of steps) {
      if (!runs(st, i, T)) continue;
      const j = i + st.tile;
      const p = pos++;
      const add = (what: string, s: number, e: number, reads: string[], writes: string[]) => {
        const a: Activity = { what, tile: j, s, e, reads, writes };
        acts.push(a);
        return a;
      };
      const end = (key: string) => {
        const a = open.get(key);
        if (a) a.e = p;
        open.delete(key);
      };
      switch (st.op) {
        case 'barrier':
          for (const a of phase) a.e = p;
          phase.length = 0;
          phaseStart = p;
          break;
        case 'tin':
        case 'tout': {
          const s = o.fork ? p : phaseStart;
          const a =
            st.op === 'tin'
              ? add(`tile ${j}'s transpose in`, s, p, [...(inFields.has('X') ? [copyOf(j, 'X')] : []), args(j)], [scratch(j, 'in')])
              : add(`tile ${j}'s transpose out`, s, p, [scratch(j, 'out'), args(j)], [copyOf(j, 'Y')]);
          if (!o.fork) phase.push(a);
          break;
        }
        case 'set':
          add(`tile ${j}'s args`, p, p, [], [args(j)]);
          break;
        case 'submit':
          add(`tile ${j}'s job submission`, p, p, [args(j)], []);
          jobs[j] = add(
            `tile ${j}'s job`,
            p,
            Infinity,
            [...(o.hwcIn ? [] : [scratch(j, 'in')]), ...jobFields.map((f) => copyOf(j, f))],
            [o.hwcOut ? copyOf(j, 'Y') : scratch(j, 'out')],
          );
          break;
        case 'waitJob':
          for (const a of jobs) if (a && a.tile <= j && a.e === Infinity) a.e = p;
          break;
        case 'inCores':
        case 'inJob':
          startIn(j, st.op === 'inCores' ? 'cores' : 'job');
          break;
        case 'waitCores':
          end(`cores:${j}`);
          break;
        case 'waitJobIn':
          end(`job:${j}`);
          break;
        case 'out':
          if (t.tiles[j]!.transfers.some((x) => x.dir === 'out')) outs.push(add(`tile ${j}'s DMA-out`, p, Infinity, [copyOf(j, 'Y')], []));
          break;
        case 'drain':
          for (const a of outs) if (a.reads[0] === copyOf(j, 'Y') && a.e === Infinity) a.e = p;
          break;
      }
    }
  for (const a of phase) a.e = pos;
  const end = pos++;
  for (const a of outs) if (a.e === Infinity) a.e = end; // the layer's final waits
  for (const a of acts) if (a.e === Infinity || a.e > end) throw new Error(`${where}: ${a.what} may still run when the layer returns`);
  for (let j = 0; j < T; j++) if (!jobs[j]) throw new Error(`${where}: tile ${j}'s job is never submitted`);
  // the write each read needs
  const writers = (r: string) => acts.filter((a) => a.writes.includes(r));
  const source = (a: Activity, r: string): Activity | undefined => {
    const j = a.tile;
    const by = (what: string) => writers(r).find((w) => w.what === what);
    if (r.startsWith('args')) return by(`tile ${j}'s args`);
    if (r.startsWith('scratch')) return by(r.endsWith('.in') ? `tile ${j}'s transpose in` : `tile ${j}'s job`);
    if (a.what.endsWith('DMA-out')) return by(o.hwcOut ? `tile ${j}'s job` : `tile ${j}'s transpose out`);
    // a DMA'd operand: the latest DMA-in of it at or before tile j (or the one before the first tile)
    if (once.includes(r)) return onceAct;
    const f = r.slice(0, r.indexOf('['));
    for (let k = j; k >= 0; k--) if (t.tiles[k]!.transfers.some((x) => x.dir === 'in' && x.field === f)) return dmaIn.get(`${k}:${f}`);
    return undefined;
  };
  for (const a of acts)
    for (const r of a.reads) {
      const w = source(a, r);
      if (!w) throw new Error(`${where}: ${a.what} reads ${r}, which nothing wrote for it`);
      if (w.e > a.s) throw new Error(`${where}: ${a.what} reads ${r} before ${w.what} has finished writing it`);
      for (const x of writers(r)) if (x !== w && x !== a && x.e > w.s && x.s < a.e) throw new Error(`${where}: ${x.what} overwrites ${r} between ${w.what} and ${a.what} reading it`);
    }
  for (const [n, a] of acts.entries())
    for (const b of acts.slice(n + 1)) {
      if (!(a.s < b.e && b.s < a.e)) continue;
      const clash = [...a.writes.filter((r) => b.reads.includes(r) || b.writes.includes(r)), ...b.writes.filter((r) => a.reads.includes(r))];
      if (clash.length) throw new Error(`${where}: ${a.what} and ${b.what} touch ${clash[0]} at the same time`);
    }
}
