// The widget's cluster export zip and its import back, on a real in-process engine.
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { microEngine } from './testEngine';
import { clusterExportZip, loadClusterZip } from './neoxTransfer';

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
