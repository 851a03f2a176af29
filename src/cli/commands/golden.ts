// deeploy-sim golden: run the integer reference executor on a network and write its outputs.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError, MismatchError } from '../../errors.js';
import { loadOnnx } from '../../frontend/onnx.js';
import { formatNpz, readNpz } from '../../frontend/npy.js';
import { checkOutputFile, writeOutputFile } from '../../io/outputs.js';
import { execute } from '../../reference/execute.js';
import { toStorage } from '../../reference/storage.js';

interface Args {
  network: string;
  inputs?: string;
  output: string;
  activations?: string;
  compare?: string;
}

export const goldenCommand: CommandModule<object, Args> = {
  command: 'golden <network>',
  describe: 'run the integer reference executor: network.onnx (or a case folder) + inputs.npz -> outputs.npz',
  builder: (y) =>
    y
      .positional('network', { type: 'string', demandOption: true, describe: 'network.onnx, or a case folder holding network.onnx and inputs.npz' })
      .option('inputs', { type: 'string', describe: 'inputs .npz: the i-th array is the i-th graph input (default: <case>/inputs.npz)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'outputs .npz to write, keyed by graph output names' })
      .option('activations', { type: 'string', describe: 'also write every intermediate tensor (.npz keyed by tensor name, execution order)' })
      .option('compare', { type: 'string', describe: 'expected outputs .npz: print Errors: E out of T, exit 1 on any difference' }) as never,
  handler: (args) => {
    let network = args.network;
    let inputs = args.inputs;
    if (existsSync(network) && statSync(network).isDirectory()) {
      inputs ??= join(network, 'inputs.npz');
      network = join(network, 'network.onnx');
    }
    if (!inputs) throw new InputError('--inputs is required when the first argument is a network.onnx file');
    const graph = loadOnnx(network);
    const arrays = readNpz(inputs);
    if (arrays.length < graph.inputs.length)
      throw new InputError(`${inputs}: holds ${arrays.length} arrays, ${network} has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')})`);
    const expected = args.compare ? readNpz(args.compare) : undefined;
    checkOutputFile(args.output, '-o');
    if (args.activations) checkOutputFile(args.activations, '--activations');
    const t0 = performance.now();
    const result = execute(graph, arrays, { source: inputs, captureActivations: !!args.activations });
    const ms = performance.now() - t0;
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    const outs = graph.outputs.map((o, i) => toStorage(graph, o.name, result.outputs[i]!));
    writeOutputFile(args.output, formatNpz(outs), '-o');
    if (args.activations && result.activations)
      writeOutputFile(args.activations, formatNpz([...result.activations].map(([name, v]) => toStorage(graph, name, v))), '--activations');
    process.stdout.write(`${outs.map((o) => `${o.name}: ${o.dtype}[${o.shape.join(', ')}]`).join('\n')}\n`);
    process.stdout.write(`wrote ${args.output} (${outs.length} outputs, ${graph.nodes.length} nodes, ${ms.toFixed(1)} ms)\n`);
    if (args.compare && expected) {
      if (expected.length < outs.length) throw new InputError(`${args.compare}: holds ${expected.length} arrays, the graph has ${outs.length} outputs`);
      let errors = 0;
      let total = 0;
      result.outputs.forEach((v, i) => {
        const e = expected[i]!;
        if (e.shape.join() !== v.shape.join()) throw new InputError(`${args.compare}: array ${i} ('${e.name}') has shape [${e.shape}], output '${graph.outputs[i]!.name}' is [${v.shape}]`);
        const tol = e.dtype.startsWith('float') ? 1e-4 : 0;
        for (let k = 0; k < v.data.length; k++) if (!(Math.abs(Number(e.data[k]) - v.data[k]!) <= tol)) errors++;
        total += v.data.length;
      });
      process.stdout.write(`Errors: ${errors} out of ${total}\n`);
      if (errors) throw new MismatchError(`${errors} of ${total} output values differ from ${args.compare}`);
    }
  },
};
