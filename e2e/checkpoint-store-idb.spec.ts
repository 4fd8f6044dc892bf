// The checkpoint store's transactions against Chromium's real IndexedDB: a save lands whole, replaces the old copy
// only on commit, and work that fails after a put leaves nothing behind. The module runs as is (types erased) in a
// blank page of its own origin, so this spec needs no app build.
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

let server: Server;
let origin: string;
// CommonJS so the exports land on an object the page can reach; the file has only type imports.
const moduleJs = ts.transpileModule(readFileSync('lib/io/checkpoint-store-idb.ts', 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
}).outputText;

test.beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>idb</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('checkpoint saves are one all-or-nothing IndexedDB transaction', async ({ page }) => {
  await page.goto(origin);
  await page.addScriptTag({ content: `window.M = {}; (function (exports) {\n${moduleJs}\n})(window.M);` });
  const out = await page.evaluate(async () => {
    type Mod = typeof import('../lib/io/checkpoint-store-idb');
    const M = (window as unknown as { M: Mod }).M;
    const store = M.idbCheckpointStore();
    const steps = async () => (await store.list()).map((i) => `${i.name}@${i.step}`);
    const r: Record<string, unknown> = {};
    await store.save('run', new Uint8Array([1, 2, 3]), { step: 5, params: 9 });
    await store.save('run', new Uint8Array([4, 5, 6, 7]), { step: 10, params: 9 });
    r.replaced = [await steps(), Array.from((await store.load('run'))!)];

    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tokenformer-lab-checkpoints', 1);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    // Work that throws after a put: the transaction is aborted, the put never lands.
    r.thrown = await M.inTransaction(db, 'readwrite', (s) => {
      s.put({ name: 'half', step: 1, data: new Blob([]) });
      throw new Error('failed midway');
    }).catch((e: Error) => e.message);
    // A request that fails (the key exists) rejects instead of resolving.
    r.failedRequest = await M.inTransaction(db, 'readwrite', (s) => s.add({ name: 'run', data: new Blob([]) })).catch((e: Error) => e.name);
    r.after = [await steps(), Array.from((await store.load('run'))!)];
    db.close();
    await store.delete('run');
    r.deleted = await steps();
    return r;
  });
  expect(out).toEqual({
    replaced: [['run@10'], [4, 5, 6, 7]],
    thrown: 'failed midway',
    failedRequest: 'ConstraintError',
    after: [['run@10'], [4, 5, 6, 7]],
    deleted: [],
  });
});
