// NotebookRuntime in Node: reactivity, generators, promises, errors vs stopped, invalidation, interrupt, duplicates, restart.
import { afterEach, describe, expect, it } from 'vitest';
import { NotebookRuntime } from './runtime';
import type { CellData, CellRuntimeState, CellStatus } from './types';

const live: NotebookRuntime[] = [];
afterEach(() => {
  for (const rt of live.splice(0)) rt.dispose();
});

function setup(builtins: Record<string, unknown> = {}, loopLimitMs?: number) {
  const states = new Map<string, CellRuntimeState>();
  const history: [string, CellStatus, unknown][] = [];
  let clock = 1000;
  const rt = new NotebookRuntime({
    builtins,
    onCellState: (id, s) => {
      states.set(id, s);
      history.push([id, s.status, s.value]);
    },
    now: () => (clock += 10),
    loopLimitMs,
  });
  live.push(rt);
  const status = (id: string) => states.get(id)?.status;
  const value = (id: string) => states.get(id)?.value;
  return { rt, states, history, status, value };
}

const cells = (...sources: string[]): CellData[] => sources.map((source, i) => ({ id: `c${i + 1}`, kind: 'code', source }));

async function until(pred: () => boolean, what = 'condition', ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('NotebookRuntime: running', () => {
  it('does not run cells until asked, then runs them in dependency order', async () => {
    const { rt, status, value, states } = setup();
    rt.setCells(cells('const b = a * 2', 'const a = 21', '# not code', 'b + 1'));
    await tick();
    expect(states.size).toBe(0);
    rt.runAll();
    await until(() => status('c4') === 'done', 'c4 done');
    expect(value('c1')).toBe(42);
    expect(value('c2')).toBe(21);
    expect(value('c4')).toBe(43);
    expect(states.get('c4')?.durationMs).toBeGreaterThan(0);
    expect(states.get('c4')?.startedAt).toBeGreaterThan(1000);
  });

  it('re-runs an edited cell and its dependents, not unrelated cells', async () => {
    const runs: string[] = [];
    const { rt, value, status } = setup({ runs });
    const src = ['runs.push("a"); const a = 1', 'runs.push("b"); const b = a + 1', 'runs.push("u"); const u = 0'];
    rt.setCells(cells(...src));
    rt.runAll();
    await until(() => value('c2') === 2);
    await until(() => status('c3') === 'done');
    runs.length = 0;
    rt.setCells(cells('runs.push("a"); const a = 10', src[1], src[2]));
    await until(() => value('c2') === 11, 'b re-run');
    expect(runs.sort()).toEqual(['a', 'b']);
    // Same sources again: nothing re-runs.
    rt.setCells(cells('runs.push("a"); const a = 10', src[1], src[2]));
    await tick();
    expect(runs.sort()).toEqual(['a', 'b']);
  });

  it('runCell runs the cells it needs, re-runs itself and its dependents', async () => {
    const runs: string[] = [];
    const { rt, value, status } = setup({ runs });
    rt.setCells(cells('runs.push("a"); const a = 1', 'runs.push("b"); const b = a + 1', 'runs.push("c"); b * 10', 'runs.push("x"); 0'));
    rt.runCell('c2');
    await until(() => value('c2') === 2);
    await tick();
    expect(runs.sort()).toEqual(['a', 'b']);
    expect(status('c3')).toBeUndefined();
    rt.runCell('c3');
    await until(() => value('c3') === 20);
    runs.length = 0;
    rt.runCell('c1');
    await until(() => runs.includes('c'));
    expect(runs.sort()).toEqual(['a', 'b', 'c']);
    expect(status('c4')).toBeUndefined();
  });

  it('shows the last expression, a single declaration, or an object of declarations', async () => {
    const { rt, value, status } = setup();
    rt.setCells(cells('1 + 2', 'const only = "x"', 'const p = 1, q = 2', 'let nothing; for (;;) break'));
    rt.runAll();
    await until(() => status('c4') === 'done');
    expect(value('c1')).toBe(3);
    expect(value('c2')).toBe('x');
    expect(value('c3')).toEqual({ p: 1, q: 2 });
    expect(value('c4')).toBeUndefined();
  });

  it('passes builtins through as values (functions are not called) and lets display() append outputs', async () => {
    const api = { double: (x: number) => 2 * x };
    const { rt, states, status } = setup({ api, makeThing: () => 'called' });
    rt.setCells(cells('display("first"); display(api.double(2)); typeof makeThing'));
    rt.runAll();
    await until(() => status('c1') === 'done');
    expect(states.get('c1')).toMatchObject({ outputs: ['first', 4], value: 'function' });
  });

  it('a cell or builtin that defines a global name shadows it for other cells', async () => {
    const { rt, value } = setup({ fetch: () => 'fake fetch' });
    rt.setCells(cells('const Map = "mine"', 'Map + "!"', 'fetch()'));
    rt.runAll();
    await until(() => value('c2') === 'mine!' && value('c3') === 'fake fetch');
  });

  it('renaming a declaration moves it: old users fail, new users run, no stray events', async () => {
    const { rt, status, value, history } = setup();
    rt.setCells(cells('const x = 1', 'x + 1', '0'));
    rt.runAll();
    await until(() => value('c2') === 2 && status('c3') === 'done');
    history.length = 0;
    rt.setCells(cells('const y = 5', 'x + 1', 'y + 1'));
    await until(() => status('c2') === 'error' && value('c3') === 6);
    expect(history.filter(([id]) => id === 'c1').map(([, s]) => s)).toEqual(['queued', 'running', 'done']);
  });

  it('an edit while a cell runs supersedes the old run: its late display() calls are dropped', async () => {
    const { rt, states, status } = setup();
    rt.setCells(cells('await new Promise((r) => setTimeout(r, 30)); display("late"); "old"'));
    rt.runAll();
    await until(() => status('c1') === 'running');
    rt.setCells(cells('display("new"); "new"'));
    await until(() => status('c1') === 'done');
    await tick(50);
    expect(states.get('c1')).toMatchObject({ status: 'done', value: 'new', outputs: ['new'] });
  });
});

describe('NotebookRuntime: promises and generators', () => {
  it('awaits promise values and declared promises before dependents run', async () => {
    const { rt, value, status } = setup();
    rt.setCells(cells('const p = new Promise((r) => setTimeout(() => r(7), 20))', 'p * 2', 'Promise.resolve("v")'));
    rt.runAll();
    await until(() => status('c2') === 'done');
    expect(value('c1')).toBe(7);
    expect(value('c2')).toBe(14);
    expect(value('c3')).toBe('v');
  });

  it('a cell with yield runs until its generator ends, each value re-running dependents', async () => {
    const seen: unknown[] = [];
    const { rt, value, status, history } = setup({ seen });
    rt.setCells(cells('let step = 0\nfor (let i = 1; i <= 3; i++) { step = i; yield; await new Promise((r) => setTimeout(r, 5)) }', 'seen.push(step); step * 10'));
    rt.runAll();
    await until(() => status('c1') === 'done', 'generator done');
    await until(() => value('c2') === 30, 'dependent saw last value');
    expect(seen).toEqual([1, 2, 3]);
    expect(value('c1')).toBe(3);
    // Running while it yielded; done only at the end.
    const c1 = history.filter(([id]) => id === 'c1').map(([, s]) => s);
    expect(c1.indexOf('done')).toBe(c1.length - 1);
    expect(c1.filter((s) => s === 'running').length).toBeGreaterThanOrEqual(3);
  });

  it('an anonymous generator cell takes each yielded value', async () => {
    const { rt, history, status } = setup();
    rt.setCells(cells('yield "a"; await new Promise((r) => setTimeout(r, 5)); yield "b"'));
    rt.runAll();
    await until(() => status('c1') === 'done');
    const running = history.filter(([id, s]) => id === 'c1' && s === 'running').map(([, , v]) => v);
    expect(running).toEqual([undefined, 'a', 'b']);
    expect(history.at(-1)).toEqual(['c1', 'done', 'b']);
  });

  it('a generator value (not a yield cell) is done at its first value and keeps updating', async () => {
    const { rt, value, status } = setup();
    rt.setCells(cells('const ticks = Generators.observe((change) => { let i = 0; change(i); const t = setInterval(() => change(++i), 3); return () => clearInterval(t) })', 'ticks'));
    rt.runAll();
    await until(() => status('c1') === 'done');
    await until(() => (value('c2') as number) >= 3, 'ticks advance');
    expect(status('c1')).toBe('done');
  });
});

describe('NotebookRuntime: errors', () => {
  it('an error stops its dependents while unrelated cells keep working', async () => {
    const { rt, states, status, value } = setup();
    rt.setCells(cells('const a = 1; throw new Error("boom")', 'const b = a + 1', 'b * 2', 'const free = 5', 'free + 1'));
    rt.runAll();
    await until(() => status('c3') === 'stopped' && status('c5') === 'done');
    expect(states.get('c1')).toMatchObject({ status: 'error', error: { message: 'boom', line: 1 } });
    expect(states.get('c2')).toMatchObject({ status: 'stopped', error: { message: 'input a failed: boom' } });
    expect(states.get('c3')?.error?.message).toMatch(/input b failed: boom/);
    expect(value('c5')).toBe(6);
    // Fixing the cell brings its dependents back.
    rt.setCells(cells('const a = 1', 'const b = a + 1', 'b * 2', 'const free = 5', 'free + 1'));
    await until(() => value('c3') === 4, 'recovered');
  });

  it('a name no cell defines is the cell\'s own error', async () => {
    const { rt, states, status } = setup();
    rt.setCells(cells('nowhere + 1'));
    rt.runAll();
    await until(() => status('c1') === 'error');
    expect(states.get('c1')?.error?.message).toMatch(/nowhere is not defined/);
  });

  it('a syntax error is reported with its position and stops the cells using its names', async () => {
    const { rt, states, status, value } = setup();
    rt.setCells(cells('const a = 1', 'a + 1'));
    rt.runAll();
    await until(() => value('c2') === 2);
    rt.setCells(cells('const a = (1 +', 'a + 1'));
    await until(() => status('c2') === 'stopped');
    expect(states.get('c1')).toMatchObject({ status: 'error', error: { line: 1, column: 15 } });
  });

  it('a cell stuck in a synchronous loop is stopped with a clear error at its line; the others keep working', async () => {
    const { rt, states, status, value } = setup({}, 200);
    const t0 = Date.now();
    rt.setCells(cells('const k = 2', 'let spins = 0\nwhile (true) {\n  spins += k\n}', 'k * 21'));
    rt.runAll();
    await until(() => status('c2') === 'error', 'the loop stopped', 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(states.get('c2')?.error).toMatchObject({ message: 'cell ran for 0.2 s without yielding (infinite loop?): stopped', line: 2 });
    expect(value('c3')).toBe(42);
    // Fixed by an edit, it runs again; a loop that yields is left alone however long it runs.
    rt.setCells(cells('const k = 2', 'let spins = 0\nwhile (spins < 5) {\n  await new Promise((r) => setTimeout(r, 60))\n  spins += k\n}', 'k * 21'));
    await until(() => status('c2') === 'done', 'the fixed cell', 5000);
    expect(value('c2')).toBe(6);
  });

  it('duplicate definitions are an error on every defining cell; removing one resolves it', async () => {
    const { rt, states, status, value } = setup();
    rt.setCells(cells('const x = 1', 'const x = 2', 'x * 10'));
    rt.runAll();
    await until(() => status('c1') === 'error' && status('c2') === 'error' && status('c3') === 'stopped');
    expect(states.get('c1')?.error?.message).toBe('x is defined more than once (cells c1, c2)');
    rt.setCells([{ id: 'c2', kind: 'code', source: 'const x = 2' }, { id: 'c3', kind: 'code', source: 'x * 10' }]);
    await until(() => value('c3') === 20, 'resolved');
    expect(status('c2')).toBe('done');
  });
});

describe('NotebookRuntime: invalidation, interrupt, restart', () => {
  it('invalidation resolves when a cell re-runs, and when it is removed', async () => {
    const events: string[] = [];
    const { rt, status } = setup({ events });
    rt.setCells(cells('const k = 1', 'k; const id = Math.random(); invalidation.then(() => events.push("invalidated"))'));
    rt.runAll();
    await until(() => status('c2') === 'done');
    rt.runCell('c2');
    await until(() => events.length === 1, 'invalidated on re-run');
    rt.setCells(cells('const k = 2', 'k; const id = Math.random(); invalidation.then(() => events.push("invalidated"))'));
    await until(() => events.length === 2, 'invalidated on input change');
    rt.setCells(cells('const k = 2'));
    await until(() => events.length === 3, 'invalidated on removal');
  });

  it('interrupt stops a running loop that checks its invalidation, and cells waiting on it', async () => {
    const flags = { exited: false, iterations: 0 };
    const { rt, states, status } = setup({ flags });
    rt.setCells(
      cells(
        'let stop = false\ninvalidation.then(() => (stop = true))\nwhile (!stop) { flags.iterations++; await new Promise((r) => setTimeout(r, 1)) }\nflags.exited = true\nconst result = 1',
        'result + 1',
        'const other = 3',
      ),
    );
    rt.runAll();
    await until(() => flags.iterations > 3 && status('c1') === 'running' && status('c3') === 'done');
    rt.interrupt();
    expect(states.get('c1')).toMatchObject({ status: 'stopped', error: { message: 'interrupted' } });
    await until(() => flags.exited, 'loop exits');
    await until(() => status('c2') === 'stopped', 'dependent stopped');
    expect(states.get('c2')?.error?.message).toMatch(/input result failed: interrupted/);
    expect(status('c3')).toBe('done');
    // The loop is over and the runtime does not report it done afterwards.
    await tick();
    expect(status('c1')).toBe('stopped');
    // It can run again.
    flags.exited = false;
    rt.runCell('c1');
    await until(() => status('c1') === 'running');
    rt.interrupt();
    await until(() => flags.exited);
  });

  it('an interrupted generator keeps the values it published; its dependents keep theirs', async () => {
    const { rt, status, value } = setup();
    rt.setCells(cells('let step = 0\nwhile (true) { step++; yield; await new Promise((r) => setTimeout(r, 2)) }', 'step * 10'));
    rt.runAll();
    await until(() => (value('c2') as number) >= 30);
    rt.interrupt();
    expect(status('c1')).toBe('stopped');
    const frozen = value('c1') as number;
    await tick(30);
    expect(value('c1')).toBe(frozen);
    expect(status('c2')).toBe('done');
    expect(value('c2')).toBe(frozen * 10);
  });

  it('restart disposes everything (invalidations fire), resets states, and starts fresh', async () => {
    const events: string[] = [];
    const counter = { n: 0 };
    const { rt, status, value, states } = setup({ events, counter });
    rt.setCells(cells('invalidation.then(() => events.push("disposed")); const n = ++counter.n', 'n'));
    rt.runAll();
    await until(() => value('c2') === 1);
    rt.restart();
    expect(states.get('c1')).toEqual({ status: 'idle', outputs: [] });
    expect(states.get('c2')).toEqual({ status: 'idle', outputs: [] });
    await until(() => events.length === 1, 'disposed');
    await tick();
    expect(status('c1')).toBe('idle');
    rt.runAll();
    await until(() => value('c2') === 2);
  });

  it('dispose stops all callbacks and further calls do nothing', async () => {
    const { rt, history } = setup();
    rt.setCells(cells('await new Promise((r) => setTimeout(r, 10)); 1'));
    rt.runAll();
    await until(() => history.length > 0);
    rt.dispose();
    const n = history.length;
    rt.runAll();
    rt.setCells(cells('2'));
    await tick(30);
    expect(history.length).toBe(n);
  });
});
