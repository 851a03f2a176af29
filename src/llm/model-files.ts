// Where the TinyStories files come from: ../shared/models/ when the checkout has it, else a local
// cache, else llama2.c's public model location. Downloads are checked against the SHA-256 that
// ../shared/models/NOTICE.md records, so a truncated or altered file is never used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeeployError, ExitCode } from '../errors.js';

export interface ModelFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** stories260K and its 512-token tokenizer, as trained and published by the llama2.c project. */
export const STORIES_260K: { model: ModelFile; tokenizer: ModelFile } = {
  model: { name: 'stories260K.bin', bytes: 1_056_540, sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696' },
  tokenizer: { name: 'tok512.bin', bytes: 6_227, sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312' },
};

/** llama2.c's README points here for the small TinyStories checkpoints. */
export const DEFAULT_MODEL_BASE_URL = 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** ../shared/models beside the repository (the repo root is two levels above dist/src/llm). */
export function sharedModelsDir(): string {
  const fromDist = resolve(REPO_ROOT, '../shared/models');
  return existsSync(fromDist) ? fromDist : resolve(REPO_ROOT, '../../shared/models');
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'deeploy-sim', 'models');
}

export class ModelUnavailableError extends DeeployError {
  constructor(message: string) {
    super(message, ExitCode.badInput);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface FetchOptions {
  baseUrl?: string;
  /** Called with (received, total or undefined) while a file downloads. */
  progress?: (file: string, received: number, total: number | undefined) => void;
  timeoutMs?: number;
}

/** Download `file` from `baseUrl` into `destDir`, verify size and SHA-256, write atomically. */
export async function downloadModelFile(file: ModelFile, destDir: string, opts: FetchOptions = {}): Promise<string> {
  const base = opts.baseUrl ?? DEFAULT_MODEL_BASE_URL;
  const url = new URL(file.name, base.endsWith('/') ? base : `${base}/`).toString();
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ModelUnavailableError(`${url}: download failed (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (!response.ok || response.body === null) throw new ModelUnavailableError(`${url}: download failed (HTTP ${response.status} ${response.statusText})`);
  const header = response.headers.get('content-length');
  const total = header !== null ? Number(header) : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (received > file.bytes) throw new ModelUnavailableError(`${url}: more than the expected ${file.bytes} bytes; not ${file.name}`);
    opts.progress?.(file.name, received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  if (received !== file.bytes) throw new ModelUnavailableError(`${url}: got ${received} bytes, expected ${file.bytes}; not ${file.name} (truncated download?)`);
  const digest = sha256(bytes);
  if (digest !== file.sha256) throw new ModelUnavailableError(`${url}: SHA-256 ${digest} does not match ${file.name}'s ${file.sha256}`);
  mkdirSync(destDir, { recursive: true });
  const dest = join(destDir, file.name);
  const partial = `${dest}.partial-${process.pid}`;
  writeFileSync(partial, bytes);
  renameSync(partial, dest);
  return dest;
}

function verified(path: string, file: ModelFile): boolean {
  if (!existsSync(path)) return false;
  const bytes = readFileSync(path);
  return bytes.length === file.bytes && sha256(bytes) === file.sha256;
}

export interface ResolvedModel {
  model: string;
  tokenizer: string;
  /** Where they came from: 'shared', 'cache' or 'download'. */
  source: 'shared' | 'cache' | 'download';
}

export interface ResolveOptions extends FetchOptions {
  sharedDir?: string;
  cacheDir?: string;
}

/** stories260K.bin + tok512.bin: from ../shared/models, else the cache, else downloaded into the cache. */
export async function resolveStories260K(opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const { model, tokenizer } = STORIES_260K;
  const shared = opts.sharedDir ?? sharedModelsDir();
  if (existsSync(join(shared, model.name)) && existsSync(join(shared, tokenizer.name)))
    return { model: join(shared, model.name), tokenizer: join(shared, tokenizer.name), source: 'shared' };
  const cache = opts.cacheDir ?? defaultCacheDir();
  if (verified(join(cache, model.name), model) && verified(join(cache, tokenizer.name), tokenizer))
    return { model: join(cache, model.name), tokenizer: join(cache, tokenizer.name), source: 'cache' };
  try {
    const m = await downloadModelFile(model, cache, opts);
    const t = await downloadModelFile(tokenizer, cache, opts);
    return { model: m, tokenizer: t, source: 'download' };
  } catch (err) {
    if (!(err instanceof ModelUnavailableError)) throw err;
    rmSync(join(cache, `${model.name}.partial-${process.pid}`), { force: true });
    throw new ModelUnavailableError(
      `stories260K is not available: not in ${shared}, not cached in ${cache}, and ${err.message}. ` +
        `Put ${model.name} and ${tokenizer.name} in one of those folders, or set --model-url to a mirror.`,
    );
  }
}
