// The IndexedDB checkpoint store against a scripted database that replays the browser's event order, including a
// commit that aborts after the request succeeded (how a full quota shows up): a save is all-or-nothing and says so.
import { describe, expect, it } from 'vitest';
import { idbCheckpointStore, type CheckpointDb } from './checkpointStoreIdb';

interface Req {
  result?: unknown;
  error: DOMException | null;
  onsuccess?: () => void;
}

/**
 * An object store as the IndexedDB spec orders events: requests succeed first, the transaction commits (complete)
 * or aborts (abort, nothing applied) after them. `failNextCommit` makes the next commit abort with that error.
 */
function scriptedDb() {
  const rows = new Map<string, unknown>();
  const state = { transactions: 0, puts: [] as unknown[], failNextCommit: null as DOMException | null };
  const db: CheckpointDb = {
    transaction: (() => {
      state.transactions++;
      const staged: (() => void)[] = [];
      const requests: [Req, () => unknown][] = [];
      let aborted = false;
      const tx = {
        error: null as DOMException | null,
        oncomplete: null as null | (() => void),
        onabort: null as null | (() => void),
        onerror: null as null | (() => void),
        abort() {
          aborted = true;
        },
        objectStore: () => {
          const request = (run: () => unknown) => {
            const r: Req = { error: null };
            requests.push([r, run]);
            return r;
          };
          return {
            transaction: tx,
            // idb-keyval's layout: out-of-line keys, put(value, key).
            put: (row: { name: string }, key: string) => {
              state.puts.push(row);
              staged.push(() => rows.set(key, row));
              return request(() => key);
            },
            delete: (name: string) => {
              staged.push(() => rows.delete(name));
              return request(() => undefined);
            },
            get: (name: string) => request(() => rows.get(name)),
            getAll: () => request(() => [...rows.values()]),
          };
        },
      };
      setTimeout(() => {
        if (aborted) return tx.onabort?.();
        for (const [r, run] of requests) {
          r.result = run();
          r.onsuccess?.();
        }
        const fail = state.failNextCommit;
        state.failNextCommit = null;
        if (fail) {
          tx.error = fail;
          tx.onabort?.();
          return;
        }
        for (const apply of staged) apply();
        tx.oncomplete?.();
      });
      return tx;
    }) as unknown as CheckpointDb['transaction'],
  };
  return { db, rows, state };
}

describe('idbCheckpointStore', () => {
  it('saves info and bytes as one row in one transaction, and reads them back', async () => {
    const { db, state } = scriptedDb();
    const store = idbCheckpointStore(async () => db);
    const info = await store.save('a', new Uint8Array([1, 2, 3]), { step: 7, params: 99 });
    expect(info).toMatchObject({ name: 'a', bytes: 3, step: 7, params: 99 });
    expect(state.transactions).toBe(1);
    expect(state.puts).toEqual([expect.objectContaining({ name: 'a', step: 7, bytes: 3, data: expect.any(Blob) })]);
    expect(await store.load('a')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.list()).toEqual([info]);
    await store.delete('a');
    expect(await store.list()).toEqual([]);
  });

  it('reports a save whose commit aborts (quota) as failed, and keeps the previous checkpoint', async () => {
    const { db, state } = scriptedDb();
    const store = idbCheckpointStore(async () => db);
    await store.save('run', new Uint8Array([1]), { step: 5, params: 1 });
    state.failNextCommit = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    await expect(store.save('run', new Uint8Array(1000), { step: 10, params: 1 })).rejects.toThrow(
      'saving checkpoint "run" (1000 bytes) failed, the previous copy is kept: QuotaExceededError: The quota has been exceeded.',
    );
    expect((await store.list()).map((i) => i.step)).toEqual([5]);
    expect(await store.load('run')).toEqual(new Uint8Array([1]));
  });

  it('retries opening after a failure', async () => {
    const { db } = scriptedDb();
    let opens = 0;
    const store = idbCheckpointStore(async () => {
      if (opens++ === 0) throw new Error('blocked');
      return db;
    });
    await expect(store.list()).rejects.toThrow('blocked');
    expect(await store.list()).toEqual([]);
  });
});
