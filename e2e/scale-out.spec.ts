// Scale-out in the real app: a model trained on wasm exported for cluster training (the downloaded zip holds the
// folder the official trainer runs), then checkpoints as that trainer writes them (lib/io/testdata/neox, made by
// PyTorch) loaded back as a zip, as a picked folder and as a dropped folder; a folder without a checkpoint changes nothing.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { unzipSync, zipSync } from 'fflate';
import { importNotebook, notebookText, press, runAllWithCheckpoints, snap } from './helpers';

// scripts/e2e.mjs runs Playwright from the repository root.
const NEOX = join(process.cwd(), 'lib', 'io', 'testdata', 'neox');

const NOTEBOOK = notebookText('Scale out (e2e)', [
  "const model = await lab.model('micro')",
  "const data = await lab.data('copy')",
  'model; data;\ntrainer({ steps: 3, batchSize: 4, seqLen: 32, evalEvery: 0, train: { logEvery: 1 }, name: "scale-out test", invalidation })',
  "model;\ncheckpoints({ name: 'scale out', invalidation })",
]);

/** Files under `dir` as paths relative to its parent (`pipe/latest`), the way a folder zip or a folder drop names them. */
function filesUnder(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(join(dir, '..'), p)] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

/** Parameters of the fixture model, from the safetensors header the fixture folders were made from. */
function fixtureParams(): number {
  const bytes = readFileSync(join(NEOX, 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape?: number[] }>;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .reduce((a, [, t]) => a + t.shape!.reduce((x, y) => x * y, 1), 0);
}

async function expectLoaded(panel: Locator, from: string, step: number, params: number): Promise<void> {
  await expect(panel.getByTestId('ckpt-status')).toContainText(`loaded ${from}: step ${step}`, { timeout: 30_000 });
  await expect(panel.getByTestId('ckpt-error')).toBeHidden();
  const current = panel.getByTestId('ckpt-current');
  await expect(current).toContainText(`from ${from}`);
  await expect(current).toHaveAttribute('data-step', String(step));
  await expect(current).toHaveAttribute('data-params', String(params));
}

/**
 * A folder drop as Chromium delivers it: the item's entry is a directory whose reader lists in batches. Playwright
 * cannot drag a folder from the disk, so the entries are built in the page over real File objects.
 */
async function dropFolder(page: Page, zone: Locator, files: Record<string, Buffer>): Promise<void> {
  const payload = Object.entries(files).map(([path, b]) => [path, b.toString('base64')] as const);
  await zone.evaluate((el, list) => {
    type Node = { [k: string]: Node | File };
    const root: Node = {};
    for (const [path, b64] of list) {
      const parts = path.split('/');
      let at = root;
      for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Node;
      const name = parts[parts.length - 1];
      at[name] = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name);
    }
    const entry = (name: string, v: Node | File): unknown =>
      v instanceof File
        ? { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => setTimeout(() => ok(v), 0) }
        : {
            name,
            isFile: false,
            isDirectory: true,
            createReader: () => {
              const kids = Object.entries(v);
              return { readEntries: (ok: (b: unknown[]) => void) => setTimeout(() => ok(kids.splice(0, 2).map(([n, c]) => entry(n, c))), 0) };
            },
          };
    const [name, tree] = Object.entries(root)[0];
    const dt = new DataTransfer();
    dt.items.add(new File([], name));
    const drop = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt });
    Object.defineProperty(drop, 'dataTransfer', { value: { items: [{ webkitGetAsEntry: () => entry(name, tree) }], files: dt.files } });
    el.dispatchEvent(drop);
  }, payload);
}

test('export for cluster training downloads the folder; official checkpoints load as a zip, a picked folder and a dropped folder', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await importNotebook(page, 'scale-out.md', NOTEBOOK);
  await page.goto(`${new URL(page.url()).pathname}?backend=wasm&quick=1`);
  await runAllWithCheckpoints(page);
  const panel = page.getByTestId('checkpoints');

  const trainer = page.getByTestId('trainer');
  await press(trainer, trainer.getByTestId('train-start'));
  await expect(trainer.getByTestId('train-state')).toHaveText('done', { timeout: 90_000 });
  const current = panel.getByTestId('ckpt-current');
  await expect(current).toHaveAttribute('data-step', '3');
  const trainedParams = Number(await current.getAttribute('data-params'));
  expect(trainedParams).toBeGreaterThan(0);

  // Export: the download is the zip of the folder `export-neox` writes.
  const downloading = page.waitForEvent('download');
  await press(panel, panel.getByTestId('ckpt-export-cluster'));
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('tokenformer-neox.zip');
  const zipPath = testInfo.outputPath('tokenformer-neox.zip');
  await download.saveAs(zipPath);
  const zip = unzipSync(new Uint8Array(readFileSync(zipPath)));
  const text = (p: string) => new TextDecoder().decode(zip[p]);
  expect(Object.keys(zip)).toEqual(expect.arrayContaining(['tokenformer-neox/config.yml', 'tokenformer-neox/checkpoints/latest', 'tokenformer-neox/checkpoints/global_step3/mp_rank_00_model_states.pt', 'tokenformer-neox/README.md']));
  expect(text('tokenformer-neox/checkpoints/latest').trim()).toBe('global_step3');
  expect(text('tokenformer-neox/config.yml')).toMatch(/"?qkv_slot_num"?:\s*\d+/);
  // torch.save's zip form.
  expect(Array.from(zip['tokenformer-neox/checkpoints/global_step3/mp_rank_00_model_states.pt'].subarray(0, 2))).toEqual([0x50, 0x4b]);
  await expect(panel.getByTestId('ckpt-status')).toContainText('downloaded tokenformer-neox.zip');

  const params = fixtureParams();
  const upload = panel.getByTestId('ckpt-upload-input');
  const folderInput = panel.getByTestId('ckpt-folder-input');

  // A zip of a pipe-parallel checkpoints folder: `latest` names global_step7.
  await upload.setInputFiles({ name: 'pipe.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync(Object.fromEntries(Object.entries(filesUnder(join(NEOX, 'pipe'))).map(([p, b]) => [p, new Uint8Array(b)])))) });
  await expectLoaded(panel, 'pipe.zip', 7, params);

  // A global_stepN folder through the folder picker (webkitdirectory).
  await folderInput.setInputFiles(join(NEOX, 'seq', 'global_step7'));
  await expectLoaded(panel, 'global_step7/', 7, params);

  // A checkpoints folder dropped on the zone.
  await dropFolder(page, panel.getByTestId('ckpt-drop-zone'), filesUnder(join(NEOX, 'pipe')));
  await expectLoaded(panel, 'pipe/', 7, params);
  await panel.scrollIntoViewIfNeeded();
  await snap(page, 'scale-out-folder-loaded');

  // A folder with no checkpoint in it: a clear message, and the model stays.
  await folderInput.setInputFiles(join(NEOX, 'seq', 'global_step7', 'configs'));
  await expect(panel.getByTestId('ckpt-error')).toContainText('loading configs/ failed: no DeepSpeed checkpoint here');
  await expect(current).toContainText('from pipe/');
  await expect(current).toHaveAttribute('data-step', '7');

  // The export comes back as it went: the trained step and parameter count.
  await upload.setInputFiles(zipPath);
  await expectLoaded(panel, 'tokenformer-neox.zip', 3, trainedParams);
});
