// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { colorLegend, colorLUT, extent, parseColor, valuesToRGBA } from './color';

describe('color', () => {
  it('parses the two color forms Plot returns', () => {
    expect(parseColor('#440154')).toEqual([68, 1, 84]);
    expect(parseColor('rgb(8, 48, 107)')).toEqual([8, 48, 107]);
    expect(() => parseColor('teal')).toThrow(/parse/);
  });

  it('builds a lookup table spanning the scheme', () => {
    const lut = colorLUT('viridis', 256);
    expect(lut.length).toBe(768);
    expect(Array.from(lut.subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(lut.subarray(765))).toEqual([253, 231, 37]);
    expect(colorLUT('viridis', 256)).toBe(lut);
  });

  it('maps values through the domain, clamps, and leaves non-finite or masked cells transparent', () => {
    const lut = Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200]);
    const px = valuesToRGBA([0, 0.5, 1, 7, NaN, -3, 1], lut, [0, 1], (i) => i !== 6);
    expect(Array.from(px)).toEqual([
      0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 200, 200, 200, 255, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0,
    ]);
  });

  it('computes an extent that is never empty', () => {
    expect(extent([3, -1, 2])).toEqual([-1, 3]);
    expect(extent([])).toEqual([0, 1]);
    expect(extent([0, 0])).toEqual([0, 1]);
    expect(extent([0.5, 0.5])).toEqual([0, 0.5]);
    expect(extent([NaN, 2, NaN, 4])).toEqual([2, 4]);
  });

  it('draws the legend as SVG without a canvas', () => {
    const svg = colorLegend([0, 0.8], { document, label: 'weight' });
    expect(svg.tagName.toLowerCase()).toBe('svg');
    expect(svg.querySelectorAll('rect').length).toBe(48);
    expect(svg.textContent).toContain('weight');
    expect(svg.querySelector('canvas, image')).toBeNull();
  });
});
