// The local worker pool (tinypool): `-j N` threads run sweep points and test cases. Results come
// back in submission order whatever finishes first, so -j 1 and -j N print the same thing.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import { InputError } from '../errors.js';
import { runTask, type Task } from './tasks.js';

/** The compiled worker module (beside this file in dist/, or dist/ when running from src/). */
function workerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'pool-worker.js');
  return existsSync(beside) ? beside : resolve(here, '../../dist/src/sweep/pool-worker.js');
}

export function checkJobs(j: number): number {
  if (!Number.isInteger(j) || j < 1 || j > 64) throw new InputError(`-j ${j}: expected an integer 1..64 (parallel jobs)`);
  return j;
}

/**
 * Run `tasks` on `jobs` threads; `onResult(k, result)` is called in task order as results become
 * available in order. With one job the tasks run in this thread (no pool start-up cost).
 */
export async function runPool<R>(tasks: Task[], jobs: number, onResult?: (k: number, r: R) => void): Promise<R[]> {
  const results: R[] = new Array(tasks.length);
  let next = 0;
  const have = new Array<boolean>(tasks.length).fill(false);
  const emit = () => {
    while (next < tasks.length && have[next]) onResult?.(next, results[next]!), next++;
  };
  if (jobs === 1) {
    for (const [k, t] of tasks.entries()) {
      results[k] = (await runTask(t)) as R;
      have[k] = true;
      emit();
    }
    return results;
  }
  const pool = new Tinypool({ filename: workerFile(), minThreads: Math.min(jobs, tasks.length), maxThreads: jobs });
  try {
    await Promise.all(
      tasks.map(async (t, k) => {
        results[k] = (await pool.run(t)) as R;
        have[k] = true;
        emit();
      }),
    );
  } finally {
    await pool.destroy();
  }
  return results;
}
