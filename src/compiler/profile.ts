// `run --profile`: the per-layer table of a build folder, from the counters the generated code
// writes (dsim_layer_cycles: cycles per layer; dsim_layer_dma_wait: cycles core 0 waited for
// tile DMAs) and the manifest (tiles, DMA bytes, predicted cycles, operations).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Manifest } from './manifest.js';
import { readElfSymbols } from './elf.js';
import type { RegionCauses } from '../sim/cluster/layer-marks.js';
import { mainStall } from '../report/layer-causes.js';

export interface LayerProfile {
  name: string;
  op: string;
  tiles: number;
  cycles: number;
  dmaWait: number;
  dmaIn: number;
  dmaOut: number;
  ops: number;
  predicted: number;
}

/** Read one uint32 array of `n` entries at ELF symbol `name` (undefined when absent). */
function counters(syms: ReadonlyMap<string, { addr: number }>, name: string, n: number, read: (addr: number, bytes: number) => Uint8Array): number[] | undefined {
  const sym = syms.get(name);
  if (!sym) return undefined;
  const b = read(sym.addr, 4 * n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, k) => dv.getUint32(4 * k, true));
}

/** The profile of the network ELF `elf` (its build folder holds manifest.json), or undefined.
 * `manifest`: the folder's manifest when the caller has read it already. */
export function readProfile(elf: string, read: (addr: number, bytes: number) => Uint8Array, manifest?: Manifest): LayerProfile[] | undefined {
  let m = manifest;
  if (!m) {
    const mpath = join(dirname(elf), 'manifest.json');
    if (!existsSync(mpath)) return undefined;
    m = JSON.parse(readFileSync(mpath, 'utf8')) as Manifest;
  }
  const n = m.layers.length;
  const syms = readElfSymbols(elf);
  const cycles = counters(syms, 'dsim_layer_cycles', n, read);
  if (!cycles) return undefined;
  const wait = counters(syms, 'dsim_layer_dma_wait', n, read) ?? new Array<number>(n).fill(0);
  return m.layers.map((l, k) => ({
    name: l.name,
    op: l.op,
    tiles: l.tiles?.count ?? 0,
    cycles: cycles[k]!,
    dmaWait: wait[k]!,
    dmaIn: l.tiles?.dmaBytesIn ?? 0,
    dmaOut: l.tiles?.dmaBytesOut ?? 0,
    ops: l.ops,
    predicted: l.estimatedCycles,
  }));
}

/** Share of a layer's core-cycles, in percent, one decimal. */
const pct = (v: number, all: number) => (all > 0 ? ((100 * v) / all).toFixed(1) : '-');

/** The table; with the layers' marked regions (layer-marks.ts), four more columns at the end:
 * busy, asleep and stalled shares of the cores' cycles, and the largest stall cause. */
export function formatProfile(rows: LayerProfile[], marked?: readonly RegionCauses[]): string {
  const head = ['layer', 'op', 'tiles', 'cycles', 'DMA-wait', 'DMA in B', 'DMA out B', 'MAC/cycle', 'predicted', 'meas/pred'];
  if (marked) head.push('busy%', 'sleep%', 'stall%', 'main stall');
  const causeColumns = (k: number) => {
    if (!marked) return [];
    const g = marked[k]!;
    const all = Object.values(g.causes).reduce((a, b) => a + b, 0);
    const top = mainStall(g);
    return [pct(g.causes.compute, all), pct(g.causes.sleep, all), pct(all - g.causes.compute - g.causes.sleep, all), top ? `${top[0]} ${pct(top[1], all)}%` : '-'];
  };
  const body = rows.map((r, k) => [
    r.name.length > 40 ? `…${r.name.slice(-39)}` : r.name,
    r.op,
    r.tiles ? String(r.tiles) : '-',
    String(r.cycles),
    String(r.dmaWait),
    String(r.dmaIn),
    String(r.dmaOut),
    /MatMul|Gemm|Conv/.test(r.op) && r.cycles > 0 ? (r.ops / r.cycles).toFixed(2) : '-',
    String(r.predicted),
    r.predicted > 0 ? (r.cycles / r.predicted).toFixed(2) : '-',
    ...causeColumns(k),
  ]);
  const total = rows.reduce((s, r) => s + r.cycles, 0);
  const wait = rows.reduce((s, r) => s + r.dmaWait, 0);
  const all = [head, ...body];
  const w = head.map((_, j) => Math.max(...all.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((c, j) => (j < 2 || j === 13 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line), `total ${total} cycles in ${rows.length} layers, ${wait} waiting for tile DMAs`].join('\n') + '\n';
}
