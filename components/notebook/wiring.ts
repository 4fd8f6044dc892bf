// The real parts a notebook session runs on: the engine worker client, lib/notebook's runtime, and the lab object.
import { connectEngine, type EngineConnection } from '@/lib/engine/client';
import { createLab } from '@/lib/engine/lab';
import type { CheckpointStore } from '@/lib/io/checkpoint-store';
import { idbCheckpointStore } from '@/lib/io/checkpoint-store-idb';
import { NotebookRuntime } from '@/lib/notebook/runtime';
import type { SessionDeps } from './session';

export const sessionWiring: {
  connect: SessionDeps['connect'];
  createRuntime: SessionDeps['createRuntime'];
  createLab: (conn: EngineConnection, quick: boolean) => unknown;
  /** Where autosaves live; crash recovery resumes from there. */
  checkpointStore: () => CheckpointStore;
} = {
  connect: (opts) => connectEngine(opts),
  createRuntime: (opts) => new NotebookRuntime(opts),
  // Checkpoints live in this browser's IndexedDB, so a reloaded notebook can resume training.
  createLab: (conn, quick) => createLab(conn, { quick, store: idbCheckpointStore() }),
  checkpointStore: () => idbCheckpointStore(),
};
