// Shard sizes and the replicas' memory; the step itself is tested over real worker threads in cli/replicas.
import { describe, expect, it } from 'vitest';
import { preset } from '../tokenformer/config';
import { estimateMemory } from '../tokenformer/memory';
import { initialGrowth } from '../tokenformer/params';
import { replicaMemory, shardRows } from './dataParallel';

describe('shardRows', () => {
  it('splits as evenly as possible, larger shards first, never an empty one', () => {
    expect(shardRows(16, 2)).toEqual([8, 8]);
    expect(shardRows(5, 2)).toEqual([3, 2]);
    expect(shardRows(7, 3)).toEqual([3, 2, 2]);
    expect(shardRows(2, 4)).toEqual([1, 1]);
    expect(shardRows(1, 1)).toEqual([1]);
    for (const [b, p] of [[17, 4], [100, 7], [3, 3]]) {
      const rows = shardRows(b, p);
      expect(rows.reduce((a, x) => a + x, 0)).toBe(b);
      expect(Math.max(...rows) - Math.min(...rows)).toBeLessThanOrEqual(1);
    }
  });

  it('refuses sizes that are not positive integers', () => {
    expect(() => shardRows(0, 2)).toThrow(/batch/);
    expect(() => shardRows(4, 1.5)).toThrow(/parts/);
  });
});

describe('replicaMemory', () => {
  const c = preset('tiny');
  const g = initialGrowth(c);
  const step = { batch: 16, seqLen: 128 };
  it('is nothing for one thread; each replica adds its weights, gradients and shard activations, no moments', () => {
    expect(replicaMemory(c, g, step, 1).total).toBe(0);
    const shard = estimateMemory(c, g, { mode: 'train', step: { batch: 8, seqLen: 128 } });
    const two = replicaMemory(c, g, step, 2);
    expect(two.optimizer).toBe(0);
    expect(two.total).toBeGreaterThanOrEqual(shard.weights + shard.gradients + shard.activations);
    expect(replicaMemory(c, g, step, 4).total).toBeGreaterThan(two.total);
  });
});
