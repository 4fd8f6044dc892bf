// NotebookRuntime: code cells as variables of an @observablehq/runtime module, their status reported via transitionCell.
import { Runtime, RuntimeError, type Module, type Observer, type Variable } from '@observablehq/runtime';
import { initialCellState, transitionCell, type CellEvent } from './cellState';
import { RESERVED, cellFunction, compileCell, duplicateDeclarations, errorLine, type CellFunction, type CompiledCell } from './compile';
import { CellCompileError } from './errors';
import { Generators, input, type InputLike } from './generators';
import { createLoopGuard, type LoopGuard } from './loopGuard';
import { CellRun, InterruptError, follow, generatorish } from './run';
import type { CellData, CellRuntimeState } from './types';

export interface NotebookRuntimeOptions {
  /** Values every cell can use by name (the lab API, Plot, Inputs, front-matter defaults...). `Generators` is added. */
  builtins: Record<string, unknown>;
  onCellState: (cellId: string, state: CellRuntimeState) => void;
  /** Clock for startedAt/durationMs (ms since epoch); tests pass a fake. */
  now?: () => number;
  /** A loop in cell code that holds the thread this long without yielding throws (default 5000 ms; lib/notebook/loopGuard). */
  loopLimitMs?: number;
}

/** A code cell as the runtime knows it. */
interface Entry {
  id: string;
  source: string;
  compiled: CompiledCell | null;
  compileError: CellCompileError | null;
  /** Names it defines: its declarations, or its last good ones while it does not compile (dependents then stop). */
  names: string[];
  /** Run at least once since the last restart; only active cells are defined in the Observable runtime. */
  active: boolean;
  /** What the current definition was built from; a change means the cell must re-run. */
  key: string | null;
  cellVar: Variable | null;
  nameVars: Map<string, Variable>;
  /** Latest value of each declared name (a view's value arrives after the cell is done). */
  values: Map<string, unknown>;
  state: CellRuntimeState;
  run: CellRun | null;
  /** Removed, or its runtime was disposed: late callbacks are ignored. */
  dead: boolean;
}

type Special = (typeof RESERVED)[number];

const cellVariableName = (id: string) => `cell ${id}`; // a space: no cell can refer to it

export class NotebookRuntime {
  private readonly builtins: Record<string, unknown>;
  private readonly onCellState: NotebookRuntimeOptions['onCellState'];
  private readonly now: () => number;
  private readonly loopGuard: LoopGuard;
  private runtime!: Runtime;
  private module!: Module;
  private entries = new Map<string, Entry>();
  private disposed = false;

  constructor(opts: NotebookRuntimeOptions) {
    this.builtins = { Generators, ...opts.builtins };
    this.onCellState = opts.onCellState;
    this.now = opts.now ?? Date.now;
    this.loopGuard = createLoopGuard({ limitMs: opts.loopLimitMs });
    this.boot();
  }

  /**
   * Takes the notebook's cells (Markdown cells are ignored). Cells that have run and whose source changed re-run, and
   * their dependents re-run; new cells wait for runCell/runAll; removed cells are disposed (their invalidation fires).
   */
  setCells(cells: CellData[]): void {
    if (this.disposed) return;
    const next = new Map<string, Entry>();
    for (const cell of cells) {
      if (cell.kind !== 'code' || next.has(cell.id)) continue;
      const entry = this.entries.get(cell.id) ?? this.newEntry(cell.id);
      if ((!entry.compiled && !entry.compileError) || entry.source !== cell.source) this.compile(entry, cell.source);
      next.set(cell.id, entry);
    }
    for (const [id, entry] of this.entries) if (!next.has(id)) this.remove(entry);
    this.entries = next;
    this.reconcile(new Set());
  }

  /** Runs one cell, with any not-yet-run cells it needs; cells that depend on it re-run. */
  runCell(id: string): void {
    const entry = this.entries.get(id);
    if (this.disposed || !entry) return;
    for (const e of this.upstream(entry)) e.active = true;
    entry.active = true;
    this.reconcile(new Set([id]));
  }

  runAll(): void {
    if (this.disposed) return;
    for (const e of this.entries.values()) e.active = true;
    this.reconcile(new Set(this.entries.keys()));
  }

  /** Stops running cells: their invalidation resolves and they become 'stopped'; cells waiting on them stop too. */
  interrupt(): void {
    for (const e of this.entries.values()) {
      const run = e.run;
      if (!run || run.finished || run.interrupted) continue;
      run.interrupt();
      this.dispatch(e, { type: 'stop', reason: 'interrupted', message: 'interrupted', at: this.now() });
    }
  }

  /** Disposes every cell (invalidations fire) and starts a fresh runtime; all cells go back to idle until run. */
  restart(): void {
    if (this.disposed) return;
    const cells = [...this.entries.values()].map((e): CellData => ({ id: e.id, kind: 'code', source: e.source }));
    this.teardown();
    for (const c of cells) this.onCellState(c.id, initialCellState());
    this.boot();
    this.setCells(cells);
  }

  dispose(): void {
    if (this.disposed) return;
    this.teardown();
    this.loopGuard.dispose();
    this.disposed = true;
  }

  /** The latest state of a cell (what onCellState last reported), or undefined for an unknown or Markdown cell. */
  getState(id: string): CellRuntimeState | undefined {
    return this.entries.get(id)?.state;
  }

  private boot(): void {
    // The runtime calls a function builtin to get its value; wrapping keeps functions (Plot.plot, lab.train) as values.
    const defs = Object.fromEntries(Object.entries(this.builtins).map(([k, v]) => [k, () => v]));
    this.runtime = new Runtime(defs);
    this.module = this.runtime.module();
    this.entries = new Map();
  }

  private teardown(): void {
    for (const e of this.entries.values()) e.dead = true;
    this.runtime.dispose();
  }

  private newEntry(id: string): Entry {
    return {
      id,
      source: '',
      compiled: null,
      compileError: null,
      names: [],
      active: false,
      key: null,
      cellVar: null,
      nameVars: new Map(),
      values: new Map(),
      state: initialCellState(),
      run: null,
      dead: false,
    };
  }

  private compile(e: Entry, source: string): void {
    e.source = source;
    try {
      e.compiled = compileCell(source);
      e.compileError = null;
      e.names = e.compiled.declarations;
    } catch (err) {
      if (!(err instanceof CellCompileError)) throw err;
      e.compiled = null;
      e.compileError = err;
    }
  }

  private remove(e: Entry): void {
    e.dead = true;
    for (const v of e.nameVars.values()) v.delete();
    e.cellVar?.delete();
  }

  /** Cells that `entry` needs, transitively: the cells defining the names it uses. */
  private upstream(entry: Entry): Entry[] {
    const byName = new Map<string, Entry[]>();
    for (const e of this.entries.values()) for (const n of e.names) byName.set(n, [...(byName.get(n) ?? []), e]);
    const seen = new Set<Entry>([entry]);
    const queue = [entry];
    while (queue.length) {
      const e = queue.pop()!;
      for (const name of [...(e.compiled?.inputs ?? []), ...(e.compiled?.globals ?? [])]) {
        for (const dep of byName.get(name) ?? []) {
          if (seen.has(dep)) continue;
          seen.add(dep);
          queue.push(dep);
        }
      }
    }
    seen.delete(entry);
    return [...seen];
  }

  /** (Re)defines every active cell whose definition is out of date, plus those in `force`. */
  private reconcile(force: Set<string>): void {
    const active = [...this.entries.values()].filter((e) => e.active);
    const dups = duplicateDeclarations(active.map((e) => ({ id: e.id, declarations: e.names })));
    const declared = new Set(active.flatMap((e) => e.names));
    for (const e of active) {
      const clash = e.names.filter((n) => dups.has(n));
      const duplicate = clash.length
        ? `${clash.join(', ')} ${clash.length > 1 ? 'are' : 'is'} defined more than once (cells ${[...new Set(clash.flatMap((n) => dups.get(n)!))].join(', ')})`
        : null;
      const c = e.compiled;
      // Globals are used directly unless a cell or a builtin defines the name, in which case that wins.
      const inputs = c
        ? [...c.inputs.filter((n) => !(RESERVED as readonly string[]).includes(n)), ...c.globals.filter((n) => declared.has(n) || Object.hasOwn(this.builtins, n))]
        : [];
      const key = JSON.stringify([e.source, inputs, duplicate]);
      if (key !== e.key || force.has(e.id)) this.define(e, inputs, duplicate, key);
    }
  }

  private define(e: Entry, inputs: string[], duplicate: string | null, key: string): void {
    const name = cellVariableName(e.id);
    const specials = (e.compiled?.inputs ?? []).filter((n): n is Special => (RESERVED as readonly string[]).includes(n));
    let fn: CellFunction | null = null;
    let failure: unknown = duplicate ? new RuntimeError(duplicate) : null;
    if (e.compiled && !duplicate) {
      try {
        fn = cellFunction(e.compiled, [...specials, ...inputs], name, this.loopGuard.check);
      } catch (err) {
        // The parser accepted it but the engine did not (it should not happen): the cell shows it, setCells goes on.
        failure = err;
      }
    }
    e.cellVar ??= this.module.variable(this.cellObserver(e));
    e.cellVar.define(name, ['invalidation', ...inputs], (invalidation: Promise<unknown>, ...values: unknown[]) =>
      this.execute(e, fn, specials, values, invalidation, failure),
    );
    for (const [n, v] of e.nameVars) {
      if (e.names.includes(n)) continue;
      v.delete();
      e.nameVars.delete(n);
      e.values.delete(n);
    }
    for (const n of e.names) {
      if (e.nameVars.has(n)) continue;
      const v = this.module.variable(this.nameObserver(e, n, () => e.nameVars.get(n) === v));
      v.define(n, [name], (exports: Record<string, unknown>) => exports[n]);
      e.nameVars.set(n, v);
    }
    e.key = key;
  }

  /** The definition body: one run of the cell, once the runtime has resolved its inputs. */
  private execute(e: Entry, fn: CellFunction | null, specials: Special[], values: unknown[], invalidation: Promise<unknown>, failure: unknown): unknown {
    const c = e.compiled;
    const run = new CellRun(invalidation, !!c?.generator);
    e.run = run;
    e.values.clear();
    this.dispatch(e, { type: 'start', at: this.now() });
    if (e.compileError) throw e.compileError;
    if (failure) throw failure;
    if (!c || !fn) throw new Error('cell has no definition');
    const display = (value: unknown) => {
      if (e.run === run && !e.dead) this.dispatch(e, { type: 'output', output: value });
      return value;
    };
    const provided: Record<Special, unknown> = {
      display,
      view: (el: InputLike) => (display(el), input(el)),
      invalidation: run.invalidation,
    };
    const ctx: { snapshot?: () => Record<string, unknown> } = {};
    const result = fn(ctx, ...specials.map((s) => provided[s]), ...values);
    if (c.generator) {
      const snapshot = c.declarations.length ? () => ctx.snapshot!() : null;
      return follow(run, result as AsyncGenerator<unknown, unknown, unknown>, snapshot, () => {
        if (e.run !== run || run.interrupted || e.dead) return;
        run.finished = true;
        this.dispatch(e, { type: 'done', value: e.state.value, at: this.now() });
      });
    }
    return run.race(result as Promise<unknown>).then(async (value) => {
      if (!c.declarations.length) return value;
      // Like Observable, a declared promise is awaited: dependents see its value, and the run ends when it settles.
      const exports = value as Record<string, unknown>;
      await run.race(
        Promise.all(
          c.declarations.map(async (n) => {
            const v = exports[n] as { then?: unknown } | null | undefined;
            if (v && typeof v.then === 'function') exports[n] = await v;
          }),
        ),
      );
      return exports;
    });
  }

  private cellObserver(e: Entry): Observer {
    return {
      pending: () => {
        if (e.dead) return;
        e.run = null;
        this.dispatch(e, { type: 'queue' });
      },
      fulfilled: (value: unknown) => {
        const run = e.run;
        if (e.dead || run?.interrupted) return;
        const shown = this.shown(e, value);
        if (run && !run.finished && !run.yielding) {
          run.finished = true;
          this.dispatch(e, { type: 'done', value: shown, at: this.now() });
        } else {
          // A yield of a running generator cell, or a later value of a generator value (a view, Generators.observe).
          this.dispatch(e, { type: 'value', value: shown });
        }
      },
      rejected: (error: unknown) => {
        if (e.dead) return;
        const run = e.run;
        const at = this.now();
        if (error instanceof InterruptError) {
          if (e.state.status !== 'stopped') this.dispatch(e, { type: 'stop', reason: 'interrupted', message: 'interrupted', at });
          return;
        }
        if (run) run.finished = true;
        const input = !run && error instanceof RuntimeError ? error.input : undefined;
        // Never started and an input failed: stopped, pointing upstream. An unknown name is this cell's own error.
        if (input && this.isDefined(input)) {
          this.dispatch(e, { type: 'stop', reason: 'input', message: `input ${input} failed: ${(error as Error).message}`, at });
        } else {
          const line = run && e.compiled ? errorLine(error, e.compiled, cellVariableName(e.id)) : null;
          this.dispatch(e, { type: 'error', error, at, ...(line ? { line } : {}) });
        }
      },
    };
  }

  /** `current` is false once the cell stops declaring the name (a deleted variable still reports once). */
  private nameObserver(e: Entry, name: string, current: () => boolean): Observer {
    return {
      fulfilled: (value: unknown) => {
        if (e.dead || !current()) return;
        const changed = !e.values.has(name) || !Object.is(e.values.get(name), value);
        e.values.set(name, value);
        if (changed && e.state.status !== 'queued' && e.state.status !== 'error') this.dispatch(e, { type: 'value', value: this.shown(e) });
      },
      rejected: (error: unknown) => {
        if (e.dead || !current() || error instanceof InterruptError) return;
        // The cell itself failed: its own observer has reported that.
        if (error instanceof RuntimeError && error.input === cellVariableName(e.id)) return;
        if (e.state.status === 'done' || e.state.status === 'running') this.dispatch(e, { type: 'error', error, at: this.now() });
      },
    };
  }

  /** The value a cell shows: its last expression; or its single declared name's value; or an object of its names. */
  private shown(e: Entry, cellValue?: unknown): unknown {
    const names = e.compiled?.declarations ?? [];
    if (!names.length) return cellValue;
    if (cellValue && typeof cellValue === 'object') {
      const exports = cellValue as Record<string, unknown>;
      // A generator (a view) is not a value to show: its first value arrives through the name's own variable.
      for (const n of names) if (!generatorish(exports[n])) e.values.set(n, exports[n]);
    }
    return names.length === 1 ? e.values.get(names[0]) : Object.fromEntries(names.map((n) => [n, e.values.get(n)]));
  }

  private isDefined(name: string): boolean {
    if (Object.hasOwn(this.builtins, name)) return true;
    for (const e of this.entries.values()) if (e.active && e.names.includes(name)) return true;
    return false;
  }

  private dispatch(e: Entry, event: CellEvent): void {
    if (e.dead) return;
    e.state = transitionCell(e.state, event);
    this.onCellState(e.id, e.state);
  }
}
