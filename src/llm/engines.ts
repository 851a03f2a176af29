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
}

export async function createEngine(name: EngineName, model: Llama2cModel, tokenizer: Tokenizer, modelPath: string, opts: EngineOptions = {}): Promise<StepEngine> {
  if (opts.graph !== undefined && name !== 'int8') throw new InputError(`--graph needs --engine int8`);
  switch (name) {
    case 'float':
      return new FloatModel(model);
    case 'int8': {
      const { createInt8Engine, loadInt8Engine } = await import('./int8.js');
      if (opts.graph === undefined) return createInt8Engine(model, tokenizer);
      const engine = loadInt8Engine(opts.graph);
      if (engine.vocabSize !== model.config.vocabSize || engine.seqLen !== model.config.seqLen)
        throw new InputError(`${opts.graph}: step graph has vocabulary ${engine.vocabSize} and context ${engine.seqLen}, ${modelPath} has ${model.config.vocabSize} and ${model.config.seqLen}`);
      return engine;
    }
    case 'sim':
      throw new InputError(`--engine sim: not available yet for ${modelPath} (it needs the compiler); use float or int8`);
  }
}
