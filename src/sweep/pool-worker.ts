// A tinypool worker thread: runs one task at a time (pool.ts).
import { runTask, type Task } from './tasks.js';

export default function (task: Task) {
  return runTask(task);
}
