// Causal token-to-token attention of one head on a canvas, and small multiples of all heads of a layer.
import { colorLegend, colorLUT, extent, valuesToRGBA, type ColorScheme } from './color';
import { formatValue } from '../../lib/format/numbers';
import { gridCanvas, gridCell, putPixels, type PixelImage, type PixelSink } from './canvas';
import type { AttentionMaps } from '../../lib/tokenformer/types';
import { byteLabel } from '../../lib/data/tokenizer';
import { createTooltip, h, localPoint, resolveDocument, type DocumentOption, type VizElement } from './dom';

export interface HeadMapData {
  /** Attention of one head, [T, T] row-major: row = query position, column = key position. */
  weights: Float32Array;
  T: number;
  /** One printable label per position. */
  labels: readonly string[];
}

export interface HeadMapOptions extends DocumentOption {
  /** Cell size in CSS px (default: fits the map into ~360px, at least 1). */
  cellSize?: number;
  domain?: [number, number];
  scheme?: ColorScheme;
  title?: string;
  /** Axis labels and the legend; small multiples turn these off. */
  showLabels?: boolean;
  showLegend?: boolean;
  paint?: PixelSink;
}

/** Pixels for one head; cells above the diagonal (future keys) are left transparent, not drawn as zero. */
export function headImage(weights: ArrayLike<number>, T: number, scheme: ColorScheme = 'viridis', domain: [number, number] = extent(weights)): PixelImage {
  if (weights.length !== T * T) throw new Error(`viz: head map has ${weights.length} values for [${T}, ${T}]`);
  return { width: T, height: T, data: valuesToRGBA(weights, colorLUT(scheme), domain, (i) => i % T <= Math.floor(i / T)) };
}

/** (query, key) under a point in CSS px; null outside the grid or in the masked upper triangle. */
export function headCellAt(T: number, cellSize: number, x: number, y: number): { query: number; key: number } | null {
  const hit = gridCell(x, y, cellSize, cellSize, T, T);
  if (!hit || hit.j > hit.i) return null;
  return { query: hit.i, key: hit.j };
}

function defaultCell(T: number, target: number): number {
  return Math.max(1, Math.min(16, Math.floor(target / Math.max(1, T))));
}

export function headMap(data: HeadMapData, options: HeadMapOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const { weights, T, labels } = data;
  const cell = Math.max(1, options.cellSize ?? defaultCell(T, 360));
  const scheme = options.scheme ?? 'viridis';
  const domain = options.domain ?? extent(weights);
  const showLabels = options.showLabels ?? true;
  const gutter = showLabels ? 32 : 0;
  const size = T * cell;
  // Labels thin out when cells are smaller than a glyph.
  const every = Math.max(1, Math.ceil(8 / cell));

  const root: VizElement = h(doc, 'div', { class: 'viz-headmap', 'data-rows': T, 'data-cols': T }, { position: 'relative', display: 'inline-block', font: '11px system-ui, sans-serif' });
  if (options.title) root.appendChild(h(doc, 'div', { class: 'viz-title' }, { 'font-weight': '600', margin: '0 0 2px', 'padding-left': `${gutter}px` }, options.title));
  const labelStyle = { position: 'absolute', 'font-family': 'ui-monospace, monospace', 'font-size': `${Math.min(11, Math.max(7, cell - 1))}px`, 'line-height': `${Math.max(cell, 8)}px` };
  if (showLabels) {
    const top = h(doc, 'div', { class: 'viz-headmap-keys' }, { position: 'relative', height: '14px', 'margin-left': `${gutter}px`, width: `${size}px` });
    for (let j = 0; j < T; j += every) top.appendChild(h(doc, 'span', { class: 'viz-col-label', 'data-col': j }, { ...labelStyle, left: `${j * cell}px`, bottom: '0', width: `${Math.max(cell, 8)}px`, 'text-align': 'center' }, labels[j] ?? ''));
    root.appendChild(top);
  }
  const body = h(doc, 'div', {}, { display: 'flex', 'align-items': 'flex-start' });
  if (showLabels) {
    const left = h(doc, 'div', { class: 'viz-headmap-queries' }, { position: 'relative', width: `${gutter}px`, height: `${size}px`, 'flex-shrink': '0' });
    for (let i = 0; i < T; i += every) left.appendChild(h(doc, 'span', { class: 'viz-row-label', 'data-row': i }, { ...labelStyle, right: '4px', top: `${i * cell}px` }, labels[i] ?? ''));
    body.appendChild(left);
  }
  const canvas = gridCanvas(doc, T, T, size, size, 'viz-headmap-cells');
  canvas.style.background = '#f4f4f4';
  const paint = options.paint ?? putPixels;
  paint(canvas, headImage(weights, T, scheme, domain));
  body.appendChild(canvas);
  root.appendChild(body);
  if (options.showLegend ?? showLabels) {
    const legend = h(doc, 'div', {}, { 'margin-left': `${gutter}px` });
    legend.appendChild(colorLegend(domain, { document: doc, scheme, label: 'attention (query row → key column)', width: Math.max(200, Math.min(260, size)) }));
    root.appendChild(legend);
  }

  const tip = createTooltip(doc, root);
  const onMove = (ev: MouseEvent) => {
    const p = localPoint(ev, canvas);
    const hit = headCellAt(T, cell, p.x, p.y);
    if (!hit) return tip.hide();
    const w = localPoint(ev, root);
    tip.show(w.x, w.y, `query ${labels[hit.query] ?? '?'} (position ${hit.query})\nkey ${labels[hit.key] ?? '?'} (position ${hit.key})\nweight ${formatValue(weights[hit.query * T + hit.key])}`);
  };
  const onLeave = () => tip.hide();
  canvas.addEventListener('mousemove', onMove);
  canvas.addEventListener('mouseleave', onLeave);
  root.dispose = () => {
    canvas.removeEventListener('mousemove', onMove);
    canvas.removeEventListener('mouseleave', onLeave);
    tip.hide();
  };
  return root;
}

export interface HeadMapsData {
  /** All heads of one layer, [H, T, T] row-major (AttentionMaps.layers[l].heads). */
  heads: Float32Array;
  numHeads: number;
  T: number;
  labels: readonly string[];
}

/** All heads of one layer from an engine `attention()` result; the head count follows from the array size. */
export function headMapsFromAttention(maps: AttentionMaps, layer: number): HeadMapsData {
  const l = maps.layers[layer];
  if (!l) throw new Error(`viz: no layer ${layer} (the model has ${maps.layers.length} layers)`);
  const T = maps.ids.length;
  const numHeads = T === 0 ? 0 : l.heads.length / (T * T);
  if (!Number.isInteger(numHeads)) throw new Error(`viz: ${l.heads.length} head weights is not a whole number of [${T}, ${T}] maps`);
  return { heads: l.heads, numHeads, T, labels: maps.labels ?? maps.ids.map(byteLabel) };
}

export interface HeadMapsOptions extends Omit<HeadMapOptions, 'title' | 'showLabels' | 'showLegend'> {
  /** Heads per row (default 4). */
  columns?: number;
  title?: string;
}

/**
 * All heads of a layer side by side. They share one color domain, so a head that attends sharply looks
 * sharper than one that spreads its weight; per-head domains would make every head look equally confident.
 */
export function headMaps(data: HeadMapsData, options: HeadMapsOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const { heads, numHeads, T, labels } = data;
  if (heads.length !== numHeads * T * T) throw new Error(`viz: ${heads.length} values for [${numHeads}, ${T}, ${T}]`);
  const domain = options.domain ?? extent(heads);
  const cellSize = options.cellSize ?? defaultCell(T, 140);
  const root: VizElement = h(doc, 'div', { class: 'viz-headmaps', 'data-heads': numHeads, 'data-rows': T, 'data-cols': T }, { font: '11px system-ui, sans-serif' });
  if (options.title) root.appendChild(h(doc, 'div', { class: 'viz-title' }, { 'font-weight': '600', margin: '0 0 4px' }, options.title));
  const grid = h(doc, 'div', { class: 'viz-headmaps-grid' }, { display: 'grid', 'grid-template-columns': `repeat(${Math.max(1, options.columns ?? 4)}, max-content)`, gap: '10px' });
  const children: VizElement[] = [];
  for (let hd = 0; hd < numHeads; hd++) {
    const child = headMap(
      { weights: heads.subarray(hd * T * T, (hd + 1) * T * T), T, labels },
      { ...options, document: doc, domain, cellSize, title: `head ${hd}`, showLabels: false, showLegend: false },
    );
    child.setAttribute('data-head', String(hd));
    children.push(child);
    grid.appendChild(child);
  }
  root.appendChild(grid);
  root.appendChild(colorLegend(domain, { document: doc, scheme: options.scheme ?? 'viridis', label: 'attention (query row → key column)', width: 240 }));
  root.dispose = () => children.forEach((c) => c.dispose?.());
  return root;
}
