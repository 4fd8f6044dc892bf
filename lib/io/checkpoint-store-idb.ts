// Browser checkpoint store: checkpoints as blobs in IndexedDB, so a reload can resume training (browser only).
import type { CheckpointStore, StoredCheckpointInfo } from './checkpoint-store';

const DB_NAME = 'tokenformer-lab-checkpoints';
const STORE = 'checkpoints';

interface Row extends StoredCheckpointInfo {
  data: Blob;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export function idbCheckpointStore(): CheckpointStore {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available: checkpoints cannot be kept in this browser'));
    db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'name' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('cannot open the checkpoint database'));
    });
    return db;
  };
  const store = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async save(name, data, { step, params }) {
      const info: StoredCheckpointInfo = { name, bytes: data.length, step, params, savedAt: Date.now() };
      // A Blob keeps large checkpoints out of the JS heap once written.
      await request((await store('readwrite')).put({ ...info, data: new Blob([data as BlobPart]) } satisfies Row));
      return info;
    },
    async load(name) {
      const row = (await request((await store('readonly')).get(name))) as Row | undefined;
      return row ? new Uint8Array(await row.data.arrayBuffer()) : null;
    },
    async list() {
      const rows = (await request((await store('readonly')).getAll())) as Row[];
      return rows.map(({ data: _d, ...info }) => info).sort((a, b) => b.savedAt - a.savedAt);
    },
    async delete(name) {
      await request((await store('readwrite')).delete(name));
    },
  };
}
