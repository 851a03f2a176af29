// The model download path, exercised against a loopback HTTP server serving local files.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadModelFile, ModelUnavailableError, resolveStories260K, STORIES_260K, type ModelFile } from '../../src/llm/model-files.js';

const shared = join(import.meta.dirname, '../../../shared/models');
const hasShared = existsSync(join(shared, 'stories260K.bin'));

let server: Server;
let base = '';
const served = new Map<string, Uint8Array>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

function fileOf(name: string, bytes: Uint8Array): ModelFile {
  return { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

describe('model download', () => {
  it('downloads, checks size and SHA-256, and writes the file', async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 7) & 255);
    served.set('/models/a.bin', bytes);
    const dir = mkdtempSync(join(tmpdir(), 'dsim-dl-'));
    const seen: number[] = [];
    const path = await downloadModelFile(fileOf('a.bin', bytes), dir, { baseUrl: base, progress: (_f, n) => seen.push(n) });
    expect(path).toBe(join(dir, 'a.bin'));
    expect(readFileSync(path)).toEqual(Buffer.from(bytes));
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('rejects a file whose SHA-256 differs, and writes nothing', async () => {
    const good = new Uint8Array(64).fill(1);
    const bad = new Uint8Array(64).fill(2);
    served.set('/models/b.bin', bad);
    const dir = mkdtempSync(join(tmpdir(), 'dsim-dl-'));
    await expect(downloadModelFile(fileOf('b.bin', good), dir, { baseUrl: base })).rejects.toThrow(/SHA-256 [0-9a-f]{64} does not match b\.bin/);
    expect(existsSync(join(dir, 'b.bin'))).toBe(false);
  });

  it('rejects a truncated file by its size', async () => {
    const full = new Uint8Array(100).fill(3);
    served.set('/models/c.bin', full.subarray(0, 60));
    const dir = mkdtempSync(join(tmpdir(), 'dsim-dl-'));
    await expect(downloadModelFile(fileOf('c.bin', full), dir, { baseUrl: base })).rejects.toThrow(/got 60 bytes, expected 100/);
  });

  it('reports HTTP errors and unreachable hosts clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsim-dl-'));
    await expect(downloadModelFile(fileOf('missing.bin', new Uint8Array(1)), dir, { baseUrl: base })).rejects.toThrow(/HTTP 404/);
    // Port 9 on loopback: nothing listens (discard service is not run here), so the connection is refused.
    await expect(downloadModelFile(fileOf('x.bin', new Uint8Array(1)), dir, { baseUrl: 'http://127.0.0.1:9/' })).rejects.toThrow(ModelUnavailableError);
  });

  it('says where it looked when the model is nowhere', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dsim-none-'));
    const err = await resolveStories260K({ sharedDir: empty, cacheDir: join(empty, 'cache'), baseUrl: 'http://127.0.0.1:9/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnavailableError);
    expect((err as Error).message).toMatch(/stories260K is not available: not in .*dsim-none-.*, not cached in .*cache/);
    expect((err as ModelUnavailableError).exitCode).toBe(2);
  });
});

describe.skipIf(!hasShared)('stories260K through the download path (served from ../shared/models over loopback)', () => {
  it('downloads the real files into an empty cache, then finds them there', async () => {
    served.set('/models/stories260K.bin', readFileSync(join(shared, 'stories260K.bin')));
    served.set('/models/tok512.bin', readFileSync(join(shared, 'tok512.bin')));
    const empty = mkdtempSync(join(tmpdir(), 'dsim-cache-'));
    const first = await resolveStories260K({ sharedDir: join(empty, 'no-shared'), cacheDir: join(empty, 'cache'), baseUrl: base });
    expect(first.source).toBe('download');
    expect(readFileSync(first.model).length).toBe(STORIES_260K.model.bytes);
    served.clear();
    const second = await resolveStories260K({ sharedDir: join(empty, 'no-shared'), cacheDir: join(empty, 'cache'), baseUrl: base });
    expect(second).toEqual({ model: first.model, tokenizer: first.tokenizer, source: 'cache' });
    // A damaged cached copy is not trusted: it is fetched again (and here the server has nothing).
    writeFileSync(first.model, 'junk');
    await expect(resolveStories260K({ sharedDir: join(empty, 'no-shared'), cacheDir: join(empty, 'cache'), baseUrl: base })).rejects.toThrow(/HTTP 404/);
  });

  it('prefers ../shared/models when it is there', async () => {
    const r = await resolveStories260K({ sharedDir: shared, baseUrl: 'http://127.0.0.1:9/' });
    expect(r.source).toBe('shared');
  });
});
