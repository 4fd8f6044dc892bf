// Token-to-parameter attention heatmap on a canvas: input bytes (rows) x parameter tokens (columns).
import { colorLegend, colorLUT, extent, swatch, valuesToRGBA, type ColorScheme } from './color';
import { bucketColumns, type ColumnAggregate, type ColumnBuckets } from './downsample';
import type { AttentionMaps, PattentionKind } from '../../lib/tokenformer/types';
import { byteLabel } from '../../lib/data/tokenizer';
import { createTooltip, h, localPoint, resolveDocument, type DocumentOption, type VizElement } from './dom';
import { formatValue } from '../../lib/format/numbers';
import { gridCanvas, gridCell, putPixels, type PixelImage, type PixelSink } from './canvas';
import { columnOrder, type ColumnOrder } from './ordering';

export interface HeatmapData {
  /** Weights, [rows, cols] row-major (one Pattention's `weights` from AttentionMaps). */
  values: Float32Array;
  rows: number;
  cols: number;
  /** One printable label per row (see `byteLabel`). */
  rowLabels: readonly string[];
}

export interface HeatmapOptions extends DocumentOption {
  /** Column order: natural, by total weight, clustered by peak row, or an explicit permutation. */
  order?: ColumnOrder | ArrayLike<number>;
  /** Widest the cell area may be, in CSS px; more columns than this are merged (default 640). */
  width?: number;
  /** Row height in CSS px (default: fit the rows into `height`, between 1 and 14; labels thin out below 8). */
  rowHeight?: number;
  /** Tallest the cell area should be when `rowHeight` is not given, in CSS px (default 720). */
  height?: number;
  /** Widest a single column may be drawn, in CSS px (default 16). */
  maxCellWidth?: number;
  /** How merged columns combine (default 'max', so a single hot token is never averaged away). */
  aggregate?: ColumnAggregate;
  /** Color domain; defaults to the extent of the drawn values. */
  domain?: [number, number];
  scheme?: ColorScheme;
  /** Columns with original index >= newFrom were added by growth and are marked above the grid. */
  newFrom?: number;
  title?: string;
  /** Width of the row-label gutter in CSS px (default 36). */
  labelWidth?: number;
  /** Called with the original column index (and the row) of a clicked cell. */
  onClick?: (col: number, row: number) => void;
  /** Draws the pixels; defaults to a 2D-context painter that does nothing when there is no context. */
  paint?: PixelSink;
}

/** Everything needed to draw the grid and to map a pointer back to a cell; computed without a DOM. */
export interface HeatmapLayout {
  rows: number;
  cols: number;
  /** order[p] = original column at sorted position p. */
  order: Int32Array;
  buckets: ColumnBuckets;
  cellWidth: number;
  rowHeight: number;
}

export function heatmapLayout(data: HeatmapData, options: HeatmapOptions = {}): HeatmapLayout {
  const { values, rows, cols } = data;
  if (values.length !== rows * cols) throw new Error(`viz: heatmap has ${values.length} values for [${rows}, ${cols}]`);
  const width = Math.max(1, Math.floor(options.width ?? 640));
  const order = columnOrder(options.order ?? 'natural', values, rows, cols);
  const buckets = bucketColumns(values, rows, cols, order, width, options.aggregate ?? 'max');
  const cellWidth = buckets.width === 0 ? 1 : Math.max(1, Math.min(options.maxCellWidth ?? 16, Math.floor(width / buckets.width)));
  const rowHeight = options.rowHeight ?? Math.min(14, Math.floor((options.height ?? 720) / Math.max(1, rows)));
  return { rows, cols, order, buckets, cellWidth, rowHeight: Math.max(1, rowHeight) };
}

/** One Pattention of one layer from an engine `attention()` result, with the input bytes as row labels. */
export function heatmapFromAttention(maps: AttentionMaps, layer: number, kind: PattentionKind): HeatmapData {
  const p = maps.layers[layer]?.pattention[kind];
  if (!p) throw new Error(`viz: no ${kind} attention in layer ${layer} (the model has ${maps.layers.length} layers)`);
  return { values: p.weights, rows: maps.ids.length, cols: p.n, rowLabels: maps.labels ?? maps.ids.map(byteLabel) };
}

export interface HeatmapCell {
  row: number;
  /** Original parameter-token index (the bucket's argmax in this row when columns are merged). */
  col: number;
  /** Display column. */
  x: number;
  /** Sorted positions merged into this display column. */
  span: number;
  /** The drawn (aggregated) value. */
  value: number;
}

/** The cell under a point (CSS px, relative to the grid's top-left), honouring sort order and merging. */
export function heatmapCellAt(layout: HeatmapLayout, x: number, y: number): HeatmapCell | null {
  const { buckets, rows, cellWidth, rowHeight } = layout;
  const hit = gridCell(x, y, cellWidth, rowHeight, buckets.width, rows);
  if (!hit) return null;
  const k = hit.i * buckets.width + hit.j;
  return { row: hit.i, col: buckets.source[k], x: hit.j, span: buckets.starts[hit.j + 1] - buckets.starts[hit.j], value: buckets.values[k] };
}

export function heatmapDomain(layout: HeatmapLayout, options: Pick<HeatmapOptions, 'domain'> = {}): [number, number] {
  return options.domain ?? extent(layout.buckets.values);
}

/** The grid's pixels: one per (row, display column). */
export function heatmapImage(layout: HeatmapLayout, scheme: ColorScheme = 'viridis', domain = heatmapDomain(layout)): PixelImage {
  return { width: layout.buckets.width, height: layout.rows, data: valuesToRGBA(layout.buckets.values, colorLUT(scheme), domain) };
}

/** 1 for each display column that contains at least one column with original index >= newFrom. */
export function newColumnMask(layout: HeatmapLayout, newFrom: number): Uint8Array {
  const { buckets, order } = layout;
  const mask = new Uint8Array(buckets.width);
  for (let j = 0; j < buckets.width; j++) {
    for (let p = buckets.starts[j]; p < buckets.starts[j + 1]; p++) {
      if (order[p] >= newFrom) {
        mask[j] = 1;
        break;
      }
    }
  }
  return mask;
}

const NEW_COLOR: [number, number, number] = [228, 87, 46];
const STRIP = 5;

export function heatmap(data: HeatmapData, options: HeatmapOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const layout = heatmapLayout(data, options);
  const { rows, cols, buckets, cellWidth, rowHeight } = layout;
  const scheme = options.scheme ?? 'viridis';
  const domain = heatmapDomain(layout, options);
  const paint = options.paint ?? putPixels;
  // Byte labels are one glyph or `\xNN`; token pieces (`␣model`) need room for a short word.
  const longest = data.rowLabels.reduce((m, l) => Math.max(m, l.length), 0);
  const labelWidth = options.labelWidth ?? (longest > 4 ? Math.min(96, 12 + 7 * longest) : 36);
  const orderName = typeof options.order === 'string' || options.order === undefined ? options.order ?? 'natural' : 'custom';
  const newFrom = options.newFrom !== undefined && options.newFrom < cols ? Math.max(0, options.newFrom) : undefined;
  const stripH = newFrom !== undefined ? STRIP + 2 : 0;

  const root: VizElement = h(doc, 'div', {
    class: 'viz-heatmap',
    'data-rows': rows,
    'data-cols': cols,
    'data-display-cols': buckets.width,
    'data-order': orderName,
    'data-new-from': newFrom,
  }, { position: 'relative', display: 'inline-block', font: '11px system-ui, sans-serif' });
  if (options.title) root.appendChild(h(doc, 'div', { class: 'viz-title' }, { 'font-weight': '600', margin: '0 0 4px' }, options.title));

  const body = h(doc, 'div', { class: 'viz-heatmap-body' }, { display: 'flex', 'align-items': 'flex-start' });
  const gridHeight = rows * rowHeight;
  const labels = h(doc, 'div', { class: 'viz-heatmap-labels' }, { position: 'relative', width: `${labelWidth}px`, height: `${stripH + gridHeight}px`, 'flex-shrink': '0' });
  // Below ~8px a label per row would overlap, so only every `every`-th row is labelled.
  const every = Math.max(1, Math.ceil(8 / rowHeight));
  for (let r = 0; r < rows; r += every) {
    labels.appendChild(h(doc, 'span', { class: 'viz-row-label', 'data-row': r }, {
      position: 'absolute', right: '4px', top: `${stripH + r * rowHeight}px`, 'line-height': `${Math.max(rowHeight, 8)}px`,
      'font-family': 'ui-monospace, monospace', 'font-size': `${Math.min(11, Math.max(7, rowHeight - 2))}px`,
    }, data.rowLabels[r] ?? ''));
  }
  body.appendChild(labels);

  const plot = h(doc, 'div', { class: 'viz-heatmap-plot' }, { position: 'relative' });
  const cssWidth = buckets.width * cellWidth;
  if (newFrom !== undefined) {
    const strip = gridCanvas(doc, buckets.width, 1, cssWidth, STRIP, 'viz-heatmap-new');
    strip.style.marginBottom = '2px';
    const mask = newColumnMask(layout, newFrom);
    const px = new Uint8ClampedArray(buckets.width * 4);
    for (let j = 0; j < mask.length; j++) if (mask[j]) px.set([...NEW_COLOR, 255], j * 4);
    paint(strip, { width: buckets.width, height: 1, data: px });
    plot.appendChild(strip);
  }
  const canvas = gridCanvas(doc, buckets.width, rows, cssWidth, gridHeight, 'viz-heatmap-cells');
  canvas.style.cursor = options.onClick ? 'pointer' : 'crosshair';
  paint(canvas, heatmapImage(layout, scheme, domain));
  plot.appendChild(canvas);
  body.appendChild(plot);
  root.appendChild(body);

  const merged = buckets.width < cols ? `, ${cols} merged into ${buckets.width} by ${options.aggregate ?? 'max'}` : '';
  root.appendChild(h(doc, 'div', { class: 'viz-heatmap-axis' }, { 'margin-left': `${labelWidth}px`, color: '#666' }, `parameter tokens (${cols}, ${orderName} order${merged}) →`));
  const foot = h(doc, 'div', { class: 'viz-heatmap-legend' }, { display: 'flex', 'align-items': 'center', gap: '12px', 'margin-left': `${labelWidth}px` });
  foot.appendChild(colorLegend(domain, { document: doc, scheme, label: 'weight', width: Math.min(240, Math.max(160, cssWidth)) }));
  if (newFrom !== undefined) foot.appendChild(swatch(doc, `rgb(${NEW_COLOR.join(',')})`, `new tokens (#${newFrom}–#${cols - 1})`));
  root.appendChild(foot);

  const tip = createTooltip(doc, root);
  const cellFor = (ev: MouseEvent) => {
    const p = localPoint(ev, canvas);
    return heatmapCellAt(layout, p.x, p.y);
  };
  const onMove = (ev: MouseEvent) => {
    const cell = cellFor(ev);
    if (!cell) return tip.hide();
    const where = localPoint(ev, root);
    const isNew = newFrom !== undefined && cell.col >= newFrom ? ' (new)' : '';
    const merge = cell.span > 1 ? `\n${options.aggregate === 'mean' ? 'mean' : 'max'} of ${cell.span} tokens, top shown` : '';
    tip.show(where.x, where.y, `byte ${data.rowLabels[cell.row] ?? '?'} (position ${cell.row})\nparameter token #${cell.col}${isNew}\nweight ${formatValue(cell.value)}${merge}`);
  };
  const onLeave = () => tip.hide();
  const onClick = (ev: MouseEvent) => {
    const cell = cellFor(ev);
    if (cell && options.onClick) options.onClick(cell.col, cell.row);
  };
  canvas.addEventListener('mousemove', onMove);
  canvas.addEventListener('mouseleave', onLeave);
  canvas.addEventListener('click', onClick);
  root.dispose = () => {
    canvas.removeEventListener('mousemove', onMove);
    canvas.removeEventListener('mouseleave', onLeave);
    canvas.removeEventListener('click', onClick);
    tip.hide();
  };
  return root;
}
