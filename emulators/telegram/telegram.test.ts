import { once } from "node:events";
import { Bot, GrammyError, webhookCallback } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serveFetch, type StartedServer } from "../../core/serve.ts";
import { SECRET_HEADER, startTelegram, type StartedTelegram } from "./index.ts";
import type { Update } from "./types.ts";

/**
 * The emulator through grammY 1.46 — the client OpenClaw's Telegram channel is built on —
 * and through plain HTTP for the encodings and errors a client library hides.
 */
let telegram: StartedTelegram;
const servers: StartedServer[] = [];
const ALICE = { id: 1001, first_name: "Alice", username: "alice" };

beforeEach(async () => {
  telegram = await startTelegram({ maxPollSeconds: 5, webhook: { retryDelayMs: () => 20, timeoutMs: 2000 } });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await telegram.stop();
});

const clientFor = (token: string) => new Bot(token, { client: { apiRoot: telegram.apiRoot }, botInfo: undefined });

async function raw(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: { ok: boolean; result?: unknown; error_code?: number; description?: string } }> {
  const response = await fetch(`${telegram.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as never };
}

describe("tokens, as Telegram checks them", () => {
  it("answers getMe for the bot's token", async () => {
    const me = await clientFor(telegram.token).api.getMe();
    expect(me).toMatchObject({ id: telegram.bot.user.id, is_bot: true, username: "moltlab_test_bot" });
    expect(telegram.token).toMatch(/^\d+:[A-Za-z0-9_-]{35}$/);
    expect(await telegram.waitForCall("GETME", { answered: true })).toMatchObject({ method: "getMe", answered: true });
  });

  it("answers 401 Unauthorized to a well-formed token no bot has, and 404 to a malformed one", async () => {
    const wrong = `${telegram.bot.user.id}:${"x".repeat(35)}`;
    const error = await clientFor(wrong)
      .api.getMe()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 401, description: "Unauthorized" });
    expect(await raw("/bot123:short/getMe")).toEqual({ status: 404, body: { ok: false, error_code: 404, description: "Not Found" } });
    expect(await raw(`/bot${telegram.token}/noSuchMethod`)).toMatchObject({ status: 404, body: { description: "Not Found" } });
    expect(telegram.bot.unsupported).toEqual(["noSuchMethod"]);
    expect(await telegram.waitForCall("noSuchMethod", { answered: true })).toMatchObject({ error: "Not Found" });
    telegram.revoke();
    await expect(clientFor(telegram.token).api.getMe()).rejects.toMatchObject({ error_code: 401, description: "Unauthorized" });
  });
});

describe("long polling", () => {
  it("hands a person's message to a grammY bot and shows its HTML reply as text and entities", async () => {
    const client = clientFor(telegram.token);
    client.on("message:text", (ctx) => ctx.reply(`You said <b>${ctx.message.text}</b> &amp; more`, { parse_mode: "HTML" }));
    const running = client.start({ drop_pending_updates: false, timeout: 1 });
    await telegram.waitForCall("getUpdates");
    const { update } = telegram.userSends({ from: ALICE, text: "hello" });
    const reply = await telegram.waitForAction((action) => action.kind === "send");
    await client.stop();
    await running;
    expect(update?.message?.chat).toEqual({ id: 1001, type: "private", first_name: "Alice", username: "alice" });
    expect(reply.message).toMatchObject({ chat: { id: 1001 }, from: { id: telegram.bot.user.id, is_bot: true }, text: "You said hello & more" });
    expect(reply.message.entities).toEqual([{ type: "bold", offset: 9, length: 5 }]);
    // grammY confirmed the update with its next offset on stop: nothing is handed over twice.
    expect(telegram.bot.pendingUpdates()).toEqual([]);
  });

  it("answers 409 to the older of two concurrent long polls, as Telegram does when two bot instances run", async () => {
    const first = raw(`/bot${telegram.token}/getUpdates?timeout=5`);
    await telegram.waitForCall("getUpdates");
    const second = raw(`/bot${telegram.token}/getUpdates`);
    expect(await first).toEqual({
      status: 409,
      body: { ok: false, error_code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" },
    });
    expect((await second).body).toEqual({ ok: true, result: [] });
  });

  it("confirms updates below the offset and remembers allowed_updates", async () => {
    const first = telegram.userSends({ from: ALICE, text: "one" }).update!;
    telegram.userSends({ from: ALICE, text: "two" });
    const all = await raw(`/bot${telegram.token}/getUpdates`);
    expect((all.body.result as Update[]).map((update) => update.message?.text)).toEqual(["one", "two"]);
    const rest = await raw(`/bot${telegram.token}/getUpdates?offset=${first.update_id + 1}&allowed_updates=${encodeURIComponent('["callback_query"]')}`);
    expect((rest.body.result as Update[]).map((update) => update.message?.text)).toEqual(["two"]);
    expect(telegram.userSends({ from: ALICE, text: "filtered" }).update).toBeUndefined();
  });
});

describe("webhooks", () => {
  it("POSTs updates with the secret header, keeps them through failures and retries until a 2xx", async () => {
    const received: { secret: string | null; update: Update }[] = [];
    let failFirst = true;
    const receiver = await serveFetch(async (request) => {
      const update = (await request.json()) as Update;
      if (failFirst) {
        failFirst = false;
        return new Response("asleep", { status: 503, statusText: "Service Unavailable" });
      }
      received.push({ secret: request.headers.get(SECRET_HEADER), update });
      return new Response("ok");
    });
    servers.push(receiver);
    const api = clientFor(telegram.token).api;
    await api.setWebhook(`${receiver.url}/telegram`, { secret_token: "s3cret_token-1" });
    const polling = await api.getUpdates().catch((caught: unknown) => caught);
    expect(polling).toMatchObject({ error_code: 409, description: expect.stringContaining("can't use getUpdates method while webhook is active") });

    const { update } = telegram.userSends({ from: ALICE, text: "wake up" });
    await telegram.waitForDelivery(update!);
    expect(received).toEqual([{ secret: "s3cret_token-1", update }]);
    expect(telegram.deliveryAttempts().get(update!.update_id)).toBe(2);
    const info = await api.getWebhookInfo();
    expect(info).toMatchObject({
      url: `${receiver.url}/telegram`,
      pending_update_count: 0,
      last_error_message: "Wrong response from the webhook: 503 Service Unavailable",
    });
  });

  it("counts an update taken while setWebhook was called again as delivered, once (OpenClaw calls it at every boot)", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let received = 0;
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const receiver = await serveFetch(async (request) => {
      await request.text();
      received++;
      arrived();
      await held;
      return new Response("ok");
    });
    servers.push(receiver);
    const api = clientFor(telegram.token).api;
    await api.setWebhook(receiver.url, { secret_token: "one" });
    const { update } = telegram.userSends({ from: ALICE, text: "in flight" });
    await inFlight;
    await api.setWebhook(receiver.url, { secret_token: "one" });
    release();
    await telegram.waitForDelivery(update!);
    expect([received, telegram.deliveryAttempts().get(update!.update_id)]).toEqual([1, 1]);
  });

  it("delivers to a grammY webhook handler, whose answer with the secret checked goes back through the API", async () => {
    const client = clientFor(telegram.token);
    client.on("message:text", (ctx) => ctx.reply("pong"));
    await client.init();
    const handle = webhookCallback(client, "std/http", { secretToken: "right" });
    const receiver = await serveFetch((request) => handle(request));
    servers.push(receiver);
    await client.api.setWebhook(receiver.url, { secret_token: "wrong" });
    const refused = once(telegram.bot.events, "delivery-failed");
    const { update } = telegram.userSends({ from: ALICE, text: "ping" });
    // grammY answers 401 to a wrong secret: the update stays pending and the error shows.
    await refused;
    expect(await client.api.getWebhookInfo()).toMatchObject({
      pending_update_count: 1,
      last_error_message: expect.stringMatching(/^Wrong response from the webhook: 401 /),
    });
    await client.api.setWebhook(receiver.url, { secret_token: "right" });
    await telegram.waitForDelivery(update!);
    expect((await telegram.waitForAction((action) => action.kind === "send")).message.text).toBe("pong");
  });
});

describe("messages", () => {
  it("edits a message, and refuses an edit that changes nothing with Telegram's words", async () => {
    telegram.userSends({ from: ALICE, text: "hi" });
    const api = clientFor(telegram.token).api;
    const sent = await api.sendMessage(ALICE.id, "draft");
    const edited = await api.editMessageText(ALICE.id, sent.message_id, "final");
    expect(edited).toMatchObject({ message_id: sent.message_id, text: "final", edit_date: expect.any(Number) });
    await expect(api.editMessageText(ALICE.id, sent.message_id, "final")).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringMatching(/^Bad Request: message is not modified/),
    });
    expect(telegram.actions(ALICE.id).map((action) => [action.kind, action.message.text])).toEqual([
      ["send", "draft"],
      ["edit", "final"],
    ]);
  });

  it("refuses a chat it does not know, empty text, and HTML outside the Bot API's tags", async () => {
    const api = clientFor(telegram.token).api;
    await expect(api.sendMessage(424242, "hello")).rejects.toMatchObject({ description: "Bad Request: chat not found" });
    telegram.userSends({ from: ALICE, text: "hi" });
    await expect(api.sendMessage(ALICE.id, " ")).rejects.toMatchObject({ description: "Bad Request: message text is empty" });
    await expect(api.sendMessage(ALICE.id, "<p>x</p>", { parse_mode: "HTML" })).rejects.toMatchObject({
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0',
    });
    await expect(api.sendMessage(ALICE.id, "<b>never closed", { parse_mode: "HTML" })).rejects.toMatchObject({
      description: expect.stringContaining('Can\'t find end tag corresponding to start tag "b"'),
    });
    const pre = await api.sendMessage(ALICE.id, '<pre><code class="language-ts">let x = 1;</code></pre>', { parse_mode: "HTML" });
    expect(pre.entities).toEqual([{ type: "pre", offset: 0, length: 10, language: "ts" }]);
  });

  it("reads parameters from a query string, a form and JSON alike", async () => {
    telegram.userSends({ from: ALICE, text: "hi" });
    const base = `/bot${telegram.token}/sendMessage`;
    const viaQuery = await raw(`${base}?chat_id=1001&text=one`);
    const viaForm = await raw(base, {
      method: "POST",
      body: new URLSearchParams({ chat_id: "1001", text: "two", reply_parameters: JSON.stringify({ message_id: 1 }) }),
    });
    const form = new FormData();
    form.set("chat_id", "@alice");
    form.set("text", "three");
    const viaMultipart = await raw(base, { method: "POST", body: form });
    const viaJson = await raw(base, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ chat_id: 1001, text: "four" }) });
    expect([viaQuery, viaForm, viaMultipart, viaJson].map((answer) => [answer.status, (answer.body.result as { text?: string })?.text])).toEqual([
      [200, "one"],
      [200, "two"],
      [200, "three"],
      [200, "four"],
    ]);
    expect((viaForm.body.result as { reply_to_message?: { text: string } }).reply_to_message?.text).toBe("hi");
    expect(await raw(base, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" })).toMatchObject({
      status: 400,
      body: { description: "Bad Request: can't parse JSON encoded request body" },
    });
  });
});
