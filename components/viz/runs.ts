// Data helpers for comparing runs (which config keys differ, one summary row per run) and exporting a run.
import type { GrowthEvent } from '../../lib/tokenformer/types';
import type { Metrics } from '../../lib/engine/types';

export interface RunRecord {
  name: string;
  config: Record<string, unknown>;
  growth: GrowthEvent[];
  metrics: Metrics[];
}

/** JSON with object keys sorted, so equal configs compare equal whatever order their keys were written in. */
export function stableStringify(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, stableStringify).join(',')}]`;
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}

/** Config keys whose values are not the same in every run (a key missing from some runs counts as differing). */
export function differingConfigKeys(runs: readonly Pick<RunRecord, 'config'>[]): string[] {
  if (runs.length < 2) return [];
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.config)) keys.add(k);
  const out: string[] = [];
  for (const k of keys) {
    const first = stableStringify(runs[0].config[k]);
    if (runs.some((r) => !(k in r.config) || stableStringify(r.config[k]) !== first)) out.push(k);
  }
  return out.sort();
}

export interface RunsTableRow {
  name: string;
  /** Only the differing keys: the rest is the same for every run and would be noise in a comparison. */
  config: Record<string, unknown>;
  steps: number;
  params: number | undefined;
  finalLoss: number | undefined;
  finalBpb: number | undefined;
  bestValBpb: number | undefined;
  growthEvents: number;
}

export function runsTable(runs: readonly RunRecord[]): { keys: string[]; rows: RunsTableRow[] } {
  const keys = differingConfigKeys(runs);
  const rows = runs.map((r): RunsTableRow => {
    const last = r.metrics[r.metrics.length - 1];
    let best: number | undefined;
    for (const m of r.metrics) if (m.valBpb !== undefined && Number.isFinite(m.valBpb) && (best === undefined || m.valBpb < best)) best = m.valBpb;
    return {
      name: r.name,
      config: Object.fromEntries(keys.map((k) => [k, r.config[k]])),
      steps: last?.step ?? 0,
      params: last?.params,
      finalLoss: last?.loss,
      finalBpb: last?.bpb,
      bestValBpb: best,
      growthEvents: r.growth.length,
    };
  });
  return { keys, rows };
}

export const CSV_COLUMNS = ['run', 'step', 'totalSteps', 'loss', 'bpb', 'valBpb', 'lr', 'tokensPerSec', 'tokensSeen', 'flops', 'params', 'numTensors', 'numBytes', 'elapsedMs', 'growth'] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : stableStringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV row per metrics entry; the run name is a column so files of several runs can be concatenated. */
export function runToCsv(run: RunRecord): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of run.metrics) {
    const growth = m.growth ? `${m.growth.mode} ${m.growth.paramsBefore}->${m.growth.paramsAfter}` : undefined;
    const row: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> = { ...m, run: run.name, growth };
    lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The whole record as indented JSON. Non-finite numbers (a diverged loss) are written as strings
 * ("NaN", "Infinity") instead of JSON's silent null, so the export says what happened.
 */
export function runToJson(run: RunRecord): string {
  const record = { name: run.name, config: run.config, growth: run.growth, metrics: run.metrics };
  return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2);
}
