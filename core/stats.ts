/** Medians, percentiles and trends of measured samples: one definition for the bench, the soak and verify. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0…100): a value that was actually measured. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error(`p${p} of no samples`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The least-squares slope of y over x (y units per x unit); null with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.x - meanX) * (point.y - meanY);
    variance += (point.x - meanX) ** 2;
  }
  return variance === 0 ? null : covariance / variance;
}

/** A least-squares line's slope and the standard error of that slope (null below three points). */
export interface SlopeFit {
  slope: number;
  standardError: number | null;
}

/** The least-squares slope with its standard error; null with fewer than two distinct x. */
export function leastSquaresFit(points: readonly { x: number; y: number }[]): SlopeFit | null {
  const slope = leastSquaresSlope(points);
  if (slope === null) return null;
  if (points.length < 3) return { slope, standardError: null };
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  const intercept = meanY - slope * meanX;
  const residuals = points.reduce((sum, point) => sum + (point.y - (intercept + slope * point.x)) ** 2, 0);
  const spread = points.reduce((sum, point) => sum + (point.x - meanX) ** 2, 0);
  return { slope, standardError: Math.sqrt(residuals / (points.length - 2) / spread) };
}
