// Test helper: the CLI as a user runs it, a child process; never throws, so tests can check exit codes and stderr.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { maxAbsDiff } from '../lib/train/numeric';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tokenformer <args>` from the repository root and resolves with its exit code and output. */
export async function runCli(...args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: process.cwd(), maxBuffer: 64 << 20 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Largest absolute difference between two [B][T][V] logit arrays (Infinity when sizes differ or a NaN appears). */
export const maxAbsLogits = (a: number[][][], b: number[][][]) => maxAbsDiff(a.flat(2), b.flat(2));
