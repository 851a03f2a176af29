// The tiler under L1 budgets (issue 10): network cycles of Conv/Regular_2D_RQ, miniMobileNetv2,
// microLlama64 (decode) and microLlama8_parallel at --l1 262144 / 64000 / 16000 on the 8-core
// cluster, each run checked bit-exact; the ratio to the whole-L1 run (target: 16000 within
// 1.15x), microLlama64 at 64000 against the 800 k target (Deeploy's GVSoC figure: 857 k), and the
// cost model: predicted against measured cycles of the GEMM and conv layers (sum and spread).
// Each case runs on the cluster alone (--no-npu: the issue's targets, Deeploy without its NPU)
// and with the NPU (the default).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCase, type CaseResult } from '../src/compiler/test-runner.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = resolve(REPO, '..', 'shared', 'conformance', 'deeploy');
const CASES = ['Kernels/Integer/Conv/Regular_2D_RQ', 'Models/miniMobileNetv2', 'Models/microLlama/INT8/microLlama64', 'Models/microLlama/INT8/microLlama8_parallel'];
const BUDGETS = [262144, 64000, 16000];

function costModel(r: CaseResult): string {
  const m = r.compile!.manifest;
  let pred = 0;
  let meas = 0;
  const ratios: number[] = [];
  m.layers.forEach((l, k) => {
    if (!/MatMul|Gemm|Conv/.test(l.op)) return;
    const c = r.run!.layerCycles[k]!;
    pred += l.estimatedCycles;
    meas += c;
    ratios.push(c / l.estimatedCycles);
  });
  ratios.sort((a, b) => a - b);
  return `GEMM+conv predicted ${pred} / measured ${meas} (${((pred / meas - 1) * 100).toFixed(1)}%), per layer measured/predicted ${ratios[0]!.toFixed(2)}..${ratios[ratios.length - 1]!.toFixed(2)}`;
}

export async function run(): Promise<void> {
  console.log(`tiling: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  if (!existsSync(DIR)) {
    console.log(`  skipped: ${DIR} is absent`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'bench-tiling-'));
  try {
    console.log(`  ${'case'.padEnd(54)} ${BUDGETS.map((b) => `--l1 ${b}`.padStart(14)).join('')}   16000/whole`);
    for (const npu of [false, true]) {
      for (const c of CASES) {
        const cycles: (number | undefined)[] = [];
        const notes: string[] = [];
        for (const l1 of BUDGETS) {
          const r = await testCase(join(DIR, c), join(tmp, `${c.replace(/\//g, '_')}-${l1}-${npu}`), { l1, npu });
          cycles.push(r.passed ? r.cycles : undefined);
          if (!r.passed) notes.push(`--l1 ${l1}: FAIL ${r.reason}`);
          else if (l1 === 64000) notes.push(`--l1 64000: ${costModel(r)}`);
        }
        const ratio = cycles[0] && cycles[2] ? (cycles[2] / cycles[0]).toFixed(3) : '-';
        console.log(`  ${`${c}${npu ? ' (NPU)' : ' (--no-npu)'}`.padEnd(54)} ${cycles.map((x) => String(x ?? 'FAIL').padStart(14)).join('')}   ${ratio.padStart(11)}`);
        for (const n of notes) console.log(`      ${n}`);
      }
    }
    console.log('  targets (--no-npu): 16000 within 1.15x of whole L1; microLlama64 at --l1 64000 <= 800000 cycles');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
