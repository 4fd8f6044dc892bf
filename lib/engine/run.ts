// A Run: one training history as plain data (RunRecord), and the only operations that change it. The engine owns the
// records; the page's mirror (lib/store/runStore.ts) applies the same operations to its copies, so both stay equal
// and bounded: each run keeps at most MAX_POINTS training points (thinned evenly), MAX_EVALS evaluations, MAX_EVENTS
// of each event kind.
import type { GrowthEvent } from '../tokenformer/types';
import { learningRate } from '../train/schedule';
import type { CheckpointEvent, EvalPoint, LrPlan, Metrics, RunRecord, RunSummary, TrainOptions, TrainPoint } from './types';

export const MAX_POINTS = 2048;
export const MAX_EVALS = 512;
export const MAX_EVENTS = 256;
/** Runs an engine (and its mirror) keeps; the oldest go first. */
export const MAX_RUNS = 64;

export function newRun(id: string, name: string, config: Record<string, unknown>, params: number, startedAt = Date.now()): RunRecord {
  return { id, name, config, params, startedAt, schedule: null, points: [], stride: 1, evals: [], growth: [], divergence: [], checkpoints: [] };
}

/** Steps whose points thinning never drops: either side of a growth, and the last step before a divergence. */
function pinned(run: RunRecord, step: number): boolean {
  return run.growth.some((g) => step === g.step || step === g.step + 1) || run.divergence.some((d) => step === d.step - 1);
}

function onStride(run: RunRecord, p: TrainPoint): boolean {
  const first = run.points[0];
  return !first || (p.step - first.step) % run.stride === 0 || pinned(run, p.step);
}

/**
 * Appends one step's point. A step at or before the last one means training went back (a divergence rollback, or
 * a checkpoint of an earlier step): the abandoned steps after it are dropped, so steps stay strictly increasing.
 * Past MAX_POINTS the stride doubles and every other point goes; the first, the last and pinned points stay.
 */
export function appendPoint(run: RunRecord, p: TrainPoint): void {
  const pts = run.points;
  while (pts.length && pts[pts.length - 1].step >= p.step) pts.pop();
  // The previous last point stayed only for being the last.
  if (pts.length > 1 && !onStride(run, pts[pts.length - 1])) pts.pop();
  pts.push(p);
  if (pts.length > MAX_POINTS) {
    run.stride *= 2;
    const last = pts[pts.length - 1];
    run.points = pts.filter((q, i) => i === 0 || q === last || onStride(run, q));
  }
}

function appendEval(run: RunRecord, e: EvalPoint): void {
  const ev = run.evals;
  while (ev.length && ev[ev.length - 1].step >= e.step) ev.pop();
  ev.push(e);
  if (ev.length > MAX_EVALS) run.evals = ev.filter((_, i) => i % 2 === 0 || i === ev.length - 1);
}

const bounded = <T>(list: T[], item: T) => {
  list.push(item);
  // The first events stay (a run's start), the oldest of the rest go.
  if (list.length > MAX_EVENTS) list.splice(MAX_EVENTS / 2, 1);
};

export function addGrowth(run: RunRecord, e: GrowthEvent): void {
  bounded(run.growth, e);
}

export function addCheckpoint(run: RunRecord, c: CheckpointEvent): void {
  bounded(run.checkpoints, c);
}

/** A metrics message: its points, evaluation and divergence go into the run (its growth comes as its own event). */
export function applyMetrics(run: RunRecord, m: Metrics): void {
  if (m.divergence) bounded(run.divergence, m.divergence);
  for (const p of m.points) appendPoint(run, p);
  if (m.eval) appendEval(run, m.eval);
}

export function summarize(run: RunRecord): RunSummary {
  const { points, evals, ...rest } = run;
  let best: number | undefined;
  for (const e of evals) if (Number.isFinite(e.bpb) && (best === undefined || e.bpb < best)) best = e.bpb;
  const last = points[points.length - 1];
  return { ...structuredClone(rest), step: last?.step ?? 0, pointCount: points.length, evalCount: evals.length, last, bestValBpb: best };
}

/**
 * The plan a train call follows: the run's plan continued (its total extended to cover this call), or a new one
 * from `step` when there is none, the caller asks for a restart, or asks for a different peak, floor or warmup.
 */
export function planSchedule(prev: LrPlan | null, o: Pick<TrainOptions, 'steps' | 'lr' | 'minLr' | 'warmupSteps' | 'totalSteps' | 'restart'>, step: number): LrPlan {
  const lr = o.lr ?? prev?.lr ?? 1e-3;
  const minLr = o.minLr ?? (o.lr === undefined && prev ? prev.minLr : lr / 10);
  const changed = !prev || prev.lr !== lr || prev.minLr !== minLr || (o.warmupSteps !== undefined && o.warmupSteps !== prev.warmupSteps);
  if (o.restart || changed || step < prev.startStep) {
    const total = Math.max(o.steps, o.totalSteps ?? 0);
    return { startStep: step, lr, minLr, warmupSteps: o.warmupSteps ?? Math.min(100, Math.ceil(total / 10)), totalSteps: total };
  }
  return { ...prev, totalSteps: Math.max(prev.totalSteps, step + o.steps - prev.startStep, o.totalSteps ?? 0) };
}

/** The learning rate of the step that takes the model from `step` to `step + 1`. */
export function planLr(plan: LrPlan, step: number): number {
  return learningRate(plan, step - plan.startStep);
}
