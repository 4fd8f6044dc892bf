// Runs hostile cases through the real CLI, one child process each (two at a time), and measures them: exit
// code, stderr, work time after main() began (cli/usage.ts) and peak RSS (GNU time when present, else the hook).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Usage } from '../usage';
import type { HostileCase } from './types';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GNU_TIME = '/usr/bin/time';
// The case folder is elsewhere, so tsx is named by path rather than resolved from the working directory.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CaseResult {
  name: string;
  code: number | null;
  stderr: string;
  /** From the CLI's own report; null when the process died before writing it. */
  usage: Usage | null;
  /** Peak RSS in MB (GNU time's measure when available, which also covers a process that crashed). */
  peakMb: number | null;
  /** Wall seconds of the whole process, startup included. */
  totalSec: number;
}

export async function runCase(c: HostileCase, timeoutMs = 30_000): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenformer-hostile-'));
  try {
    for (const [name, content] of Object.entries(c.files)) writeFileSync(join(dir, name), content);
    const usageFile = join(dir, '.usage.json');
    const timeFile = join(dir, '.time.txt');
    const node = [process.execPath, '--import', TSX, join(ROOT, 'cli/main.ts'), ...c.argv];
    const useTime = existsSync(GNU_TIME);
    const [cmd, ...args] = useTime ? [GNU_TIME, '-f', '%M', '-o', timeFile, ...node] : node;
    const started = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(cmd, args, {
        cwd: dir,
        env: { ...process.env, TOKENFORMER_USAGE_FILE: usageFile, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
        stdio: ['ignore', 'ignore', 'pipe'],
        // Its own process group, so a timeout kills the CLI itself and not only the GNU time wrapper.
        detached: true,
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        if (err.length < 64 << 10) err += d.toString();
      });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.on('close', (exit) => {
        clearTimeout(timer);
        done({ code: exit, stderr: err });
      });
    });
    const totalSec = (performance.now() - started) / 1000;
    const usage = existsSync(usageFile) ? (JSON.parse(readFileSync(usageFile, 'utf8')) as Usage) : null;
    // GNU time prints "Command exited with non-zero status 1" before the number; the last line is %M.
    const timed = useTime && existsSync(timeFile) ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : NaN;
    const peakKb = Number.isFinite(timed) ? timed : usage?.maxRssKb;
    return { name: c.name, code, stderr, usage, peakMb: peakKb === undefined ? null : peakKb / 1024, totalSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the cases `parallel` at a time, in order of the input; `onResult` sees each as it finishes. */
export async function runCases(cases: HostileCase[], opts: { parallel?: number; timeoutMs?: number; onResult?: (r: CaseResult) => void } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], opts.timeoutMs);
      opts.onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 2 }, worker));
  return results;
}

/** What the hostile-input contract asks of one result; empty when it holds. */
export function violations(r: CaseResult, limits = { workMs: 1000, peakMb: 500 }): string[] {
  const out: string[] = [];
  if (r.code !== 1) out.push(`exit code ${r.code}, expected 1`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1 || !lines[0]) out.push(`stderr has ${lines.length} lines: ${JSON.stringify(r.stderr.slice(0, 300))}`);
  if (!r.usage) out.push('no usage report (the process died?)');
  else if (r.usage.cpuMs > limits.workMs) out.push(`${r.usage.cpuMs.toFixed(0)} ms of CPU work after startup (limit ${limits.workMs})`);
  if (r.peakMb === null || r.peakMb > limits.peakMb) out.push(`peak RSS ${r.peakMb?.toFixed(0)} MB (limit ${limits.peakMb})`);
  return out;
}

/** The worst case of each category (the text before the first colon): time and memory, as a Markdown table. */
export function worstTable(results: CaseResult[]): string {
  const rows = new Map<string, { time: CaseResult; mem: CaseResult; n: number }>();
  for (const r of results) {
    const cat = r.name.split(':')[0];
    const row = rows.get(cat);
    if (!row) rows.set(cat, { time: r, mem: r, n: 1 });
    else {
      row.n++;
      if ((r.usage?.cpuMs ?? Infinity) > (row.time.usage?.cpuMs ?? Infinity)) row.time = r;
      if ((r.peakMb ?? Infinity) > (row.mem.peakMb ?? Infinity)) row.mem = r;
    }
  }
  const ms = (r: CaseResult) => (r.usage ? `${r.usage.cpuMs.toFixed(0)} ms CPU / ${r.usage.wallMs.toFixed(0)} ms wall` : 'died');
  const lines = ['| category | cases | slowest (work after startup) | largest (peak RSS) |', '|---|---|---|---|'];
  for (const [cat, { time, mem, n }] of rows) {
    lines.push(`| ${cat} | ${n} | ${ms(time)}: ${time.name.slice(cat.length + 2)} | ${mem.peakMb?.toFixed(0) ?? '?'} MB: ${mem.name.slice(cat.length + 2)} |`);
  }
  return lines.join('\n');
}
