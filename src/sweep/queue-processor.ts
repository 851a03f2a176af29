// BullMQ sandboxed processor: runs one queue job (a sweep point with its case files) in a worker
// thread, so the worker's main thread keeps renewing the job's lock while it simulates.
import type { SandboxedJob } from 'bullmq';
import type { PointJob } from './grid.js';
import { runPointJob, type PointRow } from './point.js';

export default async function (job: SandboxedJob<PointJob, PointRow>): Promise<PointRow> {
  return runPointJob(job.data);
}
