// A runChart that follows the page's run mirror: redrawn (at most twice a second) when the runs it shows change.
// The trainer widget, the runs panel and notebook cells (`chart(...)`) all draw through it.
import type { RunRecord } from '@/lib/engine/types';
import type { RunStore } from '@/lib/store/runStore';
import { h, resolveDocument, type DocumentOption, type VizElement } from '@/components/viz/dom';
import { runChart, type ChartXAxis } from '@/components/viz/runChart';
import { onInvalidation } from './panelKit';

/** Which runs to draw: the current one, all, one run (by id) and every later one, runs by id or name, or any test. */
export type RunSelection = 'current' | 'all' | { from: string } | readonly string[] | ((r: RunRecord, i: number, all: readonly RunRecord[]) => boolean);

export interface LiveChartOptions extends DocumentOption {
  runs?: RunSelection;
  x?: ChartXAxis;
  logY?: boolean;
  width?: number;
  height?: number;
  title?: string;
  /** Most points per run and series (default: the width). */
  maxPoints?: number;
  /** Least time between two redraws (default 500 ms). */
  intervalMs?: number;
  invalidation?: PromiseLike<unknown>;
}

export interface LiveChartElement extends HTMLDivElement {
  /** Changes what is drawn and redraws now. */
  update(o: Partial<Pick<LiveChartOptions, 'runs' | 'x' | 'logY'>>): void;
  /** The records drawn last. */
  readonly shown: readonly RunRecord[];
  dispose(): void;
}

export function selectRuns(all: readonly RunRecord[], sel: RunSelection = 'current'): RunRecord[] {
  if (sel === 'all') return [...all];
  if (sel === 'current') return all.length ? [all[all.length - 1]] : [];
  if (typeof sel === 'function') return all.filter(sel);
  if ('from' in sel) {
    const at = all.findIndex((r) => r.id === sel.from);
    return at < 0 ? [] : all.slice(at);
  }
  return sel.flatMap((k) => all.filter((r) => r.id === k || r.name === k));
}

export function liveChart(store: RunStore, options: LiveChartOptions = {}): LiveChartElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'live-chart', 'data-testid': 'live-chart' }) as LiveChartElement;
  const o = { ...options };
  let shown: RunRecord[] = [];
  let chart: VizElement | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  const draw = () => {
    timer = null;
    if (disposed) return;
    shown = selectRuns(store.getState().runs, o.runs);
    const width = o.width ?? Math.max(320, Math.min(760, root.clientWidth || 640));
    const next = runChart(shown, { document: doc, x: o.x, logY: o.logY, width, height: o.height ?? 240, title: o.title, maxPoints: o.maxPoints });
    chart?.dispose?.();
    chart = next;
    root.dataset.x = o.x ?? 'step';
    root.dataset.runs = String(shown.length);
    root.replaceChildren(next);
  };
  const schedule = () => {
    if (!timer && !disposed) timer = setTimeout(draw, o.intervalMs ?? 500);
  };
  // Only a change to a drawn run (or to which runs exist) redraws: records are replaced, never changed in place.
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.runs === prev.runs) return;
    const next = selectRuns(s.runs, o.runs);
    if (next.length !== shown.length || next.some((r, i) => r !== shown[i])) schedule();
  });

  Object.defineProperty(root, 'shown', { get: () => shown });
  root.update = (u) => {
    Object.assign(o, u);
    if (timer) clearTimeout(timer);
    draw();
  };
  root.dispose = () => {
    disposed = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    chart?.dispose?.();
  };
  onInvalidation(options.invalidation, root.dispose);
  draw();
  return root;
}
