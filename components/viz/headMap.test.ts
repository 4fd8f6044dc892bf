// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AttentionMaps } from '../../lib/tokenformer/types';
import { headCellAt, headImage, headMap, headMaps, headMapsFromAttention } from './headMap';
import type { PixelImage } from './canvas';

// Causal attention over "abc": each row sums to 1 over keys 0..i.
const T = 3;
const W = Float32Array.from([
  1.0, 0.0, 0.0,
  0.3, 0.7, 0.0,
  0.2, 0.2, 0.6,
]);
const LABELS = ['a', 'b', 'c'];

describe('head map helpers', () => {
  it('leaves the future (upper triangle) transparent', () => {
    const img = headImage(W, T, 'viridis', [0, 1]);
    const alpha = Array.from(img.data.filter((_, i) => i % 4 === 3));
    expect(alpha).toEqual([255, 0, 0, 255, 255, 0, 255, 255, 255]);
  });

  it('maps a point to (query, key) and refuses masked cells', () => {
    expect(headCellAt(T, 10, 15, 25)).toEqual({ query: 2, key: 1 });
    expect(headCellAt(T, 10, 25, 5)).toBeNull();
    expect(headCellAt(T, 10, 31, 25)).toBeNull();
  });

  it('reads a layer\'s heads out of an engine attention result', () => {
    const p = { n: 1, weights: new Float32Array(3) };
    const maps: AttentionMaps = { ids: [97, 98, 99], layers: [{ pattention: { query: p, key: p, value: p, proj: p, ffn: p }, heads: new Float32Array(2 * 9) }] };
    expect(headMapsFromAttention(maps, 0)).toMatchObject({ numHeads: 2, T: 3, labels: LABELS });
    expect(() => headMapsFromAttention({ ...maps, layers: [{ ...maps.layers[0], heads: new Float32Array(10) }] }, 0)).toThrow(/whole number/);
    expect(() => headMapsFromAttention(maps, 3)).toThrow(/no layer 3/);
  });

  it('rejects a non-square input', () => {
    expect(() => headImage(W.subarray(0, 8), T)).toThrow(/\[3, 3\]/);
  });
});

describe('headMap', () => {
  it('labels both axes and paints one T x T image', () => {
    const paint = vi.fn<(c: HTMLCanvasElement, img: PixelImage) => void>();
    const el = headMap({ weights: W, T, labels: LABELS }, { document, paint, cellSize: 10, title: 'layer 1 head 0' });
    expect(el.getAttribute('data-rows')).toBe('3');
    expect(Array.from(el.querySelectorAll('.viz-headmap-keys .viz-col-label'), (n) => n.textContent)).toEqual(LABELS);
    expect(Array.from(el.querySelectorAll('.viz-headmap-queries .viz-row-label'), (n) => n.textContent)).toEqual(LABELS);
    expect(paint).toHaveBeenCalledTimes(1);
    expect(paint.mock.calls[0][1]).toMatchObject({ width: 3, height: 3 });
    expect(el.querySelector('.viz-legend')).not.toBeNull();
  });

  it('shows query, key and weight on hover', () => {
    const el = headMap({ weights: W, T, labels: LABELS }, { document, paint: () => {}, cellSize: 10 });
    const tip = el.querySelector<HTMLElement>('.viz-tooltip')!;
    el.querySelector('canvas')!.dispatchEvent(new MouseEvent('mousemove', { clientX: 15, clientY: 15 }));
    expect(tip.textContent).toBe('query b (position 1)\nkey b (position 1)\nweight 0.7000');
    el.querySelector('canvas')!.dispatchEvent(new MouseEvent('mousemove', { clientX: 25, clientY: 5 }));
    expect(tip.style.display).toBe('none');
  });
});

describe('headMaps', () => {
  it('draws every head with one shared color domain', () => {
    const heads = new Float32Array(2 * T * T);
    heads.set(W, 0);
    heads.set(W.map((v) => v / 2), T * T);
    const images: PixelImage[] = [];
    const el = headMaps({ heads, numHeads: 2, T, labels: LABELS }, { document, paint: (_c, img) => images.push(img), columns: 2 });
    expect(el.getAttribute('data-heads')).toBe('2');
    expect(Array.from(el.querySelectorAll('[data-head]'), (n) => n.textContent)).toEqual(['head 0', 'head 1']);
    expect(el.querySelectorAll('.viz-legend')).toHaveLength(1);
    // Shared domain [0, 1]: head 1's strongest cell (0.5) is not drawn with head 0's top color.
    const top = (img: PixelImage) => Array.from(img.data.subarray(0, 3));
    expect(top(images[1])).not.toEqual(top(images[0]));
    expect(() => el.dispose!()).not.toThrow();
  });
});
