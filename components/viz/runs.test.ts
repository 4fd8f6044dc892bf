import { describe, expect, it } from 'vitest';
import type { EvalPoint, TrainPoint } from '../../lib/engine/types';
import type { GrowthEvent } from '../../lib/tokenformer/types';
import { csvField, differingConfigKeys, runsTable, runToCsv, runToJson, stableStringify, type RunRecord } from './runs';

const p = (step: number, extra: Partial<TrainPoint> = {}): TrainPoint => ({ step, loss: 2 / step, lr: 0.001, tokensSeen: step * 100, flops: step * 1e6, ...extra });
const v = (step: number, bpb: number): EvalPoint => ({ step, loss: bpb * Math.LN2, bpb, tokensSeen: step * 100, flops: step * 1e6 });
const GROW: GrowthEvent = { step: 2, mode: 'zero', changes: { 'sequential.2.mlp': [8, 16] }, paramsBefore: 5000, paramsAfter: 6000 };

const A: RunRecord = { name: 'base', config: { preset: 'tiny', lr: 1e-3, grow: { add: 8 }, seed: 1 }, params: 5000, growth: [], points: [p(1), p(2), p(3)], evals: [v(2, 2.5), v(3, 2.1)] };
const B: RunRecord = { name: 'grown, "v2"', config: { seed: 1, grow: { add: 8 }, preset: 'tiny', lr: 3e-3, norm: 'softmax' }, params: 5000, growth: [GROW], points: [p(1), p(2)], evals: [] };

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
    expect(runsTable([{ ...A, points: [] }]).rows[0]).toMatchObject({ steps: 0, finalLoss: undefined });
  });

  it('stringifies with sorted keys and typed arrays as lists', () => {
    expect(stableStringify({ b: 1, a: [Float32Array.from([0.5]), NaN] })).toBe('{"a":[[0.5],NaN],"b":1}');
  });
});

describe('exporting a run', () => {
  it('writes CSV with a header, the run name, blanks for missing values, and quoting', () => {
    const csv = runToCsv(B);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('run,step,loss,bpb,valBpb,lr,tokensSeen,flops,growth');
    expect(lines).toHaveLength(3);
    expect(lines[1].startsWith('"grown, ""v2""",1,2,')).toBe(true);
    expect(lines[1].split(',').at(-1)).toBe('');
    expect(lines[2].endsWith(',zero 5000->6000')).toBe(true);
    expect(csv.endsWith('\n')).toBe(true);
  });

  it('quotes only when needed', () => {
    expect([csvField('plain'), csvField('a,b'), csvField('line\nbreak'), csvField(undefined), csvField(1.5)]).toEqual(['plain', '"a,b"', '"line\nbreak"', '', '1.5']);
  });

  it('writes JSON that round-trips and keeps non-finite numbers visible', () => {
    const bad: RunRecord = { ...A, points: [p(1, { loss: NaN, lr: Infinity })] };
    const parsed = JSON.parse(runToJson(bad));
    expect(parsed.points[0].loss).toBe('NaN');
    expect(parsed.points[0].lr).toBe('Infinity');
    expect(JSON.parse(runToJson(B))).toEqual(JSON.parse(JSON.stringify(B)));
  });
});
