// deeploy-sim sweep CASE... --cores 4,8 --l1 16000,64000 --npu on,off -j N -o points.csv: a grid of
// compile+run points on a local worker pool, or on BullMQ workers with --queue redis://...
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { checkOutputFile, writeOutputFile } from '../../io/outputs.js';
import { writePointsCsv } from '../../sweep/csv.js';
import { gridPoints, type GridOptions } from '../../sweep/grid.js';
import type { PointRow } from '../../sweep/point.js';
import { checkJobs, runPool } from '../../sweep/pool.js';
import { expandCases } from './test.js';

interface Args extends GridOptions {
  cases: string[];
  output: string;
  jobs: number;
  queue?: string;
  report?: string;
  'queue-timeout': number;
}

const grid = (what: string) => ({ type: 'string' as const, describe: `${what} (comma list)` });

export const sweepCommand: CommandModule<object, Args> = {
  command: 'sweep <cases..>',
  describe: 'compile and run every case at every point of an option grid; one CSV row per point',
  builder: (y) =>
    y
      .positional('cases', { type: 'string', array: true, demandOption: true, describe: 'case folders, or folders to search for them' })
      .option('cores', grid('cores per layer, 1..8; default 8'))
      .option('l1', grid('L1 bytes the plan may use; default 262144'))
      .option('npu', grid("NPU offload on/off (compile --npu / --no-npu); default on"))
      .option('wmem', grid('constants in the weight memory on/off; default off'))
      .option('voltage', grid('supply voltage 0.65..0.8 V; default 0.8'))
      .option('freq-mhz', grid('cluster clock in MHz; default: the highest at each voltage'))
      .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'points run in parallel on this machine' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'points.csv to write' })
      .option('report', { type: 'string', describe: 'also write an HTML report with the Pareto chart' })
      .option('queue', { type: 'string', describe: 'redis://host:port: enqueue the points for `deeploy-sim worker`s instead of running them here' })
      .option('queue-timeout', { type: 'number', default: 3600, describe: 'seconds to wait for the workers' }) as never,
  handler: async (args) => {
    const jobs = checkJobs(args.jobs);
    const points = gridPoints(expandCases(args.cases), args);
    checkOutputFile(args.output, '-o');
    if (args.report !== undefined) checkOutputFile(args.report, '--report');
    const err = process.stderr;
    let rows: PointRow[];
    if (args.queue !== undefined) {
      if (!(args['queue-timeout'] > 0)) throw new InputError(`--queue-timeout ${args['queue-timeout']}: expected a positive number of seconds`);
      const { sweepOnQueue } = await import('../../sweep/queue.js'); // BullMQ loads only for --queue
      rows = await sweepOnQueue(points, args.queue, { timeoutSeconds: args['queue-timeout'], onProgress: (d, n) => err.write(`sweep: ${d}/${n} points done\n`) });
    } else {
      rows = await runPool<PointRow>(points.map((point) => ({ kind: 'point', point })), jobs, (k, r) =>
        err.write(`sweep: ${k + 1}/${points.length} ${r.case} cores=${r.cores} l1=${r.l1} wmem=${r.wmem} ${r.voltage} V ${r.freq_mhz} MHz: ${r.status} ${r.cycles} cycles\n`),
      );
    }
    writePointsCsv(args.output, rows);
    if (args.report !== undefined) {
      const { sweepReport } = await import('../../report/sweep-report.js');
      writeOutputFile(args.report, await sweepReport(rows, args.output), '--report');
    }
    const ok = rows.filter((r) => r.status === 'ok').length;
    process.stdout.write(`${rows.length} points (${ok} bit-exact) -> ${args.output}${args.report ? `, ${args.report}` : ''}\n`);
  },
};
