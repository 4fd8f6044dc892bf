// @vitest-environment jsdom
// The builtin surface: each name the notebook binds builds its panel on one engine, with value, input events and dispose.
import { describe, expect, it } from 'vitest';
import { INSIGHT_BUILTINS, bindInsight } from './insight';
import { microEngine, until } from './testEngine';
import { mirrorRuns } from '@/lib/store/runStore';

describe('insight builtins', () => {
  it('binds every named factory to the engine', async () => {
    const { api, calls } = await microEngine();
    const bound = bindInsight(api, await mirrorRuns(api));
    expect(Object.keys(bound).sort()).toEqual([...INSIGHT_BUILTINS].sort());
    const testids = { attentionExplorer: 'attention-explorer', usagePanel: 'usage-panel', growthPanel: 'growth-panel', runsPanel: 'runs-panel' };
    for (const name of INSIGHT_BUILTINS) {
      // A no-op painter: jsdom has no 2D context (the other panels ignore the option).
      const el = bound[name]({ every: 0, paint: () => undefined } as never);
      expect(el.dataset.testid).toBe(testids[name]);
      await until(() => el.dataset.state !== 'idle' && el.dataset.state !== 'loading', 10_000);
      expect(el.dataset.state, name).toBe('ready');
      expect(el.value).toBeTypeOf('object');
      el.dispose();
    }
    // The growth panel reads the run summaries once; the runs panel reads the mirror, not the engine.
    expect(calls).toMatchObject({ attention: 1, usage: 1, runs: 1 });
  });
});
