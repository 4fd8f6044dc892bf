// Data helpers for comparing runs (which config keys differ, one summary row per run) and exporting a run.
import type { GrowthEvent } from '../../lib/tokenformer/types';
import type { EvalPoint, TrainPoint } from '../../lib/engine/types';

/** The fields of a run record (lib/engine/types RunRecord) that tables and exports use. */
export interface RunRecord {
  name: string;
  config: Record<string, unknown>;
  /** Parameter count when the run started. */
  params?: number;
  growth: readonly GrowthEvent[];
  points: readonly TrainPoint[];
  evals: readonly EvalPoint[];
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
    const last = r.points[r.points.length - 1];
    let best: number | undefined;
    for (const e of r.evals) if (Number.isFinite(e.bpb) && (best === undefined || e.bpb < best)) best = e.bpb;
    return {
      name: r.name,
      config: Object.fromEntries(keys.map((k) => [k, r.config[k]])),
      steps: last?.step ?? 0,
      params: r.growth.length ? r.growth[r.growth.length - 1].paramsAfter : r.params,
      finalLoss: last?.loss,
      finalBpb: last ? last.loss / Math.LN2 : undefined,
      bestValBpb: best,
      growthEvents: r.growth.length,
    };
  });
  return { keys, rows };
}

export const CSV_COLUMNS = ['run', 'step', 'loss', 'bpb', 'valBpb', 'lr', 'tokensSeen', 'flops', 'growth'] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : stableStringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One CSV row per training point (each step's own loss), with the validation score and growth at that step; the
 * run name is a column so files of several runs can be concatenated.
 */
export function runToCsv(run: RunRecord): string {
  const lines = [CSV_COLUMNS.join(',')];
  const val = new Map(run.evals.map((e) => [e.step, e.bpb]));
  const grown = new Map(run.growth.map((g) => [g.step, `${g.mode} ${g.paramsBefore}->${g.paramsAfter}`]));
  for (const p of run.points) {
    const row: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> = { ...p, run: run.name, bpb: p.loss / Math.LN2, valBpb: val.get(p.step), growth: grown.get(p.step) };
    lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The whole record as indented JSON. Non-finite numbers (a diverged loss) are written as strings
 * ("NaN", "Infinity") instead of JSON's silent null, so the export says what happened.
 */
export function runToJson(run: RunRecord): string {
  const record = { ...run };
  return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2);
}
