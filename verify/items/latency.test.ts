import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchFigure, BenchReport } from "../bench-results.ts";
import { latencyPair } from "../bench.ts";
import { verifyContext } from "../testing/context.ts";
import { itemById, judgeItem } from "./registry.ts";

const dir = mkdtempSync(join(tmpdir(), "moltlab-latency-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (label: string, median: number) => ({ label, samples: [median], median, min: median, max: median });

/** The bench's GET /healthz figure with its four rows, the floors in the middle as the bench writes them. */
const http: BenchFigure = {
  id: "warm-latency.http",
  title: "GET /healthz (no model call): every request (median = p50)",
  unit: "ms",
  rows: [
    row("direct (127.0.0.1:18789)", 1),
    row("floor: one-line proxy under the same wrangler dev", 4),
    row("floor in moltworker's shape (static assets → one-line Worker → one-line DO)", 5),
    row("through the Worker", 6),
  ],
};
const chat: BenchFigure = {
  id: "warm-latency.chat",
  title: "Chat round trip",
  unit: "ms",
  rows: [row("direct (127.0.0.1:18789)", 900), row("through the Worker", 950)],
};

describe("the latency item against the Worker's floor", () => {
  it("never takes the floor row for the Worker or for direct access, whatever its position", () => {
    const pair = latencyPair(http)!;
    expect(pair.direct.median).toBe(1);
    expect(pair.worker.median).toBe(6);
    expect(pair.floor?.median).toBe(4);
    expect(pair.shapeFloor?.median).toBe(5);
    const floorsFirst = latencyPair({ ...http, rows: [http.rows[2]!, http.rows[1]!, http.rows[3]!, http.rows[0]!] })!;
    expect([floorsFirst.direct.median, floorsFirst.worker.median, floorsFirst.floor?.median, floorsFirst.shapeFloor?.median]).toEqual([1, 6, 4, 5]);
    expect(latencyPair(chat)?.floor).toBeUndefined();
  });

  it("reports what wrangler dev costs and what the Worker adds beyond it, without letting it decide", async () => {
    const report: BenchReport = { generatedAt: new Date().toISOString(), machine: { cpus: 2 } as BenchReport["machine"], figures: [http, chat] };
    writeFileSync(join(dir, "bench.json"), JSON.stringify(report));
    const judgement = await judgeItem(itemById("latency"), verifyContext(dir));
    // The chat decides (OK); the no-op above 3x of direct makes it "with constraints", as before the floor existed.
    expect(judgement.verdict).toBe("OK with constraints");
    const floorLine = judgement.evidence.find((line) => line.startsWith("Against the floor"));
    expect(floorLine).toContain("wrangler dev alone adds +3.0 ms");
    expect(floorLine).toContain("moltlab's Worker +2.0 ms more: ×1.50 of the floor");
    const shapeLine = judgement.evidence.find((line) => line.startsWith("Against the floor in moltworker's shape"));
    expect(shapeLine).toContain("cost +1.0 ms over the one-line proxy; moltlab's own code adds +1.0 ms: ×1.20 of that floor");
  });
});
