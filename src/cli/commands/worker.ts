// deeploy-sim worker --queue redis://host:port: run sweep points from the BullMQ queue until stopped.
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { checkJobs } from '../../sweep/pool.js';

interface Args {
  queue: string;
  jobs: number;
  'lock-ms': number;
}

export const workerCommand: CommandModule<object, Args> = {
  command: 'worker',
  describe: 'run sweep points enqueued by `deeploy-sim sweep --queue` (until SIGINT/SIGTERM)',
  builder: (y) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: 'redis://host:port of the sweep queue' })
      .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'points run at once by this worker' })
      .option('lock-ms', { type: 'number', default: 30000, describe: 'a job whose worker is silent this long is given to another worker' }) as never,
  handler: async (args) => {
    const concurrency = checkJobs(args.jobs);
    if (!Number.isInteger(args['lock-ms']) || args['lock-ms'] < 500) throw new InputError(`--lock-ms ${args['lock-ms']}: expected an integer >= 500`);
    const { runWorker } = await import('../../sweep/queue.js');
    await runWorker(args.queue, { concurrency, lockMs: args['lock-ms'], log: (l) => process.stderr.write(`worker: ${l}\n`) });
  },
};
