// The value inspector: primitives, nesting limits, typed arrays and cycles.
import { describe, expect, it } from 'vitest';
import { inspect, inspectTree } from './inspect';

describe('inspect', () => {
  it('prints primitives', () => {
    expect(inspect(3)).toBe('3');
    expect(inspect('hi')).toBe('hi');
    expect(inspect(undefined)).toBe('undefined');
    expect(inspect(10n)).toBe('10n');
  });
  it('prints nested values with quoted strings', () => {
    expect(inspect({ a: [1, 'x'], 'b-c': null })).toBe('{a: [1, "x"], "b-c": null}');
  });
  it('prints typed arrays with their type and length', () => {
    expect(inspect(new Float32Array([1, 2]))).toBe('Float32Array(2) [1, 2]');
  });
  it('truncates long arrays and survives cycles', () => {
    expect(inspect(Array.from({ length: 30 }, (_, i) => i))).toContain('… 10 more');
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(inspect(o)).toBe('{self: [circular]}');
  });

  it('summarises to a depth and expands to a tree', () => {
    const v = { config: { layers: 2, heads: [1, 2] }, params: 10 };
    expect(inspect(v, { depth: 1 })).toBe('{config: {…}, params: 10}');
    expect(inspectTree(v)).toBe('{\n  config: {\n    layers: 2,\n    heads: [\n      1,\n      2\n    ]\n  },\n  params: 10\n}');
  });
});

describe('inspect summaries', () => {
  it('prints empty containers as they are even when folded', () => {
    expect(inspect({ a: [], b: {} }, { depth: 1 })).toBe('{a: [], b: {}}');
  });
});
