/**
 * POST /telegram/webhook: Telegram's secret instead of Access, the update handed to OpenClaw's
 * listener in the container (started if asleep), and answers Telegram acts on: 2xx taken,
 * 401/400 never retried usefully, 503 kept and sent again.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { BASE, fetchWithEnv, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

const SECRET = (env as unknown as { TELEGRAM_WEBHOOK_SECRET: string }).TELEGRAM_WEBHOOK_SECRET;
const UPDATE = JSON.stringify({ update_id: 501, message: { message_id: 1, date: 0, chat: { id: 12345, type: "private" }, text: "hi" } });

beforeEach(freshSandbox);

function post(body: string, secret: string | null = SECRET): Request {
  const headers = new Headers({ "content-type": "application/json" });
  if (secret !== null) headers.set("X-Telegram-Bot-Api-Secret-Token", secret);
  return new Request(`${BASE}/telegram/webhook`, { method: "POST", headers, body });
}

describe("POST /telegram/webhook", () => {
  it("wakes a stopped container and hands the update to OpenClaw's listener with the secret, without Access", async () => {
    expect(await inSandbox((sandbox) => sandbox.fake.running)).toBe(false);
    const response = await exports.default.fetch(post(UPDATE));
    expect(response.status).toBe(200);
    const seen = await inSandbox((sandbox) => ({ starts: sandbox.fake.starts, updates: sandbox.fake.telegramUpdates }));
    expect(seen).toEqual({ starts: 1, updates: [UPDATE] });
  });

  it("refuses a missing or wrong secret with 401 and starts nothing", async () => {
    for (const secret of [null, "", `${SECRET}x`, SECRET.slice(0, -1)]) {
      const response = await exports.default.fetch(post(UPDATE, secret));
      expect(response.status).toBe(401);
      expect(leakedSecrets(await response.text())).toEqual([]);
    }
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("refuses what is not an update with 400 and starts nothing", async () => {
    for (const body of ["{not json", "[]", JSON.stringify({ update_id: "501" }), JSON.stringify({ message: {} })]) {
      expect((await exports.default.fetch(post(body))).status).toBe(400);
    }
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("waits for OpenClaw's listener, which starts after the gateway is ready, then hands the update over", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.telegramListening = false;
    });
    const pending = exports.default.fetch(post(UPDATE));
    await inSandbox(async (sandbox) => {
      await sandbox.fake.telegramTried.promise;
      sandbox.fake.telegramListening = true;
    });
    expect((await pending).status).toBe(200);
    expect(await inSandbox((sandbox) => sandbox.fake.telegramUpdates)).toEqual([UPDATE]);
  });

  it("answers 503 when the listener stays away, so Telegram keeps the update and sends it again", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.telegramListening = false;
    });
    const pending = exports.default.fetch(post(UPDATE));
    await inSandbox(async (sandbox) => {
      // Past the wait, once the Worker has found the port closed.
      await sandbox.fake.telegramTried.promise;
      sandbox.advanceClock(60_000);
    });
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining("Telegram listener did not answer") });
    expect(await inSandbox((sandbox) => sandbox.fake.telegramUpdates)).toEqual([]);
  });

  it("is off (404) unless both TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are set", async () => {
    expect((await fetchWithEnv(post(UPDATE), { TELEGRAM_WEBHOOK_SECRET: undefined })).status).toBe(404);
    expect((await fetchWithEnv(post(UPDATE), { TELEGRAM_BOT_TOKEN: undefined })).status).toBe(404);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });
});
