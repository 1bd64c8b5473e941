import { describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import type { DiscordFile, JobsFile, ToolsMatrixFile, WakeFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import { featuresOfConfig } from "../parity/features.ts";
import { verifyContext } from "../testing/context.ts";
import { judgeParity, judgeParityItem } from "./parity.ts";
import { USER_TOOLS } from "./tools.ts";

const source = { path: "reports/x.json", generatedAt: null, origin: "reused" as const };
const wake = (data?: Omit<WakeFile, "generatedAt" | "source">): Evidence<WakeFile> =>
  data ? { source, data: { generatedAt: "2026-12-06T00:00:00Z", source: "t", ...data } } : { source, problem: "reports/wake.json does not exist" };
const jobs = (data?: Omit<JobsFile, "generatedAt" | "source">): Evidence<JobsFile> =>
  data ? { source, data: { generatedAt: "2026-12-06T00:00:00Z", source: "t", ...data } } : { source, problem: "reports/jobs.json does not exist" };
const matrix = (statuses: Record<string, "ok" | "failed" | "not installed">): Evidence<ToolsMatrixFile> => ({
  source,
  data: {
    generatedAt: "2026-12-06T00:00:00Z",
    instanceType: "standard-1",
    arm64: "",
    tools: Object.entries(statuses).map(([tool, status]) => ({ tool, version: "1", amd64: { status, evidence: "" }, arm64: null })),
  },
});
const TELEGRAM_SHOWN = wake({
  telegram: { mode: "webhook", allowListedAnswered: true, othersIgnored: true, whileAsleep: { answeredMs: 64_000, deliveryAttempts: 1 } },
  passed: { "allow-list": true, asleep: true },
});

describe("the features of an openclaw.json", () => {
  it("lists enabled channels, MCP servers, plugins, scheduled work, webhook triggers and the browser; skips what is turned off", () => {
    const features = featuresOfConfig({
      channels: { telegram: { dmPolicy: "allowlist" }, discord: { dm: { policy: "pairing" } }, slack: { enabled: false } },
      mcp: {
        servers: {
          grafana: { command: "mcp-grafana", args: ["-t", "stdio"] },
          remote: { url: "https://mcp.example/sse" },
          off: { enabled: false, command: "x" },
        },
      },
      plugins: { entries: { "voice-call": { enabled: true }, old: { enabled: false } } },
      agents: { defaults: { heartbeat: { every: "30m" } } },
      cron: { enabled: true },
      hooks: { enabled: true },
      browser: { enabled: true },
    });
    expect(features.map((feature) => [feature.kind, feature.name, feature.detail])).toEqual([
      ["channel", "telegram", "DM policy allowlist"],
      ["channel", "discord", "DM policy pairing"],
      ["mcp-server", "grafana", "stdio: mcp-grafana -t stdio"],
      ["mcp-server", "remote", "remote: https://mcp.example/sse"],
      ["plugin", "voice-call", ""],
      ["schedule", "heartbeat", "every 30m"],
      ["schedule", "automations", "jobs from `openclaw automations` (kept in the state, restored from R2)"],
      ["webhook-trigger", "hooks", "jobs an HTTP call starts"],
      ["browser", "browser", "the agent's browser tool"],
    ]);
    expect(featuresOfConfig({})).toEqual([]);
  });
});

describe("judging them on the kit's stack", () => {
  it("counts Telegram as working only when its test passed, with the sleep constraint it showed", () => {
    const [shown] = judgeParity(featuresOfConfig({ channels: { telegram: {} } }), { wake: TELEGRAM_SHOWN, matrix: matrix({}) });
    expect(shown).toMatchObject({ verdict: "works with constraints", why: expect.stringContaining("64 s after the message") });
    const [missing] = judgeParity(featuresOfConfig({ channels: { telegram: {} } }), { wake: wake(), matrix: matrix({}) });
    expect(missing).toMatchObject({ verdict: "unverified", why: expect.stringContaining("reports/wake.json does not exist") });
  });

  it("counts Discord as working with the constraint its test measured: nothing sent while the container sleeps is answered, keep it awake", () => {
    const discord = (data?: Omit<DiscordFile, "generatedAt" | "source">): Evidence<DiscordFile> =>
      data ? { source, data: { generatedAt: "2026-12-06T00:00:00Z", source: "t", ...data } } : { source, problem: "reports/discord.json does not exist" };
    const features = featuresOfConfig({ channels: { discord: { dmPolicy: "allowlist" } } });
    const [measured] = judgeParity(features, {
      wake: wake(),
      matrix: matrix({}),
      discord: discord({
        mode: "gateway",
        allowListedAnswered: true,
        othersIgnored: true,
        guildChannelAnswered: true,
        whileAsleep: { sent: 2, answeredAfterWake: 0, waitedMs: 90_000, newSessionAfterWake: true, answeredOnceAwake: true },
        passed: { connected: true, "allow-list": true, "guild-channel": true, asleep: true },
      }),
    });
    expect(measured).toMatchObject({
      verdict: "works with constraints",
      evidence: "npx vitest run --project integration tests/integration/openclaw-channels.test.ts",
    });
    expect(measured!.why).toContain("of 2 message(s) sent while it slept, 2 never got an answer after the wake");
    expect(measured!.why).not.toContain("which nothing guarantees");
    const [lateOne] = judgeParity(features, {
      wake: wake(),
      matrix: matrix({}),
      discord: discord({
        mode: "gateway",
        whileAsleep: { sent: 2, answeredAfterWake: 1, waitedMs: 90_000, newSessionAfterWake: true, answeredOnceAwake: true },
        passed: { "allow-list": true, asleep: true },
      }),
    });
    expect(lateOne!.why).toContain(
      "1 never got an answer after the wake (a new Gateway session: Discord replays nothing to it; 1 did, late, which nothing guarantees)",
    );
    expect(measured!.why).toContain(
      "hears nothing while the container sleeps; keep it awake (SANDBOX_SLEEP_AFTER=never, the cost item's 24/7 line) or use Telegram",
    );
    const [awakeOnly] = judgeParity(features, { wake: wake(), matrix: matrix({}), discord: discord({ mode: "gateway", passed: { "allow-list": true } }) });
    expect(awakeOnly).toMatchObject({ verdict: "works with constraints", why: expect.stringContaining("was not measured") });
    const [none] = judgeParity(features, { wake: wake(), matrix: matrix({}), discord: discord() });
    expect(none).toMatchObject({ verdict: "unverified", why: expect.stringContaining("reports/discord.json does not exist") });
    expect(none!.why).toContain("24/7");
    // Without the Discord evidence at all (an older caller), still unverified with the same advice.
    expect(judgeParity(features, { wake: wake(), matrix: matrix({}) })[0]).toMatchObject({ verdict: "unverified" });
  });

  it("judges MCP servers by their command in the image, tools by the tools matrix, and calls nothing working without a test", () => {
    const judged = judgeParity(
      [
        ...featuresOfConfig({
          mcp: { servers: { grafana: { command: "mcp-grafana" }, fetch: { command: "uvx", args: ["mcp-server-fetch"] } } },
          channels: { imessage: {} },
        }),
        { kind: "tool", name: "gh", from: "image", detail: "" },
        { kind: "tool", name: "docker", from: "image", detail: "" },
        { kind: "tool", name: "ghq", from: "image", detail: "" },
        { kind: "tool", name: "codex", from: "image", detail: "" },
      ],
      { wake: wake(), matrix: matrix({ "mcp-grafana": "ok", gh: "ok", docker: "ok", ghq: "not installed", codex: "failed" }) },
    );
    expect(judged.map((feature) => [feature.name, feature.verdict])).toEqual([
      ["imessage", "not possible"],
      ["grafana", "works"],
      ["fetch", "unverified"],
      ["gh", "works"],
      ["docker", "works with constraints"],
      ["ghq", "unverified"],
      ["codex", "not possible"],
    ]);
  });

  it("judges the sample: shown working, unverified and the share against 80 %, with no stop while unverified ones could lift it", () => {
    const ctx = verifyContext(ROOT, {}, new Date());
    const allOk = Object.fromEntries(USER_TOOLS.map((tool) => [tool, "ok" as const]));
    const result = judgeParityItem(ctx, { wake: TELEGRAM_SHOWN, matrix: matrix(allOk) });
    const rows = result.tables![0]!.rows;
    expect(rows.map((row) => [row[0], row[3]])).toEqual([
      ["channel: telegram", "works with constraints"],
      ["channel: discord", "unverified"],
      ["mcp-server: grafana", "works"],
      ["schedule: heartbeat", "unverified"],
      ["schedule: automations", "unverified"],
      ...USER_TOOLS.map((tool) => [`tool: ${tool}`, tool === "docker" ? "works with constraints" : "works"]),
    ]);
    expect(result.verdict).toBe("unverified");
    expect(result.summary).toMatch(/^sample openclaw.json \+ the plan's tools: 10 of 13 features shown working \(77 %/);
    expect(result.stops).toBeUndefined();
  });

  it("counts automations as working with constraints once a job due while asleep ran after a Cron Trigger, the heartbeat not", () => {
    const shown = jobs({
      schedule: { job: "a command automation", notRunWhileAsleep: true, triggerToRunMs: 9000, lateByMs: 40_000 },
      passed: { schedule: true },
    });
    const config = { agents: { defaults: { heartbeat: { every: "30m" } } }, cron: { enabled: true } };
    const judged = judgeParity(featuresOfConfig(config), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: shown });
    expect(judged.map((feature) => [feature.name, feature.verdict])).toEqual([
      ["heartbeat", "unverified"],
      ["automations", "works with constraints"],
    ]);
    expect(judged[1]!.evidence).toBe("npx vitest run --project integration tests/integration/openclaw-jobs.test.ts");
    expect(judged[1]!.why).toContain("ran 40 s late, 9 s after the trigger");
    expect(judged[1]!.why).toContain("agent turns and heartbeats: OpenClaw starts them ~2 min after boot; not shown");
    const withAgentTurn = jobs({
      ...shown.data!,
      schedule: { ...shown.data!.schedule!, agentTurn: { triggerToRunMs: 150_000, lateByMs: 190_000 } },
    });
    const [, automations] = judgeParity(featuresOfConfig(config), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: withAgentTurn });
    expect(automations!.why).toContain("an agent-turn automation due at the same time ran 190 s late, 150 s after the trigger");
    const [notShown] = judgeParity(featuresOfConfig({ cron: { enabled: true } }), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: jobs({}) });
    expect(notShown).toMatchObject({ verdict: "unverified", why: expect.stringContaining("its schedule test did not pass") });
    const [noFile] = judgeParity(featuresOfConfig({ cron: { enabled: true } }), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: jobs() });
    expect(noFile).toMatchObject({ verdict: "unverified", why: expect.stringContaining("reports/jobs.json does not exist") });
  });

  it("counts webhook triggers as working with constraints once a hook call woke the container, naming the token and Access", () => {
    const config = { hooks: { enabled: true } };
    const [unshown] = judgeParity(featuresOfConfig(config), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: jobs({}) });
    expect(unshown).toMatchObject({ verdict: "unverified", why: expect.stringContaining("its hooks test did not pass") });
    const shown = jobs({
      hooks: { admittedMs: 95_000, turnMs: 99_000, wrongTokenStatus: 401, attempts: 1 },
      passed: { hooks: true },
    });
    const [judged] = judgeParity(featuresOfConfig(config), { wake: TELEGRAM_SHOWN, matrix: matrix({}), jobs: shown });
    expect(judged).toMatchObject({
      verdict: "works with constraints",
      why: expect.stringContaining("admitted 95 s after it was sent (the cold start; first attempt)"),
    });
    expect(judged!.why).toContain("OPENCLAW_HOOKS_TOKEN");
    expect(judged!.why).toContain("Access service token");
  });

  it("stops when the features not possible leave less than 80 % even if every unverified one works", () => {
    const ctx = verifyContext(ROOT, {}, new Date());
    const failing = Object.fromEntries(USER_TOOLS.map((tool) => [tool, "failed" as const]));
    const result = judgeParityItem(ctx, { wake: TELEGRAM_SHOWN, matrix: matrix(failing) });
    expect(result.verdict).toBe("NG");
    expect(result.stops).toEqual([{ criterion: "feature parity ≥ 80 %", detail: expect.stringContaining("8 of 13 features are not possible") }]);
  });
});
