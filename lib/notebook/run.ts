// One run of a cell: the invalidation promise it sees, interruption, and following a generator cell until it ends.

/** Raised inside the runtime when a run is cut short; never shown as a cell error (the cell is 'stopped'). */
export class InterruptError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptError';
  }
}

const STOP = Symbol('stop');

export class CellRun {
  /** Given to the cell: resolves when the cell re-runs, is interrupted, or is disposed. */
  readonly invalidation: Promise<void>;
  /** Set by interrupt(); a run invalidated by a re-run is superseded instead, and the runtime drops its results. */
  interrupted = false;
  /** The run has reported done or error. */
  finished = false;
  /** A cell with top-level yield: it keeps running, publishing values, until its generator ends. */
  readonly yielding: boolean;
  private stopNow!: () => void;
  private readonly stopped: Promise<typeof STOP>;

  constructor(runtimeInvalidation: Promise<unknown>, yielding: boolean) {
    this.yielding = yielding;
    this.stopped = new Promise((resolve) => (this.stopNow = () => resolve(STOP)));
    this.invalidation = this.stopped.then(() => undefined);
    void runtimeInvalidation.then(() => this.stopNow());
  }

  interrupt(): void {
    this.interrupted = true;
    this.stopNow();
  }

  /**
   * `p`, or an InterruptError as soon as the run is invalidated: the runtime waits for a variable's last computation
   * before starting the next one, so a body stuck in a long await must not hold up its own re-run.
   */
  race<T>(p: T | Promise<T>): Promise<T> {
    return Promise.race([
      Promise.resolve(p),
      this.stopped.then((): never => {
        throw new InterruptError();
      }),
    ]);
  }

  /** Resolves to the next step of `it`, or to STOP first if the run is invalidated. */
  step<T>(it: AsyncIterator<T>, sent: unknown): Promise<IteratorResult<T> | typeof STOP> {
    return Promise.race([it.next(sent), this.stopped]);
  }
}

export const isStop = (x: unknown): x is typeof STOP => x === STOP;

export function generatorish(value: unknown): value is AsyncIterator<unknown> & { return: (v?: unknown) => unknown } {
  const v = value as { next?: unknown; return?: unknown } | null;
  return !!v && typeof v.next === 'function' && typeof v.return === 'function';
}

const shallowEqual = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => Object.is(a[k], b[k]));

/**
 * Wraps a generator cell for the runtime. Each value the cell yields is passed on; for a cell that declares names,
 * what is passed on is a snapshot of those names instead (so dependents see them change), plus one last snapshot
 * when the generator ends. `onDone` reports a natural end. On invalidation the cell's generator is returned; a cell
 * interrupted before its first yield fails with InterruptError so its dependents stop, while one that has published
 * values keeps them (a training loop's dependents keep the last metrics).
 */
export async function* follow(
  run: CellRun,
  inner: AsyncGenerator<unknown, unknown, unknown>,
  snapshot: (() => Record<string, unknown>) | null,
  onDone: () => void,
): AsyncGenerator<unknown, void, unknown> {
  let published = false;
  let ended = false;
  let last: Record<string, unknown> | null = null;
  let sent: unknown;
  try {
    for (;;) {
      const step = await run.step(inner, sent);
      if (isStop(step)) break;
      if (step.done) {
        ended = true;
        break;
      }
      sent = step.value;
      published = true;
      if (snapshot) yield (last = snapshot());
      else yield step.value;
    }
    if (!ended) {
      if (!published) throw new InterruptError();
      return;
    }
    if (snapshot) {
      const final = snapshot();
      if (!last || !shallowEqual(final, last)) yield final;
    }
    onDone();
  } finally {
    // The cell's own finally blocks run now; a return() queued behind a pending next() runs when that settles.
    if (!ended) void Promise.resolve(inner.return(undefined)).catch(() => undefined);
  }
}
