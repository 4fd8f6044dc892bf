// Parameter-token usage: mean weight per token over the token index, its histogram, and dead tokens marked.
import * as Plot from '@observablehq/plot';
import type { TokenContext, UsageStats } from '../../lib/engine/api';
import type { PattentionKind } from '../../lib/tokenformer/types';
import { h, resolveDocument, type DocumentOption, type VizElement } from './dom';

export { columnMeans, deadTokens } from './ordering';

export interface UsageData {
  /** Mean normalised weight of each parameter token (`PattentionUsage.mean`, or `columnMeans` of one map). */
  mean: Float32Array;
  /** Truthy for tokens in no input's top-k (see `deadTokens`); same length as `mean`. */
  dead?: ArrayLike<number | boolean>;
  /** Per token, how many positions have it in their top-k (shown on hover). */
  hits?: ArrayLike<number>;
  /** Per token, the contexts that weight it most, strongest first (the first few are shown on hover). */
  contexts?: readonly (readonly TokenContext[])[];
}

/** One Pattention's usage from engine stats; a token is dead when no position has it in its top-k. */
export function usageFromStats(stats: UsageStats, layer: number, kind: PattentionKind): UsageData {
  const u = stats.layers[layer]?.[kind];
  if (!u) throw new Error(`viz: no ${kind} usage in layer ${layer} (stats cover ${stats.layers.length} layers)`);
  return { mean: u.mean, hits: u.topkHits, dead: Uint8Array.from(u.topkHits, (x) => (x === 0 ? 1 : 0)), contexts: u.contexts };
}

export interface UsageChartOptions extends DocumentOption {
  width?: number;
  /** Height of each of the two panels (default 160). */
  height?: number;
  /** Histogram bins (default 30). */
  bins?: number;
  /** Tokens from this index on were added by growth; their span is shaded. */
  newFrom?: number;
  title?: string;
  /** Up to this many tokens are drawn as bars; more are drawn as a line (default 512). */
  maxBars?: number;
}

const LIVE = '#4269d0';
const DEAD = '#d62728';
const NEW = '#e4572e';

export interface UsagePoint {
  c: number;
  v: number;
  dead: boolean;
  hits?: number;
  contexts?: readonly TokenContext[];
}

export function usagePoints(data: UsageData): UsagePoint[] {
  const { mean, dead, hits, contexts } = data;
  for (const [name, arr] of [['dead mask', dead], ['hits', hits], ['contexts', contexts]] as const) {
    if (arr && arr.length !== mean.length) throw new Error(`viz: ${name} has ${arr.length} entries for ${mean.length} tokens`);
  }
  return Array.from(mean, (v, c) => ({ c, v, dead: Boolean(dead?.[c]), hits: hits?.[c], contexts: contexts?.[c] }));
}

/** A context on one line with its focus byte bracketed: `the q[u]ick`. */
export function formatContext(ctx: TokenContext): string {
  const clean = (t: string) => t.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
  const { text, focus } = ctx;
  const end = focus + (ctx.focusLength ?? 1);
  // Code points, not UTF-16 units, so a multi-byte character at the focus is not split.
  const chars = Array.from(text);
  return `${clean(chars.slice(0, focus).join(''))}[${clean(chars.slice(focus, end).join(''))}]${clean(chars.slice(end).join(''))}`;
}

/** The hover text for one token: what it is, how used, and where in the data it fires. */
export function usageTip(p: UsagePoint, maxContexts = 3): string {
  const lines = [`parameter token #${p.c}${p.dead ? ' (dead)' : ''}`, `mean weight ${p.v.toPrecision(3)}`];
  if (p.hits !== undefined) lines.push(`in the top-k of ${p.hits} positions`);
  for (const ctx of (p.contexts ?? []).slice(0, maxContexts)) lines.push(`${formatContext(ctx)}  ${ctx.weight.toPrecision(3)}`);
  return lines.join('\n');
}

export function usageChart(data: UsageData, options: UsageChartOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const width = options.width ?? 640;
  const height = options.height ?? 160;
  const points = usagePoints(data);
  const n = points.length;
  const deadPts = points.filter((p) => p.dead);
  const root: VizElement = h(doc, 'div', { class: 'viz-usage', 'data-tokens': n, 'data-dead': data.dead ? deadPts.length : undefined }, { font: '11px system-ui, sans-serif' });
  if (options.title) root.appendChild(h(doc, 'div', { class: 'viz-title' }, { 'font-weight': '600', margin: '0 0 4px' }, options.title));
  if (n === 0) {
    root.appendChild(h(doc, 'div', { class: 'viz-empty' }, { color: '#888' }, 'no parameter tokens'));
    return root;
  }
  const newFrom = options.newFrom !== undefined && options.newFrom < n ? Math.max(0, options.newFrom) : undefined;
  const bars = n <= (options.maxBars ?? 512);

  root.appendChild(
    Plot.plot({
      document: doc,
      width,
      height,
      marginLeft: 48,
      x: { label: 'parameter token', domain: [0, n] },
      y: { label: 'mean weight', grid: true },
      marks: [
        newFrom !== undefined ? Plot.rectX([{ a: newFrom, b: n }], { x1: 'a', x2: 'b', fill: NEW, fillOpacity: 0.1 }) : null,
        Plot.ruleY([0], { stroke: '#999' }),
        // Bars read as "one token, one value"; past a few hundred tokens they are sub-pixel, so a line is clearer.
        bars
          ? Plot.rectY(points, { x1: 'c', x2: (d: UsagePoint) => d.c + 1, y: 'v', fill: LIVE, insetLeft: n <= 128 ? 0.5 : 0, insetRight: n <= 128 ? 0.5 : 0 })
          : Plot.line(points, { x: (d: UsagePoint) => d.c + 0.5, y: 'v', stroke: LIVE, strokeWidth: 1 }),
        Plot.dot(deadPts, { x: (d: UsagePoint) => d.c + 0.5, y: 0, symbol: 'times', stroke: DEAD, r: 2.5 }),
        // One pointer-driven tip instead of a <title> per bar: a single node whatever the token count.
        Plot.tip(points, Plot.pointerX({ x: (d: UsagePoint) => d.c + 0.5, y: 'v', title: (d: UsagePoint) => usageTip(d) })),
      ],
    }),
  );
  root.appendChild(
    Plot.plot({
      document: doc,
      width,
      height,
      marginLeft: 48,
      x: { label: 'mean weight', nice: true },
      y: { label: 'tokens', grid: true },
      color: { domain: ['live', 'dead'], range: [LIVE, DEAD] },
      marks: [Plot.rectY(points, Plot.binX<Plot.RectYOptions>({ y: 'count' }, { x: 'v', fill: (d: UsagePoint) => (d.dead ? 'dead' : 'live'), thresholds: options.bins ?? 30 })), Plot.ruleY([0])],
    }),
  );
  const notes: string[] = [];
  if (data.dead) notes.push(`× dead: ${deadPts.length} of ${n} tokens are in no input's top-k (red in the histogram)`);
  if (newFrom !== undefined) notes.push(`shaded: tokens #${newFrom}–#${n - 1} added by growth`);
  if (notes.length) root.appendChild(h(doc, 'div', { class: 'viz-caption' }, { color: '#666' }, notes.join(' · ')));
  return root;
}
