// Notebook data (what is saved) kept apart from runtime state (what a run produces).

export type CellKind = 'code' | 'markdown';

/** A cell's saved data: only its source and kind. */
export interface CellData {
  /** Stable within a session; not written to the .md file (regenerated on parse). */
  id: string;
  kind: CellKind;
  source: string;
}

export interface FrontMatter {
  title: string;
  description?: string;
  tags?: string[];
  /** Default values cells can read (e.g. preset, steps). */
  defaults?: Record<string, unknown>;
  /** Unknown keys, kept verbatim for round trips. */
  [key: string]: unknown;
}

export interface Notebook {
  frontMatter: FrontMatter;
  cells: CellData[];
}

export type CellStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'stopped' | 'stale';

/** A cell's runtime state: never saved to the file. */
export interface CellRuntimeState {
  status: CellStatus;
  /** When the current run started (ms since epoch), for the elapsed-time display. */
  startedAt?: number;
  /** Duration of the last finished run in ms. */
  durationMs?: number;
  error?: { message: string; stack?: string; line?: number; column?: number };
  /** Rendered outputs (DOM nodes in the browser; plain values in Node). */
  outputs: unknown[];
  /** The cell's value (the last expression or the value of its single declaration). */
  value?: unknown;
}
