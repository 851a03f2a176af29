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
import { NPU_KERNEL } from './binding.js';

/** Tiled NPU layers that run the pipelined loop. */
export function npuPipelined(L: EmittedLayer, tiles: number): boolean {
  const f = L.call.fields;
  return L.bound.binding.kernel === NPU_KERNEL && tiles > 1 && (f.flat === 1 || (f.hwc_in === 1 && f.hwc_out === 1));
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
    c.push(`  for (unsigned k = 0; k < ${o.outFields}u; k++)`);
    c.push('    for (unsigned b = 0; b < 2u; b++)');
    c.push('      if (out_busy[k][b]) tile_wait(out_id[k][b]);');
  }
  c.push('}');
  return c;
}
