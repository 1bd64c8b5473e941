import { describe, expect, it } from "vitest";
import { judgeChat } from "./items/cold-start.ts";
import { judgeArch } from "./items/architecture.ts";
import { judgePersistence } from "./items/persistence.ts";
import { exitCodeFor, judgeCost, judgeLatency, judgeTools, STOP_CRITERIA, toolStateFrom, type ToolState } from "./verdicts.ts";

const tools = (...states: ToolState[]) => Object.fromEntries(states.map((state, i) => [`tool${i}`, state]));

describe("custom tools (0-2 / 2-1)", () => {
  it("tells a machine without network access from a tool that cannot be installed", () => {
    expect(toolStateFrom("not installed", "the Go module proxy does not serve github.com/x/y@v1 (403 Forbidden)")).toBe("blocked");
    expect(toolStateFrom("not installed", "github.com is not reachable from this machine (getaddrinfo ENOTFOUND github.com)")).toBe("blocked");
    expect(toolStateFrom("not installed", "no linux/arm64 build exists upstream")).toBe("impossible");
    expect(toolStateFrom("ok")).toBe("works");
    expect(toolStateFrom("failed", "exit 1")).toBe("failed");
    expect(toolStateFrom(undefined)).toBe("unknown");
  });

  it("is OK at 80% working with nothing failed, with constraints when a working tool is limited or some are unverified", () => {
    expect(judgeTools(tools("works", "works", "works", "works"))).toMatchObject({ verdict: "OK", working: 4, share: 1 });
    expect(judgeTools({ ...tools("works", "works", "works", "works"), docker: "works" }, ["docker"]).verdict).toBe("OK with constraints");
    expect(judgeTools(tools("works", "works", "works", "works", "blocked")).verdict).toBe("OK with constraints");
  });

  it("is unverified when only the tools this machine could not fetch stand between it and 80%", () => {
    const judgement = judgeTools(tools("works", "works", "works", "works", "works", "blocked", "blocked", "blocked"));
    expect(judgement).toMatchObject({ verdict: "unverified", working: 5, total: 8 });
    expect(judgement.stop).toBeUndefined();
  });

  it("is NG below 80% even counting the unverifiable ones, and hits the stop criterion when most are impossible", () => {
    const below = judgeTools(tools("works", "failed", "failed", "works", "blocked"));
    expect(below.verdict).toBe("NG");
    expect(below.stop).toBeUndefined();
    expect(judgeTools(tools("works", "works", "failed", "works", "blocked")).verdict).toBe("unverified");
    const most = judgeTools(tools("works", "failed", "impossible", "failed"));
    expect(most).toMatchObject({ verdict: "NG", stop: { criterion: STOP_CRITERIA.tools } });
    expect(judgeTools({}).verdict).toBe("unverified");
  });
});

describe("latency (Phase 2)", () => {
  it("is OK within 2x, OK with constraints up to 3x, NG with the stop above 3x", () => {
    expect(judgeLatency(0.87).verdict).toBe("OK");
    expect(judgeLatency(2).verdict).toBe("OK");
    expect(judgeLatency(2.5).verdict).toBe("OK with constraints");
    expect(judgeLatency(3).verdict).toBe("OK with constraints");
    expect(judgeLatency(3.01)).toMatchObject({ verdict: "NG", stop: { criterion: STOP_CRITERIA.latency } });
    expect(judgeLatency(Number.NaN).verdict).toBe("unverified");
  });
});

describe("cost", () => {
  it("is OK within the budget, with constraints when it fits only by sleeping, NG with the stop above it", () => {
    expect(judgeCost({ label: "24/7", usd: 34.65, sleeps: false }, null, 50).verdict).toBe("OK");
    expect(judgeCost({ label: "8 h", usd: 14.6, sleeps: true }, null, 50).verdict).toBe("OK with constraints");
    const over = judgeCost({ label: "standard-4 24/7", usd: 120, sleeps: false }, { label: "standard-4 8 h/day", usd: 45 }, 50);
    expect(over).toMatchObject({ verdict: "NG", stop: { criterion: STOP_CRITERIA.cost } });
    expect(over.why).toContain("standard-4 8 h/day would cost $45.00");
  });
});

describe("chat (0-7) and the first stop criterion", () => {
  const run = {
    boot: { restoreMs: 50, configMs: 3, gatewayMs: 60_000, containerStartToReadyMs: 61_000 },
    httpTurn: { status: 200, replied: true, ms: 9000 },
    wsTurn: { replied: true, ms: 2000, turnMs: 1500 },
  };

  it("is OK when the chat works directly and through the Worker, with constraints when only directly", () => {
    expect(judgeChat(run, true, { firstTokenMs: 125_000 }).verdict).toBe("OK");
    expect(judgeChat(run, true, undefined)).toMatchObject({ verdict: "OK with constraints", why: expect.stringContaining("not through the Worker") });
    expect(judgeChat(undefined, true, { firstTokenMs: 125_000 }).verdict).toBe("OK with constraints");
  });

  it("hits the stop criterion when a measured chat turn or tool execution failed, and is unverified without evidence", () => {
    expect(judgeChat({ ...run, httpTurn: { status: 502, replied: false, ms: 72_000 } }, true, undefined)).toMatchObject({
      verdict: "NG",
      stop: { criterion: STOP_CRITERIA.chat },
    });
    expect(judgeChat(run, false, undefined).stop?.detail).toContain("tool execution");
    expect(judgeChat(undefined, undefined, undefined).verdict).toBe("unverified");
  });
});

describe("persistence (0-6)", () => {
  const all = { A: true, B: true, "B→C": true, D: true } as const;
  it("is OK with constraints when every step passed but a SIGKILL loses the last writes", () => {
    const file = {
      generatedAt: "",
      source: "",
      passed: all,
      sigkill: { ticksWritten: 40, ticksRestored: 31, lost: 9, lossWindowMs: 2400, writtenSpanMs: 9800, backupMaxWaitS: 1 },
    };
    expect(judgePersistence(file)).toMatchObject({
      verdict: "OK with constraints",
      why: expect.stringContaining("the last 2400 ms of a write about every 250 ms (9 writes)"),
    });
    expect(judgePersistence({ ...file, sigkill: { ...file.sigkill, lost: 0 } }).verdict).toBe("OK");
  });

  it("is NG when a step did not complete and unverified when none did", () => {
    expect(judgePersistence({ generatedAt: "", source: "", passed: { A: true } })).toMatchObject({ verdict: "NG", why: expect.stringContaining("B, B→C, D") });
    expect(judgePersistence({ generatedAt: "", source: "" }).verdict).toBe("unverified");
  });
});

describe("architecture (0-4)", () => {
  const image = { tag: "moltlab/openclaw:1-amd64", present: true, architecture: "amd64" };
  it("is NG for an image of the wrong platform or a failing tool, and says why", () => {
    expect(judgeArch("amd64", { ...image, architecture: "arm64" }, { ok: 9, failed: [], notInstalled: [], missing: false })).toMatchObject({
      verdict: "NG",
      why: expect.stringContaining("is arm64, not amd64"),
    });
    expect(judgeArch("amd64", image, { ok: 8, failed: ["gh"], notInstalled: [], missing: false }).verdict).toBe("NG");
  });

  it("is OK only with the image and every tool; otherwise with constraints or unverified", () => {
    expect(judgeArch("amd64", image, { ok: 11, failed: [], notInstalled: [], missing: false }).verdict).toBe("OK");
    expect(judgeArch("amd64", image, { ok: 8, failed: [], notInstalled: ["ghq"], missing: false }).verdict).toBe("OK with constraints");
    expect(judgeArch("amd64", { tag: "x", present: false }, { ok: 0, failed: [], notInstalled: [], missing: true }).verdict).toBe("unverified");
  });
});

describe("exit status", () => {
  it("is 1 when any stop criterion is hit, 0 otherwise", () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor([{ criterion: STOP_CRITERIA.cost, detail: "$80" }])).toBe(1);
  });
});
