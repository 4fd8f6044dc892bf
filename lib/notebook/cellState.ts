// Cell status transitions: the one pure function every runtime-state change goes through (marimo's transitionCell).
import type { CellRuntimeState } from './types';

export type CellError = NonNullable<CellRuntimeState['error']>;

export type CellEvent =
  /** Scheduled: waiting for its inputs. Old outputs stay visible until the run starts. */
  | { type: 'queue' }
  /** Its code starts running; outputs, value and error of the last run are cleared. */
  | { type: 'start'; at: number }
  /** display(value) appended an output. */
  | { type: 'output'; output: unknown }
  /** A new value without a change of status: a yield of a running cell, or a view/generator value of a finished one. */
  | { type: 'value'; value: unknown }
  | { type: 'done'; value: unknown; at: number }
  /** The cell's own code failed (a thrown error, a syntax error, a duplicate definition); `line` where it failed. */
  | { type: 'error'; error: unknown; at: number; line?: number }
  /**
   * The cell did not finish for a reason outside its code: an input failed (so it never ran), or it was interrupted.
   * That is 'stopped', not 'error', so the UI can point at the real failure upstream.
   */
  | { type: 'stop'; reason: 'input' | 'interrupted'; message: string; at: number }
  /** The source changed and has not run yet. */
  | { type: 'edit' }
  /** Back to never-run (a restart or a removed definition). */
  | { type: 'reset' };

export function initialCellState(): CellRuntimeState {
  return { status: 'idle', outputs: [] };
}

/** Anything thrown, as the plain record the UI shows; a position is kept when the error has one (compile errors). */
export function toCellError(err: unknown): CellError {
  if (err instanceof Error) {
    const e = err as Error & { line?: unknown; column?: unknown };
    const out: CellError = { message: err.message || err.name };
    if (err.stack) out.stack = err.stack;
    if (typeof e.line === 'number') out.line = e.line;
    if (typeof e.column === 'number') out.column = e.column;
    return out;
  }
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    return { message: (err as { message: string }).message };
  }
  return { message: String(err) };
}

const elapsed = (state: CellRuntimeState, at: number) => (state.startedAt === undefined ? undefined : Math.max(0, at - state.startedAt));

export function transitionCell(state: CellRuntimeState, event: CellEvent): CellRuntimeState {
  switch (event.type) {
    case 'queue':
      return { ...state, status: 'queued' };
    case 'start':
      return { status: 'running', startedAt: event.at, outputs: [] };
    case 'output':
      return { ...state, outputs: [...state.outputs, event.output] };
    case 'value':
      return { ...state, value: event.value };
    case 'done':
      return { ...state, status: 'done', value: event.value, error: undefined, durationMs: elapsed(state, event.at) };
    case 'error': {
      const error = toCellError(event.error);
      if (event.line !== undefined && error.line === undefined) error.line = event.line;
      return { ...state, status: 'error', value: undefined, error, durationMs: elapsed(state, event.at) };
    }
    case 'stop':
      // An interrupted cell keeps what it showed so far (a training loop's last chart); a cell whose input failed never
      // ran with the current inputs, so its old outputs would be misleading.
      return event.reason === 'interrupted'
        ? { ...state, status: 'stopped', error: { message: event.message }, durationMs: elapsed(state, event.at) }
        : { status: 'stopped', outputs: [], error: { message: event.message } };
    case 'edit':
      // A never-run cell has nothing out of date to flag.
      return state.status === 'idle' ? state : { ...state, status: 'stale' };
    case 'reset':
      return initialCellState();
    default: {
      const unknown: never = event;
      throw new Error(`unknown cell event ${JSON.stringify(unknown)}`);
    }
  }
}
