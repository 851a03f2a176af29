// deeploy-sim generate: TinyStories text from a llama2.c checkpoint, streamed token by token.
// stdout carries exactly what llama2.c's run prints for the text; everything else goes to stderr.
import { checkNpuArgs, npuOption } from './compile-options.js';
import { Presets, SingleBar } from 'cli-progress';
import type { CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { loadLlama2c } from '../../frontend/llama2c.js';
import { loadTokenizer } from '../../frontend/tokenizer.js';
import { createEngine, ENGINES, type EngineName } from '../../llm/engines.js';
import { generateAsync } from '../../llm/generate.js';
import type { Int8Engine } from '../../llm/int8.js';
import { makeSampler, type RngKind } from '../../llm/sample.js';
import { DEFAULT_FREQ_MHZ, formatSummary, summarize, type SimEngine } from '../../llm/sim-engine.js';
import { checkOutputFile, tryFs, writeOutputFile } from '../../io/outputs.js';
import { CORES, numberOption } from '../options.js';

interface Args {
  model: string;
  tokenizer: string;
  prompt: string;
  steps: number;
  engine: EngineName;
  temperature: number;
  seed: string;
  topp: number;
  rng: RngKind;
  export?: string;
  graph?: string;
  cores: number;
  'freq-mhz': number;
  'build-dir'?: string;
  windows?: string;
  npu: boolean;
  report?: string;
}

export const generateCommand: CommandModule<object, Args> = {
  command: 'generate',
  describe: 'generate text with a llama2.c TinyStories model (float, int8 or simulated chip)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'llama2.c checkpoint (legacy float32 format)' })
      .option('tokenizer', { type: 'string', demandOption: true, describe: 'llama2.c tokenizer.bin' })
      .option('prompt', { type: 'string', default: '', describe: 'text to start from' })
      .option('steps', numberOption('steps', { integer: true, min: 1 }, { default: 256, describe: 'positions to run, prompt included (<= seq_len)' }))
      .option('engine', { choices: ENGINES, default: 'float' as EngineName, describe: 'float reference, int8 integer graph, or sim' })
      .option('temperature', numberOption('temperature', { min: 0 }, { default: 0, describe: '0 = greedy (argmax)' }))
      .option('seed', { type: 'string', default: '42', describe: 'RNG seed for temperature > 0' })
      .option('topp', numberOption('topp', { min: 0, max: 1 }, { default: 0.9, describe: 'top-p (nucleus) sampling for temperature > 0; 1 = off (llama2.c default 0.9)' }))
      .option('rng', { choices: ['seedrandom', 'llama2c'] as RngKind[], default: 'seedrandom' as RngKind, describe: "coin source; llama2c = run.c's xorshift (integer seed), same text as llama2.c's run -s SEED" })
      .option('cores', numberOption('cores', CORES, { default: 8, describe: 'sim: cluster cores the compiled step runs on (1..8)' }))
      .option('freq-mhz', numberOption('freq-mhz', { min: 0, exclusiveMin: true }, { default: DEFAULT_FREQ_MHZ, describe: 'sim: cluster clock for tokens/s and power (MHz)' }))
      .option('windows', { type: 'string', describe: "sim: state windows compiled besides the graph's own, comma-separated (default 63,127,255; 'none': only the graph's)" })
      .option('report', { type: 'string', describe: 'sim: write an HTML report of cycles and energy per token over the positions' })
      .option('build-dir', { type: 'string', describe: 'sim: build folder of the compiled step graph (default: a cache under the OS temp dir)' })
      .option('graph', { type: 'string', describe: 'int8/sim: run an exported step graph (case folder or network.onnx with llm.json) instead of quantizing' })
      .option('npu', { ...npuOption, describe: 'sim: offload eligible layers of the step to the NPU (--no-npu: cluster only)' })
      .middleware(() => checkNpuArgs())
      .option('export', { type: 'string', describe: 'int8: write the last step as a case folder (network.onnx, inputs.npz, outputs.npz, llm.json)' }) as never,
  handler: async (args) => {
    if (args.export !== undefined && args.engine !== 'int8') throw new InputError('--export needs --engine int8');
    if (args.rng === 'llama2c' && !/^\d+$/.test(args.seed)) throw new InputError(`--seed ${args.seed}: --rng llama2c needs a non-negative integer seed`);
    if (args['build-dir'] !== undefined && args.engine !== 'sim') throw new InputError('--build-dir needs --engine sim');
    if (args.windows !== undefined && args.engine !== 'sim') throw new InputError('--windows needs --engine sim');
    if (args.report !== undefined && args.engine !== 'sim') throw new InputError('--report needs --engine sim');
    if (args.report !== undefined) checkOutputFile(args.report, '--report');
    const windows = args.windows === undefined ? undefined : parseWindows(args.windows);
    const model = loadLlama2c(args.model);
    const tokenizer = loadTokenizer(args.tokenizer, model.config.vocabSize);
    const err = process.stderr;
    const sim = {
      cores: args.cores,
      npu: args.npu,
      freqMHz: args['freq-mhz'],
      steps: args.steps,
      log: (line: string) => err.write(line + '\n'),
      ...(args['build-dir'] !== undefined ? { buildDir: args['build-dir'] } : {}),
      ...(windows !== undefined ? { windows } : {}),
    };
    const engine = await createEngine(args.engine, model, tokenizer, args.model, { ...(args.graph !== undefined ? { graph: args.graph } : {}), sim });
    // A live progress line only when it cannot interleave with the text on the same terminal.
    const live = err.isTTY === true && process.stdout.isTTY !== true;
    // A reader that goes away (`| head`) ends the run quietly, as it would for llama2.c.
    let closed = false;
    const textParts: Uint8Array[] = [];
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed = true;
    });
    const t0 = performance.now();
    // cli-progress draws and clears the line (throttled, terminal-width aware) on stderr.
    const bar = live
      ? new SingleBar({ stream: err, format: '{value}/{total} tokens | {rate} tok/s | eta {eta_formatted}', fps: 10, clearOnComplete: true, hideCursor: false }, Presets.legacy)
      : undefined;
    const result = await generateAsync(
      engine,
      tokenizer,
      {
        prompt: args.prompt,
        steps: args.steps,
        sampler: makeSampler({ temperature: args.temperature, topp: args.topp, seed: args.seed, rng: args.rng }),
        onText: (bytes) => {
          if (args.report !== undefined) textParts.push(bytes);
          if (bytes.length > 0 && !closed) process.stdout.write(bytes);
        },
        onStep: (done, total) => {
          if (bar === undefined) return;
          const rate = ((done * 1000) / (performance.now() - t0)).toFixed(1);
          if (done === 1) bar.start(total, done, { rate });
          else bar.update(done, { rate });
        },
      },
      () => closed,
    );
    bar?.stop();
    if (closed) return;
    process.stdout.write('\n');
    const seconds = (performance.now() - t0) / 1000;
    if (args.export !== undefined) {
      const dir = args.export;
      tryFs(dir, 'write the --export case folder', () => (engine as Int8Engine).exportCase(dir));
      err.write(`wrote ${args.export}/network.onnx, inputs.npz, outputs.npz, llm.json (the last step)\n`);
    }
    err.write(`achieved tok/s: ${(result.steps / seconds).toFixed(1)} (${result.steps} steps, engine ${args.engine})\n`);
    if (args.engine === 'sim') {
      const e = engine as SimEngine;
      err.write(formatSummary(summarize(e.stats, e.freqMHz), e.cores) + '\n');
      if (args.report !== undefined) {
        const { tokenReport } = await import('../../report/token-report.js');
        const text = Buffer.concat(textParts).toString('utf8');
        writeOutputFile(args.report, await tokenReport({ model: args.model, cores: e.cores, freqMHz: e.freqMHz, text, steps: e.stats }), '--report');
        err.write(`wrote ${args.report}\n`);
      }
    }
  },
};

/** `--windows 63,127,255` or `none`; the range check (1..the graph's window) is engineWindows'. */
function parseWindows(text: string): number[] {
  if (text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const w = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(w)) throw new InputError(`--windows ${text}: '${part}' is not an integer (expected e.g. 63,127,255 or none)`);
    return w;
  });
}
