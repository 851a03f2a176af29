// The int8 engine: the quantized decoder-step graph run by the integer reference executor
// (src/reference), one token per call. The graph is stateless; this class carries its state
// (mask and K/V windows) from each step's outputs to the next step's inputs.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Graph, Tensor } from '../frontend/ir.js';
import { writeNpz } from '../frontend/npy.js';
import { loadOnnx, writeOnnx } from '../frontend/onnx.js';
import { fromNumbers } from '../frontend/dtype.js';
import type { Llama2cModel } from '../frontend/llama2c.js';
import type { Tokenizer } from '../frontend/tokenizer.js';
import { execute } from '../reference/index.js';
import { InputError } from '../errors.js';
import { calibrate, calibrationSequences } from './calibrate.js';
import { FloatModel, type StepEngine } from './float.js';
import { buildStepGraph, type StepGraphInfo } from './quantize.js';

export class Int8Engine implements StepEngine {
  readonly vocabSize: number;
  readonly seqLen: number;
  /** The graph's own ArgMax output of the last step. */
  lastArgmax = -1;
  /** Executor findings (e.g. int32 overflow), each with its position; none are expected. */
  readonly warnings: string[] = [];
  /** The last step's int16 logits. */
  lastLogitsInt: Float64Array = new Float64Array(0);
  private state: Tensor[] = [];
  private last: { inputs: Tensor[]; outputs: Tensor[] } | undefined;
  private nextPos = 0;

  constructor(readonly info: StepGraphInfo) {
    const logits = info.graph.outputs[1]!;
    this.vocabSize = logits.shape[1]!;
    this.seqLen = info.window + 1;
    this.reset();
  }

  get graph(): Graph {
    return this.info.graph;
  }

  /** Initial state: every slot empty (mask value), K/V zero. */
  initialState(): Tensor[] {
    return this.graph.inputs.slice(2).map((v) => {
      const n = v.shape.reduce((a, b) => a * b, 1);
      const fill = v.name === 'mask_in' ? this.info.maskFill : 0;
      return { name: v.name, dtype: v.dtype, shape: v.shape.slice(), data: fromNumbers(v.dtype, new Array<number>(n).fill(fill)) };
    });
  }

  reset(): void {
    this.state = this.initialState();
    this.nextPos = 0;
  }

  /** The graph inputs for one step from the current state. */
  stepInputs(token: number, pos: number): Tensor[] {
    return [
      { name: 'token', dtype: 'int64', shape: [1], data: BigInt64Array.of(BigInt(token)) },
      { name: 'pos', dtype: 'int64', shape: [1], data: BigInt64Array.of(BigInt(pos)) },
      ...this.state,
    ];
  }

  step(token: number, pos: number): Float32Array {
    if (pos !== this.nextPos) throw new InputError(`int8 engine: position ${pos} out of order (expected ${this.nextPos})`);
    if (pos >= this.seqLen) throw new InputError(`int8 engine: position ${pos} beyond the context of ${this.seqLen}`);
    const inputs = this.stepInputs(token, pos);
    const { outputs, warnings } = execute(this.graph, inputs);
    for (const w of warnings) this.warnings.push(`pos ${pos}: ${w}`);
    this.lastArgmax = outputs[0]!.data[0]!;
    this.lastLogitsInt = outputs[1]!.data;
    const typed = outputs.map((v, i) => {
      const info = this.graph.outputs[i]!;
      return { name: info.name, dtype: info.dtype, shape: v.shape.slice(), data: fromNumbers(info.dtype, v.data) };
    });
    this.last = { inputs, outputs: typed };
    // Output i+2 (mask_out, k_out_l, v_out_l) is the next step's input i+2 (same order and types).
    this.state = typed.slice(2).map((t, i) => ({ ...t, name: this.graph.inputs[2 + i]!.name }));
    this.nextPos = pos + 1;
    const s = this.info.logitScale;
    return Float32Array.from(this.lastLogitsInt, (q) => q * s);
  }

  /**
   * Write the last step as a Deeploy-style case folder: network.onnx, inputs.npz and outputs.npz
   * (what this engine computed), plus llm.json (state conventions and scales).
   */
  exportCase(dir: string): void {
    if (!this.last) throw new InputError('int8 engine: no step has run yet, nothing to export');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'network.onnx'), writeOnnx(this.graph, { producer: 'deeploy-sim llm' }));
    writeNpz(join(dir, 'inputs.npz'), this.last.inputs);
    writeNpz(join(dir, 'outputs.npz'), this.last.outputs);
    const { maskFill, logitScale, window, nLayers, scales } = this.info;
    const meta = {
      about: 'one decoder step of the int8 TinyStories model; see docs/llm.md',
      inputs: this.graph.inputs,
      outputs: this.graph.outputs,
      state: 'outputs 2.. feed inputs 2.. of the next step; initial mask_in = maskFill everywhere, K/V = 0',
      maskFill,
      logitScale,
      window,
      nLayers,
      ops: [...new Set(this.graph.nodes.map((n) => n.op))],
      nodes: this.graph.nodes.length,
      scales,
    };
    writeFileSync(join(dir, 'llm.json'), JSON.stringify(meta, null, 1) + '\n');
  }
}

/** Quantize the float model (calibrated on its own stories) and wrap the step graph as an engine. */
export function quantizeModel(model: Llama2cModel, tokenizer: Tokenizer): StepGraphInfo {
  const float = new FloatModel(model);
  const cal = calibrate(float, calibrationSequences(float, tokenizer));
  return buildStepGraph(model, cal);
}

export function createInt8Engine(model: Llama2cModel, tokenizer: Tokenizer): Int8Engine {
  return new Int8Engine(quantizeModel(model, tokenizer));
}

/** The names and order of the step graph's inputs and outputs (docs/llm.md); checked on load. */
function expectedIo(nLayers: number): { inputs: string[]; outputs: string[] } {
  const kv = (dir: string) => Array.from({ length: nLayers }, (_, l) => [`k_${dir}_${l}`, `v_${dir}_${l}`]).flat();
  return { inputs: ['token', 'pos', 'mask_in', ...kv('in')], outputs: ['next_token', 'logits', 'mask_out', ...kv('out')] };
}

/** An int8 engine from an exported step graph: network.onnx (or its folder) with llm.json beside it. */
export function loadInt8Engine(path: string): Int8Engine {
  const onnx = existsSync(path) && statSync(path).isDirectory() ? join(path, 'network.onnx') : path;
  if (!existsSync(onnx)) throw new InputError(`${path}: no such step graph (a case folder or network.onnx written by generate --export)`);
  const metaPath = join(dirname(onnx), 'llm.json');
  if (!existsSync(metaPath)) throw new InputError(`${metaPath}: missing (the step graph's state conventions: maskFill, logitScale, window)`);
  const graph = loadOnnx(onnx);
  let meta: { maskFill?: unknown; logitScale?: unknown; window?: unknown; nLayers?: unknown; scales?: Record<string, number> };
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as typeof meta;
  } catch (e) {
    throw new InputError(`${metaPath}: not valid JSON (${(e as Error).message})`);
  }
  const num = (k: 'maskFill' | 'logitScale' | 'window' | 'nLayers'): number => {
    const v = meta[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${metaPath}: '${k}' is missing or not a number`);
    return v;
  };
  const nLayers = num('nLayers');
  const io = expectedIo(nLayers);
  const got = { inputs: graph.inputs.map((v) => v.name), outputs: graph.outputs.map((v) => v.name) };
  if (got.inputs.join() !== io.inputs.join() || got.outputs.join() !== io.outputs.join())
    throw new InputError(`${onnx}: not a decoder-step graph: inputs [${got.inputs.join(', ')}], outputs [${got.outputs.join(', ')}]; expected [${io.inputs.join(', ')}] -> [${io.outputs.join(', ')}]`);
  return new Int8Engine({ graph, maskFill: num('maskFill'), logitScale: num('logitScale'), window: num('window'), nLayers, scales: meta.scales ?? {} });
}
