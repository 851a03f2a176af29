// The engines behind `generate --engine`: all implement StepEngine (token, pos) -> logits.
import { InputError } from '../errors.js';
import type { Llama2cModel } from '../frontend/llama2c.js';
import type { Tokenizer } from '../frontend/tokenizer.js';
import { FloatModel, type StepEngine } from './float.js';

export const ENGINES = ['float', 'int8', 'sim'] as const;
export type EngineName = (typeof ENGINES)[number];

export async function createEngine(name: EngineName, model: Llama2cModel, tokenizer: Tokenizer, modelPath: string): Promise<StepEngine> {
  switch (name) {
    case 'float':
      return new FloatModel(model);
    case 'int8': {
      const { createInt8Engine } = await import('./int8.js');
      return createInt8Engine(model, tokenizer);
    }
    case 'sim':
      throw new InputError(`--engine sim: not available yet for ${modelPath} (it needs the compiler); use float or int8`);
  }
}
