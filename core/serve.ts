import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";

/** A fetch-style handler: what Hono apps, MSW's getResponse and Miniflare all speak. */
export type FetchHandler = (request: Request) => Promise<Response> | Response;

export interface ServeOptions {
  /** Default 127.0.0.1. Use 0.0.0.0 only when containers on a Docker bridge must reach it. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
}

/**
 * Takes over a request asking to upgrade the connection (a WebSocket handshake), e.g. with
 * `ws`'s `handleUpgrade`. Without one, node:http's default applies (fetch handlers cannot upgrade).
 */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface ServeFetchOptions extends ServeOptions {
  /** Serves WebSocket handshakes on the same port as the fetch handler (Discord's gateway shares its REST origin). */
  onUpgrade?: UpgradeHandler;
}

/** A running HTTP server; `url` has no trailing slash. */
export interface StartedServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Requests received so far: lets a bench count the calls a path makes to this server. */
  requestsServed(): number;
  stop(): Promise<void>;
}

/**
 * Serves a fetch handler over real HTTP with node:http, streaming response bodies
 * chunk by chunk (SSE arrives as it is produced). Two ways for a handler to make
 * the connection fail the way networks do:
 * - return `Response.error()` (MSW's `HttpResponse.error()`): the socket is reset
 *   before any byte is sent;
 * - return a body stream that errors: the bytes sent so far arrive, then the socket
 *   is destroyed mid-response.
 */
export async function serveFetch(handler: FetchHandler, options: ServeFetchOptions = {}): Promise<StartedServer> {
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<Socket>();
  let served = 0;
  const server = createServer((incoming, outgoing) => {
    served++;
    void respond(handler, incoming, outgoing, baseUrl());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const { onUpgrade } = options;
  if (onUpgrade)
    server.on("upgrade", (request, socket, head) => {
      served++;
      onUpgrade(request, socket, head);
    });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  function baseUrl(): string {
    return `http://${urlHost(host)}:${port}`;
  }
  return {
    url: baseUrl(),
    host,
    port,
    requestsServed: () => served,
    stop: () =>
      new Promise<void>((resolve) => {
        // Streams that never end (a stalled SSE response) must not keep stop() waiting.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The host part of a URL for a listening address: wildcard addresses are reached over loopback. */
export function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** The request's `signal` aborts when the client goes away, so a stalled response can end. */
function toRequest(incoming: IncomingMessage, outgoing: ServerResponse, base: string): Request {
  const disconnected = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) disconnected.abort();
  });
  const headers = new Headers();
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(new URL(incoming.url ?? "/", base), {
    method: incoming.method,
    headers,
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
    signal: disconnected.signal,
    // Required by undici for streamed request bodies.
    duplex: "half",
  } as RequestInit);
}

async function respond(handler: FetchHandler, incoming: IncomingMessage, outgoing: ServerResponse, base: string): Promise<void> {
  let response: Response;
  try {
    response = await handler(toRequest(incoming, outgoing, base));
  } catch (error) {
    outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    outgoing.end(`moltlab emulator error: ${error instanceof Error ? error.message : String(error)}\n`);
    return;
  }
  if (response.type === "error") {
    incoming.socket.resetAndDestroy();
    return;
  }
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  outgoing.writeHead(response.status, response.statusText, headers);
  if (!response.body || incoming.method === "HEAD") {
    outgoing.end();
    return;
  }
  outgoing.flushHeaders();
  try {
    for await (const chunk of response.body) {
      if (outgoing.destroyed) return;
      outgoing.write(chunk);
    }
    outgoing.end();
  } catch {
    // The body failed mid-stream: cut the connection, as a dying upstream would.
    outgoing.destroy();
  }
}
