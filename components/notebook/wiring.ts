// The real parts a notebook session runs on: the engine worker client, lib/notebook's runtime, and the lab object.
import { connectEngine, type EngineConnection } from '@/lib/engine/client';
import { connectWithChoice, deviceKey } from './backendChoice';
import { createLab } from '@/lib/engine/lab';
import type { CheckpointStore } from '@/lib/io/checkpointStore';
import { idbCheckpointStore } from '@/lib/io/checkpointStoreIdb';
import { NotebookRuntime } from '@/lib/notebook/runtime';
import type { SessionDeps } from './session';

/** localStorage, or null where the browser blocks it (then the choice is measured on every visit). */
export function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export const sessionWiring: {
  connect: SessionDeps['connect'];
  createRuntime: SessionDeps['createRuntime'];
  createLab: (conn: EngineConnection, quick: boolean) => unknown;
  /** Where autosaves live; crash recovery resumes from there. */
  checkpointStore: () => CheckpointStore;
} = {
  // Without ?backend=, the engine times each backend once per device and this browser remembers the fastest.
  connect: (opts) => connectWithChoice(connectEngine, opts, { storage: browserStorage(), device: deviceKey(navigator, window.crossOriginIsolated), now: Date.now }),
  createRuntime: (opts) => new NotebookRuntime(opts),
  // Checkpoints live in this browser's IndexedDB, so a reloaded notebook can resume training.
  createLab: (conn, quick) => createLab(conn, { quick, store: idbCheckpointStore() }),
  checkpointStore: () => idbCheckpointStore(),
};
