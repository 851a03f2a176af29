import type { CommandModule } from 'yargs';
import { runCommand } from './run.js';
import { generateCommand } from './generate.js';
import { goldenCommand } from './golden.js';
import { compileCommand } from './compile.js';
import { testCommand } from './test.js';
import { benchCommand } from './bench.js';
import { reportCommand } from './report.js';
import { sweepCommand } from './sweep.js';
import { workerCommand } from './worker.js';

// Every subcommand, in the order --help lists them. Add one line per command module.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [goldenCommand, generateCommand, runCommand, compileCommand, testCommand, benchCommand, reportCommand, sweepCommand, workerCommand];
