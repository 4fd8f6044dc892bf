// Entry of a replica worker thread: TypeScript sources run through tsx here (workers do not inherit its hooks on
// Node 20), then the replica itself (worker.ts) starts.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
