// The IndexedDB layer (lib/io/keyval on idb-keyval) against Chromium's real IndexedDB: a checkpoint save lands whole
// and replaces the old copy only on commit, a failed write leaves the old copy, and databases written by the lab's
// earlier hand-written layer (version 1, inline keys) are carried over on first open, checkpoints and notebooks
// alike. The modules are bundled as they are into a blank page of their own origin, so this spec needs no app build.
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSync } from 'esbuild';

let server: Server;
let origin: string;
const bundle = buildSync({
  stdin: {
    contents: "export { idbCheckpointStore } from './lib/io/checkpointStoreIdb'; export * as library from './lib/store/library'; export { set } from 'idb-keyval'; export { keyvalStore, openKeyvalDb } from './lib/io/keyval';",
    resolveDir: process.cwd(),
    loader: 'ts',
  },
  bundle: true,
  format: 'iife',
  globalName: 'M',
  write: false,
  target: 'es2022',
}).outputFiles[0].text;

test.beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>idb</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Writes a database the way the version-1 layer did: one store with an inline key path. */
const legacyDb = (name: string, store: string, keyPath: string, rows: object[]) =>
  `new Promise((resolve, reject) => {
    const req = indexedDB.open(${JSON.stringify(name)}, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(${JSON.stringify(store)}, { keyPath: ${JSON.stringify(keyPath)} });
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction(${JSON.stringify(store)}, 'readwrite');
      for (const row of ${JSON.stringify(rows)}) tx.objectStore(${JSON.stringify(store)}).put(row.data ? { ...row, data: new Blob([new Uint8Array(row.data)]) } : row);
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
    req.onerror = () => reject(req.error);
  })`;

test('checkpoint saves are one all-or-nothing IndexedDB transaction, and version-1 data is carried over', async ({ page }) => {
  await page.goto(origin);
  await page.addScriptTag({ content: bundle });
  await page.evaluate(legacyDb('tokenformer-lab-checkpoints', 'checkpoints', 'name', [{ name: 'old', bytes: 2, step: 3, params: 9, savedAt: 1, data: [9, 8] }]));
  await page.evaluate(
    legacyDb('tokenformer-lab-notebooks', 'notebooks', 'key', [
      { key: 'user:u-abc', origin: 'user', slug: 'u-abc', notebook: { frontMatter: { title: 't' }, cells: [] }, createdAt: 5, updatedAt: 6, trusted: true },
    ]),
  );
  const out = await page.evaluate(async () => {
    type Mod = typeof import('../lib/io/checkpointStoreIdb') & { library: typeof import('../lib/store/library') } & typeof import('../lib/io/keyval') & { set: typeof import('idb-keyval').set };
    const M = (window as unknown as { M: Mod }).M;
    const store = M.idbCheckpointStore();
    const steps = async () => (await store.list()).map((i) => `${i.name}@${i.step}`);
    const r: Record<string, unknown> = {};
    r.migrated = [await steps(), Array.from((await store.load('old'))!)];
    await store.save('run', new Uint8Array([1, 2, 3]), { step: 5, params: 9 });
    await store.save('run', new Uint8Array([4, 5, 6, 7]), { step: 10, params: 9 });
    r.replaced = [await steps(), Array.from((await store.load('run'))!)];

    // A write that cannot be stored (a function does not clone) rejects and leaves the committed copy as it was.
    const raw = M.keyvalStore('checkpoints', () => M.openKeyvalDb('tokenformer-lab-checkpoints', 'checkpoints', 'name', 'no idb'));
    r.failed = await M.set('run', { name: 'run', step: 99, data: () => 0 }, raw).then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    r.after = [await steps(), Array.from((await store.load('run'))!)];
    await store.delete('run');
    await store.delete('old');
    r.deleted = await steps();

    const saved = await M.library.listSaved();
    r.notebooks = saved.user.map((n) => `${n.slug}@${n.createdAt}`);
    await M.library.saveNotebook('u-abc', { frontMatter: { title: 't2' }, cells: [] }, true);
    const again = await M.library.loadSaved('u-abc');
    r.notebookUpdated = [again?.notebook.frontMatter.title, again?.createdAt];
    return r;
  });
  expect(out).toEqual({
    migrated: [['old@3'], [9, 8]],
    replaced: [['run@10', 'old@3'], [4, 5, 6, 7]],
    failed: 'DataCloneError',
    after: [['run@10', 'old@3'], [4, 5, 6, 7]],
    deleted: [],
    notebooks: ['u-abc@5'],
    notebookUpdated: ['t2', 5],
  });
});
