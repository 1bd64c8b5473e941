/**
 * OpenClaw's chat channels against their emulators, through the whole local stack (startSandbox,
 * as `npm run dev -- --telegram --discord` runs it, on Docker's bridge network), in one sandbox as
 * a user with both channels runs it — and one OpenClaw boot, one sleep and one restart for both.
 *
 * - Telegram, in webhook mode: Telegram posts each update to the Worker's /telegram/webhook, which
 *   wakes the container when it sleeps, so a message sent while it sleeps is answered after the cold
 *   start it causes — the gap moltworker's polling leaves (its issue #139).
 * - Discord (the image's @openclaw/discord plugin): messages come down a Gateway WebSocket the
 *   container holds open; nothing goes through the Worker, so nothing wakes a sleeping container.
 *   What was sent while it slept is measured after the wake (Discord does not replay to a new
 *   session, and a stopped process cannot resume its old one).
 * - A person on the allow-list gets the model's answer (from the AI Gateway emulator); anyone else
 *   gets nothing. Revoked tokens give OpenClaw's log lines without a crash loop.
 *
 * Webhook jobs and automations have their own sandbox (openclaw-jobs.test.ts), so the two files run
 * side by side.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENCLAW_DISCORD_INTENTS } from "../../contract/discord.ts";
import { StepRunner } from "../../core/ui.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { type BotAction as DiscordAction, type StartedDiscord, startDiscord } from "../../emulators/discord/index.ts";
import { type BotAction as TelegramAction, type StartedTelegram, startTelegram } from "../../emulators/telegram/index.ts";
import { type StartedSandbox, startSandbox } from "../../stack/sandbox.ts";
import { type DiscordFile, EVIDENCE_FILES, type WakeFile } from "../../verify/evidence-files.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { waitFor } from "../shared/wait.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";
import { SandboxWatch } from "./sandbox-watch.ts";

const MINUTES = 60_000;
const TG = { alice: { id: 1001, first_name: "Alice", username: "alice" }, mallory: { id: 2002, first_name: "Mallory", username: "mallory" } };
const DC = { alice: { id: "100000000000000001", username: "alice" }, mallory: { id: "100000000000000002", username: "mallory" } };
/** Long enough for a model turn: the tests keep the container awake with requests until they want it asleep. */
const SLEEP_AFTER = "20s";
/** reports/wake.json and reports/discord.json, for verify's parity item. */
const wake = new EvidenceRecorder<WakeFile>(EVIDENCE_FILES.wake, "OpenClaw's chat channels against their emulators (parity item)", {
  telegram: { mode: "webhook" },
});
const discordEvidence = new EvidenceRecorder<DiscordFile>(EVIDENCE_FILES.discord, "OpenClaw's Discord channel against the Discord emulator (parity item)", {
  mode: "gateway",
});
const reply = (text: string): Scenario[] => [{ name: "channels", match: { provider: "anthropic" }, reply: { text } }];

describe("OpenClaw's Telegram and Discord channels through the Worker: webhooks wake it, the Gateway needs it awake", () => {
  let telegram: StartedTelegram;
  let discord: StartedDiscord;
  let sandbox: StartedSandbox;
  let stateDir: string;
  let watch: SandboxWatch;
  const workerLines: string[] = [];

  /** The bot's answer to a chat: a new message (OpenClaw may also send and remove a progress note first). */
  const telegramAnswer = (chatId: number, text: string) => (action: TelegramAction) =>
    action.kind === "send" && action.message.chat.id === chatId && action.message.text === text;
  const discordAnswer = (channelId: string, text: string) => (action: DiscordAction) =>
    action.kind === "send" && action.channelId === channelId && action.message?.content === text;
  const discordSends = (channelId: string) => discord.actions(channelId).filter((action) => action.kind === "send");

  beforeAll(async () => {
    [telegram, discord] = await Promise.all([startTelegram(), startDiscord()]);
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-channels-state-"));
    sandbox = await startSandbox({
      arch: "amd64",
      // Docker's bridge, as on Docker Desktop: the container reaches the emulators through the sandbox's
      // bridge door (Discord's through the supervisor's loopback forwarder: DISCORD_API_URL must be
      // loopback for plain HTTP), and this file runs beside those that take the host's ports.
      network: "bridge",
      containerPrefix: "moltlab-channels-",
      port: 0,
      persistTo: stateDir,
      // Access is not what this file is about: the Worker's loopback dev mode lets the test's requests in.
      devMode: true,
      sleepAfter: SLEEP_AFTER,
      telegram: {
        botToken: telegram.token,
        apiRoot: telegram.apiRoot,
        dmPolicy: "allowlist",
        allowFrom: [TG.alice.id],
        webhookSecret: randomBytes(24).toString("base64url"),
      },
      discord: {
        botToken: discord.token,
        apiUrl: discord.apiUrl,
        dmPolicy: "allowlist",
        allowFrom: [DC.alice.id],
        guildChannels: [{ guildId: discord.guildId, channelId: discord.channels.general! }],
      },
      steps: new StepRunner((line) => console.log(line)),
      onWorkerLine: (line) => workerLines.push(line),
    });
    watch = new SandboxWatch(sandbox);
  }, 10 * MINUTES);

  afterAll(async () => {
    watch?.stopKeepingAwake();
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await Promise.all([telegram?.stop(), discord?.stop()]);
    await Promise.all([wake.write(), discordEvidence.write()]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it(
    "boots: OpenClaw points the bot's webhook at the Worker with the secret, and its Discord plugin identifies (READY) with its intents",
    async () => {
      // The sandbox starts with no container: the first request through the Worker starts it, and /healthz waits for the boot.
      expect((await watch.status()).status).not.toBe("running");
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      watch.keepAwake();
      const call = await telegram.waitForCall("setWebhook", { timeoutMs: 2 * MINUTES, answered: true });
      expect(call.error).toBeUndefined();
      expect(telegram.bot.webhook).toMatchObject({ url: `${sandbox.url}/telegram/webhook`, secretToken: expect.any(String) });
      expect(telegram.bot.unsupported).toEqual([]);

      const session = await discord.waitForSession({ timeoutMs: 3 * MINUTES });
      discordEvidence.set("connected", { intents: session.intents });
      console.log(
        `discord: identified with intents ${session.intents}; REST calls: ${[...new Set(discord.bot.calls.map((c) => `${c.method} ${c.route}`))].join(", ")}`,
      );
      if (discord.bot.unsupported.length) console.log(`discord: routes the emulator lacks: ${JSON.stringify(discord.bot.unsupported)}`);
      // Guilds, GuildMessages, MessageContent, DirectMessages and the reactions, at least.
      expect(session.intents & OPENCLAW_DISCORD_INTENTS & ~(1 << 7)).toBe(OPENCLAW_DISCORD_INTENTS & ~(1 << 7));
      discordEvidence.passed("connected");
    },
    6 * MINUTES,
  );

  it(
    "Telegram: answers a person on the allow-list in their chat, and nobody else",
    async () => {
      sandbox.aiGateway!.load(reply("Hello Alice, from the scripted model."));
      const fromMallory = telegram.userSends({ from: TG.mallory, text: "let me in" }).update!;
      const fromAlice = telegram.userSends({ from: TG.alice, text: "hello bot" }).update!;
      await telegram.waitForDelivery(fromMallory, { timeoutMs: MINUTES });
      await telegram.waitForDelivery(fromAlice, { timeoutMs: MINUTES });
      const answer = await telegram.waitForAction(telegramAnswer(TG.alice.id, "Hello Alice, from the scripted model."), { timeoutMs: 3 * MINUTES });
      wake.set("telegram.allowListedAnswered", true);
      wake.set("telegram.othersIgnored", telegram.actions(TG.mallory.id).length === 0);
      expect(answer.message.from).toMatchObject({ id: telegram.bot.user.id, is_bot: true });
      // OpenClaw takes updates in order, and Mallory's came first: by Alice's answer it was dropped.
      expect(telegram.actions(TG.mallory.id)).toEqual([]);
      wake.passed("allow-list");
    },
    5 * MINUTES,
  );

  it(
    "Discord: answers a person on the allow-list in their DM and in a guild channel configured without a mention, and nobody else",
    async () => {
      sandbox.aiGateway!.load(reply("Hello Alice, from the scripted model."));
      const fromMallory = discord.userSends({ from: DC.mallory, dm: true, text: "let me in" });
      const fromAlice = discord.userSends({ from: DC.alice, dm: true, text: "hello bot" });
      const answer = await discord.waitForAction(discordAnswer(fromAlice.channel.id, "Hello Alice, from the scripted model."), {
        timeoutMs: 3 * MINUTES,
      });
      discordEvidence.set("allowListedAnswered", true);
      // Mallory wrote first; by Alice's answer OpenClaw had dropped it (dmPolicy allowlist: silently, no pairing code).
      const toMallory = discord.actions(fromMallory.channel.id);
      discordEvidence.set("othersIgnored", toMallory.length === 0);
      expect(answer.message?.author.id).toBe(discord.bot.user.id);
      expect(toMallory).toEqual([]);
      discordEvidence.passed("allow-list");

      sandbox.aiGateway!.load(reply("Hello #general, from the scripted model."));
      const general = discord.channels.general!;
      discord.userSends({ from: DC.alice, channelId: general, text: "hello channel, no mention" });
      const inGeneral = await discord.waitForAction(discordAnswer(general, "Hello #general, from the scripted model."), { timeoutMs: 3 * MINUTES });
      discordEvidence.set("guildChannelAnswered", true);
      expect(inGeneral.message?.author.id).toBe(discord.bot.user.id);
      discordEvidence.passed("guild-channel");
    },
    6 * MINUTES,
  );

  it(
    "while the container sleeps: Discord messages reach nothing and nothing wakes it; a Telegram message wakes it and is answered; Discord's stay unanswered",
    async () => {
      const before = await watch.status();
      const sessionBefore = discord.sessions().find((session) => session.connected)?.sessionId;
      watch.stopKeepingAwake();
      await watch.waitAsleep();
      sandbox.aiGateway!.load(reply("Still here after a nap."));

      // Discord first: no process holds the Gateway, and nothing reaches the Worker to wake it.
      const dm = discord.userSends({ from: DC.alice, dm: true, text: "are you awake?" }).channel.id;
      const general = discord.channels.general!;
      discord.userSends({ from: DC.alice, channelId: general, text: "anyone here while you sleep?" });
      const sentToDiscord = 2;
      const discordSentAt = performance.now();
      const dmSendsBefore = discordSends(dm).length;
      const generalSendsBefore = discordSends(general).length;
      expect((await watch.status()).status).toBe("not_running");

      // Telegram: the update goes to the Worker's webhook route, which wakes the container and holds it.
      const failures: string[] = [];
      let sentAt = 0;
      telegram.bot.events.on("delivery-failed", ({ error }: { error: string }) =>
        failures.push(`${((performance.now() - sentAt) / 1000).toFixed(1)} s: ${error}`),
      );
      sentAt = performance.now();
      const asleep = telegram.userSends({ from: TG.alice, text: "are you awake?" }).update!;
      const answer = await telegram.waitForAction(telegramAnswer(TG.alice.id, "Still here after a nap."), { timeoutMs: 6 * MINUTES });
      const answeredMs = Math.round(performance.now() - sentAt);
      watch.keepAwake();
      const attempts = telegram.deliveryAttempts().get(asleep.update_id) ?? 0;
      wake.set("telegram.whileAsleep", { answeredMs, deliveryAttempts: attempts });
      // Printed for the README, never asserted: how long a person waits when the container slept.
      console.log(
        `telegram: a message to the sleeping container answered after ${(answeredMs / 1000).toFixed(1)} s; ${attempts} delivery attempt(s)${failures.length ? `; refused: ${failures.join("; ")}` : ""}`,
      );
      expect(answer.message.chat.id).toBe(TG.alice.id);
      const after = await waitForSandboxRunning(() => watch.status(), MINUTES);
      expect(after.container.starts).toBe(before.container.starts + 1);
      // Held until OpenClaw took it: every attempt before the container listened was answered 503 and retried.
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(telegram.bot.pendingUpdates()).toEqual([]);
      wake.passed("asleep");

      // Discord, after the wake Telegram caused: a new Gateway session, and what it hears now.
      const session = await waitFor(
        "a Gateway session from the woken container",
        async () => discord.sessions().find((s) => s.connected && s.sessionId !== sessionBefore),
        3 * MINUTES,
        1000,
      );
      // Dispatches arrive in order, so by the time this is answered anything replayed from the sleep
      // would have been answered first: no extra waiting window needed.
      sandbox.aiGateway!.load(reply("Awake again."));
      discord.userSends({ from: DC.alice, dm: true, text: "and now?" });
      const now = await discord.waitForAction(discordAnswer(dm, "Awake again."), { timeoutMs: 3 * MINUTES }).catch(() => null);
      const answeredAfterWake =
        discordSends(dm)
          .slice(dmSendsBefore)
          .filter((action) => action !== now).length +
        (discordSends(general).length - generalSendsBefore);
      const record = {
        sent: sentToDiscord,
        answeredAfterWake,
        waitedMs: Math.round(performance.now() - discordSentAt),
        newSessionAfterWake: session.resumes === 0,
        answeredOnceAwake: now !== null,
      };
      discordEvidence.set("whileAsleep", record);
      // Printed for the README, never asserted: what a Discord user loses to a sleeping container.
      console.log(
        `discord: ${sentToDiscord} message(s) sent while the container slept; ${answeredAfterWake} answered after the wake (by the time a new message was); the woken container ${record.newSessionAfterWake ? "identified a new session (nothing replayed)" : "resumed the old session"}`,
      );
      expect(now).not.toBeNull();
      discordEvidence.passed("asleep");
    },
    15 * MINUTES,
  );

  it(
    "says so when the bots' tokens are revoked, and keeps serving: no crash loop, the Worker unaffected",
    async () => {
      const before = await watch.status();
      // Discord's Developer Portal reset: REST answers 401 from now on, the live session is closed 4004.
      discord.revoke();
      const discordLine = await waitFor(
        "OpenClaw's log line about the fatal Gateway close 4004",
        async () =>
          (await watch.containerLogs())
            .split("\n")
            .find((entry) => /Fatal gateway close code: 4004/.test(entry) || (/discord/i.test(entry) && /code=4004/.test(entry))),
        3 * MINUTES,
        2000,
      );
      console.log(`discord: revoked token → ${discordLine.slice(0, 300)}`);
      expect((await watch.status()).container.starts).toBe(before.container.starts);

      // Telegram's token revoked: OpenClaw finds out when it next starts the channel (a restart from /_admin).
      telegram.revoke();
      expect((await fetch(`${sandbox.url}/api/admin/gateway/restart`, { method: "POST", signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(202);
      await waitFor(
        "the container restarted",
        async () => {
          const now = await watch.status();
          if (now.status === "running" && now.container.starts === before.container.starts + 1) return true;
          // Quoted if time runs out: what the Worker and the supervisor said last.
          const lastLines = (await watch.containerLogs()).trim().split("\n").slice(-4).join("\n");
          throw new Error(`${JSON.stringify(now.container)}\n${lastLines}`);
        },
        5 * MINUTES,
        1000,
      );
      const telegramLine = await waitFor(
        "OpenClaw's log line about the unauthorized token",
        async () => (await watch.containerLogs()).split("\n").find((entry) => /telegram/i.test(entry) && /unauthori[sz]ed/i.test(entry)),
        3 * MINUTES,
        2000,
      );
      console.log(`telegram: revoked token → ${telegramLine.slice(0, 300)}`);
      const serving = (await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) })).status === 200;
      // A crash loop would show as starts beyond the restart asked for: OpenClaw's channel restarts back
      // off from 5 s, and by now the Discord token has been revoked for the whole restart and more.
      const after = await watch.status();
      const logs = await watch.containerLogs();
      wake.set("telegram.revokedToken", { logLine: telegramLine.slice(0, 300), gatewayServing: serving });
      discordEvidence.set("revokedToken", {
        logLine: discordLine.slice(0, 300),
        gatewayServing: serving,
        extraStarts: after.container.starts - before.container.starts - 1,
      });
      expect(serving).toBe(true);
      expect([after.status, after.container.starts]).toEqual(["running", before.container.starts + 1]);
      expect(telegramLine).not.toContain(telegram.token);
      expect(logs).not.toContain(discord.token);
      expect(logs).not.toContain(telegram.token);
      wake.passed("revoked-token");
      discordEvidence.passed("revoked-token");
    },
    10 * MINUTES,
  );

  it("never prints the bots' tokens or the webhook secret in the Worker's output", () => {
    expect(workerLines.length).toBeGreaterThan(0);
    const output = workerLines.join("\n");
    for (const value of sandbox.secrets) expect(output).not.toContain(value);
    expect(output).not.toContain(telegram.token);
    expect(output).not.toContain(discord.token);
  });
});
