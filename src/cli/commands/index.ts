import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Command = CommandModule<any, any>;

// Every subcommand, in the order --help lists them: its name and how to load its module. Add one
// line per command module. Loaded on demand: the CLI loads only the command it runs (importing
// all of them took ~0.2 s of CPU of every `deeploy-sim run`, a third of a small network's run).
export const commandLoaders: readonly (readonly [string, () => Promise<Command>])[] = [
  ['golden', async () => (await import('./golden.js')).goldenCommand],
  ['generate', async () => (await import('./generate.js')).generateCommand],
  ['run', async () => (await import('./run.js')).runCommand],
  ['compile', async () => (await import('./compile.js')).compileCommand],
  ['test', async () => (await import('./test.js')).testCommand],
  ['bench', async () => (await import('./bench.js')).benchCommand],
  ['report', async () => (await import('./report.js')).reportCommand],
  ['sweep', async () => (await import('./sweep.js')).sweepCommand],
  ['worker', async () => (await import('./worker.js')).workerCommand],
];

/** The command modules for a command line: only the named command's when the first argument
 * names one, else all of them (help, an unknown command: yargs lists and suggests them). */
export async function commandsFor(argv: readonly string[]): Promise<Command[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const one = commandLoaders.find(([name]) => name === first);
  return Promise.all((one ? [one] : commandLoaders).map(([, load]) => load()));
}
