// The one run chart: training and validation bits per byte over steps, tokens or FLOPs for one or more runs, with
// growth and divergence markers. Pure: (runs, options) -> element.
import * as Plot from '@observablehq/plot';
import type { GrowthEvent } from '../../lib/tokenformer/types';
import type { DivergenceEvent, EvalPoint, TrainPoint } from '../../lib/engine/types';
import { downsampleMinMax } from './downsample';
import { resolveDocument, type DocumentOption, type VizElement } from './dom';

/** What the chart draws of a run: a RunRecord (lib/engine/run.ts) or any object with these fields. */
export interface ChartRun {
  name: string;
  /** Training points, one per step (thinned), each the loss of its own step. */
  points: readonly TrainPoint[];
  evals?: readonly EvalPoint[];
  growth?: readonly GrowthEvent[];
  divergence?: readonly DivergenceEvent[];
}

export type ChartXAxis = 'step' | 'tokens' | 'flops';

export interface RunChartOptions extends DocumentOption {
  x?: ChartXAxis;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Most points drawn per run and series (default: the chart width); longer series are min/max-thinned. */
  maxPoints?: number;
  title?: string;
}

export interface ChartPoint {
  run: string;
  series: 'train' | 'val';
  step: number;
  x: number;
  y: number;
}

export interface GrowthMark {
  run: string;
  step: number;
  x: number;
  label: string;
}

/** Where a run diverged (its first non-finite step), with the last finite training loss before it for the dot. */
export interface DivergenceMark {
  run: string;
  step: number;
  x: number;
  y?: number;
  label: string;
}

const X_OF: Record<ChartXAxis, (m: TrainPoint | EvalPoint) => number> = {
  step: (m) => m.step,
  tokens: (m) => m.tokensSeen,
  flops: (m) => m.flops,
};
const DIVERGED = '#c62828';
const X_LABEL: Record<ChartXAxis, string> = { step: 'step', tokens: 'tokens seen', flops: 'training FLOPs' };

/** Compact number: 1.2k, 3.4M, 5G. */
export function formatSI(n: number): string {
  const a = Math.abs(n);
  for (const [d, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (a >= d) return `${+(n / d).toFixed(1)}${s}`;
  }
  return String(+n.toFixed(2));
}

/** Where an event sits on a tokens/FLOPs axis: the first point at or after its step, else the last one. */
function eventX(e: { step: number }, points: readonly TrainPoint[], axis: ChartXAxis): number | undefined {
  if (axis === 'step') return e.step;
  if (points.length === 0) return undefined;
  const at = points.find((m) => m.step >= e.step) ?? points[points.length - 1];
  return X_OF[axis](at);
}

/** The plotted data, computed without a DOM: thinned train/val points, growth and divergence marks. */
export function runSeries(
  input: ChartRun | readonly ChartRun[],
  options: RunChartOptions = {},
): { runs: string[]; train: ChartPoint[]; val: ChartPoint[]; growth: GrowthMark[]; divergence: DivergenceMark[] } {
  const runs: readonly ChartRun[] = Array.isArray(input) ? input : [input as ChartRun];
  const axis = options.x ?? 'step';
  const maxPoints = Math.max(4, Math.floor(options.maxPoints ?? options.width ?? 640));
  const xOf = X_OF[axis];
  // Log scales cannot show y <= 0; non-finite losses (a skipped step) are dropped rather than breaking the line scale.
  const ok = (y: number): boolean => Number.isFinite(y) && (!options.logY || y > 0);
  const train: ChartPoint[] = [];
  const val: ChartPoint[] = [];
  const growth: GrowthMark[] = [];
  const divergence: DivergenceMark[] = [];
  for (const run of runs) {
    const t: ChartPoint[] = [];
    const v: ChartPoint[] = [];
    for (const p of run.points) {
      const x = xOf(p);
      const y = p.bpb ?? p.loss / Math.LN2;
      if (Number.isFinite(x) && ok(y)) t.push({ run: run.name, series: 'train', step: p.step, x, y });
    }
    for (const e of run.evals ?? []) {
      const x = xOf(e);
      if (Number.isFinite(x) && ok(e.bpb)) v.push({ run: run.name, series: 'val', step: e.step, x, y: e.bpb });
    }
    train.push(...downsampleMinMax(t, maxPoints, (p) => p.y));
    val.push(...downsampleMinMax(v, maxPoints, (p) => p.y));
    for (const e of run.growth ?? []) {
      const x = eventX(e, run.points, axis);
      if (x === undefined) continue;
      const added = e.paramsAfter - e.paramsBefore;
      growth.push({ run: run.name, step: e.step, x, label: `grow ${e.mode}${added ? ` +${formatSI(added)}` : ''}` });
    }
    for (const d of run.divergence ?? []) {
      const x = eventX(d, run.points, axis);
      if (x === undefined) continue;
      const before = t.filter((p) => p.step < d.step).at(-1);
      const back = d.rolledBackTo === null ? '' : ` · back to step ${d.rolledBackTo}`;
      divergence.push({ run: run.name, step: d.step, x, y: before?.y, label: `diverged at ${d.step}: ${d.reason}${back}` });
    }
  }
  return { runs: runs.map((r) => r.name), train, val, growth, divergence };
}

/**
 * The one training chart: training bits per byte (one point per step, each its own step's loss) and validation
 * bits per byte for one run or several, over steps, tokens or FLOPs, with growth and divergence markers.
 */
export function runChart(input: ChartRun | readonly ChartRun[], options: RunChartOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const width = options.width ?? 640;
  const height = options.height ?? 300;
  const axis = options.x ?? 'step';
  const { runs, train, val, growth, divergence } = runSeries(input, { ...options, width });
  if (train.length === 0 && val.length === 0) {
    return Plot.plot({
      document: doc,
      width,
      height,
      title: options.title,
      x: { axis: null },
      y: { axis: null },
      marks: [Plot.frame({ stroke: '#ddd' }), Plot.text(['no steps yet'], { frameAnchor: 'middle', fill: '#888', fontSize: 13 })],
    });
  }
  return Plot.plot({
    document: doc,
    width,
    height,
    marginLeft: 48,
    title: options.title,
    caption: val.length > 0 ? 'solid: training · dashed with dots: validation' : undefined,
    x: { label: X_LABEL[axis], tickFormat: axis === 'step' ? undefined : formatSI },
    y: { type: options.logY ? 'log' : 'linear', label: 'bits per byte', grid: true },
    color: { domain: runs, legend: runs.length > 1 },
    marks: [
      Plot.ruleX(growth, { x: 'x', stroke: 'run', strokeOpacity: 0.6, strokeDasharray: '2,3' }),
      Plot.text(growth, { x: 'x', text: 'label', frameAnchor: 'top', textAnchor: 'start', dx: 3, dy: 4, fill: '#555', fontSize: 10 }),
      Plot.line(train, { x: 'x', y: 'y', z: 'run', stroke: 'run', strokeWidth: 1.5 }),
      Plot.line(val, { x: 'x', y: 'y', z: 'run', stroke: 'run', strokeDasharray: '5,3' }),
      Plot.dot(val, { x: 'x', y: 'y', stroke: 'run', fill: 'white', r: 2.5 }),
      // Divergence: a red rule at the first non-finite step, a dot on the last finite loss before it, the reason.
      Plot.ruleX(divergence, { x: 'x', stroke: DIVERGED, strokeWidth: 1.5 }),
      Plot.dot(divergence.filter((d) => d.y !== undefined), { x: 'x', y: 'y', fill: DIVERGED, r: 4 }),
      Plot.text(divergence, { x: 'x', text: 'label', frameAnchor: 'bottom', textAnchor: 'end', dx: -4, dy: -4, fill: DIVERGED, fontSize: 10 }),
    ],
  });
}
