/**
 * A minimal client of OpenClaw's gateway WebSocket protocol (docs/gateway/protocol in the
 * package): wait for `connect.challenge`, send `connect`, then request/response frames and
 * events. It talks to the gateway directly (with `token` as `auth.token`) or through the Worker
 * (with the Access JWT as a header and no token: the Worker injects it).
 *
 * From the gateway's loopback a token is enough. From anywhere else (the bridge network, as from
 * the Worker on Cloudflare) OpenClaw grants scopes only to a paired device: pass a `device`
 * (newDevice()) and the connect request carries its signed block, as OpenClaw's own clients do
 * (its v3 payload, the device id being the SHA-256 of the raw Ed25519 key); the first connect is
 * then refused with "pairing required" until the device is approved (/api/admin/devices).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";

/** An Ed25519 device identity, as OpenClaw's clients keep one. */
export interface Device {
  readonly id: string;
  /** The raw 32-byte public key, base64url. */
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function newDevice(): Device {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The SPKI DER of an Ed25519 key ends with the raw 32 bytes.
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  return { id: createHash("sha256").update(raw).digest("hex"), publicKey: raw.toString("base64url"), privateKey };
}

const CLIENT = { id: "gateway-client", version: "0.1.0", platform: "linux", mode: "backend" } as const;
const ROLE = "operator";
const SCOPES = ["operator.read", "operator.write"];

/**
 * The connect request's `device` block: OpenClaw's v3 payload signed with the device's key. The
 * signed token is the one in `auth.token` ("" when the Worker injects it: it puts the token in
 * `auth.password` for a signed frame, which the signature does not cover).
 */
function deviceBlock(device: Device, nonce: string, token: string | undefined): Record<string, unknown> {
  const signedAt = Date.now();
  const payload = ["v3", device.id, CLIENT.id, CLIENT.mode, ROLE, SCOPES.join(","), String(signedAt), token ?? "", nonce, CLIENT.platform, ""].join("|");
  const signature = sign(null, Buffer.from(payload, "utf8"), device.privateKey).toString("base64url");
  return { id: device.id, publicKey: device.publicKey, signature, signedAt, nonce };
}

type Frame =
  | { type: "event"; event: string; payload?: Record<string, unknown>; seq?: number }
  | { type: "res"; id: string; ok: boolean; payload?: unknown; error?: unknown };

export interface GatewayEvent {
  event: string;
  payload?: Record<string, unknown>;
}

export interface ConnectOptions {
  /** The gateway or the Worker: http(s):// or ws(s)://. */
  url: string;
  /** Headers of the upgrade request (e.g. CF-Access-JWT-Assertion through the Worker). */
  headers?: Record<string, string>;
  /** Sent as `auth.token`; leave out when a proxy fills it in. */
  token?: string;
  userAgent?: string;
  timeoutMs?: number;
  /** Sign the connect request as this device (needed off the gateway's loopback; see above). */
  device?: Device;
}

export class GatewaySocket {
  readonly events: GatewayEvent[] = [];
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
  static async connect(options: ConnectOptions): Promise<{ socket: GatewaySocket; hello: Record<string, unknown> }> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const url = options.url.replace(/^http/, "ws");
    // Node's WebSocket (undici) takes request headers in place of the protocols argument.
    const ws = options.headers ? new WebSocket(url, { headers: options.headers } as unknown as string[]) : new WebSocket(url);
    const socket = new GatewaySocket(ws);
    try {
      const challenge = await socket.until("connect.challenge", () => socket.event("connect.challenge"), timeoutMs);
      const response = await socket.request(
        "connect",
        {
          minProtocol: 4,
          maxProtocol: 4,
          client: CLIENT,
          role: ROLE,
          scopes: SCOPES,
          ...(options.device ? { device: deviceBlock(options.device, String(challenge.nonce), options.token) } : {}),
          caps: [],
          commands: [],
          permissions: {},
          ...(options.token ? { auth: { token: options.token } } : {}),
          locale: "en-US",
          userAgent: options.userAgent ?? "moltlab-tests/0.1.0",
        },
        timeoutMs,
      );
      return { socket, hello: response as Record<string, unknown> };
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Sends a request; resolves with its payload, rejects with its error. */
  async request(method: string, params: Record<string, unknown>, timeoutMs = 60_000): Promise<unknown> {
    const id = randomUUID();
    let frame: (Frame & { type: "res" }) | undefined;
    this.#pending.set(id, { resolve: (res) => (frame = res) });
    this.#socket.send(JSON.stringify({ type: "req", id, method, params }));
    try {
      await this.until(`the answer to ${method}`, () => frame !== undefined, timeoutMs);
    } finally {
      this.#pending.delete(id);
    }
    if (!frame!.ok) throw new Error(`${method} failed: ${JSON.stringify(frame!.error)}`);
    return frame!.payload;
  }

  /** The payload of the first event `name` that `where` accepts. */
  event(name: string, where: (payload: Record<string, unknown>) => boolean = () => true): Record<string, unknown> | undefined {
    const found = this.events.find((item) => item.event === name && where(item.payload ?? {}));
    return found ? (found.payload ?? {}) : undefined;
  }

  /**
   * Resolves with what `find` returns once it is neither undefined nor false, checked after
   * every frame; fails on timeout or close, naming `what`. `find` may throw to fail at once.
   */
  until<T>(what: string, find: () => T | undefined | false, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (outcome: { value: T } | { error: unknown }) => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        if ("value" in outcome) resolve(outcome.value);
        else reject(outcome.error);
      };
      const listener = () => {
        let found: T | undefined | false;
        try {
          found = find();
        } catch (error) {
          finish({ error });
          return;
        }
        if (found !== undefined && found !== false) finish({ value: found });
        else if (this.#closed) finish({ error: new Error(`socket ${this.#closed} while waiting for ${what}; events: ${this.eventNames()}`) });
      };
      const timer = setTimeout(
        () => finish({ error: new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.eventNames()}`) }),
        timeoutMs,
      );
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
  if (Array.isArray(content))
    return content
      .map((block) => (block && typeof block === "object" && typeof (block as { text?: unknown }).text === "string" ? (block as { text: string }).text : ""))
      .join("");
  return "";
}

/**
 * One chat turn over the socket: `chat.send` on `sessionKey`, then the `chat` event with
 * state `final` for that run. Returns the final text and how long it took.
 */
export async function chatTurn(
  socket: GatewaySocket,
  sessionKey: string,
  text: string,
  timeoutMs = 240_000,
): Promise<{ text: string; runId: string; ms: number }> {
  const started = Date.now();
  const ack = (await socket.request("chat.send", { sessionKey, message: text, idempotencyKey: randomUUID() }, timeoutMs)) as { runId?: string };
  const runId = ack.runId ?? "";
  const ofRun = (payload: Record<string, unknown>) => !runId || payload.runId === runId;
  const final = await socket.until(
    `the final chat event of run ${runId}`,
    () => {
      const failed = socket.event("chat", (payload) => ofRun(payload) && (payload.state === "error" || payload.state === "aborted"));
      if (failed) throw new Error(`chat run ${runId} ended with ${JSON.stringify(failed)}`);
      return socket.event("chat", (payload) => ofRun(payload) && payload.state === "final");
    },
    timeoutMs,
  );
  return { text: messageText(final.message), runId, ms: Date.now() - started };
}
