// Every cell-state transition, without a DOM or a runtime.
import { describe, expect, it } from 'vitest';
import { CellCompileError } from './errors';
import { initialCellState, toCellError, transitionCell, type CellEvent } from './cellState';
import type { CellRuntimeState } from './types';

const run = (...events: CellEvent[]): CellRuntimeState => events.reduce(transitionCell, initialCellState());

describe('transitionCell', () => {
  it('starts idle with no outputs', () => {
    expect(initialCellState()).toEqual({ status: 'idle', outputs: [] });
  });

  it('queue keeps the last outputs until the run starts', () => {
    const s = run({ type: 'start', at: 0 }, { type: 'output', output: 'old' }, { type: 'done', value: 1, at: 5 }, { type: 'queue' });
    expect(s.status).toBe('queued');
    expect(s.outputs).toEqual(['old']);
    expect(s.value).toBe(1);
  });

  it('start clears outputs, value and error and records the start time', () => {
    const before = run({ type: 'start', at: 0 }, { type: 'output', output: 'x' }, { type: 'error', error: new Error('no'), at: 2 });
    const s = transitionCell(before, { type: 'start', at: 100 });
    expect(s).toEqual({ status: 'running', startedAt: 100, outputs: [] });
  });

  it('output appends without changing status, also after done (a late display)', () => {
    const s = run({ type: 'start', at: 0 }, { type: 'output', output: 1 }, { type: 'output', output: 2 });
    expect(s).toMatchObject({ status: 'running', outputs: [1, 2] });
    const late = transitionCell(transitionCell(s, { type: 'done', value: 3, at: 1 }), { type: 'output', output: 4 });
    expect(late).toMatchObject({ status: 'done', outputs: [1, 2, 4] });
  });

  it('value updates the value and keeps the status (generator yields, views)', () => {
    const running = run({ type: 'start', at: 0 }, { type: 'value', value: 1 });
    expect(running).toMatchObject({ status: 'running', value: 1 });
    const done = run({ type: 'start', at: 0 }, { type: 'done', value: 1, at: 1 }, { type: 'value', value: 2 });
    expect(done).toMatchObject({ status: 'done', value: 2 });
  });

  it('done records the value and the elapsed time', () => {
    const s = run({ type: 'start', at: 1000 }, { type: 'done', value: 42, at: 1250 });
    expect(s).toMatchObject({ status: 'done', value: 42, durationMs: 250, startedAt: 1000 });
    expect(s.error).toBeUndefined();
  });

  it('error records message, stack and a compile position, and drops the value', () => {
    const s = run({ type: 'start', at: 0 }, { type: 'value', value: 1 }, { type: 'error', error: new CellCompileError('Unexpected token', 2, 5), at: 3 });
    expect(s.status).toBe('error');
    expect(s.value).toBeUndefined();
    expect(s.durationMs).toBe(3);
    expect(s.error).toMatchObject({ message: 'Unexpected token', line: 2, column: 5 });
    expect(s.error?.stack).toContain('CellCompileError');
  });

  it('error takes the failing line from the runtime when the error has none', () => {
    expect(run({ type: 'start', at: 0 }, { type: 'error', error: new Error('x'), at: 1, line: 4 }).error).toMatchObject({ message: 'x', line: 4 });
    const compile = new CellCompileError('bad', 2, 3);
    expect(run({ type: 'start', at: 0 }, { type: 'error', error: compile, at: 1, line: 9 }).error).toMatchObject({ line: 2, column: 3 });
  });

  it('a cell whose input failed is stopped, not error, and shows nothing stale', () => {
    const s = run(
      { type: 'start', at: 0 },
      { type: 'output', output: 'from old inputs' },
      { type: 'done', value: 1, at: 1 },
      { type: 'queue' },
      { type: 'stop', reason: 'input', message: 'input x failed: boom', at: 2 },
    );
    expect(s).toEqual({ status: 'stopped', outputs: [], error: { message: 'input x failed: boom' } });
  });

  it('an interrupted cell is stopped and keeps what it showed', () => {
    const s = run({ type: 'start', at: 10 }, { type: 'output', output: 'chart' }, { type: 'value', value: 7 }, { type: 'stop', reason: 'interrupted', message: 'interrupted', at: 30 });
    expect(s).toMatchObject({ status: 'stopped', outputs: ['chart'], value: 7, durationMs: 20, error: { message: 'interrupted' } });
  });

  it('edit marks a run cell stale and leaves a never-run cell idle', () => {
    expect(run({ type: 'edit' })).toEqual(initialCellState());
    for (const last of [{ type: 'done', value: 1, at: 1 }, { type: 'error', error: 'x', at: 1 }] as CellEvent[]) {
      const s = run({ type: 'start', at: 0 }, { type: 'output', output: 'o' }, last, { type: 'edit' });
      expect(s.status).toBe('stale');
      expect(s.outputs).toEqual(['o']);
    }
    expect(run({ type: 'start', at: 0 }, { type: 'edit' }).status).toBe('stale');
  });

  it('reset returns to idle from any state', () => {
    expect(run({ type: 'start', at: 0 }, { type: 'output', output: 1 }, { type: 'reset' })).toEqual(initialCellState());
  });

  it('does not mutate its input', () => {
    const s = run({ type: 'start', at: 0 });
    const frozen = Object.freeze({ ...s, outputs: Object.freeze([...s.outputs]) as unknown[] });
    expect(() => transitionCell(frozen, { type: 'output', output: 1 })).not.toThrow();
    expect(frozen.outputs).toEqual([]);
  });

  it('throws on an event it does not know (exhaustive switch)', () => {
    expect(() => transitionCell(initialCellState(), { type: 'nope' } as unknown as CellEvent)).toThrow(/unknown cell event/);
  });
});

describe('toCellError', () => {
  it('handles errors, error-like objects and anything else', () => {
    expect(toCellError(new TypeError('bad'))).toMatchObject({ message: 'bad' });
    expect(toCellError({ message: 'plain' })).toEqual({ message: 'plain' });
    expect(toCellError(42)).toEqual({ message: '42' });
    expect(toCellError(new Error(''))).toMatchObject({ message: 'Error' });
  });
});
