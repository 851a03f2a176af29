// deeploy-sim test <case-dir>...: compile + run + compare each case (contracts.md).
// One line per case `PASS|FAIL <name> <cycles> cycles`, then `<P> passed, <F> failed` last.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { testCase } from '../../compiler/test-runner.js';
import { removeOnSignal } from '../../io/outputs.js';
import { CORES, numberOption } from '../options.js';

interface Args {
  cases: string[];
  cores: number;
  keep?: string;
  wmem: boolean;
}

export const testCommand: CommandModule<object, Args> = {
  command: 'test <cases..>',
  describe: 'compile, run on the simulated cluster and compare with the golden outputs, for each case folder',
  builder: (y) =>
    y
      .positional('cases', { type: 'string', array: true, demandOption: true, describe: 'case folders (network.onnx, inputs.npz, outputs.npz), or folders to search for them' })
      .option('cores', numberOption('cores', CORES, { default: 8 }))
      .option('wmem', { type: 'boolean', default: false, describe: 'constants in the weight memory' })
      .option('keep', { type: 'string', describe: 'keep the build folders under this folder' }) as never,
  handler: async (args) => {
    const root = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'deeploy-sim-test-'));
    const releaseRoot = args.keep ? () => undefined : removeOnSignal(root);
    let pass = 0;
    let fail = 0;
    try {
      for (const [k, { dir: c, name }] of expandCases(args.cases).entries()) {
        const r = await testCase(c, join(root, `${k}_${name}`), { cores: args.cores, wmem: args.wmem });
        if (r.passed) pass++;
        else fail++;
        process.stdout.write(`${r.passed ? 'PASS' : 'FAIL'} ${name} ${r.cycles ?? 0} cycles\n`);
        if (!r.passed) process.stderr.write(`  ${name}: ${r.reason}\n`);
      }
    } finally {
      if (!args.keep) rmSync(root, { recursive: true, force: true });
      releaseRoot();
    }
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
