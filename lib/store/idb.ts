// Browser-only IndexedDB access for saved notebooks: a tiny promise wrapper over one object store.
import type { Notebook } from '../notebook/types';

const DB_NAME = 'tokenformer-lab-notebooks';
const DB_VERSION = 1;
const STORE = 'notebooks';

/** One saved notebook: a user's own, or the local edits of a bundled one. */
export interface StoredNotebook {
  /** `user:<slug>` or `bundled:<slug>`, so a bundled slug and a user slug can never collide. */
  key: string;
  origin: 'user' | 'bundled';
  slug: string;
  notebook: Notebook;
  createdAt: number;
  updatedAt: number;
  /** False for a file imported from outside until the user agrees to run its code. */
  trusted: boolean;
}

let dbPromise: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available here'));
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) {
        const store = db.createObjectStore(STORE, { keyPath: 'key' });
        store.createIndex('origin', 'origin');
      }
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the schema must not be blocked by this one.
      db.onversionchange = () => {
        db.close();
        dbPromise = null;
      };
      resolve(db);
    };
    req.onerror = () => {
      dbPromise = null;
      reject(req.error ?? new Error('could not open IndexedDB'));
    };
  });
  return dbPromise;
}

function request<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return openDb().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const req = run(tx.objectStore(STORE));
        // Resolve on commit, not on the request, so a reload right after a save still finds the data.
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = () => reject(tx.error ?? req.error ?? new Error('IndexedDB transaction failed'));
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      }),
  );
}

export const storedKey = (origin: StoredNotebook['origin'], slug: string) => `${origin}:${slug}`;

export function getStored(key: string): Promise<StoredNotebook | undefined> {
  return request('readonly', (s) => s.get(key) as IDBRequest<StoredNotebook | undefined>);
}

export function putStored(rec: StoredNotebook): Promise<void> {
  return request('readwrite', (s) => s.put(rec)).then(() => undefined);
}

export function deleteStored(key: string): Promise<void> {
  return request('readwrite', (s) => s.delete(key)).then(() => undefined);
}

export function listStored(): Promise<StoredNotebook[]> {
  return request('readonly', (s) => s.getAll() as IDBRequest<StoredNotebook[]>);
}
