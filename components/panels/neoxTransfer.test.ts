// The widget's cluster export zip and its import back, and the official-layout fixture folders dropped or picked
// (as File and Directory entries, or webkitdirectory files), on a real in-process engine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '@/lib/io/safetensors';
import type { DirectoryEntryLike, EntryLike } from './folderDrop';
import { microEngine } from './testEngine';
import { diskEntry, diskPicked } from './testFolders';
import { clusterExportZip, loadClusterFolder, loadClusterZip } from './neoxTransfer';

const NEOX = fileURLToPath(new URL('../../lib/io/testdata/neox/', import.meta.url));
const IDS = [[104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33]];

function zipOf(dir: string, root: string): Blob {
  const entries: Record<string, Uint8Array> = {};
  for (const f of diskPicked(dir, root)) entries[f.webkitRelativePath] = new Uint8Array(readFileSync(join(dir, f.webkitRelativePath.slice(root.length + 1))));
  return new Blob([zipSync(entries) as BlobPart]);
}

describe('cluster export from the checkpoints widget', () => {
  it('zips the export folder, and the zip loads back into the engine with the same logits', async () => {
    const { engine, api } = await microEngine();
    const ids = [[72, 101, 108, 108, 111, 33, 32, 10]];
    const before = await engine.logits(ids);
    const { blob, filename } = await clusterExportZip(api, 'lab-run');
    expect(filename).toBe('lab-run.zip');
    const names = Object.keys(unzipSync(new Uint8Array(await blob.arrayBuffer())));
    expect(names).toEqual(expect.arrayContaining(['lab-run/config.yml', 'lab-run/checkpoints/latest', 'lab-run/checkpoints/global_step0/mp_rank_00_model_states.pt', 'lab-run/README.md', 'lab-run/tokenizer.json']));
    await engine.createModel({ preset: 'micro', seed: 9 });
    const { info, notes } = await loadClusterZip(api, blob, filename);
    expect(info.config.vocabSize).toBe(256);
    expect(notes.join('\n')).toMatch(/global_step0/);
    const after = await engine.logits(ids);
    expect(Math.max(...after.logits.map((v, i) => Math.abs(v - before.logits[i])))).toBeLessThan(1e-6);
    await engine.dispose();
  }, 60_000);
});

describe('a cluster run\'s folder dropped or picked in the widget', () => {
  it('loads the official-layout fixtures as folders, to the same model as their zip, with the parameters of the safetensors they came from', async () => {
    const { engine, api } = await microEngine();
    // The fixture model's parameters, the padded vocabulary rows (512 -> 256) left out.
    const st = readSafetensors(new Uint8Array(readFileSync(`${NEOX}model.safetensors`))).tensors;
    const expectedParams = [...st.values()].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);

    const dropped = await loadClusterFolder(api, diskEntry(`${NEOX}seq/global_step7`));
    expect(dropped.info.step).toBe(7);
    expect(dropped.info.params).toBe(expectedParams);
    expect(dropped.info.config.vocabSize).toBe(256);
    expect(dropped.notes.join('\n')).toMatch(/config from global_step7\/configs\/model.yml/);
    const fromFolder = (await engine.logits(IDS)).logits;

    await engine.createModel({ preset: 'micro', seed: 9 });
    const zipped = await loadClusterZip(api, zipOf(`${NEOX}seq/global_step7`, 'global_step7'), 'global_step7.zip');
    expect(zipped.info.params).toBe(expectedParams);
    expect((await engine.logits(IDS)).logits).toEqual(fromFolder);

    // A pipe-parallel checkpoints folder, picked: `latest` names global_step7 over the stale global_step3.
    await engine.createModel({ preset: 'micro', seed: 9 });
    const pipe = await loadClusterFolder(api, diskPicked(`${NEOX}pipe`));
    expect(pipe.info.step).toBe(7);
    expect(pipe.notes.join('\n')).toMatch(/"latest" names global_step7/);
    const fromPipe = (await engine.logits(IDS)).logits;
    expect(Math.max(...fromPipe.map((v, i) => Math.abs(v - fromFolder[i])))).toBeLessThan(1e-5);
    await engine.dispose();
  }, 60_000);

  it('a folder over the limits or without a checkpoint leaves the model as it was', async () => {
    const { engine, api } = await microEngine();
    const before = await engine.logits(IDS);
    const endless: DirectoryEntryLike = {
      name: 'everything',
      isFile: false,
      isDirectory: true,
      createReader: () => ({ readEntries: (ok) => setTimeout(() => ok(Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, isFile: true, isDirectory: false, file: (done: (f: File) => void) => done(new File([], 'x')) }) as EntryLike)), 0) }),
    };
    await expect(loadClusterFolder(api, endless)).rejects.toThrow('folder everything holds more than 2000 files and folders');
    await expect(loadClusterFolder(api, diskPicked(`${NEOX}seq/global_step7/configs`))).rejects.toThrow(/no DeepSpeed checkpoint here/);
    expect((await engine.logits(IDS)).logits).toEqual(before.logits);
    await engine.dispose();
  }, 60_000);
});
