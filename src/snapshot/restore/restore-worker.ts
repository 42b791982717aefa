/** Piscina worker entry for restores: runs RestoreTasks with the keys given in workerData. */
import { workerData } from 'node:worker_threads';
import type { TaskKeys } from '../../repo/blob-task.js';
import { RestoreTasks, type RestoreBatchRequest, type RestoreBlobResult } from './restore-task.js';

const tasks = new RestoreTasks(workerData as TaskKeys);

export default function run(req: RestoreBatchRequest): Promise<RestoreBlobResult[]> {
  return tasks.run(req);
}
