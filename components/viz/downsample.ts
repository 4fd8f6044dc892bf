// Downsampling that keeps charts cheap: min/max thinning for line series, column bucketing for heatmaps.

/**
 * Thins a series to at most `maxPoints` by keeping, per x bucket, the points with the smallest and largest y
 * (in their original order), plus the first and last point. Unlike taking every k-th point this keeps loss
 * spikes visible, which is what a user watching training wants to see.
 */
export function downsampleMinMax<T>(points: readonly T[], maxPoints: number, y: (p: T) => number): T[] {
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  if (maxPoints < 4) return maxPoints >= 2 ? [points[0], points[n - 1]] : points.slice(0, Math.max(0, maxPoints));
  const inner = n - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const out: T[] = [points[0]];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    let iMin = -1;
    let iMax = -1;
    for (let i = start; i < end; i++) {
      const v = y(points[i]);
      if (!Number.isFinite(v)) continue;
      if (iMin < 0 || v < y(points[iMin])) iMin = i;
      if (iMax < 0 || v > y(points[iMax])) iMax = i;
    }
    if (iMin < 0) continue;
    if (iMin === iMax) out.push(points[iMin]);
    else if (iMin < iMax) out.push(points[iMin], points[iMax]);
    else out.push(points[iMax], points[iMin]);
  }
  out.push(points[n - 1]);
  return out;
}

export type ColumnAggregate = 'max' | 'mean';

/** A heatmap's columns after ordering and bucketing to at most `width` display columns. */
export interface ColumnBuckets {
  /** Display columns (<= width). */
  width: number;
  /** Aggregated values, [rows, width] row-major. */
  values: Float32Array;
  /** Original column index shown for each [row, display column]: the bucket's argmax in that row. */
  source: Int32Array;
  /** Sorted positions covered by display column j: [starts[j], starts[j + 1]). Length width + 1. */
  starts: Int32Array;
}

/**
 * Reorders columns by `order` (order[p] = original column at sorted position p) and merges them into at most
 * `maxWidth` display columns by max or mean. With fewer columns than `maxWidth` every column keeps its own.
 * The argmax per bucket is kept so a hovered pixel still names one real parameter token.
 */
export function bucketColumns(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  order: ArrayLike<number>,
  maxWidth: number,
  aggregate: ColumnAggregate = 'max',
): ColumnBuckets {
  if (order.length !== cols) throw new Error(`viz: order has ${order.length} entries for ${cols} columns`);
  const width = Math.max(0, Math.min(cols, Math.floor(maxWidth)));
  const starts = new Int32Array(width + 1);
  for (let j = 0; j <= width; j++) starts[j] = Math.floor((j * cols) / Math.max(1, width));
  const out = new Float32Array(rows * width);
  const source = new Int32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < width; j++) {
      let best = -Infinity;
      let arg = order[starts[j]];
      let sum = 0;
      for (let p = starts[j]; p < starts[j + 1]; p++) {
        const c = order[p];
        const v = values[base + c];
        sum += v;
        if (v > best) {
          best = v;
          arg = c;
        }
      }
      const span = starts[j + 1] - starts[j];
      out[r * width + j] = aggregate === 'max' ? best : sum / span;
      source[r * width + j] = arg;
    }
  }
  return { width, values: out, source, starts };
}
