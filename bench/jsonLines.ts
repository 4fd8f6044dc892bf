// The benches' child processes print their results as JSON lines on stdout: one runner collects them for all.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type JsonLine = Record<string, unknown>;

export interface ChildLines {
  /** Every JSON object the child printed on a line of its own, in order. */
  lines: JsonLine[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the child could not start, if it could not. */
  error?: string;
  /** Killed after `timeoutS`. */
  timedOut: boolean;
}

/**
 * Runs `command args` with stderr inherited; stdout lines that parse as JSON objects are collected (and passed to
 * `onLine` as they come), any other stdout line goes on to stderr, so progress and library banners stay visible.
 */
export function runJsonLines(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutS?: number; onLine?: (o: JsonLine) => void } = {}): Promise<ChildLines> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: opts.env ?? process.env });
    const lines: JsonLine[] = [];
    let timedOut = false;
    const timer = opts.timeoutS ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutS * 1000) : undefined;
    createInterface({ input: child.stdout }).on('line', (text) => {
      let o: unknown;
      try {
        o = text.startsWith('{') ? JSON.parse(text) : undefined;
      } catch {
        o = undefined;
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) return void process.stderr.write(`${text}\n`);
      lines.push(o as JsonLine);
      opts.onLine?.(o as JsonLine);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ lines, code: null, signal: null, error: e.message, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, code, signal, timedOut });
    });
  });
}
