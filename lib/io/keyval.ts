// The project's one IndexedDB layer (browser only): each database holds one idb-keyval store, so a read or write is
// one transaction whose promise settles when it commits or aborts (idb-keyval's set/setMany/update/del resolve on
// the transaction's complete event, not on the request's success: a full quota still aborts after that).
import type { UseStore } from 'idb-keyval';

/** The part of an IDBDatabase the layer uses; tests pass a scripted one that replays the browser's event order. */
export type KeyvalDb = Pick<IDBDatabase, 'transaction'>;

/**
 * A UseStore over `storeName` of the database `open` yields, opened on first use and kept; a failed open is
 * forgotten so a later call can succeed (the user freed space, left private mode), as is a connection the browser
 * closed. Unlike idb-keyval's createStore, the database and its schema come from `open`.
 */
export function keyvalStore(storeName: string, open: () => Promise<KeyvalDb>): UseStore {
  let db: Promise<KeyvalDb> | null = null;
  const conn = () =>
    (db ??= open().then(
      (d) => {
        const live = d as Partial<IDBDatabase>;
        if ('onclose' in live) live.onclose = () => (db = null);
        // Another tab upgrading the schema must not be blocked by this one: close, and reopen on the next call.
        if ('onversionchange' in live) {
          live.onversionchange = () => {
            live.close?.();
            db = null;
          };
        }
        return d;
      },
      (e) => {
        db = null;
        throw e;
      },
    ));
  return (mode, callback) => conn().then((d) => callback(d.transaction(storeName, mode).objectStore(storeName)));
}

/** Version 1 was the hand-written layer's (inline keys); 2 is idb-keyval's layout. */
const SCHEMA_VERSION = 2;

/**
 * Opens `dbName` with `storeName` as an idb-keyval store (out-of-line keys). Version 1 of the lab kept rows with an
 * inline key path (`legacyKeyPath`); the upgrade copies them to the new store inside the versionchange transaction,
 * so an upgrade that fails part-way leaves version 1 as it was and nothing is lost.
 */
export function openKeyvalDb(dbName: string, storeName: string, legacyKeyPath: string, unavailable: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error(unavailable));
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(dbName, SCHEMA_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(storeName)) {
        db.createObjectStore(storeName);
        return;
      }
      const old = req.transaction!.objectStore(storeName);
      if (old.keyPath === null) return;
      const rows = old.getAll();
      rows.onsuccess = () => {
        db.deleteObjectStore(storeName);
        const store = db.createObjectStore(storeName);
        for (const row of rows.result as Record<string, IDBValidKey>[]) store.put(row, row[legacyKeyPath]);
      };
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open the IndexedDB database ${dbName}`));
  });
}
