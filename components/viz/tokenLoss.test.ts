// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { layoutTokens, tokenLossMap } from './tokenLoss';

describe('tokenLossMap', () => {
  it('lays tokens out in lines: wraps at the width and breaks at newlines', () => {
    const m = (s: string) => s.length * 10;
    const { boxes, height } = layoutTokens(['The', ' model', '\n', 'reads', ' a', ' long', ' line'], 100, 20, m);
    expect(boxes.map((b) => [b.token, b.x, b.y])).toEqual([
      [0, 0, 0],
      [1, 30, 0],
      [2, 90, 0],
      [3, 0, 20],
      [4, 50, 20],
      [5, 0, 40],
      [6, 50, 40],
    ]);
    expect(height).toBe(60);
  });

  it('draws one element per text with a legend, and never throws without a 2D context', () => {
    const el = tokenLossMap({ texts: ['a', 'b', ''], losses: Float32Array.from([NaN, 1, 2]) }, { document });
    expect(el.getAttribute('data-tokens')).toBe('3');
    expect(el.querySelector('canvas')).not.toBeNull();
    el.dispose?.();
  });
});
