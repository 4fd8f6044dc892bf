// Browser checkpoint store: checkpoints as blobs in IndexedDB, so a reload can resume training (browser only).
import type { CheckpointStore, StoredCheckpointInfo } from './checkpoint-store';

const DB_NAME = 'tokenformer-lab-checkpoints';
const STORE = 'checkpoints';

interface Row extends StoredCheckpointInfo {
  data: Blob;
}

/** The part of an IDBDatabase the store uses; tests pass a scripted one to replay the browser's event order. */
export type CheckpointDb = Pick<IDBDatabase, 'transaction'>;

/**
 * Runs `work` in one transaction over the store and resolves with its request's result once the transaction has
 * committed. A request's success only means it was queued: a full quota or a disk error still aborts the whole
 * transaction afterwards, and then nothing of it is written. If `work` throws, the transaction is aborted too.
 */
export function inTransaction<T>(db: CheckpointDb, mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    let req: IDBRequest<T>;
    try {
      req = work(tx.objectStore(STORE));
    } catch (e) {
      tx.abort();
      reject(e);
      return;
    }
    tx.oncomplete = () => resolve(req.result);
    // Both fire on a failed request (error, then abort); the first settles the promise.
    tx.onerror = () => reject(req.error ?? tx.error ?? new Error('IndexedDB request failed'));
    tx.onabort = () => reject(tx.error ?? req.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available: checkpoints cannot be kept in this browser'));
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'name' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open the checkpoint database'));
  });
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** `open` is injectable for tests; by default the browser's IndexedDB, opened once. */
export function idbCheckpointStore(open: () => Promise<CheckpointDb> = openDb): CheckpointStore {
  let db: Promise<CheckpointDb> | null = null;
  const conn = () => (db ??= open().catch((e) => {
    db = null; // a later call may succeed (the user freed space, left private mode)
    throw e;
  }));
  return {
    async save(name, data, { step, params }) {
      const info: StoredCheckpointInfo = { name, bytes: data.length, step, params, savedAt: Date.now() };
      // Info and bytes are one row written by one put in one transaction: a save lands whole or not at all, and a
      // checkpoint of the same name is replaced only when the new one is committed. A Blob keeps large
      // checkpoints out of the JS heap once written.
      const row: Row = { ...info, data: new Blob([data as BlobPart]) };
      try {
        await inTransaction(await conn(), 'readwrite', (s) => s.put(row));
      } catch (e) {
        throw new Error(`saving checkpoint "${name}" (${data.length} bytes) failed, the previous copy is kept: ${describeError(e)}`, { cause: e });
      }
      return info;
    },
    async load(name) {
      const row = (await inTransaction(await conn(), 'readonly', (s) => s.get(name))) as Row | undefined;
      return row ? new Uint8Array(await row.data.arrayBuffer()) : null;
    },
    async list() {
      const rows = (await inTransaction(await conn(), 'readonly', (s) => s.getAll())) as Row[];
      return rows.map(({ data: _d, ...info }) => info).sort((a, b) => b.savedAt - a.savedAt);
    },
    async delete(name) {
      await inTransaction(await conn(), 'readwrite', (s) => s.delete(name));
    },
  };
}
