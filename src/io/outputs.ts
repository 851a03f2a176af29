// Output files and folders the CLI writes (`-o`, `--itrace`, `--trace`, `--activations`, build
// folders): checked before the work starts, written beside the target and renamed into place,
// so a failed or interrupted command leaves the old file (or none), never a half-written one.
// File-system errors become one InputError line naming the path and the option.
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InputError } from '../errors.js';

/** One line for a failed file-system call: `<path>: cannot <action> (<CODE>: <reason>)`. */
export function fsError(e: unknown, path: string, action: string): InputError {
  if (e instanceof InputError) return e;
  const err = e as NodeJS.ErrnoException;
  const reason = (err.message ?? String(e)).split('\n')[0]!.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '');
  return new InputError(`${path}: cannot ${action} (${err.code ?? 'error'}: ${reason})`);
}

/** Run a file-system action; its error becomes an InputError naming `path`. */
export function tryFs<T>(path: string, action: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fsError(e, path, action);
  }
}

/**
 * Before any work: `path` can become the output of `option` (its folder exists and is writable,
 * and it is not itself a folder). Nothing is created.
 */
export function checkOutputFile(path: string, option: string): void {
  const dir = dirname(resolve(path));
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`${option} ${path}: is a folder, expected a file name`);
  if (!existsSync(dir)) throw new InputError(`${option} ${path}: folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${option} ${path}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fsError(e, path, `write ${option} (folder ${dir} is not writable)`);
  }
}

/** Write a whole output file atomically (temporary file beside it, then rename). */
export function writeOutputFile(path: string, data: string | Uint8Array, option: string): void {
  const bytes = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    writeFileAtomic.sync(path, bytes);
  } catch (e) {
    throw fsError(e, path, `write ${option}`);
  }
}

// ------------------------------------------------------------------ temporaries and signals

const temporaries = new Set<string>();
let handlersInstalled = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const p of temporaries) rmSync(p, { recursive: true, force: true });
  temporaries.clear();
  // exit as the signal would have ended us (130 for SIGINT, 143 for SIGTERM)
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

/** Remove `path` if the process is interrupted (SIGINT, SIGTERM) before `release` is called. */
export function removeOnSignal(path: string): () => void {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  temporaries.add(path);
  return () => void temporaries.delete(path);
}

/** A fresh temporary name beside `target` (same folder, so the final rename is atomic). */
export function besidePath(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/**
 * A streamed output file (e.g. an instruction trace of millions of lines): written to a
 * temporary beside the target, renamed into place by commit(), removed by abort() or a signal.
 */
export class AtomicFileStream {
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly release: () => void;

  constructor(
    readonly path: string,
    readonly option: string,
  ) {
    this.tmp = besidePath(path);
    this.release = removeOnSignal(this.tmp);
    this.fd = tryFs(path, `write ${option}`, () => openSync(this.tmp, 'wx'));
  }

  write(text: string): void {
    tryFs(this.path, `write ${this.option}`, () => writeSync(this.fd!, text));
  }

  commit(): void {
    this.close();
    tryFs(this.path, `write ${this.option}`, () => renameSync(this.tmp, this.path));
    this.release();
  }

  abort(): void {
    this.close();
    rmSync(this.tmp, { force: true });
    this.release();
  }

  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
