// deeploy-sim compile <network.onnx | case-dir> -o <build-dir>: the compiler (docs/compiler.md).
import type { CommandModule } from 'yargs';
import { compileToFolder } from '../../compiler/build-folder.js';
import { compileOptions, compileRequest, type CompileArgs } from './compile-options.js';

interface Args extends CompileArgs {
  network: string;
  output: string;
  inputs?: string;
  outputs?: string;
  build: boolean;
  force: boolean;
}

export const compileCommand: CommandModule<object, Args> = {
  command: 'compile <network>',
  describe: 'compile an integer ONNX network (or a case folder) to C for the cluster and build network.elf',
  builder: (y) =>
    compileOptions(y)
      .positional('network', { type: 'string', demandOption: true, describe: 'network.onnx, or a case folder with network.onnx, inputs.npz, outputs.npz' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'build folder to write' })
      .option('inputs', { type: 'string', describe: 'test inputs .npz (default: <case>/inputs.npz)' })
      .option('outputs', { type: 'string', describe: 'golden outputs .npz (default: <case>/outputs.npz, else the reference executor)' })
      .option('build', { type: 'boolean', default: true, describe: 'build network.elf (--no-build: sources, golden files and manifest only)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace OUTPUT even when it is not a deeploy-sim build folder' }) as never,
  handler: async (args) => {
    const r = await compileToFolder({
      network: args.network,
      outDir: args.output,
      inputs: args.inputs,
      outputs: args.outputs,
      ...compileRequest(args),
      build: args.build,
      force: args.force,
    });
    const m = r.manifest;
    const est = m.layers.reduce((s, l) => s + l.estimatedCycles, 0);
    const lv = m.memory.levels.filter((l) => l.used > 0).map((l) => `${l.level} ${l.used} B`).join(', ');
    process.stdout.write(`${m.network}: ${m.layers.length} layers, ${lv}, estimated ${est} cycles on ${m.platform.cores} cores -> ${r.outDir}${r.elf ? '/network.elf' : ' (not built)'}\n`);
  },
};
