// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttentionMaps } from '../../lib/tokenformer/types';
import { heatmap, heatmapCellAt, heatmapFromAttention, heatmapImage, heatmapLayout, newColumnMask, type HeatmapData } from './heatmap';
import type { PixelImage, PixelSink } from './canvas';
import { colorLUT } from './color';

// 2 rows ("a", "b") x 4 parameter tokens; column totals: c0=0.2, c1=0.9, c2=0.5, c3=0.4
const DATA: HeatmapData = {
  values: Float32Array.from([
    0.1, 0.8, 0.0, 0.1,
    0.1, 0.1, 0.5, 0.3,
  ]),
  rows: 2,
  cols: 4,
  rowLabels: ['a', 'b'],
};

function capture(): { paint: PixelSink; images: Map<string, PixelImage> } {
  const images = new Map<string, PixelImage>();
  return { images, paint: (canvas, image) => images.set(canvas.className, image) };
}

function move(target: Element, x: number, y: number, type = 'mousemove') {
  // jsdom lays nothing out: every bounding rect is at (0, 0), so client coordinates are local coordinates.
  target.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, bubbles: true }));
}

afterEach(() => vi.restoreAllMocks());

describe('heatmap layout (no DOM)', () => {
  it('maps a pixel to the original column under a weight ordering', () => {
    const layout = heatmapLayout(DATA, { order: 'weight', width: 400, rowHeight: 10, maxCellWidth: 20 });
    expect(Array.from(layout.order)).toEqual([1, 2, 3, 0]);
    expect(layout.cellWidth).toBe(20);
    expect(heatmapCellAt(layout, 5, 5)).toMatchObject({ row: 0, col: 1, x: 0, span: 1, value: expect.closeTo(0.8, 5) });
    expect(heatmapCellAt(layout, 25, 15)).toMatchObject({ row: 1, col: 2, value: 0.5 });
    expect(heatmapCellAt(layout, 79, 19)).toMatchObject({ row: 1, col: 0 });
    expect(heatmapCellAt(layout, 80, 5)).toBeNull();
    expect(heatmapCellAt(layout, 5, 20)).toBeNull();
    expect(heatmapCellAt(layout, -1, 5)).toBeNull();
  });

  it('merges thousands of columns into the width and names the argmax token of a merged pixel', () => {
    const rows = 3;
    const cols = 3000;
    const values = new Float32Array(rows * cols);
    values[1 * cols + 2047] = 1; // one hot token in row 1
    const layout = heatmapLayout({ values, rows, cols, rowLabels: ['x', 'y', 'z'] }, { width: 300, rowHeight: 4 });
    expect(layout.buckets.width).toBe(300);
    expect(layout.cellWidth).toBe(1);
    const x = Math.floor(2047 / 10);
    expect(heatmapCellAt(layout, x + 0.5, 4 + 1)).toMatchObject({ row: 1, col: 2047, span: 10, value: 1 });
  });

  it('colors each drawn cell through the scheme', () => {
    const layout = heatmapLayout(DATA, { width: 400 });
    const img = heatmapImage(layout, 'viridis', [0, 0.8]);
    expect([img.width, img.height, img.data.length]).toEqual([4, 2, 32]);
    const lut = colorLUT('viridis');
    const at = (r: number, c: number) => Array.from(img.data.subarray((r * 4 + c) * 4, (r * 4 + c) * 4 + 4));
    expect(at(0, 1)).toEqual([lut[765], lut[766], lut[767], 255]); // 0.8 = top of the domain
    expect(at(0, 2)).toEqual([lut[0], lut[1], lut[2], 255]); // 0 = bottom
  });

  it('fits many rows into the height unless a row height is given', () => {
    const rows = 256;
    const data = { values: new Float32Array(rows * 8), rows, cols: 8, rowLabels: [] };
    expect(heatmapLayout(data).rowHeight).toBe(2);
    expect(heatmapLayout(data, { height: 256 }).rowHeight).toBe(1);
    expect(heatmapLayout(data, { rowHeight: 6 }).rowHeight).toBe(6);
    expect(heatmapLayout(DATA).rowHeight).toBe(14);
  });

  it('reads one Pattention out of an engine attention result', () => {
    const w = (n: number) => ({ n, weights: new Float32Array(3 * n).fill(n) });
    const maps: AttentionMaps = { ids: [104, 32, 10], layers: [{ pattention: { query: w(3), key: w(3), value: w(3), proj: w(2), ffn: w(5) }, heads: new Float32Array(9) }] };
    const d = heatmapFromAttention(maps, 0, 'ffn');
    // Row labels are lib/data's byteLabel: the same glyph for a newline as every other view (not `\n`).
    expect([d.rows, d.cols, d.values[0], d.rowLabels]).toEqual([3, 5, 5, ['h', '␣', '⏎']]);
    expect(() => heatmapFromAttention(maps, 1, 'ffn')).toThrow(/layer 1/);
  });

  it('marks display columns holding grown tokens, in sorted order', () => {
    const layout = heatmapLayout(DATA, { order: 'weight' }); // [1, 2, 3, 0]
    expect(Array.from(newColumnMask(layout, 2))).toEqual([0, 1, 1, 0]);
  });
});

describe('heatmap element', () => {
  it('exposes dimensions, draws on one canvas, and labels rows', () => {
    const { paint, images } = capture();
    const el = heatmap(DATA, { document, paint, order: 'cluster', title: 'layer 0 · ffn' });
    expect(el.getAttribute('data-rows')).toBe('2');
    expect(el.getAttribute('data-cols')).toBe('4');
    expect(el.getAttribute('data-display-cols')).toBe('4');
    expect(el.getAttribute('data-order')).toBe('cluster');
    expect(el.querySelectorAll('canvas.viz-heatmap-cells')).toHaveLength(1);
    expect(Array.from(el.querySelectorAll('.viz-row-label'), (n) => n.textContent)).toEqual(['a', 'b']);
    expect(el.querySelector('.viz-legend')).not.toBeNull();
    expect(el.textContent).toContain('layer 0 · ffn');
    expect(images.get('viz-heatmap-cells')).toMatchObject({ width: 4, height: 2 });
  });

  it('stays small in the DOM with thousands of columns', () => {
    const rows = 64;
    const cols = 4096;
    const values = new Float32Array(rows * cols).map((_, i) => (i * 2654435761) % 1000 / 1000);
    const { paint, images } = capture();
    const el = heatmap({ values, rows, cols, rowLabels: Array.from({ length: rows }, (_, i) => String(i)) }, { document, paint, width: 512, order: 'weight' });
    expect(el.getAttribute('data-display-cols')).toBe('512');
    expect(images.get('viz-heatmap-cells')).toMatchObject({ width: 512, height: 64 });
    expect(el.querySelectorAll('*').length).toBeLessThan(300);
  });

  it('shows byte, original token index and value on hover, and hides on leave', () => {
    const el = heatmap(DATA, { document, paint: () => {}, order: 'weight', width: 400, rowHeight: 10, maxCellWidth: 20 });
    const canvas = el.querySelector('canvas.viz-heatmap-cells')!;
    const tip = el.querySelector<HTMLElement>('.viz-tooltip')!;
    move(canvas, 25, 15); // display column 1, row 1 -> original column 2
    expect(tip.style.display).toBe('block');
    expect(tip.textContent).toContain('byte b');
    expect(tip.textContent).toContain('parameter token #2');
    expect(tip.textContent).toContain('0.5000');
    move(canvas, 25, 15, 'mouseleave');
    expect(tip.style.display).toBe('none');
  });

  it('reports clicks with the original column index', () => {
    const onClick = vi.fn();
    const el = heatmap(DATA, { document, paint: () => {}, order: 'weight', width: 400, rowHeight: 10, maxCellWidth: 20, onClick });
    move(el.querySelector('canvas.viz-heatmap-cells')!, 65, 5, 'click');
    expect(onClick).toHaveBeenCalledWith(0, 0);
  });

  it('highlights grown columns and flags them in the tooltip', () => {
    const { paint, images } = capture();
    const el = heatmap(DATA, { document, paint, newFrom: 3, width: 400, rowHeight: 10, maxCellWidth: 20 });
    expect(el.getAttribute('data-new-from')).toBe('3');
    const strip = images.get('viz-heatmap-new')!;
    expect(Array.from(strip.data.filter((_, i) => i % 4 === 3))).toEqual([0, 0, 0, 255]);
    // The strip sits above the grid; the grid canvas still maps from its own top-left corner.
    move(el.querySelector('canvas.viz-heatmap-cells')!, 65, 5);
    expect(el.querySelector('.viz-tooltip')!.textContent).toContain('#3 (new)');
    expect(el.textContent).toContain('new tokens (#3–#3)');
  });

  it('detaches its listeners on dispose', () => {
    const onClick = vi.fn();
    const el = heatmap(DATA, { document, paint: () => {}, onClick, width: 400, rowHeight: 10 });
    el.dispose!();
    const canvas = el.querySelector('canvas.viz-heatmap-cells')!;
    move(canvas, 5, 5);
    move(canvas, 5, 5, 'click');
    expect(el.querySelector<HTMLElement>('.viz-tooltip')!.style.display).toBe('none');
    expect(onClick).not.toHaveBeenCalled();
  });

  it('renders without a 2D context (the default painter is a no-op then)', () => {
    const spy = vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    expect(() => heatmap(DATA, { document })).not.toThrow();
    expect(spy).toHaveBeenCalled();
  });

  it('rejects values that do not match the shape', () => {
    expect(() => heatmap({ ...DATA, cols: 3 }, { document })).toThrow(/8 values/);
  });
});
