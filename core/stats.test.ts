import { describe, expect, it } from "vitest";
import { leastSquaresFit, leastSquaresSlope, median, percentile } from "./stats.ts";

describe("stats", () => {
  it("takes medians and nearest-rank percentiles of measured samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(() => median([])).toThrow("median of no samples");
  });

  it("fits a least-squares slope with its standard error", () => {
    expect(leastSquaresSlope([{ x: 0, y: 1 }])).toBeNull();
    expect(
      leastSquaresSlope([
        { x: 1, y: 1 },
        { x: 1, y: 5 },
      ]),
    ).toBeNull();
    expect(leastSquaresFit([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })))).toEqual({ slope: 2, standardError: 0 });
    // y = x with residuals +1, -1, -1, +1: slope 1, standard error sqrt((4 / 2) / 5).
    const fit = leastSquaresFit([1, -1, -1, 1].map((noise, x) => ({ x, y: x + noise })));
    expect(fit?.slope).toBeCloseTo(1, 10);
    expect(fit?.standardError).toBeCloseTo(Math.sqrt(2 / 5), 10);
    expect(
      leastSquaresFit([
        { x: 0, y: 0 },
        { x: 1, y: 3 },
      ]),
    ).toEqual({ slope: 3, standardError: null });
  });
});
