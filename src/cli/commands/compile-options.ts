// The compile options `compile` and `test` share (one definition, so `test` takes every one).
import type { Argv } from 'yargs';
import { PLATFORMS } from '../../sim/platform/siracusa.js';
import type { CompileRequest } from '../../compiler/build-folder.js';
import { InputError } from '../../errors.js';
import { CORES, numberOption } from '../options.js';

export interface CompileArgs {
  platform: string;
  cores: number;
  l1: number;
  l2: number;
  wmem: boolean;
  fuse: boolean;
  'fork-per-layer': boolean;
  npu: boolean;
}

/** --npu / --no-npu (default on: the chip has one). yargs reads `--npu=maybe` as false without a
 * word, so the raw arguments are checked (`--npu maybe` is an unknown argument already). */
export const npuOption = {
  type: 'boolean',
  default: true,
  describe: 'offload requantised convs / GEMMs to the NPU where predicted faster (--no-npu: cluster only)',
} as const;

export function checkNpuArgs(args: readonly string[] = process.argv.slice(2)): void {
  for (const a of args) {
    const m = /^--(?:no-)?npu=(.*)$/.exec(a);
    if (m && m[1] !== 'true' && m[1] !== 'false') throw new InputError(`${a}: expected --npu or --no-npu (or --npu=true / --npu=false)`);
  }
}

export function compileOptions<T>(y: Argv<T>): Argv<T & CompileArgs> {
  return y
    .option('platform', { type: 'string', default: 'siracusa', choices: Object.keys(PLATFORMS), describe: 'target platform description' })
    .option('cores', numberOption('cores', CORES, { default: 8, describe: 'cluster cores each layer runs on (1..8)' }))
    .option('l1', numberOption('l1', { integer: true, min: 1 }, { default: 256 * 1024, describe: 'L1 bytes the plan may use (core stacks included); layers are tiled to fit' }))
    .option('l2', numberOption('l2', { integer: true, min: 1 }, { default: 2 * 1024 * 1024, describe: 'L2 bytes the plan may use (minus code and runtime reserve)' }))
    .option('wmem', { type: 'boolean', default: false, describe: 'place constants in the weight memory SRAM instead of L2' })
    .option('fuse', { type: 'boolean', default: true, describe: 'fuse RequantShift into the producing kernel (--no-fuse to compare)' })
    .option('fork-per-layer', { type: 'boolean', default: false, describe: 'one dsim_fork per layer instead of one fork with barriers (to compare)' })
    .option('npu', npuOption)
    .middleware(() => checkNpuArgs()) as unknown as Argv<T & CompileArgs>;
}

/** The request fields of the shared options. */
export function compileRequest(a: CompileArgs): Pick<CompileRequest, 'platform' | 'cores' | 'l1' | 'l2' | 'wmem' | 'fuse' | 'forkPerLayer' | 'npu'> {
  return { platform: a.platform, cores: a.cores, l1: a.l1, l2: a.l2, wmem: a.wmem, fuse: a.fuse, forkPerLayer: a['fork-per-layer'], npu: a.npu };
}
