/**
 * A minimal client of OpenClaw's gateway WebSocket protocol (docs/gateway/protocol in the
 * package): wait for `connect.challenge`, send `connect` with `auth.token` (no device block:
 * loopback clients are paired automatically), then request/response frames and events.
 */
import { randomUUID } from "node:crypto";
import { GATEWAY_PORT } from "./openclaw-harness.ts";

type Frame =
  | { type: "event"; event: string; payload?: Record<string, unknown>; seq?: number }
  | { type: "res"; id: string; ok: boolean; payload?: unknown; error?: unknown };

export class GatewaySocket {
  readonly events: { event: string; payload?: Record<string, unknown> }[] = [];
  #socket: WebSocket;
  #pending = new Map<string, { resolve: (frame: Frame & { type: "res" }) => void }>();
  #listeners = new Set<() => void>();
  #closed: string | null = null;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(String(message.data)) as Frame;
      if (frame.type === "res") this.#pending.get(frame.id)?.resolve(frame);
      else if (frame.type === "event") this.events.push({ event: frame.event, ...(frame.payload ? { payload: frame.payload } : {}) });
      for (const listener of this.#listeners) listener();
    });
    socket.addEventListener("close", (event) => {
      this.#closed = `closed ${event.code} ${event.reason}`;
      for (const listener of this.#listeners) listener();
    });
  }

  /** Opens the socket and completes the handshake; returns the socket and the hello-ok payload. */
  static async connect(token: string, timeoutMs = 60_000): Promise<{ socket: GatewaySocket; hello: Record<string, unknown> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${GATEWAY_PORT}/`);
    const socket = new GatewaySocket(ws);
    await socket.until("connect.challenge", () => socket.events.some((event) => event.event === "connect.challenge"), timeoutMs);
    const response = await socket.request("connect", {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "gateway-client", version: "0.1.0", platform: "linux", mode: "backend" },
      role: "operator",
      scopes: ["operator.read", "operator.write"],
      caps: [],
      commands: [],
      permissions: {},
      auth: { token },
      locale: "en-US",
      userAgent: "moltlab-tests/0.1.0",
    }, timeoutMs);
    return { socket, hello: response as Record<string, unknown> };
  }

  /** Sends a request; resolves with its payload, rejects with its error. */
  async request(method: string, params: Record<string, unknown>, timeoutMs = 60_000): Promise<unknown> {
    const id = randomUUID();
    let frame: (Frame & { type: "res" }) | undefined;
    this.#pending.set(id, { resolve: (res) => (frame = res) });
    this.#socket.send(JSON.stringify({ type: "req", id, method, params }));
    await this.until(`the answer to ${method}`, () => frame !== undefined, timeoutMs);
    this.#pending.delete(id);
    if (!frame!.ok) throw new Error(`${method} failed: ${JSON.stringify(frame!.error)}`);
    return frame!.payload;
  }

  /** Resolves when `check` holds after some frame; fails on timeout or close, naming `what`. */
  until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        if (error) reject(error);
        else resolve();
      };
      const listener = () => {
        if (check()) done();
        else if (this.#closed) done(new Error(`socket ${this.#closed} while waiting for ${what}; events: ${this.eventNames()}`));
      };
      const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.eventNames()}`)), timeoutMs);
      this.#listeners.add(listener);
      listener();
    });
  }

  eventNames(): string {
    return this.events.map((event) => `${event.event}${typeof event.payload?.state === "string" ? `:${event.payload.state}` : ""}`).join(", ");
  }

  close(): void {
    this.#socket.close();
  }
}

/** The text of a chat message payload: a string, or the text blocks of a content array. */
export function messageText(message: unknown): string {
  if (typeof message === "string") return message;
  if (!message || typeof message !== "object") return "";
  const content = (message as { content?: unknown; text?: unknown }).content ?? (message as { text?: unknown }).text;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((block) => (block && typeof block === "object" && typeof (block as { text?: unknown }).text === "string" ? (block as { text: string }).text : "")).join("");
  return "";
}

/**
 * One chat turn over the socket: `chat.send` on `sessionKey`, then the `chat` event with
 * state `final` for that run. Returns the final text and how long it took.
 */
export async function chatTurn(socket: GatewaySocket, sessionKey: string, text: string, timeoutMs = 240_000): Promise<{ text: string; runId: string; ms: number }> {
  const started = Date.now();
  const ack = (await socket.request("chat.send", { sessionKey, message: text, idempotencyKey: randomUUID() }, timeoutMs)) as { runId?: string };
  const runId = ack.runId ?? "";
  const isFinal = (event: { event: string; payload?: Record<string, unknown> }) =>
    event.event === "chat" && event.payload?.state === "final" && (!runId || event.payload.runId === runId);
  const failed = (event: { event: string; payload?: Record<string, unknown> }) =>
    event.event === "chat" && (event.payload?.state === "error" || event.payload?.state === "aborted") && (!runId || event.payload.runId === runId);
  await socket.until(`the final chat event of run ${runId}`, () => socket.events.some((event) => isFinal(event) || failed(event)), timeoutMs);
  const error = socket.events.find(failed);
  if (error) throw new Error(`chat run ${runId} ended with ${JSON.stringify(error.payload)}`);
  const final = socket.events.find(isFinal)!;
  return { text: messageText(final.payload?.message), runId, ms: Date.now() - started };
}
