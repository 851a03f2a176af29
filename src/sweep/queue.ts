// Sweeps past one machine: BullMQ on Redis. `sweep --queue redis://...` enqueues one job per point
// (its id a hash of the case bytes and options, so enqueuing twice runs a point once) and collects
// the rows; `worker --queue ...` on any machine runs jobs in a sandboxed thread, so the lock on a
// running job is renewed while it simulates. A worker that dies stops renewing; after the lock
// time another worker's stalled-job check puts the job back and runs it again. A row exists only
// as a finished job's whole return value: a dead worker leaves no partial row.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { InputError } from '../errors.js';
import { jobId, pointJob, type Point, type PointJob } from './grid.js';
import type { PointRow } from './point.js';

export const QUEUE_NAME = 'deeploy-sim-points';

export interface RedisTarget {
  host: string;
  port: number;
  password?: string;
  db?: number;
}

export function parseQueueUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`--queue ${url}: not a URL (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:') throw new InputError(`--queue ${url}: expected a redis:// URL`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new InputError(`--queue ${url}: database '${db}' is not a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
  };
}

/** One PING with no retries: an unreachable queue is a one-line user error, not a hang. */
export async function checkReachable(url: string, t: RedisTarget): Promise<void> {
  const c = new Redis({ ...t, lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on('error', () => {}); // reported below, once
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
    throw new InputError(`--queue ${url}: cannot reach Redis at ${t.host}:${t.port} (${why})`);
  } finally {
    c.disconnect();
  }
}

/** Enqueue the points (idempotently) and wait for every row; rows come back in point order. */
export async function sweepOnQueue(
  points: Point[],
  url: string,
  opts: { timeoutSeconds: number; onProgress?: (done: number, total: number) => void },
): Promise<PointRow[]> {
  const target = parseQueueUrl(url);
  await checkReachable(url, target);
  const queue = new Queue<PointJob, PointRow>(QUEUE_NAME, { connection: target });
  try {
    const ids: string[] = [];
    for (const p of points) {
      const job = pointJob(p);
      const id = jobId(job);
      ids.push(id);
      const existing = await queue.getJob(id);
      if (existing && (await existing.getState()) === 'failed') await existing.retry();
      else if (!existing) await queue.add('point', job, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 500 } });
    }
    const rows = new Map<string, PointRow>();
    const deadline = Date.now() + opts.timeoutSeconds * 1000;
    let reported = -1;
    while (rows.size < new Set(ids).size) {
      for (const id of new Set(ids)) {
        if (rows.has(id)) continue;
        // the state first, then the job: a job read before it finished would carry no row yet
        const state = await queue.getJobState(id);
        if (state === 'unknown') throw new InputError(`--queue ${url}: job ${id} disappeared from the queue (was it obliterated?)`);
        if (state !== 'completed' && state !== 'failed') continue;
        const job = (await queue.getJob(id))!;
        if (state === 'completed' && job.returnvalue) rows.set(id, job.returnvalue);
        else if (state === 'failed') throw new InputError(`sweep: point ${JSON.stringify(job.data.point)} failed on the workers after ${job.attemptsMade} attempts: ${job.failedReason}`);
      }
      if (rows.size !== reported) opts.onProgress?.((reported = rows.size), new Set(ids).size);
      if (rows.size === new Set(ids).size) break;
      if (Date.now() > deadline) throw new InputError(`--queue ${url}: ${new Set(ids).size - rows.size} points not done after ${opts.timeoutSeconds} s (is a worker running? deeploy-sim worker --queue ${url})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return ids.map((id) => rows.get(id)!);
  } finally {
    await queue.close();
  }
}

function processorFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'queue-processor.js');
  return existsSync(beside) ? beside : resolve(here, '../../dist/src/sweep/queue-processor.js');
}

/** Run jobs until SIGINT/SIGTERM. `lockMs`: how long a silent worker keeps its job. */
export async function runWorker(url: string, opts: { concurrency: number; lockMs: number; log: (line: string) => void }): Promise<void> {
  const target = parseQueueUrl(url);
  await checkReachable(url, target);
  const worker = new Worker<PointJob, PointRow>(QUEUE_NAME, processorFile(), {
    connection: { ...target, maxRetriesPerRequest: null },
    concurrency: opts.concurrency,
    useWorkerThreads: true,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    maxStalledCount: 5,
  });
  worker.on('active', (job: Job<PointJob, PointRow>) => opts.log(`start ${job.id}`));
  worker.on('completed', (job: Job<PointJob, PointRow>) => opts.log(`done ${job.id} ${job.data.point.case} cores=${job.data.point.cores} l1=${job.data.point.l1}: ${job.returnvalue.status} ${job.returnvalue.cycles} cycles`));
  worker.on('failed', (job, err) => opts.log(`failed ${job?.id ?? '?'}: ${err.message}`));
  worker.on('error', (err) => opts.log(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  opts.log(`worker ready on ${url} (queue ${QUEUE_NAME}, ${opts.concurrency} at a time)`);
  await new Promise<void>((done) => {
    const stop = () => void worker.close().then(done, done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
