// Browser checkpoint store: checkpoints as blobs in IndexedDB, so a reload can resume training (browser only).
import { del, get, set, values, type UseStore } from 'idb-keyval';
import type { CheckpointStore, StoredCheckpointInfo } from './checkpointStore';
import { keyvalStore, openKeyvalDb, type KeyvalDb } from './keyval';

const DB_NAME = 'tokenformer-lab-checkpoints';
const STORE = 'checkpoints';

interface Row extends StoredCheckpointInfo {
  data: Blob;
}

/** The database the browser store keeps checkpoints in; tests pass a scripted one. */
export type CheckpointDb = KeyvalDb;

const openDb = () => openKeyvalDb(DB_NAME, STORE, 'name', 'IndexedDB is not available: checkpoints cannot be kept in this browser');

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** `open` is injectable for tests; by default the browser's IndexedDB, opened once. */
export function idbCheckpointStore(open: () => Promise<CheckpointDb> = openDb): CheckpointStore {
  const store: UseStore = keyvalStore(STORE, open);
  return {
    async save(name, data, { step, params }) {
      const info: StoredCheckpointInfo = { name, bytes: data.length, step, params, savedAt: Date.now() };
      // Info and bytes are one row written by one put in one transaction, and `set` resolves only once it has
      // committed: a save lands whole or not at all, and a checkpoint of the same name is replaced only when the
      // new one is committed. A Blob keeps large checkpoints out of the JS heap once written.
      const row: Row = { ...info, data: new Blob([data as BlobPart]) };
      try {
        await set(name, row, store);
      } catch (e) {
        throw new Error(`saving checkpoint "${name}" (${data.length} bytes) failed, the previous copy is kept: ${describeError(e)}`, { cause: e });
      }
      return info;
    },
    async load(name) {
      const row = await get<Row>(name, store);
      return row ? new Uint8Array(await row.data.arrayBuffer()) : null;
    },
    async list() {
      const rows = await values<Row>(store);
      return rows.map(({ data: _d, ...info }) => info).sort((a, b) => b.savedAt - a.savedAt);
    },
    async delete(name) {
      await del(name, store);
    },
  };
}
