/**
 * Feature parity (the plan's Phase 2: at least 80 % of today's features on the new stack): every
 * feature of the person's openclaw.json (verify/parity/features.ts) and every tool of their image,
 * judged on the kit's stack as works / works with constraints / not possible / unverified, each
 * with the test that shows it. Only what a test showed counts as working; what no test covers yet
 * is unverified, never assumed. A stop when even the unverified ones could not lift the share to
 * the plan's 80 %.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { isObject } from "../../container/supervisor/config.ts";
import { parseJson5 } from "../../core/json5.ts";
import { type DiscordFile, EVIDENCE_FILES, integrationTestCommand, type JobsFile, type ToolsMatrixFile, type WakeFile } from "../evidence-files.ts";
import type { Evidence } from "../evidence.ts";
import { SAMPLE_OPENCLAW_CONFIG } from "../migration/inputs.ts";
import { type Feature, featuresOfConfig } from "../parity/features.ts";
import type { Judgement, StopHit, Verdict, VerifyContext } from "../types.ts";
import { USER_TOOLS } from "./tools.ts";

/** The plan's bar: the share of today's features that must work. */
export const PARITY_GOAL_PERCENT = 80;

export type FeatureVerdict = "works" | "works with constraints" | "not possible" | "unverified";

export interface JudgedFeature extends Feature {
  verdict: FeatureVerdict;
  /** The constraint, why it is not possible, or what would verify it. */
  why: string;
  /** The test (or file) whose result this is. */
  evidence: string;
}

const WAKE_TEST = integrationTestCommand(EVIDENCE_FILES.wake);
const JOBS_TEST = integrationTestCommand(EVIDENCE_FILES.jobs);
/** Milliseconds as whole seconds, for a verdict's text. */
const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(0);
const TOOLS_TEST = integrationTestCommand(EVIDENCE_FILES.toolsMatrix);
const DISCORD_TEST = integrationTestCommand(EVIDENCE_FILES.discord);
const KEEP_AWAKE = "keep it awake (SANDBOX_SLEEP_AFTER=never, the cost item's 24/7 line)";
const SLEEP_NOTE = "SANDBOX_SLEEP_AFTER must outlast the longest agent turn: replies go straight to the chat service and do not keep the container awake";
/** Channels that hold a live connection to their service (a gateway WebSocket, Socket Mode): they hear nothing while the container sleeps. */
const LIVE_CONNECTION: Record<string, string> = {
  discord: "OpenClaw's Discord channel (the plugin @openclaw/discord, which the image carries) holds Discord's gateway WebSocket",
  slack: "Slack's Socket Mode holds a WebSocket",
  whatsapp: "WhatsApp Web holds a live socket",
};
const NEEDS_A_MAC = ["imessage", "bluebubbles"];

/**
 * Discord from reports/discord.json: works while the container is awake; a message sent while it
 * sleeps is never delivered (nothing wakes it: Discord pushes down the Gateway WebSocket, not
 * through the Worker, and a new session gets no replay), so it works with that constraint.
 */
function judgeDiscord(feature: Feature, discord: Evidence<DiscordFile> | undefined): JudgedFeature {
  const data = discord?.data;
  const passed = data?.passed ?? {};
  if (!data || !passed["allow-list"]) {
    return {
      ...feature,
      verdict: "unverified",
      why: `no passing run of the Discord test (${discord?.problem ?? "its allow-list test did not pass"}); ${LIVE_CONNECTION.discord}, so it hears nothing while the container sleeps: ${KEEP_AWAKE}`,
      evidence: DISCORD_TEST,
    };
  }
  const asleep = passed.asleep ? data.whileAsleep : undefined;
  const missed = asleep ? asleep.sent - asleep.answeredAfterWake : undefined;
  return {
    ...feature,
    verdict: "works with constraints",
    why: asleep
      ? `answered while the container is awake${data.guildChannelAnswered ? " (DMs and a guild channel)" : ""}; of ${asleep.sent} message(s) sent while it slept, ${missed} never got an answer after the wake (${asleep.newSessionAfterWake ? "a new Gateway session: Discord replays nothing to it" : "the session was resumed"}${asleep.answeredAfterWake > 0 ? `; ${asleep.answeredAfterWake} did, late, which nothing guarantees` : ""}) and nothing woke it: hears nothing while the container sleeps; ${KEEP_AWAKE} or use Telegram with webhooks through the Worker`
      : `answered while the container is awake; what it misses while the container sleeps was not measured (${DISCORD_TEST}): a gateway WebSocket hears nothing then, so ${KEEP_AWAKE} or use Telegram with webhooks through the Worker`,
    evidence: DISCORD_TEST,
  };
}

function judgeChannel(feature: Feature, wake: Evidence<WakeFile>, discord?: Evidence<DiscordFile>): JudgedFeature {
  const { name } = feature;
  if (name === "discord") return judgeDiscord(feature, discord);
  if (name === "telegram") {
    const telegram = wake.data?.telegram;
    const passed = wake.data?.passed ?? {};
    if (!passed["allow-list"] || !telegram) {
      return {
        ...feature,
        verdict: "unverified",
        why: `no passing run of the Telegram test (${wake.problem ?? "its allow-list test did not pass"})`,
        evidence: WAKE_TEST,
      };
    }
    const asleep = passed.asleep && telegram.whileAsleep;
    return {
      ...feature,
      verdict: "works with constraints",
      why: asleep
        ? `answered while the container slept only with webhooks through the Worker (set TELEGRAM_WEBHOOK_SECRET): that answer came ${(telegram.whileAsleep!.answeredMs / 1000).toFixed(0)} s after the message (the cold start); ${SLEEP_NOTE}`
        : `answered while the container runs; a message sent while it sleeps was not shown answered (${WAKE_TEST})`,
      evidence: WAKE_TEST,
    };
  }
  if (NEEDS_A_MAC.includes(name))
    return { ...feature, verdict: "not possible", why: "needs Messages on a Mac; a Cloudflare container runs Linux", evidence: "desk research" };
  const live = LIVE_CONNECTION[name];
  return {
    ...feature,
    verdict: "unverified",
    why: live ? `no emulator for it yet; ${live}, so it hears nothing while the container sleeps: ${KEEP_AWAKE}` : "no emulator for it yet",
    evidence: "none yet",
  };
}

function judgeMcpServer(feature: Feature, tools: Map<string, string>): JudgedFeature {
  const [mode, ...rest] = feature.detail.split(": ");
  const target = rest.join(": ");
  if (mode === "remote")
    return {
      ...feature,
      verdict: "unverified",
      why: `a remote server (${target}): the container needs internet access to reach it; not tested`,
      evidence: "none yet",
    };
  const command = target.split(" ")[0] ?? "";
  const status = tools.get(command);
  if (status === "ok")
    return { ...feature, verdict: "works", why: `${command} runs in the image (the tools matrix probes it under Cloudflare's profile)`, evidence: TOOLS_TEST };
  if (command === "npx" || command === "uvx")
    return {
      ...feature,
      verdict: "unverified",
      why: `${command} fetches the server at start: the container needs internet access, or bake the package into your image`,
      evidence: "none yet",
    };
  return {
    ...feature,
    verdict: "unverified",
    why: status ? `${command} in the tools matrix: ${status}` : `${command || "its command"} is not a tool the image is known to carry: add it to your image`,
    evidence: status ? TOOLS_TEST : "none yet",
  };
}

/** The evidence files parity is judged from; Discord's and the jobs' may be absent (older reports). */
export interface ParityEvidence {
  wake: Evidence<WakeFile>;
  matrix: Evidence<ToolsMatrixFile>;
  discord?: Evidence<DiscordFile>;
  jobs?: Evidence<JobsFile>;
}

const NO_JOBS_FILE = `${EVIDENCE_FILES.jobs.json} was not read`;

function judgeFeature(feature: Feature, evidence: ParityEvidence, tools: Map<string, string>): JudgedFeature {
  const jobs = evidence.jobs;
  switch (feature.kind) {
    case "channel":
      return judgeChannel(feature, evidence.wake, evidence.discord);
    case "mcp-server":
      return judgeMcpServer(feature, tools);
    case "plugin":
      return {
        ...feature,
        verdict: "unverified",
        why: "install it into your image (`openclaw plugins install`) and run it in the sandbox; not tested",
        evidence: "none yet",
      };
    case "schedule": {
      if (feature.name === "heartbeat")
        return {
          ...feature,
          verdict: "unverified",
          why: "a heartbeat is an agent turn on OpenClaw's clock grid, so none runs while the container sleeps; OpenClaw catches a missed one up ~2 min after boot (its code), which a Cron Trigger's wake would allow; not shown yet (the jobs test runs a command and an agent-turn automation, not the heartbeat)",
          evidence: "none yet",
        };
      const schedule = jobs?.data?.schedule;
      if (!jobs?.data?.passed?.schedule || !schedule)
        return {
          ...feature,
          verdict: "unverified",
          why: `runs inside OpenClaw, so only while the container is awake; no passing run of the jobs test (${jobs ? (jobs.problem ?? "its schedule test did not pass") : NO_JOBS_FILE})`,
          evidence: JOBS_TEST,
        };
      const agentTurn = schedule.agentTurn
        ? `; an agent-turn automation due at the same time ran ${seconds(schedule.agentTurn.lateByMs)} s late, ${seconds(schedule.agentTurn.triggerToRunMs)} s after the trigger (OpenClaw starts agent turns ~2 min after boot, so keep SANDBOX_SCHEDULE_AWAKE above that)`
        : " (agent turns and heartbeats: OpenClaw starts them ~2 min after boot; not shown)";
      return {
        ...feature,
        verdict: "works with constraints",
        why: `runs inside OpenClaw, so nothing runs while the container sleeps: add a Cron Trigger (triggers.crons), which wakes it, and OpenClaw runs what came due — late by up to the trigger's period plus a cold start; shown with ${schedule.job}, which ran ${seconds(schedule.lateByMs)} s late, ${seconds(schedule.triggerToRunMs)} s after the trigger${agentTurn}`,
        evidence: JOBS_TEST,
      };
    }
    case "webhook-trigger": {
      const hooks = jobs?.data?.hooks;
      if (!jobs?.data?.passed?.hooks || !hooks)
        return {
          ...feature,
          verdict: "unverified",
          why: `a call through the Worker would wake the container (behind Access); no passing run of the webhook test (${jobs ? (jobs.problem ?? "its hooks test did not pass") : NO_JOBS_FILE})`,
          evidence: JOBS_TEST,
        };
      return {
        ...feature,
        verdict: "works with constraints",
        why: `set the Worker secret OPENCLAW_HOOKS_TOKEN (the supervisor turns hooks on with it); a call through the Worker wakes a sleeping container and waits for it: admitted ${seconds(hooks.admittedMs)} s after it was sent (the cold start; ${hooks.attempts === 1 ? "first attempt" : `${hooks.attempts} attempts: OpenClaw answered 502 or 503 (its 15 s admission timeout) while it still prepared`}), its agent turn at ${seconds(hooks.turnMs)} s; a wrong token got ${hooks.wrongTokenStatus}. On Cloudflare the caller also needs an Access service token (CF-Access-Client-Id/Secret), and a caller that gives up before a cold start ends must retry (use an Idempotency-Key)`,
        evidence: JOBS_TEST,
      };
    }
    case "browser":
      return { ...feature, verdict: "unverified", why: "the image's browser tool against Browser Rendering (CDP) is not tested", evidence: "none yet" };
    case "tool": {
      const status = tools.get(feature.name);
      if (status === "ok")
        return feature.name === "docker"
          ? {
              ...feature,
              verdict: "works with constraints",
              why: "the CLI runs, but no Docker engine starts in the container (item 0-3)",
              evidence: TOOLS_TEST,
            }
          : { ...feature, verdict: "works", why: "does its job in the image under Cloudflare's profile", evidence: TOOLS_TEST };
      if (status === "failed") return { ...feature, verdict: "not possible", why: "failed its probe in the image (tools matrix)", evidence: TOOLS_TEST };
      return {
        ...feature,
        verdict: "unverified",
        why: status ? `${status} on this machine (see item 0-4: where its download or module proxy is reachable it is built)` : "not in the tools matrix",
        evidence: TOOLS_TEST,
      };
    }
  }
}

function readConfig(path: string): Record<string, unknown> {
  const value = parseJson5(readFileSync(path, "utf8"));
  return isObject(value) ? value : {};
}

export function judgeParity(features: Feature[], evidence: ParityEvidence): JudgedFeature[] {
  const tools = new Map((evidence.matrix.data?.tools ?? []).map((row) => [row.tool, row.amd64?.status ?? "not run"]));
  return features.map((feature) => judgeFeature(feature, evidence, tools));
}

export function judgeParityItem(ctx: VerifyContext, evidence: ParityEvidence): Judgement {
  const configPath = ctx.options.openclawConfig ?? SAMPLE_OPENCLAW_CONFIG;
  const shown = relative(ctx.root, configPath).startsWith("..") ? configPath : relative(ctx.root, configPath);
  // Read and checked up front with the migration item's inputs (verify/migration/inputs.ts): it parses here.
  const features = [
    ...featuresOfConfig(readConfig(configPath)),
    ...USER_TOOLS.map((name): Feature => ({ kind: "tool", name, from: "your image's tools", detail: "" })),
  ];
  const judged = judgeParity(features, evidence);
  const count = (verdict: FeatureVerdict) => judged.filter((feature) => feature.verdict === verdict).length;
  const total = judged.length;
  const working = count("works") + count("works with constraints");
  const share = (n: number) => (total ? (100 * n) / total : 100);
  const reachable = share(working + count("unverified"));
  const stops: StopHit[] =
    reachable < PARITY_GOAL_PERCENT
      ? [
          {
            criterion: `feature parity ≥ ${PARITY_GOAL_PERCENT} %`,
            detail: `${count("not possible")} of ${total} features are not possible: at most ${reachable.toFixed(0)} % can work`,
          },
        ]
      : [];
  const verdict: Verdict = stops.length
    ? "NG"
    : share(working) >= PARITY_GOAL_PERCENT
      ? count("works with constraints")
        ? "OK with constraints"
        : "OK"
      : "unverified";
  const sample = ctx.options.openclawConfig === null;
  return {
    verdict,
    summary: `${sample ? "sample openclaw.json + the plan's tools: " : ""}${working} of ${total} features shown working (${share(working).toFixed(0)} %; goal ${PARITY_GOAL_PERCENT} %): ${count("works")} work, ${count("works with constraints")} with constraints, ${count("not possible")} not possible, ${count("unverified")} unverified`,
    evidence: [
      `Read ${shown}: ${features.length - USER_TOOLS.length} features (channels, MCP servers, plugins, scheduled work, webhook triggers, the browser tool), and the ${USER_TOOLS.length} tools of the plan's image (item 0-4's list).`,
      `Each judged by the test that shows it on the kit's stack (table below); a feature no test covers is unverified, never counted as working.`,
      `Shown working: ${share(working).toFixed(0)} %; working if every unverified one does: ${reachable.toFixed(0)} %.`,
    ],
    wouldChange: [
      ...(sample ? ["your own openclaw.json (`--openclaw-config FILE`): this run read the sample"] : []),
      ...judged.filter((feature) => feature.verdict === "unverified").map((feature) => `${feature.from}: ${feature.why}`),
    ],
    sources: [
      { path: shown, generatedAt: null, origin: "static" },
      evidence.wake.source,
      ...(evidence.discord ? [evidence.discord.source] : []),
      ...(evidence.jobs ? [evidence.jobs.source] : []),
      evidence.matrix.source,
    ],
    tables: [
      {
        caption: "Your features on the kit's stack",
        header: ["feature", "from", "what", "verdict", "why / constraint", "shown by"],
        rows: judged.map((feature) => [
          `${feature.kind}: ${feature.name}`,
          feature.from,
          feature.detail || "—",
          feature.verdict,
          feature.why,
          feature.evidence,
        ]),
      },
    ],
    ...(stops.length ? { stops } : {}),
  };
}
