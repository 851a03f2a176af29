// deeploy-sim report <build-dir | points.csv> -o report.html: a self-contained HTML report of the
// latest recorded run of a build folder (running it first when there is none), or of a sweep.
import { existsSync, statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { checkOutputFile, writeOutputFile } from '../../io/outputs.js';
import { latestRecord, requireBuildFolder, runAndRecord } from '../../report/record.js';
import { readPointsCsv } from '../../sweep/csv.js';
import { estimateEnergy } from '../../sim/energy.js';
import { operatingPointArgs, operatingPointOptions, type OperatingPointArgs } from './operating-point.js';

interface Args extends OperatingPointArgs {
  input: string;
  output: string;
  rerun: boolean;
}

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <input>',
  describe: 'write a self-contained HTML report of a build folder\'s latest run (or of a sweep\'s points.csv)',
  builder: (y) =>
    operatingPointOptions(
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'build folder (from compile), or points.csv (from sweep)' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'HTML file to write' })
        .option('rerun', { type: 'boolean', default: false, describe: 'run the program again even when a recorded run exists' }),
    ) as never,
  handler: async (args) => {
    const t0 = performance.now();
    // the charting library loads only when a report is drawn (it is most of the CLI's start-up)
    const { networkReport } = await import('../../report/network-report.js');
    const { sweepReport } = await import('../../report/sweep-report.js');
    const op = operatingPointArgs(args);
    checkOutputFile(args.output, '-o');
    if (!existsSync(args.input)) throw new InputError(`${args.input}: no such file or folder (expected a build folder or a sweep's points.csv)`);
    let html: string;
    if (statSync(args.input).isFile()) {
      if (!args.input.endsWith('.csv')) throw new InputError(`${args.input}: not a build folder or a .csv of sweep points`);
      html = await sweepReport(readPointsCsv(args.input), args.input);
    } else {
      const manifest = requireBuildFolder(args.input);
      const given = args.voltage !== undefined || args['freq-mhz'] !== undefined;
      let rec = args.rerun ? undefined : latestRecord(args.input);
      // a record made at another operating point is re-estimated from its counts (same cycles)
      if (rec && given) rec = { ...rec, operatingPoint: op, energy: estimateEnergy(rec.energy.counts, op) };
      if (!rec) {
        process.stderr.write(`report: no recorded run in ${args.input}/stats: running network.elf\n`);
        rec = runAndRecord(args.input, { op });
      }
      html = await networkReport(manifest, rec, args.input);
    }
    writeOutputFile(args.output, html, '-o');
    process.stdout.write(`wrote ${args.output} (${(html.length / 1024).toFixed(0)} KiB, ${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
  },
};
