// --voltage / --freq-mhz: the operating point energy figures are given at (src/sim/energy.ts).
import type { Argv } from 'yargs';
import { InputError } from '../../errors.js';
import { DEFAULT_OPERATING_POINT, fmaxAt, operatingPointProblem, type OperatingPoint } from '../../sim/energy.js';

export interface OperatingPointArgs {
  voltage?: number;
  'freq-mhz'?: number;
}

export function operatingPointOptions<T>(y: Argv<T>) {
  return y
    .option('voltage', { type: 'number', describe: `supply voltage for the energy figures (0.65..0.8 V, Siracusa's measured range; default ${DEFAULT_OPERATING_POINT.voltage})` })
    .option('freq-mhz', { type: 'number', describe: `cluster clock (default: the highest the voltage allows, ${DEFAULT_OPERATING_POINT.freqMHz} MHz at 0.8 V)` });
}

/** The operating point the options name (checked against the sources' range: exit 2 outside). */
export function operatingPointArgs(args: OperatingPointArgs): OperatingPoint {
  const problem = operatingPointProblem({ voltage: args.voltage, freqMHz: args['freq-mhz'] });
  if (problem) throw new InputError(problem);
  const voltage = args.voltage ?? DEFAULT_OPERATING_POINT.voltage;
  return { voltage, freqMHz: args['freq-mhz'] ?? Math.round(fmaxAt(voltage)) };
}
