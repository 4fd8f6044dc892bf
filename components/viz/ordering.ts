// Pure helpers over a [rows, cols] weight matrix: column orderings for the heatmap, top-k and dead tokens.
import { topK } from '../../lib/train/numeric';

export { topK };

/** How heatmap columns (parameter tokens) are ordered. */
export type ColumnOrder = 'natural' | 'weight' | 'cluster';

function checkShape(weights: ArrayLike<number>, rows: number, cols: number): void {
  if (weights.length !== rows * cols) throw new Error(`viz: ${weights.length} weights for a [${rows}, ${cols}] matrix`);
}

/** Sum of each column over all rows. */
export function columnSums(weights: ArrayLike<number>, rows: number, cols: number): Float64Array {
  checkShape(weights, rows, cols);
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[c] += weights[r * cols + c];
  return sums;
}

/** Mean of each column over all rows (the usage chart's "mean weight per parameter token"). */
export function columnMeans(weights: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const sums = columnSums(weights, rows, cols);
  const out = new Float32Array(cols);
  for (let c = 0; c < cols; c++) out[c] = rows > 0 ? sums[c] / rows : 0;
  return out;
}

export function naturalOrder(cols: number): Int32Array {
  const order = new Int32Array(cols);
  for (let i = 0; i < cols; i++) order[i] = i;
  return order;
}

/** Columns by total weight, heaviest first; ties keep the original index order so the result is deterministic. */
export function orderByWeight(weights: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const sums = columnSums(weights, rows, cols);
  return naturalOrder(cols).sort((a, b) => sums[b] - sums[a] || a - b);
}

/**
 * Groups columns by the row where each peaks (argmax over rows), groups in row order, heaviest peak first
 * within a group. The result is a staircase: tokens that answer the same input byte sit together. It is
 * O(rows * cols), so it can run on every frame, unlike a correlation-based ordering (O(cols^2 * rows)).
 */
export function orderByCluster(weights: ArrayLike<number>, rows: number, cols: number): Int32Array {
  checkShape(weights, rows, cols);
  const peakRow = new Int32Array(cols);
  const peak = new Float64Array(cols).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = weights[r * cols + c];
      if (v > peak[c]) {
        peak[c] = v;
        peakRow[c] = r;
      }
    }
  }
  return naturalOrder(cols).sort((a, b) => peakRow[a] - peakRow[b] || peak[b] - peak[a] || a - b);
}

/** The column order for `kind`; order[p] is the original column index shown at position p. */
export function columnOrder(kind: ColumnOrder | ArrayLike<number>, weights: ArrayLike<number>, rows: number, cols: number): Int32Array {
  if (typeof kind !== 'string') {
    if (kind.length !== cols || !isPermutation(kind)) throw new Error(`viz: custom order is not a permutation of ${cols} columns`);
    return Int32Array.from(kind);
  }
  switch (kind) {
    case 'natural':
      return naturalOrder(cols);
    case 'weight':
      return orderByWeight(weights, rows, cols);
    case 'cluster':
      return orderByCluster(weights, rows, cols);
    default: {
      const never: never = kind;
      throw new Error(`viz: unknown column order "${String(never)}"`);
    }
  }
}

export function isPermutation(order: ArrayLike<number>): boolean {
  const seen = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const v = order[i];
    if (!Number.isInteger(v) || v < 0 || v >= order.length || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

/** 1 for each column that is in no row's top-k ("dead" parameter tokens), else 0. */
export function deadTokens(weights: ArrayLike<number>, rows: number, cols: number, k: number): Uint8Array {
  const top = topK(weights, rows, cols, k);
  const dead = new Uint8Array(cols).fill(1);
  for (let i = 0; i < top.length; i++) if (top[i] >= 0) dead[top[i]] = 0;
  return dead;
}
