// The engines behind `generate --engine`: all implement StepEngine (token, pos) -> logits.
import { InputError } from '../errors.js';
import type { Llama2cModel } from '../frontend/llama2c.js';
import type { Tokenizer } from '../frontend/tokenizer.js';
import { FloatModel, type StepEngine } from './float.js';

export const ENGINES = ['float', 'int8', 'sim'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface EngineOptions {
  /** int8: run this exported step graph (network.onnx or its case folder, with llm.json) instead of quantizing. */
  graph?: string;
  /** sim: cluster cores, clock for tokens/s, build folder, progress log (src/llm/sim-engine.ts). */
  sim?: import('./sim-engine.js').SimEngineOptions;
}

export async function createEngine(name: EngineName, model: Llama2cModel, tokenizer: Tokenizer, modelPath: string, opts: EngineOptions = {}): Promise<StepEngine> {
  if (opts.graph !== undefined && name === 'float') throw new InputError(`--graph needs --engine int8 or sim`);
  switch (name) {
    case 'float':
      return new FloatModel(model);
    case 'int8':
    case 'sim': {
      const { createInt8Engine, loadInt8Engine } = await import('./int8.js');
      let engine: import('./int8.js').Int8Engine;
      if (opts.graph === undefined) engine = createInt8Engine(model, tokenizer);
      else {
        engine = loadInt8Engine(opts.graph);
        if (engine.vocabSize !== model.config.vocabSize || engine.seqLen !== model.config.seqLen)
          throw new InputError(`${opts.graph}: step graph has vocabulary ${engine.vocabSize} and context ${engine.seqLen}, ${modelPath} has ${model.config.vocabSize} and ${model.config.seqLen}`);
      }
      if (name === 'int8') return engine;
      // sim: the same graph, compiled and run on the simulated cluster
      const { createSimEngine } = await import('./sim-engine.js');
      return createSimEngine(engine, opts.sim);
    }
  }
}
