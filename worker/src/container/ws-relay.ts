/**
 * WebSocket proxy to the gateway. The gateway token is added on the *upstream* side only:
 * Access redirects drop query strings, so the browser cannot be relied on to carry it, and
 * it must never be visible to the browser anyway. OpenClaw reads it from the `connect`
 * request's `params.auth.token` (its WebSocket handshake ignores the URL's query), so the
 * relay fills it into the client's first `connect` frame when the client sent none; the URL
 * keeps moltworker's `?token=` too. Frames are relayed both ways; gateway errors are
 * rewritten on the way out (see gateway-errors.ts).
 */
import { withoutAccessCredentials } from "../access-credentials.ts";
import { actionableMessage, closeReason, redact, rewriteFrame } from "./gateway-errors.ts";
import type { PortFetcher } from "./driver.ts";

export interface RelayHooks {
  /** A frame went either way (for sleepAfter). */
  activity(): void;
  opened(): void;
  closed(): void;
}

/** Codes a peer may not send in a close frame (1005, 1006, 1015) or that are out of range. */
function sendableCode(code: number | undefined, fallback: number): number {
  if (code === undefined || code === 1005 || code === 1006 || code === 1015 || code < 1000 || code > 4999) return fallback;
  return code;
}

/**
 * The client's `connect` request with the gateway token in `params.auth.token` (a token the
 * client sent itself is kept); `null` for any other frame, which passes unchanged.
 * A browser's Control UI signs its `device` block over `auth.token`, so a token added after
 * signing fails with "device signature invalid"; for such a frame the token goes into
 * `auth.password`, which OpenClaw's token mode also accepts and which the signature does not cover.
 */
export function withGatewayToken(frame: string, token: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return null;
  }
  const request = parsed as { type?: unknown; method?: unknown; params?: { auth?: { token?: unknown; password?: unknown }; device?: unknown } } | null;
  if (request?.type !== "req" || request.method !== "connect" || typeof request.params !== "object" || request.params === null) return null;
  const auth = typeof request.params.auth === "object" && request.params.auth !== null ? request.params.auth : {};
  if (typeof auth.token === "string" && auth.token !== "") return frame;
  if (typeof request.params.device === "object" && request.params.device !== null) {
    if (typeof auth.password === "string" && auth.password !== "") return frame;
    return JSON.stringify({ ...request, params: { ...request.params, auth: { ...auth, password: token } } });
  }
  return JSON.stringify({ ...request, params: { ...request.params, auth: { ...auth, token } } });
}

export async function relayWebSocket(request: Request, gateway: PortFetcher, token: string, hooks: RelayHooks): Promise<Response> {
  const url = new URL(request.url);
  url.searchParams.set("token", token);
  // The client's handshake headers go upstream, never Access's credentials among them, whoever called the relay.
  const upstreamResponse = await gateway.fetch(new Request(url, { method: "GET", headers: withoutAccessCredentials(request.headers) }));
  const upstream = upstreamResponse.webSocket;
  if (!upstream) {
    const body = redact(await upstreamResponse.text(), [token]);
    // An HTTP refusal of the upgrade carries the same error texts as the socket does.
    return new Response(actionableMessage(body) ?? body, {
      status: upstreamResponse.status === 101 ? 502 : upstreamResponse.status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const pair = new WebSocketPair();
  const client = pair[0];
  const server = pair[1];
  // Binary frames as ArrayBuffer on both sides: `send` cannot take the Blob newer
  // compatibility dates deliver by default.
  for (const socket of [upstream, server]) {
    socket.binaryType = "arraybuffer";
    socket.accept();
  }
  hooks.opened();

  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    hooks.closed();
  };
  const safeClose = (socket: WebSocket, code: number, reason: string) => {
    try {
      socket.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  };

  // Until the client's connect request went through the relay (it is the first frame it sends).
  let connectPending = true;
  server.addEventListener("message", (event) => {
    hooks.activity();
    let data = event.data;
    if (connectPending && typeof data === "string") {
      const connect = withGatewayToken(data, token);
      if (connect !== null) {
        connectPending = false;
        data = connect;
      }
    }
    try {
      upstream.send(data);
    } catch {
      safeClose(server, 1011, "The gateway connection is gone; reload to reconnect.");
    }
  });
  upstream.addEventListener("message", (event) => {
    hooks.activity();
    const data = typeof event.data === "string" ? rewriteFrame(event.data, [token]) : event.data;
    try {
      server.send(data);
    } catch {
      safeClose(upstream, 1001, "client gone");
    }
  });
  upstream.addEventListener("close", (event) => {
    safeClose(server, sendableCode(event.code, 1011), closeReason(event.reason, [token]));
    finish();
  });
  server.addEventListener("close", (event) => {
    safeClose(upstream, sendableCode(event.code, 1000), event.reason);
    finish();
  });
  upstream.addEventListener("error", () => {
    safeClose(server, 1011, "The gateway connection failed; reload to reconnect.");
    finish();
  });
  server.addEventListener("error", () => {
    safeClose(upstream, 1011, "client error");
    finish();
  });

  return new Response(null, { status: 101, webSocket: client });
}
