import { describe, expect, it } from "vitest";
import { rangeChartSvg } from "./charts.ts";

describe("rangeChartSvg", () => {
  const svg = rangeChartSvg({
    title: "cold start <amd64>",
    unit: "s",
    rows: [{ label: "direct", median: 10, min: 8, max: 12 }, { label: "through the Worker", median: 20, min: 15, max: 40 }],
  });

  it("draws one bar per row, scaled to the largest value, with ratios to the first row", () => {
    expect(svg.match(/fill="#f38020"/g)).toHaveLength(2);
    // 40 is the widest value: the second whisker ends at the plot's right edge (240 + 420).
    expect(svg).toContain('x2="660.0"');
    expect(svg).toContain("20.0 s ×2.00");
    expect(svg).not.toContain("10.0 s ×");
  });

  it("escapes text so a label cannot break the markup", () => {
    expect(svg).toContain("cold start &lt;amd64&gt;");
  });

  it("refuses an empty chart", () => {
    expect(() => rangeChartSvg({ title: "nothing", unit: "s", rows: [] })).toThrow(/no rows/);
  });
});
