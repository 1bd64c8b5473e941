import { API, Client, GatewayDispatchEvents, GatewayIntentBits, type GatewayMessageCreateDispatchData } from "@discordjs/core";
import { DiscordAPIError, REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { OPENCLAW_DISCORD_INTENTS } from "../../contract/discord.ts";
import { isWellFormedToken, type StartedDiscord, startDiscord, timestampOf } from "./index.ts";

let discord: StartedDiscord | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await discord?.stop();
  discord = undefined;
});

/** discord.js's REST client pointed at the emulator (`api` is the base without the version, as the client adds it). */
function restFor(emulator: StartedDiscord, token = emulator.token): REST {
  return new REST({ api: emulator.apiUrl.replace(/\/v10$/, ""), version: "10", retries: 0 }).setToken(token);
}

/** A discord.js bot (@discordjs/core over @discordjs/ws and @discordjs/rest), connected through the emulator's Gateway. */
async function connectBot(emulator: StartedDiscord, intents: number = OPENCLAW_DISCORD_INTENTS) {
  const rest = restFor(emulator);
  const gateway = new WebSocketManager({ token: emulator.token, intents, rest });
  const client = new Client({ rest, gateway });
  const dispatches: { t: string; d: unknown }[] = [];
  const errors: Error[] = [];
  gateway.on(WebSocketShardEvents.Dispatch, (payload) => dispatches.push({ t: payload.t, d: payload.d }));
  gateway.on(WebSocketShardEvents.Error, (error) => errors.push(error));
  const ready = new Promise((resolve) => client.once(GatewayDispatchEvents.GuildCreate, resolve));
  cleanups.push(async () => {
    await gateway.destroy();
  });
  await gateway.connect();
  await ready;
  return { client, gateway, api: client.api, dispatches, errors };
}

function nextMessage(client: Client, matches: (data: GatewayMessageCreateDispatchData) => boolean = () => true): Promise<GatewayMessageCreateDispatchData> {
  return new Promise((resolve) => {
    const listener = ({ data }: { data: GatewayMessageCreateDispatchData }) => {
      if (!matches(data)) return;
      client.off(GatewayDispatchEvents.MessageCreate, listener);
      resolve(data);
    };
    client.on(GatewayDispatchEvents.MessageCreate, listener);
  });
}

/** A bare Gateway client for what a library hides: frames in order, and the close code. */
async function rawGateway(url: string) {
  const ws = new WebSocket(`${url}/?v=10&encoding=json`);
  const frames: { op: number; t: string | null; s: number | null; d: unknown }[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (raw) => {
    frames.push(JSON.parse(raw.toString()));
    for (const waiter of waiters.splice(0)) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  cleanups.push(() => ws.terminate());
  const frame = async (matches: (f: (typeof frames)[number]) => boolean) => {
    for (;;) {
      const found = frames.find(matches);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await frame((f) => f.op === 10);
  return { ws, frames, frame, closed, send: (payload: unknown) => ws.send(JSON.stringify(payload)) };
}

describe("Discord emulator with discord.js's packages", { timeout: 20_000 }, () => {
  it("connects through the Gateway: HELLO, IDENTIFY, READY with the bot and its guild unavailable, then GUILD_CREATE", async () => {
    discord = await startDiscord();
    const { dispatches } = await connectBot(discord);
    const [ready, guildCreate] = dispatches;
    expect(ready?.t).toBe("READY");
    const data = ready!.d as {
      v: number;
      user: { id: string; bot: boolean };
      guilds: unknown[];
      session_id: string;
      resume_gateway_url: string;
      application: { id: string };
    };
    expect(data).toMatchObject({ v: 10, user: { id: discord.bot.user.id, bot: true }, guilds: [{ id: discord.guildId, unavailable: true }] });
    expect(data.resume_gateway_url).toBe(discord.gatewayUrl);
    expect(data.application.id).toBe(discord.bot.user.id);
    expect(guildCreate).toMatchObject({ t: "GUILD_CREATE", d: { id: discord.guildId, channels: [{ id: discord.channels.general, name: "general" }] } });
    // The Gateway URL shares the REST origin, which OpenClaw insists on.
    expect(new URL(discord.gatewayUrl).host).toBe(new URL(discord.apiUrl).host);
    expect(discord.sessions()).toEqual([expect.objectContaining({ connected: true, intents: OPENCLAW_DISCORD_INTENTS, seq: 2 })]);
  });

  it("delivers what a person writes as MESSAGE_CREATE and records the bot's reply", async () => {
    discord = await startDiscord();
    const { client, api } = await connectBot(discord);
    const received = nextMessage(client);
    const { message } = discord.userSends({ from: { username: "alice" }, text: "hello bot" });
    const data = await received;
    expect(data).toMatchObject({
      id: message.id,
      content: "hello bot",
      channel_id: discord.channels.general,
      guild_id: discord.guildId,
      author: { username: "alice" },
    });
    await api.channels.createMessage(data.channel_id, { content: "hello alice", message_reference: { message_id: data.id } });
    const reply = await discord.waitForAction((action) => action.kind === "send");
    expect(reply.message).toMatchObject({
      content: "hello alice",
      type: 19,
      message_reference: { message_id: message.id },
      referenced_message: { id: message.id },
    });
    expect(reply.message!.author.id).toBe(discord.bot.user.id);
    // Snowflakes carry their creation time, counted from the Discord epoch.
    expect(Math.abs(timestampOf(reply.message!.id) - Date.now())).toBeLessThan(60_000);
  });

  it("records typing, edits, reactions and deletes, and refuses what Discord refuses", async () => {
    discord = await startDiscord();
    const { api } = await connectBot(discord);
    const channel = discord.channels.general!;
    await api.channels.showTyping(channel);
    const sent = await api.channels.createMessage(channel, { content: "draft" });
    await api.channels.editMessage(channel, sent.id, { content: "final" });
    await api.channels.addMessageReaction(channel, sent.id, "👀");
    await api.channels.deleteMessage(channel, sent.id);
    expect(discord.actions(channel).map((action) => [action.kind, action.message?.content ?? action.emoji ?? null])).toEqual([
      ["typing", null],
      ["send", "draft"],
      ["edit", "final"],
      ["react", "👀"],
      ["delete", "final"],
    ]);
    const { message } = discord.userSends({ from: { username: "bob" }, text: "mine" });
    await expect(api.channels.editMessage(channel, message.id, { content: "hijack" })).rejects.toMatchObject({ status: 403, code: 50005 });
    await expect(api.channels.createMessage(channel, {})).rejects.toMatchObject({ status: 400, code: 50006, message: "Cannot send an empty message" });
    await expect(api.channels.createMessage(channel, { content: "x".repeat(2001) })).rejects.toMatchObject({ status: 400, code: 50035 });
    await expect(api.channels.get("1234567890123456789")).rejects.toMatchObject({ status: 404, code: 10003, message: "Unknown Channel" });
  });

  it("replays the dispatch a dropped connection missed, exactly once, after RESUME", async () => {
    discord = await startDiscord();
    const { gateway, dispatches } = await connectBot(discord);
    const resumed = new Promise<void>((resolve) => gateway.on(WebSocketShardEvents.Dispatch, (payload) => payload.t === "RESUMED" && resolve()));
    expect(discord.dropConnection()).toBe(1);
    // Written while the bot is offline: the session keeps it for the RESUME.
    const { message } = discord.userSends({ from: { username: "carol" }, text: "while you were away" });
    await resumed;
    const session = await discord.waitForSession({ resumed: true });
    expect(session.resumes).toBe(1);
    const seen = dispatches.filter((dispatch) => dispatch.t === "MESSAGE_CREATE" && (dispatch.d as { id: string }).id === message.id);
    expect(seen).toHaveLength(1);
    expect(dispatches.map((dispatch) => dispatch.t)).toEqual(["READY", "GUILD_CREATE", "MESSAGE_CREATE", "RESUMED"]);
  });

  it("answers a bad token 401 over REST and 4004 on the Gateway, and a revoked token the same", async () => {
    discord = await startDiscord();
    const forged = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GAAAAA.abcdefghijklmnopqrstuvwxyz0123456789ab";
    const error = await restFor(discord, forged)
      .get("/users/@me")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ status: 401, code: 0, message: "401: Unauthorized" });
    const raw = await rawGateway(discord.gatewayUrl);
    raw.send({ op: 2, d: { token: forged, intents: OPENCLAW_DISCORD_INTENTS, properties: { os: "linux", browser: "test", device: "test" } } });
    expect(await raw.closed).toEqual({ code: 4004, reason: "Authentication failed." });

    const { gateway, errors } = await connectBot(discord);
    const closed = new Promise<number>((resolve) => gateway.on(WebSocketShardEvents.Closed, resolve));
    discord.revoke();
    expect(await closed).toBe(4004);
    expect(errors.map((error) => error.message)).toEqual(["Authentication failed"]);
    await expect(restFor(discord).get("/users/@me")).rejects.toMatchObject({ status: 401 });
  });

  it("leaves guild message content empty without the MESSAGE_CONTENT intent, except mentions and DMs", async () => {
    discord = await startDiscord();
    const { client } = await connectBot(discord, OPENCLAW_DISCORD_INTENTS & ~GatewayIntentBits.MessageContent);
    let received = nextMessage(client);
    discord.userSends({ from: { username: "dave" }, text: "secret plans" });
    expect(await received).toMatchObject({ content: "", embeds: [], attachments: [] });
    received = nextMessage(client);
    discord.userSends({ from: { username: "dave" }, text: `<@${discord.bot.user.id}> are you there?` });
    expect((await received).content).toBe(`<@${discord.bot.user.id}> are you there?`);
    received = nextMessage(client);
    const { channel } = discord.userSends({ from: { username: "dave" }, dm: true, text: "just us" });
    expect(await received).toMatchObject({ content: "just us", channel_id: channel.id });
    expect((await received).guild_id).toBeUndefined();
  });

  it("opens a DM over REST and answers start-up calls OpenClaw makes", async () => {
    discord = await startDiscord();
    const api = new API(restFor(discord));
    const { message } = discord.userSends({ from: { username: "erin" }, text: "hi" });
    const dm = await api.users.createDM(message.author.id);
    expect(dm).toMatchObject({ type: 1, recipients: [{ id: message.author.id }] });
    expect(await api.users.getCurrent()).toMatchObject({ id: discord.bot.user.id, bot: true });
    expect(await api.oauth2.getCurrentBotApplicationInformation()).toMatchObject({ id: discord.bot.user.id });
    expect(await api.gateway.getBot()).toMatchObject({ url: discord.gatewayUrl, shards: 1, session_start_limit: { max_concurrency: 1 } });
    const commands = await api.applicationCommands.bulkOverwriteGlobalCommands(discord.bot.application.id, [{ name: "status", description: "Show status" }]);
    expect(commands).toEqual([expect.objectContaining({ name: "status", application_id: discord.bot.user.id })]);
    expect(await api.applicationCommands.getGlobalCommands(discord.bot.application.id)).toHaveLength(1);
    await discord.waitForCall("PUT", "/applications/:id/commands");
  });
});

describe("Discord emulator on the wire", () => {
  it("generates tokens in Discord's shape that name the bot, and sends rate-limit headers", async () => {
    discord = await startDiscord();
    expect(isWellFormedToken(discord.token)).toBe(true);
    expect(Buffer.from(discord.token.split(".")[0]!, "base64url").toString()).toBe(discord.bot.user.id);
    const response = await fetch(`${discord.apiUrl}/users/@me`, { headers: { authorization: `Bot ${discord.token}` } });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(0);
    expect(response.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/);
    const unknown = await fetch(`${discord.apiUrl}/nope/nothing`, { headers: { authorization: `Bot ${discord.token}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "404: Not Found", code: 0 });
    expect(discord.bot.unsupported).toEqual(["GET /nope/nothing"]);
    const noBot = await fetch(`${discord.apiUrl}/users/@me`, { headers: { authorization: discord.token } });
    expect(await noBot.json()).toEqual({ message: "401: Unauthorized", code: 0 });
  });

  it("acknowledges heartbeats and closes like Discord: 4003 before IDENTIFY, 4013 and 4014 for intents, 4001 for an unknown opcode", async () => {
    discord = await startDiscord({ bots: [{ username: "no_privileges", privilegedIntents: [] }] });
    const hello = await rawGateway(discord.gatewayUrl);
    expect(hello.frames[0]).toMatchObject({ op: 10, d: { heartbeat_interval: 41_250 } });
    hello.send({ op: 1, d: null });
    await hello.frame((f) => f.op === 11);
    hello.send({ op: 3, d: { status: "online", activities: [], since: null, afk: false } });
    expect((await hello.closed).code).toBe(4003);

    const identify = (intents: number) => ({ op: 2, d: { token: discord!.token, intents, properties: { os: "linux", browser: "t", device: "t" } } });
    const invalid = await rawGateway(discord.gatewayUrl);
    invalid.send(identify(1 << 30));
    expect(await invalid.closed).toEqual({ code: 4013, reason: "Invalid intent(s)." });
    const disallowed = await rawGateway(discord.gatewayUrl);
    disallowed.send(identify(OPENCLAW_DISCORD_INTENTS));
    expect(await disallowed.closed).toEqual({ code: 4014, reason: "Disallowed intent(s)." });
    const unknown = await rawGateway(discord.gatewayUrl);
    unknown.send({ op: 42, d: null });
    expect((await unknown.closed).code).toBe(4001);
  });

  it("cuts a connection that stops heartbeating, and refuses a RESUME of an unknown session with op 9", async () => {
    discord = await startDiscord({ heartbeatIntervalMs: 100 });
    const silent = await rawGateway(discord.gatewayUrl);
    expect((await silent.closed).code).toBe(1006);
    const stranger = await rawGateway(discord.gatewayUrl);
    stranger.send({ op: 6, d: { token: discord.token, session_id: "0".repeat(32), seq: 3 } });
    expect(await stranger.frame((f) => f.op === 9)).toMatchObject({ d: false });
  });
});
