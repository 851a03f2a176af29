// deeploy-sim test <case-dir>...: compile + run + compare each case (contracts.md).
// One line per case `PASS|FAIL <name> <cycles> cycles`, then `<P> passed, <F> failed` last.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { testCase } from '../../compiler/test-runner.js';

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
      .positional('cases', { type: 'string', array: true, demandOption: true, describe: 'case folders (network.onnx, inputs.npz, outputs.npz)' })
      .option('cores', { type: 'number', default: 8 })
      .option('wmem', { type: 'boolean', default: false, describe: 'constants in the weight memory' })
      .option('keep', { type: 'string', describe: 'keep the build folders under this folder' }) as never,
  handler: async (args) => {
    const root = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'deeploy-sim-test-'));
    let pass = 0;
    let fail = 0;
    try {
      for (const [k, c] of args.cases.entries()) {
        const name = basename(resolve(c));
        const r = await testCase(c, join(root, `${k}_${name}`), { cores: args.cores, wmem: args.wmem });
        if (r.passed) pass++;
        else fail++;
        process.stdout.write(`${r.passed ? 'PASS' : 'FAIL'} ${name} ${r.cycles ?? 0} cycles\n`);
        if (!r.passed) process.stderr.write(`  ${name}: ${r.reason}\n`);
      }
    } finally {
      if (!args.keep) rmSync(root, { recursive: true, force: true });
    }
    process.stdout.write(`${pass} passed, ${fail} failed\n`);
    if (fail > 0) process.exitCode = 1;
  },
};
