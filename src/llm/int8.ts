import { InputError } from '../errors.js';
import type { Llama2cModel } from '../frontend/llama2c.js';
import type { Tokenizer } from '../frontend/tokenizer.js';
import type { StepEngine } from './float.js';

export function createInt8Engine(_model: Llama2cModel, _tokenizer: Tokenizer): StepEngine {
  throw new InputError('--engine int8: not implemented yet');
}
