// Color ramps for the canvas charts (a byte lookup table per scheme) and an SVG color legend that matches them.
import * as Plot from '@observablehq/plot';
import type { ColorScheme } from '@observablehq/plot';
import { h } from './dom';

export type { ColorScheme };

/** Parses "#rrggbb" or "rgb(r, g, b)" (the two forms Plot's interpolators return). */
export function parseColor(c: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(c);
  if (rgb) return [Math.round(+rgb[1]), Math.round(+rgb[2]), Math.round(+rgb[3])];
  throw new Error(`viz: cannot parse color "${c}"`);
}

const lutCache = new Map<string, Uint8Array>();

/**
 * `n` RGB triples sampling `scheme` from 0 to 1. Cached, because the heatmap recolors every frame and
 * calling the interpolator per cell would cost a string parse per value.
 */
export function colorLUT(scheme: ColorScheme = 'viridis', n = 256): Uint8Array {
  const key = `${scheme}:${n}`;
  const hit = lutCache.get(key);
  if (hit) return hit;
  const scale = Plot.scale({ color: { type: 'linear', scheme, domain: [0, 1] } });
  const lut = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = parseColor(String(scale.apply(n === 1 ? 0 : i / (n - 1))));
    lut[i * 3] = r;
    lut[i * 3 + 1] = g;
    lut[i * 3 + 2] = b;
  }
  lutCache.set(key, lut);
  return lut;
}

/** Smallest and largest finite value; [0, 1] when there are none, and a non-empty span when all are equal. */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return [0, 1];
  if (lo === hi) return lo === 0 ? [0, 1] : [Math.min(0, lo), Math.max(0, hi)];
  return [lo, hi];
}

/**
 * Maps values to RGBA bytes through `lut` (linear over `domain`, clamped). Non-finite values become
 * transparent, which is how masked cells (the causal upper triangle) are left blank.
 */
export function valuesToRGBA(values: ArrayLike<number>, lut: Uint8Array, domain: [number, number], mask?: (i: number) => boolean): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values.length * 4);
  const n = lut.length / 3;
  const [lo, hi] = domain;
  const k = hi > lo ? (n - 1) / (hi - lo) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (mask && !mask(i))) continue;
    const j = Math.max(0, Math.min(n - 1, Math.round((v - lo) * k))) * 3;
    const o = i * 4;
    out[o] = lut[j];
    out[o + 1] = lut[j + 1];
    out[o + 2] = lut[j + 2];
    out[o + 3] = 255;
  }
  return out;
}

export interface LegendOptions {
  document: Document;
  scheme?: ColorScheme;
  label?: string;
  width?: number;
}

/** A continuous color legend as plain SVG (Plot's own ramp legend needs a 2D canvas, which jsdom lacks). */
export function colorLegend(domain: [number, number], { document: doc, scheme = 'viridis', label, width = 240 }: LegendOptions): SVGElement | HTMLElement {
  const steps = 48;
  const [lo, hi] = domain;
  const cells = Array.from({ length: steps }, (_, i) => ({
    a: lo + ((hi - lo) * i) / steps,
    b: lo + ((hi - lo) * (i + 1)) / steps,
    v: lo + ((hi - lo) * (i + 0.5)) / steps,
  }));
  const svg = Plot.plot({
    document: doc,
    width,
    // A 12px band, tick labels under it, and the label under those (Plot puts it at marginBottom - 3).
    height: label ? 50 : 36,
    marginTop: 4,
    marginBottom: label ? 34 : 20,
    marginLeft: 12,
    marginRight: 12,
    style: { overflow: 'visible' },
    x: { domain, label: label ?? null, labelAnchor: 'left', labelArrow: false, ticks: 4, tickFormat: '~g' },
    y: { axis: null, domain: [0, 1] },
    color: { type: 'linear', scheme, domain },
    marks: [Plot.rect(cells, { x1: 'a', x2: 'b', y1: 0, y2: 1, fill: 'v', inset: 0 })],
  });
  svg.classList.add('viz-legend');
  return svg;
}

/** A small text swatch, used where a chart needs a one-line key (e.g. "new tokens"). */
export function swatch(doc: Document, color: string, text: string): HTMLSpanElement {
  const span = h(doc, 'span', { class: 'viz-swatch' }, { 'margin-right': '10px', 'white-space': 'nowrap' });
  span.appendChild(h(doc, 'span', {}, { display: 'inline-block', width: '10px', height: '10px', background: color, 'margin-right': '4px', 'vertical-align': 'middle' }));
  span.appendChild(doc.createTextNode(text));
  return span;
}
