// A notebook session: one engine connection plus one notebook runtime, with run/interrupt/restart (plain TS, deps injected).
import type { EngineConnection } from '@/lib/engine/client';
import type { BackendName, EngineStatus } from '@/lib/engine/types';
import type { CellData, CellRuntimeState } from '@/lib/notebook/types';
import type { EngineView } from '@/lib/store/engineStore';

/** The part of lib/notebook's NotebookRuntime a session drives. */
export interface RuntimeLike {
  setCells(cells: CellData[]): void;
  runCell(id: string): unknown;
  runAll(): unknown;
  interrupt(): unknown;
  restart(): unknown;
  dispose(): unknown;
}

export type RuntimeFactory = (opts: { builtins: Record<string, unknown>; onCellState(cellId: string, state: CellRuntimeState): void }) => RuntimeLike;

export interface SessionDeps {
  connect(opts: { backend?: BackendName }): Promise<EngineConnection>;
  createRuntime: RuntimeFactory;
  /** The builtins cells see, for one engine connection (which may still be starting, or fail). */
  builtins(engine: Promise<EngineConnection>): Record<string, unknown>;
  onCellState(cellId: string, state: CellRuntimeState): void;
  onEngine(patch: Partial<Omit<EngineView, 'set' | 'reset'>>): void;
  /** Called when a restart drops every cell's state. */
  onReset?(): void;
  /** The backend to ask for first (the engine falls back from it); `restart({ backend })` changes it. */
  backend?: BackendName;
}

export class NotebookSession {
  private conn: Promise<EngineConnection> | null = null;
  private runtime: RuntimeLike | null = null;
  private cells: CellData[] = [];
  /** Stops following the engine's run stream (state, memory and parameters for the header). */
  private unfollow: (() => void) | null = null;
  private disposed = false;
  // Bumped on restart, so late callbacks from the previous engine or runtime are ignored.
  private generation = 0;
  // Reports a crash of the current engine (set once it is connected); also used by simulateCrash.
  private reportCrash: ((message: string) => void) | null = null;
  private requested: BackendName | undefined;

  constructor(private readonly deps: SessionDeps) {
    this.requested = deps.backend;
  }

  /** The backend this session asks the engine for (undefined: the engine's own order). */
  get backend(): BackendName | undefined {
    return this.requested;
  }

  /** The current engine connection (it may still be starting, or fail); null after dispose. */
  connection(): Promise<EngineConnection> | null {
    return this.conn;
  }

  /** Starts the engine and the runtime; cells do not run until asked. */
  start(cells: CellData[]): void {
    this.cells = cells;
    this.boot();
  }

  private boot(): void {
    const gen = ++this.generation;
    const live = () => gen === this.generation && !this.disposed;
    this.reportCrash = null;
    this.deps.onEngine({ status: 'connecting', error: null, info: null, engineState: null, memory: null, params: null });
    const conn = this.deps.connect({ backend: this.requested });
    this.conn = conn;
    conn.then(
      (c) => {
        if (!live()) return c.terminate();
        this.deps.onEngine({ status: 'ready', info: c.info });
        let crashed = false;
        const report = (message: string) => {
          if (!live() || crashed) return;
          crashed = true;
          // The readings were of an engine that is gone; the header must not keep saying "training".
          this.deps.onEngine({ status: 'crashed', error: message, engineState: null, memory: null, params: null });
          this.stopFollowing();
          this.runtime?.interrupt();
        };
        this.reportCrash = report;
        c.onCrash(report);
        this.follow(c);
      },
      (e: unknown) => {
        if (live()) this.deps.onEngine({ status: 'error', error: e instanceof Error ? e.message : String(e) });
      },
    );
    // A failed connection must not surface as an unhandled rejection; cells that use it see the error themselves.
    conn.catch(() => undefined);
    this.runtime = this.deps.createRuntime({
      builtins: this.deps.builtins(conn),
      onCellState: (id, state) => {
        if (live()) this.deps.onCellState(id, state);
      },
    });
    this.runtime.setCells(this.cells);
  }

  /** The header's state, memory and parameter count come with every update of the run stream: no polling. */
  private follow(c: EngineConnection): void {
    this.stopFollowing();
    let last: EngineStatus | null = null;
    let shownAt = -Infinity;
    const show = (status: EngineStatus | null) => {
      if (!status || status === last) return;
      // State and parameter changes show at once; memory alone at most twice a second (updates come ~10/s).
      const now = Date.now();
      if (last && last.state === status.state && last.params === status.params && now - shownAt < 500) return;
      last = status;
      shownAt = now;
      this.deps.onEngine({ engineState: status.state, memory: { numTensors: status.numTensors, numBytes: status.numBytes }, params: status.params });
    };
    show(c.runs.getState().status);
    this.unfollow = c.runs.subscribe((s) => show(s.status));
  }

  private stopFollowing(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  /** Hands the runtime the cells as they are now: changed cells that have run will re-run. */
  setCells(cells: CellData[]): void {
    this.cells = cells;
    this.runtime?.setCells(cells);
  }

  /**
   * Hands the runtime a change of structure only (a cell removed, or turned into Markdown): cells it already has keep
   * the source it last saw, so an unrelated cell being edited does not re-run half-written.
   */
  syncStructure(cells: CellData[]): void {
    const known = new Map(this.cells.map((c) => [c.id, c.source]));
    this.setCells(cells.map((c) => (known.has(c.id) ? { ...c, source: known.get(c.id)! } : c)));
  }

  /** Runs one cell with its current source; other edited cells keep the source they last ran with (marimo's "stale"). */
  runCell(id: string, cells: CellData[]): void {
    const known = new Map(this.cells.map((c) => [c.id, c.source]));
    this.setCells(cells.map((c) => (c.id === id || !known.has(c.id) ? c : { ...c, source: known.get(c.id)! })));
    this.runtime?.runCell(id);
  }

  /** Runs every cell with its current source. */
  runAll(cells: CellData[]): void {
    this.setCells(cells);
    this.runtime?.runAll();
  }

  /** Stops running cells and the engine's current job (a training loop ends at its next step). */
  async interrupt(): Promise<void> {
    this.runtime?.interrupt();
    const c = await this.conn?.catch(() => null);
    await c?.api.stop().catch(() => undefined);
  }

  /**
   * A kernel restart: a fresh engine worker (all tensors freed) and a fresh runtime; cells keep their source.
   * `backend` changes the backend asked for, from this restart on (crash recovery moves down the backend order).
   */
  async restart(opts: { backend?: BackendName } = {}): Promise<void> {
    if ('backend' in opts) this.requested = opts.backend;
    this.stopFollowing();
    this.reportCrash = null;
    this.runtime?.dispose();
    this.runtime = null;
    const old = this.conn;
    this.conn = null;
    old?.then((c) => c.terminate(), () => undefined);
    this.deps.onReset?.();
    if (!this.disposed) this.boot();
  }

  /**
   * Debug hook (`?debug=1`): ends the worker and reports it as a crash. `terminate()` alone fires no error event, so
   * without the report the page would wait on a dead worker instead of offering recovery.
   */
  async simulateCrash(message = 'engine worker terminated (simulated crash)'): Promise<void> {
    const p = this.conn;
    const c = await p?.catch(() => null);
    if (!c || p !== this.conn) return;
    const report = this.reportCrash;
    c.terminate();
    report?.(message);
  }

  dispose(): void {
    this.disposed = true;
    this.stopFollowing();
    this.runtime?.dispose();
    this.runtime = null;
    this.conn?.then((c) => c.terminate(), () => undefined);
    this.conn = null;
  }
}
