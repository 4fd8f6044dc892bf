// The memory budget: how many bytes a model and its training step may take, checked before anything is allocated.
import { showValue } from '../tokenformer/config';
import type { MemoryEstimate } from '../tokenformer/memory';
import type { BackendName } from './types';

export class BudgetError extends Error {
  override name = 'BudgetError';
}

/** A budget and, for messages, where its figure comes from and how a user raises it. Plain data (crosses the worker). */
export interface MemoryBudget {
  bytes: number;
  /** E.g. "--memory-budget 2GB", "half of this machine's 16 GB". */
  source?: string;
  /** E.g. "raise it with --memory-budget". */
  raise?: string;
}

/** Below this nothing useful fits; a budget this small is a typo (`2` for `2GB`). */
export const MIN_BUDGET_BYTES = 16e6;
export const MAX_BUDGET_BYTES = 2 ** 50;
/** Share of the reported memory a default budget takes: the rest is the browser's, the OS's and other programs'. */
export const DEFAULT_SHARE = 0.5;
/** Used when the host reports nothing (Node without the CLI, browsers without navigator.deviceMemory). */
export const FALLBACK_BUDGET_BYTES = 2e9;
/** Heaps a backend cannot grow past, whatever the budget: tfjs-backend-wasm is wasm32 (4 GiB, 65536 pages). */
const BACKEND_HEAP: Partial<Record<BackendName, number>> = { wasm: 2 ** 32 };
/** Share of such a heap a model may plan to use (the allocator fragments it). */
const HEAP_SHARE = 0.75;
/** Largest batch a train or eval step accepts, whatever the budget. */
export const MAX_BATCH_SIZE = 65_536;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Reads a size such as `2GB`, `512MB`, `1.5 GiB` or a byte count. kB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024. */
export function parseBytes(text: unknown, what = 'memory budget'): number {
  const m = typeof text === 'string' ? /^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([a-z]{0,3})\s*$/i.exec(text) : null;
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BudgetError(`${what} must be a size such as 2GB, 512MB or 1.5GiB, got ${showValue(text)}`);
  const bytes = Number(m[1]) * unit;
  if (bytes < MIN_BUDGET_BYTES) throw new BudgetError(`${what} ${m[0].trim()} is below the ${formatBytes(MIN_BUDGET_BYTES)} minimum${m[2] ? '' : ` (did you mean ${m[1]}GB?)`}`);
  if (bytes > MAX_BUDGET_BYTES) throw new BudgetError(`${what} ${m[0].trim()} is above the ${formatBytes(MAX_BUDGET_BYTES)} maximum`);
  return Math.floor(bytes);
}

/** Bytes for messages, in powers of 1000 like the flag: `512 MB`, `2.6 GB`, `10.4 GB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (i < units.length - 1 && Math.abs(n) >= 1000) {
    n /= 1000;
    i++;
  }
  return `${i === 0 || n >= 100 ? Math.round(n) : Number(n.toFixed(1))} ${units[i]}`;
}

/** A flag value one step above `n`, e.g. `10.4GB`, for "raise it to" hints. */
export function suggestBytes(n: number): string {
  if (n >= 1e9) return `${Math.ceil(n / 1e8) / 10}GB`;
  return `${Math.ceil(n / 1e7) * 10}MB`;
}

/**
 * The host's default: a share of the memory the browser reports (`navigator.deviceMemory`, in GiB, which Chrome
 * caps at 8), else FALLBACK_BUDGET_BYTES. Node hosts that know the machine (the CLI) pass their own.
 */
export function defaultMemoryBudget(): MemoryBudget {
  const gib = (globalThis as { navigator?: { deviceMemory?: unknown } }).navigator?.deviceMemory;
  if (typeof gib === 'number' && Number.isFinite(gib) && gib > 0) {
    const total = gib * 2 ** 30;
    return { bytes: Math.max(MIN_BUDGET_BYTES, total * DEFAULT_SHARE), source: `half of the ${formatBytes(total)} this device reports`, raise: 'raise it with the memoryBudget setting' };
  }
  return { bytes: FALLBACK_BUDGET_BYTES, source: 'the default, as this host reports no memory size', raise: 'raise it with the memoryBudget setting' };
}

/** A budget from a setting: bytes, or a budget with its wording; undefined means the host's default. */
export function resolveBudget(setting: number | MemoryBudget | undefined, backend?: BackendName): Required<MemoryBudget> {
  const given = typeof setting === 'number' ? { bytes: setting, source: 'the memoryBudget setting' } : (setting ?? defaultMemoryBudget());
  if (!(given.bytes >= MIN_BUDGET_BYTES && given.bytes <= MAX_BUDGET_BYTES)) {
    throw new BudgetError(`memory budget must be between ${formatBytes(MIN_BUDGET_BYTES)} and ${formatBytes(MAX_BUDGET_BYTES)}, got ${showValue(given.bytes)}`);
  }
  const heap = backend ? BACKEND_HEAP[backend] : undefined;
  if (heap !== undefined && heap * HEAP_SHARE < given.bytes) {
    return { bytes: heap * HEAP_SHARE, source: `the ${backend} backend's limit, ${HEAP_SHARE * 100}% of its ${formatBytes(heap)} heap`, raise: 'use another backend' };
  }
  return { source: 'the memory budget', raise: 'raise the budget', ...given } as Required<MemoryBudget>;
}

/** Throws a one-line BudgetError naming the estimate, its parts, the budget and how to raise it, when `est` does not fit. */
export function checkBudget(what: string, est: MemoryEstimate, budget: Required<MemoryBudget>): void {
  if (est.total <= budget.bytes) return;
  const parts = [
    ['weights', est.weights],
    ['gradients', est.gradients],
    ['AdamW moments', est.optimizer],
    ['activations', est.activations],
  ]
    .filter(([, b]) => (b as number) > 0)
    .map(([k, b]) => `${k} ${formatBytes(b as number)}`)
    .join(', ');
  const raise = budget.raise.includes('--memory-budget') ? `${budget.raise} ${suggestBytes(est.total)}` : budget.raise;
  throw new BudgetError(
    `${what} needs about ${formatBytes(est.total)} (${parts}), over the memory budget of ${formatBytes(budget.bytes)} (${budget.source}): make it smaller or ${raise}`,
  );
}

/** Bounds a step's batch before it is sized: an integer in [1, MAX_BATCH_SIZE]. */
export function checkBatchSize(batch: unknown, what = 'batch size'): number {
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1) throw new BudgetError(`${what} must be a positive integer, got ${showValue(batch)}`);
  if (batch > MAX_BATCH_SIZE) throw new BudgetError(`${what} ${batch} is larger than this lab accepts (at most ${MAX_BATCH_SIZE.toLocaleString('en-US')})`);
  return batch;
}
