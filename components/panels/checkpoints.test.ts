// @vitest-environment jsdom
// The checkpoints widget on a real in-process engine (wasm, micro) and a memory store: save, load, resume, download, upload, delete.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';
import { createLab } from '@/lib/engine/lab';
import { memoryCheckpointStore, type CheckpointStore } from '@/lib/io/checkpointStore';
import { readSafetensors } from '@/lib/io/safetensors';
import { AUTOSAVE_NAME, blobBytes, checkName, checkpointFilename, checkpoints } from './checkpoints';
import { byTestId, microEngine, until } from './testEngine';
import { diskEntry, diskPicked } from './testFolders';

// A path string: jsdom's URL class is not the one fileURLToPath takes.
const NEOX = join(dirname(fileURLToPath(import.meta.url)), '../../lib/io/testdata/neox/');

let engine: Engine;
let api: EngineApi;

beforeAll(async () => {
  ({ engine, api } = await microEngine());
});
afterAll(() => engine.dispose());

const train = (steps: number) => api.train({ steps, batchSize: 2, seqLen: 16, evalEvery: 0 }, () => undefined);
const rows = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>('[data-testid="ckpt-row"]')];
const row = (el: HTMLElement, name: string) => el.querySelector<HTMLElement>(`[data-testid="ckpt-row"][data-name="${name}"]`)!;
const click = (el: HTMLElement) => el.dispatchEvent(new MouseEvent('click', { bubbles: true }));
const idle = (el: HTMLElement) => until(() => el.dataset.state === 'ready' || el.dataset.state === 'error');

function widget(store: CheckpointStore, extra: Parameters<typeof checkpoints>[3] = {}) {
  const downloads: { name: string; blob: Blob }[] = [];
  // The widget saves and loads through a lab on the same store, as the notebook's builtin wires it.
  const lab = createLab({ api, info: { backend: 'wasm', fallbacks: [] } }, { store });
  const el = checkpoints(lab, api, store, { every: 0, download: (name, blob) => downloads.push({ name, blob }), ...extra });
  document.body.append(el);
  return { el, downloads, lab };
}

async function tensorNames(blob: Blob) {
  return [...readSafetensors(await blobBytes(blob)).tensors.keys()];
}

describe('checkpoints widget', () => {
  it('saves the model under a name, lists it, and loading it brings back its step and weights', async () => {
    await engine.createModel({ preset: 'micro', seed: 1 });
    await train(3);
    const store = memoryCheckpointStore();
    const { el } = widget(store);
    await idle(el);
    expect(byTestId(el, 'ckpt-empty')).toBeTruthy();
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('3');

    (byTestId(el, 'ckpt-name') as HTMLInputElement).value = 'three steps';
    click(byTestId(el, 'ckpt-save'));
    await until(() => rows(el).length === 1);
    await idle(el);
    expect(row(el, 'three steps').dataset.step).toBe('3');
    expect(byTestId(el, 'ckpt-status').textContent).toContain('saved "three steps" at step 3');
    const logits3 = (await api.logits([[1, 2, 3, 4]])).logits;

    await train(4);
    await el.refresh();
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('7');
    const seen: string[] = [];
    el.addEventListener('input', () => seen.push(String(el.value.model?.step)));
    click(row(el, 'three steps').querySelector<HTMLElement>('[data-testid="ckpt-load"]')!);
    await until(() => byTestId(el, 'ckpt-current').dataset.step === '3');
    await idle(el);
    expect((await api.modelInfo())!.step).toBe(3);
    expect((await api.logits([[1, 2, 3, 4]])).logits).toEqual(logits3);
    expect(el.value.loaded).toBe('three steps');
    expect(seen).toContain('3');

    // Training goes on from the loaded step (the optimizer state came with it).
    await train(2);
    await el.refresh();
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('5');
    el.dispose();
  });

  it('refuses an empty name and a load while training, saying why', async () => {
    const store = memoryCheckpointStore();
    const { el } = widget(store);
    await idle(el);
    expect(await el.save('   ')).toBeNull();
    expect(byTestId(el, 'ckpt-error').hidden).toBe(false);
    expect(byTestId(el, 'ckpt-error').textContent).toContain('type a name');
    await el.save('a');
    expect(byTestId(el, 'ckpt-error').hidden).toBe(true);

    const run = api.train({ steps: 10_000, batchSize: 2, seqLen: 16, evalEvery: 0 }, () => undefined);
    expect(await el.load('a')).toBeNull();
    expect(byTestId(el, 'ckpt-error').textContent).toMatch(/loading "a" failed: .*while training/);
    await api.stop();
    await run;
    el.dispose();
  });

  it('downloads a stored checkpoint and the live model, with or without the optimizer state', async () => {
    await engine.createModel({ preset: 'micro', seed: 2 });
    await train(2);
    const store = memoryCheckpointStore();
    const { el, downloads, lab } = widget(store);
    await idle(el);
    await el.save('two');
    // Saved through lab.save: the run records the checkpoint under its store name.
    expect((await lab.run())?.checkpoints.map((c) => c.name)).toContain('two');

    click(row(el, 'two').querySelector<HTMLElement>('[data-testid="ckpt-download"]')!);
    await until(() => downloads.length === 1);
    expect(downloads[0].name).toBe('two-step2.safetensors');
    const lean = await tensorNames(downloads[0].blob);
    expect(lean.some((n) => n.startsWith('__optimizer__.'))).toBe(false);
    expect(lean).toContain('sequential.0.word_embeddings.weight');

    (byTestId(el, 'ckpt-optimizer') as HTMLInputElement).checked = true;
    await idle(el);
    await el.download('two');
    expect((await tensorNames(downloads[1].blob)).some((n) => n.startsWith('__optimizer__.'))).toBe(true);
    expect(downloads[1].blob.size).toBeGreaterThan(downloads[0].blob.size);

    // The model as it is now, named after the name box; the stripped file still loads with its step.
    (byTestId(el, 'ckpt-name') as HTMLInputElement).value = 'live run';
    (byTestId(el, 'ckpt-optimizer') as HTMLInputElement).checked = false;
    click(byTestId(el, 'ckpt-download-current'));
    await until(() => downloads.length === 3);
    expect(downloads[2].name).toBe('live-run-step2.safetensors');
    const info = await el.upload(downloads[0].blob, 'two-step2.safetensors');
    expect(info?.step).toBe(2);
    el.dispose();
  });

  it('a malformed upload shows the engine\'s message and leaves the model alone', async () => {
    await engine.createModel({ preset: 'micro', seed: 3 });
    await train(2);
    const before = await api.modelInfo();
    const logits = (await api.logits([[5, 6, 7]])).logits;
    const { el } = widget(memoryCheckpointStore());
    await idle(el);

    const input = byTestId(el, 'ckpt-upload-input') as HTMLInputElement;
    const bad = new File([new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 123, 34, 120, 34, 58])], 'broken.safetensors');
    Object.defineProperty(input, 'files', { value: [bad], configurable: true });
    input.dispatchEvent(new Event('change'));
    await until(() => !byTestId(el, 'ckpt-error').hidden);
    await idle(el);
    expect(byTestId(el, 'ckpt-error').textContent).toMatch(/^loading broken\.safetensors failed: \S/);
    expect(el.dataset.state).toBe('error');
    expect(await api.modelInfo()).toEqual(before);
    expect((await api.logits([[5, 6, 7]])).logits).toEqual(logits);
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('2');

    expect(await el.upload(new Blob([new Uint8Array(4)]), 'notes.txt')).toBeNull();
    expect(byTestId(el, 'ckpt-error').textContent).toContain('expected a .safetensors, .bin or .pt');

    // A good file dropped on the zone loads.
    const other = new Blob([(await api.saveCheckpoint()) as BlobPart]);
    const zone = byTestId(el, 'ckpt-drop-zone');
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files: [new File([other], 'same.safetensors')] };
    zone.dispatchEvent(drop);
    await until(() => el.value.loaded === 'same.safetensors');
    await idle(el);
    expect(byTestId(el, 'ckpt-error').hidden).toBe(true);
    expect(el.dataset.state).toBe('ready');
    el.dispose();
  });

  it('loads a dropped global_stepN folder; a picked folder without a checkpoint changes nothing', async () => {
    await engine.createModel({ preset: 'micro', seed: 5 });
    const { el } = widget(memoryCheckpointStore());
    await idle(el);
    const zone = byTestId(el, 'ckpt-drop-zone');
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as Event & { dataTransfer: unknown };
    // What Chromium gives for a dropped folder: an entry, and a File of the folder's name that cannot be read.
    drop.dataTransfer = { items: [{ webkitGetAsEntry: () => diskEntry(`${NEOX}seq/global_step7`) }], files: [new File([], 'global_step7')] };
    zone.dispatchEvent(drop);
    await until(() => el.value.loaded === 'global_step7/');
    await idle(el);
    expect(byTestId(el, 'ckpt-error').hidden).toBe(true);
    expect(byTestId(el, 'ckpt-status').textContent).toMatch(/^loaded global_step7\/: step 7, /);
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('7');
    const logits = (await api.logits([[5, 6, 7]])).logits;

    const input = byTestId(el, 'ckpt-folder-input') as HTMLInputElement;
    expect(input.hasAttribute('webkitdirectory')).toBe(true);
    Object.defineProperty(input, 'files', { value: diskPicked(`${NEOX}seq/global_step7/configs`), configurable: true });
    input.dispatchEvent(new Event('change'));
    await until(() => !byTestId(el, 'ckpt-error').hidden);
    await idle(el);
    expect(byTestId(el, 'ckpt-error').textContent).toMatch(/^loading configs\/ failed: no DeepSpeed checkpoint here/);
    expect(byTestId(el, 'ckpt-current').dataset.step).toBe('7');
    expect((await api.logits([[5, 6, 7]])).logits).toEqual(logits);
    el.dispose();
  });

  it('resumes from the autosave, and deletes only on a second click', async () => {
    await engine.createModel({ preset: 'micro', seed: 4 });
    await train(4);
    const store = memoryCheckpointStore();
    const { el } = widget(store);
    await idle(el);
    const resume = byTestId(el, 'ckpt-resume') as HTMLButtonElement;
    expect(resume.disabled).toBe(true);

    const info = (await api.modelInfo())!;
    await store.save(AUTOSAVE_NAME, await api.saveCheckpoint({ includeOptimizer: true }), { step: info.step, params: info.params });
    await train(3);
    await el.refresh();
    expect(resume.disabled).toBe(false);
    expect(resume.textContent).toBe('Resume from autosave (step 4)');
    click(resume);
    await until(() => byTestId(el, 'ckpt-current').dataset.step === '4');
    await idle(el);
    expect((await api.modelInfo())!.step).toBe(4);

    const del = row(el, AUTOSAVE_NAME).querySelector<HTMLElement>('[data-testid="ckpt-delete"]')!;
    click(del);
    expect(del.dataset.confirm).toBe('true');
    expect(await store.list()).toHaveLength(1);
    click(del);
    await until(() => rows(el).length === 0);
    expect(await store.list()).toHaveLength(0);
    expect(resume.disabled).toBe(true);
    el.dispose();
  });

  it('shows a store that cannot be opened, and picks up autosaves by polling', async () => {
    const broken: CheckpointStore = { ...memoryCheckpointStore(), list: () => Promise.reject(new Error('IndexedDB is not available')) };
    const { el: bad } = widget(broken);
    await until(() => !byTestId(bad, 'ckpt-error').hidden);
    expect(byTestId(bad, 'ckpt-error').textContent).toContain('IndexedDB is not available');
    bad.dispose();

    const store = memoryCheckpointStore();
    const { el } = widget(store, { every: 20 });
    await idle(el);
    const info = (await api.modelInfo())!;
    await store.save(AUTOSAVE_NAME, await api.saveCheckpoint(), { step: info.step, params: info.params });
    await until(() => rows(el).length === 1);
    el.dispose();
  });
});

describe('checkpoint names', () => {
  it('trims, and refuses empty, long and path-like names', () => {
    expect(checkName('  run 1 ')).toBe('run 1');
    expect(() => checkName(' ')).toThrow(/type a name/);
    expect(() => checkName('x'.repeat(81))).toThrow(/80/);
    expect(() => checkName('a/b')).toThrow(/slashes/);
  });
  it('makes download names from checkpoint names', () => {
    expect(checkpointFilename('my run', 120)).toBe('my-run-step120.safetensors');
    expect(checkpointFilename('///')).toBe('checkpoint.safetensors');
  });
});
