import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_CLOSE_REASON_BYTES, closeReason, truncateUtf8 } from "../src/container/gateway-errors.ts";
import { withGatewayToken } from "../src/container/ws-relay.ts";
import { accessToken, authed, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});
beforeEach(freshSandbox);

/** A client socket with awaitable frames and close. */
async function connect(path = "/") {
  const response = await authed(path, { headers: { upgrade: "websocket" } }, token);
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const frames: string[] = [];
  const waiting: ((frame: string) => void)[] = [];
  let resolveClose!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClose = resolve));
  socket.addEventListener("message", (event) => {
    const frame = typeof event.data === "string" ? event.data : `<binary ${(event.data as ArrayBuffer).byteLength}>`;
    const waiter = waiting.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  socket.addEventListener("close", (event) => resolveClose({ code: event.code, reason: event.reason }));
  socket.binaryType = "arraybuffer";
  socket.accept();
  const next = () => (frames.length ? Promise.resolve(frames.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)));
  const json = async () => JSON.parse(await next()) as { type: string; event?: string; ok?: boolean; payload?: unknown; error?: { message: string } };
  return { socket, next, json, closed };
}

const connectFrame = JSON.stringify({ type: "req", id: "c1", method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "test" }, auth: {} } });

/** A client past the gateway's challenge with its connect request sent: the gateway's answer is its next frame. */
async function connectSent(path?: string) {
  const client = await connect(path);
  await client.next();
  client.socket.send(connectFrame);
  return client;
}

describe("WebSocket proxy to the gateway", () => {
  it("injects the gateway token upstream only, and relays frames both ways", async () => {
    const client = await connect("/?session=main");
    expect(await client.json()).toMatchObject({ type: "event", event: "connect.challenge" });
    client.socket.send(connectFrame); // the browser sends no token
    expect(await client.json()).toMatchObject({ type: "res", ok: true, payload: { type: "hello-ok" } });
    client.socket.send("hello through the Worker");
    expect(await client.json()).toMatchObject({ event: "echo", payload: "hello through the Worker" });
    client.socket.send(new Uint8Array([1, 2, 3]));
    expect(await client.next()).toBe("<binary 3>");

    const upstream = await inSandbox((sandbox) => sandbox.fake.gatewayRequests.at(-1)!);
    const url = new URL(upstream.url);
    expect(url.searchParams.get("token")).toBe(env.MOLTBOT_GATEWAY_TOKEN);
    expect(url.searchParams.get("session")).toBe("main");
    const fromClient = await inSandbox((sandbox) => sandbox.fake.framesFromClient);
    // The browser's connect had no token; the gateway's has the server's, in params.auth (where OpenClaw reads it).
    expect(JSON.parse(fromClient[0]!)).toMatchObject({ method: "connect", params: { client: { id: "test" }, auth: { token: env.MOLTBOT_GATEWAY_TOKEN } } });
    expect(fromClient).toContain("hello through the Worker");
    client.socket.close(1000, "bye");
  });

  it("never shows the gateway token to the browser, even if the gateway echoes it", async () => {
    const client = await connectSent();
    await client.next();
    client.socket.send("show-token");
    const frame = await client.next();
    expect(frame).toContain("[redacted]");
    expect(leakedSecrets(frame)).toEqual([]);
    client.socket.close(1000, "bye");
  });

  it("overrides a token the browser put in the URL with the server's", async () => {
    const client = await connectSent("/?token=from-the-browser");
    expect(await client.json()).toMatchObject({ ok: true });
    const upstream = await inSandbox((sandbox) => sandbox.fake.gatewayRequests.at(-1)!);
    expect(new URL(upstream.url).searchParams.getAll("token")).toEqual([env.MOLTBOT_GATEWAY_TOKEN]);
    client.socket.close(1000, "bye");
  });

  it("relays the gateway closing the socket", async () => {
    const client = await connectSent();
    await client.next();
    client.socket.send("close-me");
    expect(await client.closed).toEqual({ code: 4000, reason: "bye from the gateway" });
  });

  it("rewrites a token mismatch into an actionable message pointing at /_admin/", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.expectedToken = "a-different-token";
    });
    const client = await connectSent();
    const error = await client.json();
    expect(error.ok).toBe(false);
    expect(error.error!.message).toMatch(/Gateway token rejected.*\/_admin\//);
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^Gateway token rejected.*\/_admin\/$/);
    expect(new TextEncoder().encode(closed.reason).length).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
  });

  it("rewrites 'pairing required' into a pointer to device approval", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.pairingRequired = true;
    });
    const client = await connectSent();
    expect((await client.json()).error!.message).toBe("Pairing required: approve this device at /_admin/ (Devices), then reconnect.");
    expect((await client.closed).reason).toBe("Pairing required: approve this device at /_admin/ (Devices), then reconnect.");
  });

  it("needs Access for upgrades too", async () => {
    const response = await authed("/", { headers: { upgrade: "websocket" } }, await accessToken("broken/expired"));
    expect(response.status).toBe(401);
    expect(response.webSocket).toBeNull();
  });
});

describe("close reasons", () => {
  it("cut unknown reasons to 123 bytes without splitting a character", () => {
    const reason = closeReason("é".repeat(100), []);
    expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123);
    expect(reason).toBe("é".repeat(61));
    expect(truncateUtf8("short", 123)).toBe("short");
  });
});

describe("the token in the connect request", () => {
  it("is filled in when the client sent none, kept when it sent one, and other frames pass unchanged", () => {
    const injected = JSON.parse(withGatewayToken(connectFrame, "server-token")!);
    expect(injected).toMatchObject({ type: "req", id: "c1", method: "connect", params: { minProtocol: 4, auth: { token: "server-token" } } });
    const own = JSON.stringify({ type: "req", id: "c2", method: "connect", params: { auth: { token: "client-token" } } });
    expect(withGatewayToken(own, "server-token")).toBe(own);
    expect(withGatewayToken(JSON.stringify({ type: "req", id: "c3", method: "chat.send", params: {} }), "server-token")).toBeNull();
    expect(withGatewayToken("not json", "server-token")).toBeNull();
  });

  it("goes into auth.password for a device-signed connect (the Control UI's signature covers auth.token)", () => {
    const signed = {
      type: "req",
      id: "c4",
      method: "connect",
      params: { client: { id: "openclaw-control-ui" }, device: { id: "d1", signature: "sig" }, auth: { deviceToken: "dt" } },
    };
    const injected = JSON.parse(withGatewayToken(JSON.stringify(signed), "server-token")!);
    expect(injected.params.auth).toEqual({ deviceToken: "dt", password: "server-token" });
    expect(injected.params.device).toEqual(signed.params.device);
    const own = JSON.stringify({ ...signed, params: { ...signed.params, auth: { password: "client-secret" } } });
    expect(withGatewayToken(own, "server-token")).toBe(own);
  });
});
