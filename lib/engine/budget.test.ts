// The memory budget: sizes as users write them, the defaults, the backend's own ceiling and the one-line refusal.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { Engine } from './engine';
import { BudgetError, checkBatchSize, checkBudget, defaultMemoryBudget, FALLBACK_BUDGET_BYTES, formatBytes, parseBytes, resolveBudget, suggestBytes } from './budget';

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('parseBytes', () => {
  test.each([
    ['2GB', 2e9],
    ['512MB', 512e6],
    ['512mb', 512e6],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['100000000', 1e8],
    [' 3g ', 3e9],
    ['64MiB', 64 * 2 ** 20],
    ['1TB', 1e12],
  ])('%s', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  test.each([
    ['lots', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "lots"'],
    ['', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got ""'],
    ['-2GB', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "-2GB"'],
    ['2XB', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "2XB"'],
    ['Infinity', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "Infinity"'],
    ['1e400', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "1e400"'],
    ['NaNGB', 'memory budget must be a size such as 2GB, 512MB or 1.5GiB, got "NaNGB"'],
    ['2', 'memory budget 2 is below the 16 MB minimum (did you mean 2GB?)'],
    ['0GB', 'memory budget 0GB is below the 16 MB minimum'],
    ['999999999999999TB', 'memory budget 999999999999999TB is above the 1.1 PB maximum'],
  ])('refuses %j', (text, message) => {
    const e = errorOf(() => parseBytes(text));
    expect(e).toBeInstanceOf(BudgetError);
    expect(e.message).toBe(message);
  });

  test('refuses what is not a string, without printing JSON null for numbers', () => {
    expect(errorOf(() => parseBytes(Infinity)).message).toMatch(/got Infinity$/);
    expect(errorOf(() => parseBytes(undefined)).message).toMatch(/got undefined$/);
  });

  test('a long hostile value is cut short in the message', () => {
    expect(errorOf(() => parseBytes('9'.repeat(10_000))).message.length).toBeLessThan(140);
  });
});

test('formatBytes and suggestBytes', () => {
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(512e6)).toBe('512 MB');
  expect(formatBytes(2.6e9)).toBe('2.6 GB');
  expect(formatBytes(10.24e9)).toBe('10.2 GB');
  expect(suggestBytes(10.24e9)).toBe('10.3GB');
  expect(suggestBytes(123e6)).toBe('130MB');
  expect(parseBytes(suggestBytes(10.24e9))).toBeGreaterThanOrEqual(10.24e9);
});

describe('defaults', () => {
  afterEach(() => vi.unstubAllGlobals());

  test('half of navigator.deviceMemory when the browser reports it', () => {
    vi.stubGlobal('navigator', { deviceMemory: 8 });
    const b = defaultMemoryBudget();
    expect(b.bytes).toBe(4 * 2 ** 30);
    expect(b.source).toBe('half of the 8.6 GB this device reports');
  });

  test('a fixed fallback when nothing is reported', () => {
    vi.stubGlobal('navigator', {});
    expect(defaultMemoryBudget().bytes).toBe(FALLBACK_BUDGET_BYTES);
    vi.stubGlobal('navigator', { deviceMemory: 'lots' });
    expect(defaultMemoryBudget().bytes).toBe(FALLBACK_BUDGET_BYTES);
  });

  test('the wasm backend caps any budget at what its 4 GiB heap can hold', () => {
    expect(resolveBudget(100e9, 'cpu').bytes).toBe(100e9);
    const wasm = resolveBudget({ bytes: 100e9, source: '--memory-budget 100GB', raise: 'raise it with --memory-budget' }, 'wasm');
    expect(wasm.bytes).toBe(0.75 * 2 ** 32);
    expect(wasm.source).toBe("the wasm backend's limit, 75% of its 4.3 GB heap");
    expect(resolveBudget(1e9, 'wasm').bytes).toBe(1e9);
    expect(() => resolveBudget(NaN)).toThrow(/between 16 MB and 1\.1 PB, got NaN/);
    expect(() => resolveBudget(-1)).toThrow(BudgetError);
  });
});

describe('checkBudget', () => {
  const est = { weights: 2.6e9, gradients: 2.6e9, optimizer: 5.2e9, activations: 0, total: 10.4e9 };

  test('passes what fits', () => {
    expect(() => checkBudget('this model', est, resolveBudget(11e9))).not.toThrow();
  });

  test('one line naming the estimate, its parts, the budget, its source and how to raise it', () => {
    const e = errorOf(() => checkBudget('growing the model', est, resolveBudget({ bytes: 2e9, source: '--memory-budget 2GB', raise: 'raise it with --memory-budget' })));
    expect(e).toBeInstanceOf(BudgetError);
    expect(e.message).toBe(
      'growing the model needs about 10.4 GB (weights 2.6 GB, gradients 2.6 GB, AdamW moments 5.2 GB), over the memory budget of 2 GB (--memory-budget 2GB): make it smaller or raise it with --memory-budget 10.4GB',
    );
    expect(e.message).not.toMatch(/\n/);
    const capped = errorOf(() => checkBudget('this model', est, resolveBudget(20e9, 'wasm')));
    expect(capped.message).toMatch(/over the memory budget of 3\.2 GB \(the wasm backend's limit, 75% of its 4\.3 GB heap\): make it smaller or use another backend$/);
  });
});

test('checkBatchSize', () => {
  expect(checkBatchSize(16)).toBe(16);
  expect(() => checkBatchSize(0)).toThrow('batch size must be a positive integer, got 0');
  expect(() => checkBatchSize(Infinity)).toThrow('batch size must be a positive integer, got Infinity');
  expect(() => checkBatchSize(1.5)).toThrow('got 1.5');
  expect(() => checkBatchSize(100_000_000)).toThrow('batch size 100000000 is larger than this lab accepts (at most 65,536)');
});

describe('the engine refuses, before allocating, what does not fit', () => {
  beforeAll(() => {
    tf.env().set('PROD', true);
  });
  const synthetic = { kind: 'synthetic' as const, task: 'copy' as const, seed: 3, examples: 200 };
  // tiny: 1,081,600 parameters, 17.3 MB with gradients and moments; micro: 26,176 parameters.
  const small = { bytes: 16e6, source: '--memory-budget 16MB', raise: 'raise it with --memory-budget' };

  test('model creation and checkpoint loading', async () => {
    const big = new Engine();
    await big.init({ backend: 'cpu' });
    await big.createModel({ preset: 'tiny' });
    const bytes = await big.saveCheckpoint();
    await big.dispose();

    const e = new Engine({ memoryBudget: small });
    await e.init({ backend: 'cpu' });
    const tensors = tf.memory().numTensors;
    const created = await e.createModel({ preset: 'tiny' }).catch((err: Error) => err);
    expect(created).toBeInstanceOf(BudgetError);
    expect((created as Error).message).toBe(
      'this model needs about 17.3 MB (weights 4.3 MB, gradients 4.3 MB, AdamW moments 8.7 MB), over the memory budget of 16 MB (--memory-budget 16MB): make it smaller or raise it with --memory-budget 20MB',
    );
    const loaded = await e.loadCheckpoint(bytes, 'tiny.safetensors').catch((err: Error) => err);
    expect((loaded as Error).message).toMatch(/^the model in tiny\.safetensors needs about 17\.3 MB/);
    expect(await e.modelInfo()).toBeNull();
    expect(tf.memory().numTensors).toBe(tensors);
    // A setting passed to init (as the page does) replaces the constructor's.
    await e.init({ backend: 'cpu', memoryBudget: 100e6 });
    expect((await e.createModel({ preset: 'tiny' })).params).toBe(1_081_600);
    await expect(e.init({ memoryBudget: Number.NaN })).rejects.toThrow(/got NaN/);
    await e.dispose();
  });

  test('a train batch or a growth too large for the budget, leaving the model as it was', async () => {
    const e = new Engine({ memoryBudget: small });
    await e.init({ backend: 'cpu' });
    await e.createModel({ preset: 'micro' });
    await e.loadData(synthetic);
    const before = (await e.modelInfo())!;
    await expect(e.train({ steps: 1, batchSize: 100_000_000 }, () => {})).rejects.toThrow('batch size 100000000 is larger than this lab accepts (at most 65,536)');
    await expect(e.train({ steps: 1, batchSize: 4096, seqLen: 64 }, () => {})).rejects.toThrow(/^training with batch 4096 × 64 needs about [\d.]+ GB \(weights .*activations [\d.]+ GB\), over the memory budget of 16 MB/);
    await expect(e.train({ steps: 1, batchSize: 2, seqLen: 16, growAt: [{ step: 1, grow: { add: 100_000 } }] }, () => {})).rejects.toThrow(/^training with batch 2 × 16 and its scheduled growth needs about/);
    await expect(e.train({ steps: 1, batchSize: 2, seqLen: 16, growAt: [{ step: 1, grow: { add: -1 } }] }, () => {})).rejects.toThrow(/at least one token/);
    const t0 = performance.now();
    await expect(e.grow({ add: 1_000_000 })).rejects.toThrow(/^growing the model needs about 10\.2 GB \(weights 2\.6 GB, gradients 2\.6 GB, AdamW moments 5\.1 GB\), over the memory budget of 16 MB/);
    expect(performance.now() - t0).toBeLessThan(100);
    await expect(e.evaluate({ batchSize: 65_536, seqLen: 64 })).rejects.toThrow(/^evaluating with batch 65536 × 64 needs about/);
    expect(await e.modelInfo()).toEqual(before);
    // What fits still runs.
    expect((await e.train({ steps: 1, batchSize: 2, seqLen: 16 }, () => {})).steps).toBe(1);
    expect((await e.grow({ add: 4 })).paramsAfter).toBe(before.params + 10 * 4 * 2 * 32);
    await e.dispose();
  });
});
