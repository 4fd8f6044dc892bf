// The in-process Engine end to end on the micro preset: train, pause/stop, grow mid-run, checkpoints, maps.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './engine';
import type { Metrics } from './types';

const micro = { preset: 'micro' as const, seed: 1 };
const synthetic = { kind: 'synthetic' as const, task: 'copy' as const, seed: 3, examples: 400 };

async function fresh(): Promise<Engine> {
  const e = new Engine();
  await e.init({ backend: 'wasm' });
  await e.createModel(micro);
  await e.loadData(synthetic);
  return e;
}

describe('Engine', () => {
  beforeAll(() => {
    tf.env().set('PROD', true);
  });

  it('reports the backend it chose and why others were skipped', async () => {
    const info = await new Engine().init();
    expect(info.backend).toBe('wasm');
    expect(info.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl']);
    expect(info.fallbacks[0].reason).toMatch(/WebGPU/);
  });

  it('trains: the loss falls, metrics stream with step, lr, tokens/s and memory', async () => {
    const e = await fresh();
    const seen: Metrics[] = [];
    const s = await e.train({ steps: 40, batchSize: 8, seqLen: 32, lr: 3e-3, logEvery: 5, evalEvery: 40, evalBatches: 2 }, (m) => seen.push(m));
    expect(s.steps).toBe(40);
    expect(s.stopped).toBe(false);
    const last = seen[seen.length - 1];
    expect(last.step).toBe(40);
    expect(last.valBpb).toBeGreaterThan(0);
    expect(last.tokensPerSec).toBeGreaterThan(0);
    expect(last.flops).toBeGreaterThan(0);
    expect(seen[0].loss).toBeGreaterThan(last.loss + 0.5);
    expect((await e.modelInfo())!.step).toBe(40);
    await e.dispose();
  });

  it('stops and pauses at step boundaries, and grows between two steps while training', async () => {
    const e = await fresh();
    const before = (await e.modelInfo())!.params;
    const seen: Metrics[] = [];
    let grown: Promise<unknown> | null = null;
    const run = e.train({ steps: 200, batchSize: 4, seqLen: 32, logEvery: 1 }, (m) => {
      seen.push(m);
      if (m.step >= 5 && !grown) grown = e.grow({ add: 8, target: 'ffn', mode: 'preserve' });
      // Stop only once the growth has shown up in the metrics (emits are time-throttled).
      if (m.growth || (grown && seen.some((x) => x.growth) && m.step >= 12)) void e.stop();
    });
    expect(await e.state()).toBe('training');
    const s = await run;
    expect(s.stopped).toBe(true);
    expect(s.steps).toBeLessThan(200);
    const event = (await grown) as unknown as { step: number; paramsAfter: number };
    expect(event.step).toBeGreaterThanOrEqual(5);
    expect(event.paramsAfter).toBe(before + 2 * 8 * 32 * 2);
    const marked = seen.find((m) => m.growth);
    expect(marked?.params).toBe(event.paramsAfter);
    // steps keep rising across the growth
    expect(seen.map((m) => m.step)).toEqual([...seen.map((m) => m.step)].sort((a, b) => a - b));
    expect(await e.state()).toBe('idle');
    expect((await e.runs())[0].growth).toEqual([event]);

    const paused = e.train({ steps: 50, batchSize: 4, seqLen: 32, logEvery: 1 }, () => {});
    await e.pause();
    await new Promise((r) => setTimeout(r, 50));
    expect(await e.state()).toBe('paused');
    const stepAtPause = (await e.modelInfo())!.step;
    await new Promise((r) => setTimeout(r, 50));
    expect((await e.modelInfo())!.step).toBe(stepAtPause);
    await e.resume();
    const s2 = await paused;
    expect(s2.steps).toBe(50);
    await e.dispose();
  });

  it('saves and loads a checkpoint that resumes the step count and optimizer state', async () => {
    const e = await fresh();
    await e.train({ steps: 10, batchSize: 4, seqLen: 32 }, () => {});
    await e.grow({ add: 4, target: 'qkv' });
    const bytes = await e.saveCheckpoint({ includeOptimizer: true });
    const ids = [[1, 2, 3, 4, 5, 6]];
    const a = await e.logits(ids);
    const e2 = new Engine();
    await e2.init({ backend: 'wasm' });
    const info = await e2.loadCheckpoint(bytes, 'ck.safetensors');
    expect(info.step).toBe(10);
    expect(info.growth['sequential.2.attention.query'].tokens).toBe(28);
    const b = await e2.logits(ids);
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
    await e2.loadData(synthetic);
    await e2.train({ steps: 3, batchSize: 4, seqLen: 32 }, () => {});
    expect((await e2.modelInfo())!.step).toBe(13);
    await e.dispose();
    await e2.dispose();
  });

  it('refuses bad checkpoints with a clear error and keeps the current model', async () => {
    const e = await fresh();
    const before = await e.modelInfo();
    await expect(e.loadCheckpoint(new Uint8Array([1, 2, 3]), 'junk.bin')).rejects.toThrow(/junk\.bin/);
    expect(await e.modelInfo()).toEqual(before);
    await e.dispose();
  });

  it('loads weights holding NaN for inspection but refuses to train on them', async () => {
    const e = await fresh();
    // Written at the safetensors level: the checkpoint encoder never writes NaN.
    const { readSafetensors, writeSafetensors } = await import('../io');
    const file = readSafetensors(await e.saveCheckpoint());
    file.tensors.get('sequential.0.word_embeddings.weight')!.data[3] = NaN;
    await e.loadCheckpoint(writeSafetensors(file.tensors, file.metadata), 'nan.safetensors');
    await expect(e.train({ steps: 1, batchSize: 2, seqLen: 16 }, () => {})).rejects.toThrow(/refusing to train.*NaN/);
    await expect(e.saveCheckpoint()).rejects.toThrow(/^refusing to save: tensor "sequential\.0\.word_embeddings\.weight" holds NaN at index 3 /);
    expect((await e.modelInfo())!.step).toBe(0);
    await e.dispose();
  });

  it('a diverging run (lr 1e30) stops, rolls back, and says so in the metrics, the summary and the run record', async () => {
    const e = await fresh();
    const ids = [[1, 2, 3, 4, 5, 6]];
    const before = await e.logits(ids);
    const seen: Metrics[] = [];
    const s = await e.train({ steps: 20, batchSize: 4, seqLen: 16, lr: 1e30, warmupSteps: 0 }, (m) => seen.push(m));
    // Step 1 updates with finite numbers into weights that overflow; steps 2-4 are NaN, seen at the read-back of step 5.
    const event = { step: 2, reason: 'loss is NaN', badSteps: 4, stoppedAt: 5, rolledBackTo: 0 };
    expect(s.divergence).toEqual(event);
    expect(seen[seen.length - 1].divergence).toEqual(event);
    expect(seen.every((m) => Number.isFinite(m.loss))).toBe(true);
    expect((await e.run())!.divergence).toEqual([event]);
    expect((await e.modelInfo())!.step).toBe(0);
    expect(Array.from((await e.logits(ids)).logits)).toEqual(Array.from(before.logits));
    // What is left is the good state: it saves, and trains on at a sane rate.
    expect((await e.saveCheckpoint({ includeOptimizer: true })).length).toBeGreaterThan(0);
    expect((await e.train({ steps: 3, batchSize: 4, seqLen: 16 }, () => {})).divergence).toBeUndefined();
    await e.dispose();
  });

  it('gives attention maps for all layers and Pattentions, usage stats, and generated text', async () => {
    const e = await fresh();
    const maps = await e.attention('copy: abc|');
    expect(maps.ids.length).toBe(10);
    expect(maps.layers).toHaveLength(2);
    expect(maps.layers[0].pattention.ffn.n).toBe(48);
    expect(maps.layers[0].pattention.ffn.weights.length).toBe(10 * 48);
    expect(maps.layers[0].heads.length).toBe(4 * 10 * 10);
    const usage = await e.usage({ windows: 2, seqLen: 32, k: 3, contexts: 2 });
    expect(usage.positions).toBe(64);
    expect(usage.layers[1].proj.mean.length).toBe(20);
    const hits = usage.layers[1].proj.topkHits.reduce((a, b) => a + b, 0);
    expect(hits).toBe(64 * 3);
    expect(usage.layers[0].ffn.contexts[0]).toHaveLength(2);
    const g = await e.generate({ prompt: 'copy: ab|', maxNewTokens: 5, temperature: 0, seed: 1 });
    expect(g.ids).toHaveLength(5);
    // Read-backs are asynchronous (WebGPU in a worker), so overlapping calls (two notebook cells) queue, not fail.
    const [g1, g2] = await Promise.all([e.generate({ prompt: 'copy: ab|', maxNewTokens: 5, temperature: 0, seed: 1 }), e.generate({ prompt: 'copy: xy|', maxNewTokens: 3, temperature: 1, seed: 2 })]);
    expect(g1).toEqual(g);
    expect(g2.ids).toHaveLength(3);
    expect(await e.state()).toBe('idle');
    await e.dispose();
  });

  it('does not leak tensors over a long run with growth', async () => {
    const e = await fresh();
    await e.train({ steps: 5, batchSize: 4, seqLen: 16 }, () => {});
    await e.grow({ add: 2 });
    await e.train({ steps: 2, batchSize: 4, seqLen: 16 }, () => {});
    const n0 = (await e.memory()).numTensors;
    await e.train({ steps: 30, batchSize: 4, seqLen: 16, evalEvery: 10, evalBatches: 1 }, () => {});
    expect((await e.memory()).numTensors).toBe(n0);
    await e.dispose();
  });
});

describe('backend choice', () => {
  it('a forced backend falls down the order, never back up', async () => {
    const { selectBackend } = await import('./backend');
    // In Node webgl cannot start: forcing it falls to wasm, without trying webgpu first.
    const info = await selectBackend({ backend: 'webgl' });
    expect(info.backend).toBe('wasm');
    expect(info.fallbacks.map((f) => f.backend)).toEqual(['webgl']);
  });
});

describe('loading from a file', () => {
  it('streams a .bin from a ByteSource or a Blob into the backend; a damaged one leaves the old model and no tensors', async () => {
    const { readFileSync } = await import('node:fs');
    const { readReferenceConfig } = await import('../io');
    const dir = 'lib/io/testdata/neox-bpe/';
    const bytes = new Uint8Array(readFileSync(`${dir}pytorch_model.bin`));
    const referenceConfig = readReferenceConfig(readFileSync(`${dir}tiny_eval.yml`, 'utf8'), 'tiny_eval.yml');
    const e = new Engine();
    await e.init({ backend: 'wasm' });
    await e.loadCheckpoint(bytes, 'pytorch_model.bin', { referenceConfig });
    const ids = [[1, 5, 9, 2, 7]];
    const want = await e.logits(ids);
    let largest = 0;
    const source = { size: bytes.length, read: async (o: number, n: number) => ((largest = Math.max(largest, n)), bytes.slice(o, o + n)) };
    await e.loadCheckpoint(source, 'pytorch_model.bin', { referenceConfig });
    expect(largest).toBeLessThan(bytes.length);
    expect(await e.logits(ids)).toEqual(want);
    await e.loadCheckpoint(new Blob([bytes]), 'pytorch_model.bin', { referenceConfig });
    expect(await e.logits(ids)).toEqual(want);

    const n0 = (await e.memory()).numTensors;
    const damaged = bytes.slice();
    damaged[damaged.length - 2000] ^= 1; // inside the flat storage: its CRC fails once tensors are already made
    await expect(e.loadCheckpoint(damaged, 'pytorch_model.bin', { referenceConfig })).rejects.toThrow(/pytorch_model\.bin: .*CRC-32/);
    expect((await e.memory()).numTensors).toBe(n0);
    expect(await e.logits(ids)).toEqual(want);
    await e.dispose();
  });
});
