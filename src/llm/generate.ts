// The generation loop of run.c's `generate`: feed the prompt tokens (BOS first), then sample; stop
// after `steps` positions or when the model produces BOS (token 1). Each token's text is handed to
// onText as soon as it is known, so callers can stream it.
import { InputError } from '../errors.js';
import { BOS, type Tokenizer } from '../frontend/tokenizer.js';
import type { StepEngine } from './float.js';
import type { Sampler } from './sample.js';

export interface GenerateOptions {
  prompt: string;
  steps: number;
  sampler: Sampler;
  /** The printable bytes of one generated (or prompt) token; may be empty. */
  onText?: (bytes: Uint8Array) => void;
  /** After every forward step: positions done so far and the planned total. */
  onStep?: (done: number, total: number) => void;
}

export interface GenerateResult {
  /** Every token fed to or produced by the model, BOS first. */
  tokens: number[];
  promptTokens: number;
  /** Forward steps run. */
  steps: number;
}

/** Checks steps and prompt against the context length (seq_len); throws InputError. */
export function checkContext(engine: StepEngine, steps: number, promptTokens: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > engine.seqLen) {
    throw new InputError(`--steps ${steps}: expected 1..${engine.seqLen} (the model's context, seq_len)`);
  }
  if (promptTokens > engine.seqLen) {
    throw new InputError(`--prompt is ${promptTokens} tokens (with BOS), longer than the model's context of ${engine.seqLen}`);
  }
}

export function generate(engine: StepEngine, tokenizer: Tokenizer, opts: GenerateOptions): GenerateResult {
  const prompt = tokenizer.encode(opts.prompt, true, false);
  checkContext(engine, opts.steps, prompt.length);
  engine.reset();
  const tokens = [prompt[0]!];
  let token = prompt[0]!;
  let pos = 0;
  while (pos < opts.steps) {
    const logits = engine.step(token, pos);
    const next = pos < prompt.length - 1 ? prompt[pos + 1]! : opts.sampler(logits);
    pos++;
    opts.onStep?.(pos, opts.steps);
    if (next === BOS) break;
    tokens.push(next);
    opts.onText?.(tokenizer.printable(token, next));
    token = next;
  }
  return { tokens, promptTokens: prompt.length, steps: pos };
}
