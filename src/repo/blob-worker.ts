/** Piscina worker entry: runs BlobTasks with the keys given in workerData. */
import { workerData } from 'node:worker_threads';
import { BlobTasks, type BlobRequest, type TaskKeys } from './blob-task.js';

const tasks = new BlobTasks(workerData as TaskKeys);

export default function run(req: BlobRequest): unknown {
  return tasks.run(req);
}
