// Numeric helpers shared by sampling, usage statistics, the viz and parity checks (one copy each).

/**
 * Per row, the `k` columns with the largest weight, largest first (ties: lower index first).
 * Returns [rows, k'] row-major with k' = min(k, cols). Insertion into a k-slot buffer: O(rows * cols * k),
 * cheaper than sorting each row for the small k this is used with.
 */
export function topK(weights: ArrayLike<number>, rows: number, cols: number, k: number): Int32Array {
  if (weights.length !== rows * cols) throw new Error(`topK: ${weights.length} values for a [${rows}, ${cols}] matrix`);
  const kk = Math.max(0, Math.min(Math.floor(k), cols));
  const out = new Int32Array(rows * kk);
  const vals = new Float64Array(kk);
  for (let r = 0; r < rows; r++) {
    const idx = out.subarray(r * kk, (r + 1) * kk);
    let filled = 0;
    for (let c = 0; c < cols; c++) {
      const v = weights[r * cols + c];
      // NaN never enters: it compares false with everything and would poison the buffer order.
      if (Number.isNaN(v)) continue;
      if (filled === kk && !(v > vals[kk - 1])) continue;
      let i = filled < kk ? filled++ : kk - 1;
      while (i > 0 && v > vals[i - 1]) {
        vals[i] = vals[i - 1];
        idx[i] = idx[i - 1];
        i--;
      }
      vals[i] = v;
      idx[i] = c;
    }
    // Rows made only of NaN leave slots unfilled; mark them so callers do not read column 0 by mistake.
    for (let i = filled; i < kk; i++) idx[i] = -1;
  }
  return out;
}

/**
 * Largest |a[i] - b[i]|. Infinity when the lengths differ or any element is NaN, so a comparison against a
 * tolerance fails instead of passing on NaN (NaN < tol is false, but so would be a silent NaN max).
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}
