// Canvas plumbing for the grid charts: one pixel per cell, scaled up by CSS, with an injectable painter.
import { h } from './dom';

/** RGBA bytes for a width x height image, row-major. */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * Paints an image onto a canvas. Injectable so tests (jsdom has no 2D context) can capture exactly what
 * would be drawn, and so a host could swap in a WebGL painter without touching the charts.
 */
export type PixelSink = (canvas: HTMLCanvasElement, image: PixelImage) => void;

/**
 * The default painter. A missing 2D context (jsdom, a lost context, a canvas-less worker DOM) leaves the
 * canvas blank but keeps the rest of the chart (labels, legend, tooltips) working.
 */
export const putPixels: PixelSink = (canvas, image) => {
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext('2d');
  } catch {
    ctx = null;
  }
  if (!ctx || image.width === 0 || image.height === 0) return;
  const img = ctx.createImageData(image.width, image.height);
  img.data.set(image.data);
  ctx.putImageData(img, 0, 0);
};

/**
 * A canvas whose backing store is one pixel per cell, stretched to cssWidth x cssHeight with nearest-neighbour
 * scaling. That keeps drawing O(cells) whatever the zoom and stays crisp at any devicePixelRatio.
 */
export function gridCanvas(doc: Document, cellsX: number, cellsY: number, cssWidth: number, cssHeight: number, cls: string): HTMLCanvasElement {
  const canvas = h(doc, 'canvas', { class: cls, width: cellsX, height: cellsY }, {
    width: `${cssWidth}px`,
    height: `${cssHeight}px`,
    display: 'block',
    'image-rendering': 'pixelated',
  });
  return canvas;
}

/** Grid cell under a point in CSS pixels, or null outside the grid. */
export function gridCell(x: number, y: number, cellWidth: number, cellHeight: number, cellsX: number, cellsY: number): { i: number; j: number } | null {
  if (!(x >= 0 && y >= 0)) return null;
  const j = Math.floor(x / cellWidth);
  const i = Math.floor(y / cellHeight);
  if (i >= cellsY || j >= cellsX) return null;
  return { i, j };
}
