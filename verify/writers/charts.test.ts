import { describe, expect, it } from "vitest";
import { fitLabel, rangeChartSvg } from "./charts.ts";

describe("rangeChartSvg", () => {
  const svg = rangeChartSvg({
    title: "cold start <amd64>",
    unit: "s",
    rows: [
      { label: "direct", median: 10, min: 8, max: 12 },
      { label: "through the Worker", median: 20, min: 15, max: 40 },
    ],
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

  it("fits long labels (the full one stays as a tooltip), drops Markdown backticks from the title, and shows a tiny share as ×<0.01", () => {
    const long = "first request → first streamed token";
    const detail = rangeChartSvg({
      title: "WebSocket round trip (`health`)",
      unit: "ms",
      rows: [
        { label: long, median: 60_000, min: 50_000, max: 70_000 },
        { label: "config", median: 3, min: 2, max: 4 },
      ],
    });
    expect(detail).toContain(`<title>${long}</title>${fitLabel(long)}</text>`);
    expect(fitLabel(long)).toBe("first request → first streame…");
    expect(detail).toContain("WebSocket round trip (health)");
    expect(detail).toContain("3.00 ms ×&lt;0.01");
  });

  it("refuses an empty chart", () => {
    expect(() => rangeChartSvg({ title: "nothing", unit: "s", rows: [] })).toThrow(/no rows/);
  });
});
