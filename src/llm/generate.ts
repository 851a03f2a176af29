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

/** One forward step per iteration; the caller drives it (sync or yielding to the event loop). */
function* run(engine: StepEngine, tokenizer: Tokenizer, opts: GenerateOptions, result: GenerateResult): Generator<void, void, void> {
  const prompt = tokenizer.encode(opts.prompt, true, false);
  checkContext(engine, opts.steps, prompt.length);
  result.promptTokens = prompt.length;
  engine.reset();
  const tokens = result.tokens;
  tokens.push(prompt[0]!);
  let token = prompt[0]!;
  let pos = 0;
  while (pos < opts.steps) {
    const logits = engine.step(token, pos);
    const next = pos < prompt.length - 1 ? prompt[pos + 1]! : opts.sampler(logits);
    pos++;
    result.steps = pos;
    opts.onStep?.(pos, opts.steps);
    if (next === BOS) break;
    tokens.push(next);
    opts.onText?.(tokenizer.printable(token, next));
    token = next;
    yield;
  }
}

export function generate(engine: StepEngine, tokenizer: Tokenizer, opts: GenerateOptions): GenerateResult {
  const result: GenerateResult = { tokens: [], promptTokens: 0, steps: 0 };
  for (const _ of run(engine, tokenizer, opts, result));
  return result;
}

/** As generate, but lets the event loop run after every token (stream errors, timers, Ctrl-C handlers). */
export async function generateAsync(engine: StepEngine, tokenizer: Tokenizer, opts: GenerateOptions, stop?: () => boolean): Promise<GenerateResult> {
  const result: GenerateResult = { tokens: [], promptTokens: 0, steps: 0 };
  for (const _ of run(engine, tokenizer, opts, result)) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stop?.()) break;
  }
  return result;
}
