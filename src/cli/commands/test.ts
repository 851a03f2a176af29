// deeploy-sim test <case-dir>...: compile + run + compare each case (contracts.md).
// One line per case `PASS|FAIL <name> <cycles> cycles`, then `<P> passed, <F> failed` last.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { checkOutputFile, removeOnSignal, writeOutputFile } from '../../io/outputs.js';
import { junitXml } from '../../report/junit.js';
import { checkJobs, runPool } from '../../sweep/pool.js';
import type { CaseSummary } from '../../sweep/tasks.js';
import { compileOptions, compileRequest, type CompileArgs } from './compile-options.js';

interface Args extends CompileArgs {
  cases: string[];
  keep?: string;
  jobs?: number;
  junit?: string;
}

export const testCommand: CommandModule<object, Args> = {
  command: 'test <cases..>',
  describe: 'compile, run on the simulated cluster and compare with the golden outputs, for each case folder',
  builder: (y) =>
    compileOptions(y)
      .positional('cases', { type: 'string', array: true, demandOption: true, describe: 'case folders (network.onnx, inputs.npz, outputs.npz), or folders to search for them' })
      .option('keep', { type: 'string', describe: 'keep the build folders under this folder' })
      .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'cases compiled and run in parallel (a local worker pool); output stays in case order' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML: one testcase per case with its cycles, the first mismatch on failure' }) as never,
  handler: async (args) => {
    const jobs = checkJobs(args.jobs ?? 1);
    const cases = expandCases(args.cases);
    if (args.junit !== undefined) checkOutputFile(args.junit, '--junit');
    const root = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'deeploy-sim-test-'));
    const releaseRoot = args.keep ? () => undefined : removeOnSignal(root);
    let pass = 0;
    let fail = 0;
    let results: CaseSummary[];
    try {
      const options = compileRequest(args);
      const tasks = cases.map(({ dir, name }, k) => ({ kind: 'test' as const, dir, name, outDir: join(root, `${k}_${name}`), options }));
      results = await runPool<CaseSummary>(tasks, jobs, (_k, r) => {
        if (r.passed) pass++;
        else fail++;
        process.stdout.write(`${r.passed ? 'PASS' : 'FAIL'} ${r.name} ${r.cycles ?? 0} cycles\n`);
        if (!r.passed) process.stderr.write(`  ${r.name}: ${r.reason}\n`);
      });
    } finally {
      if (!args.keep) rmSync(root, { recursive: true, force: true });
      releaseRoot();
    }
    if (args.junit !== undefined) writeOutputFile(args.junit, junitXml('deeploy-sim test', results), '--junit');
    process.stdout.write(`${pass} passed, ${fail} failed\n`);
    if (fail > 0) process.exitCode = 1;
  },
};

/** Case folders as given, or found below a given folder (named by their path below it, sorted). */
export function expandCases(args: readonly string[]): { dir: string; name: string }[] {
  const out: { dir: string; name: string }[] = [];
  for (const arg of args) {
    const root = resolve(arg);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError(`${arg}: not a folder (expected a case folder with network.onnx, or a folder of cases)`);
    if (existsSync(join(root, 'network.onnx'))) {
      out.push({ dir: arg, name: basename(root) });
      continue;
    }
    const found: string[] = [];
    const walk = (d: string) => {
      if (existsSync(join(d, 'network.onnx'))) return void found.push(d);
      for (const e of readdirSync(d).sort()) if (statSync(join(d, e)).isDirectory()) walk(join(d, e));
    };
    walk(root);
    if (found.length === 0) throw new InputError(`${arg}: no network.onnx in it or below it`);
    for (const d of found) out.push({ dir: d, name: relative(root, d) });
  }
  return out;
}
