#!/usr/bin/env node
// deeploy-sim: one binary, one subcommand per job (contracts.md). Each subcommand lives in
// ./commands/<name>.ts and exports a yargs CommandModule.
import { DeeployError, ExitCode } from '../errors.js';
import { commandsFor } from './commands/index.js';
import { plainArgs } from './fast-args.js';

/** `run` with a plain command line skips yargs (fast-args.ts): what a network's run costs is
 * mostly the run, not the start-up. */
async function plainRun(argv: readonly string[]): Promise<(() => Promise<void>) | undefined> {
  if (argv[0] !== 'run') return undefined;
  const { runCommand, RUN_OPTIONS } = await import('./commands/run.js');
  const args = plainArgs(argv.slice(1), 'program', RUN_OPTIONS);
  return args && (async () => void (await runCommand.handler(args as never)));
}

export async function main(argv: string[]): Promise<number> {
  const plain = await plainRun(argv);
  if (plain) return finish(plain);
  const { default: yargs } = await import('yargs');
  let parser = yargs(argv)
    .scriptName('deeploy-sim')
    .strict()
    .demandCommand(1, 'name a subcommand')
    .recommendCommands()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new DeeployError(`${msg} (see deeploy-sim --help)`, ExitCode.badInput);
    });
  for (const command of await commandsFor(argv)) parser = parser.command(command);
  return finish(() => parser.parseAsync());
}

/** Run a command; its exit code, or the one of the error it threw. */
async function finish(command: () => Promise<unknown>): Promise<number> {
  try {
    await command();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof DeeployError) {
      process.stderr.write(`deeploy-sim: ${err.message}\n`);
      return err.exitCode;
    }
    // yargs rethrows an option's coerce error (the checks of options.ts) as a YError: a usage error
    if (err instanceof Error && err.name === 'YError') {
      process.stderr.write(`deeploy-sim: ${err.message.split('\n')[0]}\n`);
      return ExitCode.badInput;
    }
    // the reader of stdout went away (`run ... | head`): what it did not read is not wanted
    if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`deeploy-sim: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
