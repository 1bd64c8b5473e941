import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import { verifyOptions } from "../testing/context.ts";
import type { ItemResult, VerifyReport } from "../types.ts";
import { renderHtml } from "./html.ts";
import { writeVerifyReports } from "./index.ts";
import { renderJson } from "./json.ts";
import { renderMarkdown } from "./markdown.ts";

const item = (overrides: Partial<ItemResult>): ItemResult => ({
  id: "0-1",
  title: "Structure",
  question: "What is it?",
  criterion: "Understood",
  verdict: "OK",
  summary: "all there",
  evidence: ["read the files"],
  wouldChange: ["a file going missing"],
  sources: [{ path: "worker/wrangler.jsonc", generatedAt: null, origin: "static" }],
  ...overrides,
});

const report: VerifyReport = {
  generatedAt: "2026-11-25T22:00:00.000Z",
  machine: { arch: "amd64", cpus: 2, memoryGiB: 23.5, docker: "20.10.24", node: "24.21.0" },
  options: verifyOptions({ reuse: true }),
  evidenceMode: "reused from reports/ (--reuse)",
  items: [
    item({}),
    item({
      id: "0-3",
      title: "Docker-in-Docker",
      verdict: "NG",
      summary: "dockerd <cannot> start | not at all",
      evidence: ["error: <script>alert(1)</script> & more"],
      tables: [{ caption: "outcomes", header: ["mode", "ok"], rows: [["cloudflare-profile", "no | never"]] }],
      sources: [{ path: "reports/dind.json", generatedAt: "2026-11-25T20:00:00.000Z", origin: "reused" }],
    }),
    item({
      id: "cost",
      title: "Cost",
      verdict: "OK with constraints",
      summary: "$34.65",
      charts: [
        {
          title: "Monthly cost",
          unit: "USD",
          rows: [
            { label: "budget", median: 50, min: 50, max: 50 },
            { label: "24/7", median: 34.65, min: 34.65, max: 34.65 },
          ],
        },
      ],
      code: [{ caption: "config", text: '{ "a": "<b>" }' }],
      stops: [{ criterion: "cost above the budget", detail: "$80 against $50" }],
    }),
    item({
      id: "latency",
      title: "Latency",
      verdict: "unverified",
      summary: "no bench",
      sources: [{ path: "reports/bench.json", generatedAt: null, origin: "missing" }],
    }),
  ],
  stops: [{ criterion: "cost above the budget", detail: "$80 against $50" }],
  exitCode: 1,
};

describe("verify report writers", () => {
  it("Markdown: summary table at the top, then one section per item with evidence, what would change it and dated sources", () => {
    const md = renderMarkdown(report);
    const summaryAt = md.indexOf("| # | item | question | verdict | evidence |");
    expect(summaryAt).toBeGreaterThan(0);
    expect(summaryAt).toBeLessThan(md.indexOf("## 0-1 Structure"));
    expect(md).toContain("| 0-3 | [Docker-in-Docker](#0-3-docker-in-docker) | What is it? | ❌ NG | dockerd <cannot> start \\| not at all |");
    expect(md).toContain('<a id="0-3-docker-in-docker"></a>');
    expect(md).toContain("**Stop criteria hit (exit 1):** cost above the budget — $80 against $50.");
    expect(md).toContain("- reports/dind.json: reused, generated 2026-11-25 20:00 UTC (2 h before this report)");
    expect(md).toContain("- reports/bench.json: missing");
    expect(md).toContain("| budget | 50.0 | 50.0 | 50.0 |");
    expect(md).toContain('```json\n{ "a": "<b>" }\n```');
    expect(md).toContain("**What would change the verdict**");
  });

  it("HTML: self-contained (no scripts, no external resources), escaped, with inline SVG charts and verdict badges", () => {
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|\ssrc=|@import|url\(/i);
    expect(html).toContain("error: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(html).toContain('<span class="badge ng">NG</span>');
    expect(html).toContain('<span class="badge constrained">OK with constraints</span>');
    expect(html).toMatch(/<figure class="chart"><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>[\s\S]*Monthly cost[\s\S]*<\/svg><\/figure>/);
    expect(html).toContain("<pre>{ &quot;a&quot;: &quot;&lt;b&gt;&quot; }</pre>");
    expect(html.indexOf('<table class="summary">')).toBeLessThan(html.indexOf('<section id="0-1-structure"'));
    expect(html).toContain('<a href="#latency-latency">Latency</a>');
  });

  it("JSON: the whole report, versioned, parseable", () => {
    const json = JSON.parse(renderJson(report)) as VerifyReport & { schema: number };
    expect(json.schema).toBe(1);
    expect(json.items.map((i) => [i.id, i.verdict])).toEqual([
      ["0-1", "OK"],
      ["0-3", "NG"],
      ["cost", "OK with constraints"],
      ["latency", "unverified"],
    ]);
    expect(json.exitCode).toBe(1);
  });

  it("writes the three files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "moltlab-verify-"));
    try {
      const paths = await writeVerifyReports(report, dir);
      expect(paths.map((path) => path.slice(dir.length + 1))).toEqual(["verify.md", "verify.json", "verify.html"]);
      expect(readFileSync(paths[2]!, "utf8")).toContain("</html>");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Each check spawns the CLI (about 1.5 s on an idle 2-core host): vitest's 5 s default is too tight under load.
describe("moltlab verify on the command line", { timeout: 30_000 }, () => {
  const cli = (args: string[]) => {
    const result = spawnSync(process.execPath, [join(ROOT, "bin/moltlab.mjs"), "verify", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    return { code: result.status, output: result.stdout + result.stderr };
  };

  it("prints its options with --help", () => {
    const { code, output } = cli(["--help"]);
    expect(code).toBe(0);
    expect(output).toMatch(/^usage: moltlab verify \[options\]/);
    expect(output).toContain("--reuse");
  });

  it("refuses a bad option or a missing file before doing anything, naming the fix", () => {
    expect(cli(["--arch", "sparc"])).toMatchObject({ code: 1, output: expect.stringContaining("fix: use `--arch amd64`") });
    expect(cli(["--reuse", "--litellm", "/nonexistent/config.yaml"])).toMatchObject({
      code: 1,
      output: expect.stringContaining("the LiteLLM config /nonexistent/config.yaml does not exist"),
    });
  });

  it("refuses a Dockerfile that does not parse, naming its line and the fix, and writes no report", () => {
    const dir = mkdtempSync(join(tmpdir(), "moltlab-verify-dockerfile-"));
    const report = join(ROOT, "reports/verify.json");
    const before = existsSync(report) ? statSync(report).mtimeMs : null;
    try {
      writeFileSync(join(dir, "Dockerfile"), "FROM debian\nRUN apt-get install -y jq\nINSTALL gh\n");
      const { code, output } = cli(["--reuse", "--dockerfile", join(dir, "Dockerfile")]);
      expect(code).toBe(1);
      expect(output).toContain(`${join(dir, "Dockerfile")}:3: unknown instruction INSTALL`);
      expect(output).toContain("fix: use one of ADD, ARG");
      expect(existsSync(report) ? statSync(report).mtimeMs : null).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
