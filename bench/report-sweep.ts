// Sweep throughput (points/minute) with -j 1, -j 2 and two BullMQ workers on a local
// redis-server; report generation time for microLlama64 (with and without a recorded run); the
// calibrated energy per token of microLlama64 and stories260K next to Deeploy's 490 uJ/token; and
// the estimate for a dense int8 GEMM at Siracusa's two measured operating points. Numbers only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCES } from '../src/sim/energy.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const SHARED = resolve(REPO, '..', 'shared');
const K = join(SHARED, 'conformance', 'deeploy', 'Kernels', 'Integer');
const OUT = join(tmpdir(), `deeploy-sim-bench-report-${process.pid}`);

function cli(...args: string[]): { ms: number; out: string; err: string; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { ms: performance.now() - t0, out: r.stdout, err: r.stderr, code: r.status };
}

async function queueSweep(args: string[], workers: number): Promise<number> {
  const port = 21000 + (process.pid % 20000);
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${port}`;
  const ws = Array.from({ length: workers }, () => spawn(process.execPath, [MAIN, 'worker', '--queue', url], { stdio: 'ignore' }));
  try {
    await new Promise((r) => setTimeout(r, 2000)); // workers connect
    const r = cli('sweep', ...args, '--queue', url, '-o', join(OUT, 'q.csv'));
    if (r.code !== 0) throw new Error(r.err);
    return r.ms;
  } finally {
    for (const w of ws) w.kill('SIGTERM');
    redis.kill('SIGTERM');
  }
}

export async function run(): Promise<void> {
  console.log('report-sweep:');
  if (!existsSync(K)) return void console.log(`  skipped: ${K} is absent`);
  mkdirSync(OUT, { recursive: true });
  try {
    const cases = [join(K, 'GEMM', 'Batch_RQ'), join(K, 'Add', 'Regular')];
    const grid = ['--cores', '4,8', '--l1', '16000,64000'];
    const points = cases.length * 4;
    for (const j of [1, 2]) {
      const r = cli('sweep', ...cases, ...grid, '-j', String(j), '-o', join(OUT, `j${j}.csv`));
      console.log(`  sweep ${points} points -j ${j}: ${(r.ms / 1000).toFixed(1)} s, ${((points * 60000) / r.ms).toFixed(1)} points/minute`);
    }
    if (spawnSync('redis-server', ['--version']).status === 0) {
      const ms = await queueSweep([...cases, ...grid], 2);
      console.log(`  sweep ${points} points, two queue workers: ${(ms / 1000).toFixed(1)} s, ${((points * 60000) / ms).toFixed(1)} points/minute (jobs enqueued fresh)`);
    } else console.log('  queue: redis-server not installed');

    const ml = join(SHARED, 'conformance', 'deeploy', 'Models', 'microLlama', 'INT8', 'microLlama64');
    if (existsSync(ml)) {
      const b = join(OUT, 'ml64');
      cli('compile', ml, '-o', b);
      const first = cli('report', b, '-o', join(OUT, 'ml64.html'));
      const again = cli('report', b, '-o', join(OUT, 'ml64.html'));
      console.log(`  report microLlama64: ${(first.ms / 1000).toFixed(1)} s with the run (none recorded), ${(again.ms / 1000).toFixed(1)} s from the recorded run`);
      const rec = JSON.parse(readFileSync(join(b, 'stats', readdirSync(join(b, 'stats')).sort().pop()!), 'utf8'));
      const share = rec.networkCycles / rec.cycles;
      console.log(
        `  microLlama64 (one decode step, 0.8 V / 360 MHz): ${rec.energy.totalUJ.toFixed(1)} uJ whole program (${rec.cycles} cycles, ${rec.energy.averageMw.toFixed(1)} mW), ` +
          `${(rec.energy.totalUJ * share).toFixed(1)} uJ for the network's ${rec.networkCycles} cycles at that power; Deeploy: ${SOURCES.deeploy.uJPerToken} uJ/token`,
      );
    }
    const models = join(SHARED, 'models');
    if (existsSync(join(models, 'stories260K.bin'))) {
      const r = cli('generate', '--engine', 'sim', '--model', join(models, 'stories260K.bin'), '--tokenizer', join(models, 'tok512.bin'), '--steps', '64');
      const line = r.err.split('\n').find((l) => l.startsWith('sim:')) ?? r.err;
      console.log(`  stories260K 64 tokens: ${line.replace(/; host.*/, '')}; Deeploy: ${SOURCES.deeploy.uJPerToken} uJ/token at ${SOURCES.deeploy.tokensPerSecond} tokens/s`);
    }
    const gemm = join(K, 'Conv', 'PW_2D_RQ', 'Regular_RQ');
    if (existsSync(gemm)) {
      const b = join(OUT, 'pw');
      cli('compile', gemm, '-o', b);
      const macs = JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8')).layers.reduce((s: number, l: { ops: number; op: string }) => s + (/Conv|Gemm|MatMul/.test(l.op) ? l.ops : 0), 0);
      for (const [v, f] of [[0.8, 360], [0.65, 210]] as const) {
        const r = cli('run', b, '--json', '--no-record', '--voltage', String(v), '--freq-mhz', String(f));
        const j = JSON.parse(r.out.trim().split('\n').pop()!);
        console.log(`  pointwise conv ${macs} MACs at ${v} V / ${f} MHz: ${j.cycles} cycles, ${j.energy.totalUJ.toFixed(3)} uJ, ${j.energy.averageMw.toFixed(1)} mW, ${((2 * macs) / (j.energy.totalUJ * 1e-6) / 1e9).toFixed(1)} GOp/J (2 ops per MAC)`);
      }
    }
  } finally {
    rmSync(OUT, { recursive: true, force: true });
  }
}
