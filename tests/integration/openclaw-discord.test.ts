/**
 * OpenClaw's Discord channel (the image's @openclaw/discord plugin) against the Discord emulator,
 * through the whole local stack (startSandbox, as `npm run dev -- --discord` runs it, on Docker's
 * bridge network: the supervisor forwards DISCORD_API_URL through the container's loopback, the
 * only plain HTTP the plugin accepts). Discord pushes messages down a Gateway WebSocket that the
 * container holds open; nothing goes through the Worker, so nothing wakes a sleeping container.
 * Shown here: OpenClaw connects (READY); a person on the allow-list gets the model's answer in
 * their DM and in a guild channel configured without a mention; anyone else gets nothing; what
 * was sent while the container slept, measured after the wake (Discord does not replay to a new
 * session, and a stopped process cannot resume its old one); and a revoked token gives
 * OpenClaw's fatal-close log line without a crash loop.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENCLAW_DISCORD_INTENTS } from "../../contract/discord.ts";
import { StepRunner } from "../../core/ui.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { type BotAction, type StartedDiscord, startDiscord } from "../../emulators/discord/index.ts";
import { demuxLogs } from "../../platform/server/docker-logs.ts";
import { type StartedSandbox, startSandbox } from "../../stack/sandbox.ts";
import { type DiscordFile, EVIDENCE_FILES } from "../../verify/evidence-files.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { waitFor } from "../shared/wait.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";

const MINUTES = 60_000;
const ALICE = { id: "100000000000000001", username: "alice" };
const MALLORY = { id: "100000000000000002", username: "mallory" };
/** Long enough for a model turn; the tests keep the container awake with requests until the sleep test. */
const SLEEP_AFTER = "30s";
/** reports/discord.json, for verify's parity item. */
const evidence = new EvidenceRecorder<DiscordFile>(EVIDENCE_FILES.discord, "OpenClaw's Discord channel against the Discord emulator (parity item)", {
  mode: "gateway",
});
const reply = (text: string): Scenario[] => [{ name: "discord", match: { provider: "anthropic" }, reply: { text } }];

describe("OpenClaw's Discord channel through the Worker, holding the Gateway WebSocket", () => {
  let discord: StartedDiscord;
  let sandbox: StartedSandbox;
  let stateDir: string;
  let keepAwake: NodeJS.Timeout | undefined;
  const workerLines: string[] = [];

  const status = async () =>
    (await (await fetch(`${sandbox.url}/api/status`, { signal: AbortSignal.timeout(30_000) })).json()) as {
      status: string;
      container: { status: string; starts: number; lastError: string | null };
    };
  /** Replies go straight to Discord, never through the Worker: requests keep the container awake (SANDBOX_SLEEP_AFTER). */
  const startKeepingAwake = () => {
    keepAwake ??= setInterval(() => void fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) }).catch(() => undefined), 5000);
  };
  const stopKeepingAwake = () => {
    clearInterval(keepAwake);
    keepAwake = undefined;
  };
  const answerIn = (channelId: string, text: string) => (action: BotAction) =>
    action.kind === "send" && action.channelId === channelId && action.message?.content === text;
  const sendsIn = (channelId: string) => discord.actions(channelId).filter((action) => action.kind === "send");
  const containerLogs = async () => {
    const id = sandbox.platform.containers.states().find((state) => state.status === "running")?.containerId;
    if (!id) return "";
    return demuxLogs((await new Docker().getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
  };

  beforeAll(async () => {
    discord = await startDiscord();
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-discord-state-"));
    sandbox = await startSandbox({
      arch: "amd64",
      // Docker's bridge, as on Docker Desktop: the container reaches the emulator through the bridge
      // door, and the supervisor's loopback forwarder (DISCORD_API_URL must be loopback for plain HTTP).
      network: "bridge",
      containerPrefix: "moltlab-discord-",
      port: 0,
      persistTo: stateDir,
      devMode: true,
      sleepAfter: SLEEP_AFTER,
      discord: {
        botToken: discord.token,
        apiUrl: discord.apiUrl,
        dmPolicy: "allowlist",
        allowFrom: [ALICE.id],
        guildChannels: [{ guildId: discord.guildId, channelId: discord.channels.general! }],
      },
      steps: new StepRunner((line) => console.log(line)),
      onWorkerLine: (line) => workerLines.push(line),
    });
  }, 10 * MINUTES);

  afterAll(async () => {
    stopKeepingAwake();
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await discord?.stop();
    await evidence.write();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it(
    "boots, and OpenClaw's Discord plugin identifies on the emulator's Gateway (READY) with its intents",
    async () => {
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      startKeepingAwake();
      const session = await discord.waitForSession({ timeoutMs: 3 * MINUTES });
      evidence.set("connected", { intents: session.intents });
      console.log(
        `discord: identified with intents ${session.intents}; REST calls: ${[...new Set(discord.bot.calls.map((c) => `${c.method} ${c.route}`))].join(", ")}`,
      );
      if (discord.bot.unsupported.length) console.log(`discord: routes the emulator lacks: ${JSON.stringify(discord.bot.unsupported)}`);
      // Guilds, GuildMessages, MessageContent, DirectMessages and the reactions, at least.
      expect(session.intents & OPENCLAW_DISCORD_INTENTS & ~(1 << 7)).toBe(OPENCLAW_DISCORD_INTENTS & ~(1 << 7));
      evidence.passed("connected");
    },
    6 * MINUTES,
  );

  it(
    "answers a person on the allow-list in their DM, and nobody else",
    async () => {
      sandbox.aiGateway!.load(reply("Hello Alice, from the scripted model."));
      const fromMallory = discord.userSends({ from: MALLORY, dm: true, text: "let me in" });
      const fromAlice = discord.userSends({ from: ALICE, dm: true, text: "hello bot" });
      const answer = await discord.waitForAction(answerIn(fromAlice.channel.id, "Hello Alice, from the scripted model."), { timeoutMs: 3 * MINUTES });
      evidence.set("allowListedAnswered", true);
      // Mallory wrote first; by Alice's answer OpenClaw had dropped it (dmPolicy allowlist: silently, no pairing code).
      const toMallory = discord.actions(fromMallory.channel.id);
      evidence.set("othersIgnored", toMallory.length === 0);
      expect(answer.message?.author.id).toBe(discord.bot.user.id);
      expect(toMallory).toEqual([]);
      evidence.passed("allow-list");
    },
    5 * MINUTES,
  );

  it(
    "answers in a guild channel configured without a mention (DISCORD_GUILD_CHANNELS)",
    async () => {
      sandbox.aiGateway!.load(reply("Hello #general, from the scripted model."));
      const general = discord.channels.general!;
      discord.userSends({ from: ALICE, channelId: general, text: "hello channel, no mention" });
      const answer = await discord.waitForAction(answerIn(general, "Hello #general, from the scripted model."), { timeoutMs: 3 * MINUTES });
      evidence.set("guildChannelAnswered", true);
      expect(answer.message?.author.id).toBe(discord.bot.user.id);
      evidence.passed("guild-channel");
    },
    5 * MINUTES,
  );

  it(
    "measures what a sleeping container misses: messages sent while it sleeps, after the wake",
    async () => {
      const before = await status();
      const sessionBefore = discord.sessions().find((session) => session.connected)?.sessionId;
      stopKeepingAwake();
      await waitFor("the container to go to sleep (SANDBOX_SLEEP_AFTER)", async () => (await status()).status === "not_running", 3 * MINUTES, 1000);
      // Asleep: no process holds the Gateway, and nothing reaches the Worker to wake it.
      sandbox.aiGateway!.load(reply("Answer to a message sent during the sleep."));
      const dm = discord.userSends({ from: ALICE, dm: true, text: "are you awake?" }).channel.id;
      discord.userSends({ from: ALICE, channelId: discord.channels.general!, text: "anyone here while you sleep?" });
      const sent = 2;
      const sentAt = performance.now();
      const dmSendsBefore = sendsIn(dm).length;
      const generalSendsBefore = sendsIn(discord.channels.general!).length;
      // Nothing wakes it: the messages went down no connection and nothing reached the Worker.
      expect((await status()).status).toBe("not_running");
      // Woken by a request through the Worker, as a person opening the Control UI would.
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      startKeepingAwake();
      const after = await waitForSandboxRunning(status, MINUTES);
      expect(after.container.starts).toBe(before.container.starts + 1);
      const session = await waitFor(
        "a Gateway session from the woken container",
        async () => discord.sessions().find((s) => s.connected && s.sessionId !== sessionBefore),
        3 * MINUTES,
        1000,
      );
      // It hears what comes now. Dispatches arrive in order, so by the time this is answered anything
      // replayed from the sleep would have been answered first: no extra waiting window needed.
      sandbox.aiGateway!.load(reply("Awake again."));
      discord.userSends({ from: ALICE, dm: true, text: "and now?" });
      const now = await discord.waitForAction(answerIn(dm, "Awake again."), { timeoutMs: 3 * MINUTES }).catch(() => null);
      const answeredAfterWake =
        sendsIn(dm)
          .slice(dmSendsBefore)
          .filter((action) => action !== now).length +
        (sendsIn(discord.channels.general!).length - generalSendsBefore);
      const record = {
        sent,
        answeredAfterWake,
        waitedMs: Math.round(performance.now() - sentAt),
        newSessionAfterWake: session.resumes === 0,
        answeredOnceAwake: now !== null,
      };
      evidence.set("whileAsleep", record);
      // Printed for the README, never asserted: what a Discord user loses to a sleeping container.
      console.log(
        `discord: ${sent} message(s) sent while the container slept; ${answeredAfterWake} answered after the wake (by the time a new message was); the woken container ${record.newSessionAfterWake ? "identified a new session (nothing replayed)" : "resumed the old session"}`,
      );
      expect(now).not.toBeNull();
      evidence.passed("asleep");
    },
    15 * MINUTES,
  );

  it(
    "says so when the bot's token is revoked, and keeps serving: no crash loop, the Worker unaffected",
    async () => {
      const before = await status();
      // The Developer Portal's reset: REST answers 401 from now on, the live session is closed 4004.
      discord.revoke();
      const line = await waitFor(
        "OpenClaw's log line about the fatal Gateway close 4004",
        async () =>
          (await containerLogs())
            .split("\n")
            .find((entry) => /Fatal gateway close code: 4004/.test(entry) || (/discord/i.test(entry) && /code=4004/.test(entry))),
        3 * MINUTES,
        2000,
      );
      // An observation window, not a synchronisation: a crash loop would show as container restarts,
      // and OpenClaw's channel restarts back off from 5 s, so 20 s sees at least one.
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      const serving = (await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) })).status === 200;
      const after = await status();
      const logs = await containerLogs();
      evidence.set("revokedToken", { logLine: line.slice(0, 300), gatewayServing: serving, extraStarts: after.container.starts - before.container.starts });
      console.log(`discord: revoked token → ${line.slice(0, 300)}`);
      expect(serving).toBe(true);
      expect([after.status, after.container.starts]).toEqual(["running", before.container.starts]);
      expect(logs).not.toContain(discord.token);
      evidence.passed("revoked-token");
    },
    10 * MINUTES,
  );

  it("never prints the bot token in the Worker's output", () => {
    expect(workerLines.length).toBeGreaterThan(0);
    for (const value of sandbox.secrets) expect(workerLines.join("\n")).not.toContain(value);
    expect(workerLines.join("\n")).not.toContain(discord.token);
  });
});
