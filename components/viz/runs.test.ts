import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../lib/engine/types';
import type { GrowthEvent } from '../../lib/tokenformer/types';
import { csvField, differingConfigKeys, runsTable, runToCsv, runToJson, stableStringify, type RunRecord } from './runs';

const m = (step: number, extra: Partial<Metrics> = {}): Metrics => ({
  step, totalSteps: 3, loss: 2 / step, bpb: 2 / step / Math.LN2, lr: 0.001, tokensPerSec: 1000, tokensSeen: step * 100,
  flops: step * 1e6, params: 5000, numTensors: 10, numBytes: 20000, elapsedMs: step * 10, ...extra,
});
const GROW: GrowthEvent = { step: 2, mode: 'zero', changes: { 'sequential.2.mlp': [8, 16] }, paramsBefore: 5000, paramsAfter: 6000 };

const A: RunRecord = { name: 'base', config: { preset: 'tiny', lr: 1e-3, grow: { add: 8 }, seed: 1 }, growth: [], metrics: [m(1), m(2, { valBpb: 2.5 }), m(3, { valBpb: 2.1 })] };
const B: RunRecord = { name: 'grown, "v2"', config: { seed: 1, grow: { add: 8 }, preset: 'tiny', lr: 3e-3, norm: 'softmax' }, growth: [GROW], metrics: [m(1), m(2, { growth: GROW, params: 6000 })] };

describe('comparing runs', () => {
  it('lists keys whose values differ, including keys some runs lack, ignoring key order', () => {
    expect(differingConfigKeys([A, B])).toEqual(['lr', 'norm']);
    expect(differingConfigKeys([A])).toEqual([]);
    expect(differingConfigKeys([A, { config: { ...A.config, grow: { add: 16 } } }])).toEqual(['grow']);
  });

  it('summarises each run with only the differing config', () => {
    const { keys, rows } = runsTable([A, B]);
    expect(keys).toEqual(['lr', 'norm']);
    expect(rows[0]).toEqual({ name: 'base', config: { lr: 1e-3, norm: undefined }, steps: 3, params: 5000, finalLoss: 2 / 3, finalBpb: 2 / 3 / Math.LN2, bestValBpb: 2.1, growthEvents: 0 });
    expect(rows[1]).toMatchObject({ steps: 2, params: 6000, bestValBpb: undefined, growthEvents: 1 });
  });

  it('handles a run without metrics', () => {
    expect(runsTable([{ ...A, metrics: [] }]).rows[0]).toMatchObject({ steps: 0, finalLoss: undefined });
  });

  it('stringifies with sorted keys and typed arrays as lists', () => {
    expect(stableStringify({ b: 1, a: [Float32Array.from([0.5]), NaN] })).toBe('{"a":[[0.5],NaN],"b":1}');
  });
});

describe('exporting a run', () => {
  it('writes CSV with a header, the run name, blanks for missing values, and quoting', () => {
    const csv = runToCsv(B);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('run,step,totalSteps,loss,bpb,valBpb,lr,tokensPerSec,tokensSeen,flops,params,numTensors,numBytes,elapsedMs,growth');
    expect(lines).toHaveLength(3);
    expect(lines[1].startsWith('"grown, ""v2""",1,3,2,')).toBe(true);
    expect(lines[1].split(',').at(-1)).toBe('');
    expect(lines[2].endsWith(',zero 5000->6000')).toBe(true);
    expect(csv.endsWith('\n')).toBe(true);
  });

  it('quotes only when needed', () => {
    expect([csvField('plain'), csvField('a,b'), csvField('line\nbreak'), csvField(undefined), csvField(1.5)]).toEqual(['plain', '"a,b"', '"line\nbreak"', '', '1.5']);
  });

  it('writes JSON that round-trips and keeps non-finite numbers visible', () => {
    const bad: RunRecord = { ...A, metrics: [m(1, { loss: NaN, bpb: Infinity })] };
    const parsed = JSON.parse(runToJson(bad));
    expect(parsed.metrics[0].loss).toBe('NaN');
    expect(parsed.metrics[0].bpb).toBe('Infinity');
    expect(JSON.parse(runToJson(B))).toEqual(JSON.parse(JSON.stringify(B)));
  });
});
