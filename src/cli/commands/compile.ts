// deeploy-sim compile <network.onnx | case-dir> -o <build-dir>: the compiler (docs/compiler.md).
import type { CommandModule } from 'yargs';
import { compileToFolder } from '../../compiler/build-folder.js';
import { CORES, numberOption } from '../options.js';

interface Args {
  network: string;
  output: string;
  inputs?: string;
  outputs?: string;
  platform: string;
  cores: number;
  l1: number;
  l2: number;
  wmem: boolean;
  build: boolean;
  fuse: boolean;
  'fork-per-layer': boolean;
  force: boolean;
}

export const compileCommand: CommandModule<object, Args> = {
  command: 'compile <network>',
  describe: 'compile an integer ONNX network (or a case folder) to C for the cluster and build network.elf',
  builder: (y) =>
    y
      .positional('network', { type: 'string', demandOption: true, describe: 'network.onnx, or a case folder with network.onnx, inputs.npz, outputs.npz' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'build folder to write' })
      .option('inputs', { type: 'string', describe: 'test inputs .npz (default: <case>/inputs.npz)' })
      .option('outputs', { type: 'string', describe: 'golden outputs .npz (default: <case>/outputs.npz, else the reference executor)' })
      .option('platform', { type: 'string', default: 'siracusa', choices: ['siracusa'] })
      .option('cores', numberOption('cores', CORES, { default: 8, describe: 'cluster cores each layer runs on (1..8)' }))
      .option('l1', numberOption('l1', { integer: true, min: 1 }, { default: 256 * 1024, describe: 'L1 bytes the plan may use (minus the core stacks)' }))
      .option('l2', numberOption('l2', { integer: true, min: 1 }, { default: 2 * 1024 * 1024, describe: 'L2 bytes the plan may use (minus code and runtime reserve)' }))
      .option('wmem', { type: 'boolean', default: false, describe: 'place constants in the weight memory SRAM (0x10800000) instead of L2' })
      .option('build', { type: 'boolean', default: true, describe: 'build network.elf (--no-build: sources, golden files and manifest only)' })
      .option('fuse', { type: 'boolean', default: true, describe: 'fuse RequantShift into the producing kernel (--no-fuse to compare)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace OUTPUT even when it is not a deeploy-sim build folder' })
      .option('fork-per-layer', { type: 'boolean', default: false, describe: 'one dsim_fork per layer instead of one fork with barriers (to compare)' }) as never,
  handler: async (args) => {
    const r = await compileToFolder({
      network: args.network,
      outDir: args.output,
      inputs: args.inputs,
      outputs: args.outputs,
      cores: args.cores,
      l1: args.l1,
      l2: args.l2,
      wmem: args.wmem,
      build: args.build,
      fuse: args.fuse,
      forkPerLayer: args['fork-per-layer'],
      force: args.force,
    });
    const m = r.manifest;
    const est = m.layers.reduce((s, l) => s + l.estimatedCycles, 0);
    const lv = m.memory.levels.filter((l) => l.used > 0).map((l) => `${l.level} ${l.used} B`).join(', ');
    process.stdout.write(`${m.network}: ${m.layers.length} layers, ${lv}, estimated ${est} cycles on ${m.platform.cores} cores -> ${r.outDir}${r.elf ? '/network.elf' : ' (not built)'}\n`);
  },
};
