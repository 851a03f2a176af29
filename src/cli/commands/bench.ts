// deeploy-sim bench: the benchmark suite of bench/ (speed and memory numbers, never assertions).
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';

interface Args {
  names: string[];
}

export const benchCommand: CommandModule<object, Args> = {
  command: 'bench [names..]',
  describe: 'run the benchmark suite (or the benchmarks whose names contain one of NAMES)',
  builder: (y) => y.positional('names', { type: 'string', array: true, default: [] as string[], describe: 'e.g. sim-speed cluster-speed llm-sim' }) as never,
  handler: async (args) => {
    // The suite lives beside src/ in dist/bench (this file is dist/src/cli/commands/bench.js).
    const { runBenchmarks, benchmarkNames } = await import('../../../bench/suite.js');
    const unknown = args.names.filter((n) => !benchmarkNames().some((b) => b.includes(n)));
    if (unknown.length > 0) throw new InputError(`bench: no benchmark matches ${unknown.join(', ')} (have: ${benchmarkNames().join(', ')})`);
    await runBenchmarks(args.names);
  },
};
