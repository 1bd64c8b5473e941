/**
 * The R2 stand-in's front door: every backend (Miniflare, wrangler, MinIO) is reached through
 * this small Node HTTP server, for two reasons.
 *   - Fidelity: R2, like every S3 service, sends a `Date` header; Miniflare's S3 endpoint does
 *     not. The AWS SDK reads it to correct a skewed clock after `RequestTimeTooSkewed`, so
 *     without it a container whose clock jumped keeps failing here where it recovers on R2.
 *     Node's server adds `Date` to every answer.
 *   - Faults, as R2 and the network between fail: unreachable (connections refused), slow
 *     (every request waits), 5xx (R2's XML error), resets in the middle of an upload (a PUT's
 *     body) or of a download (an object's body). Listeners see every request, to time a fault
 *     or a kill ("the first pack upload").
 */
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { urlHost } from "../../core/serve.ts";

export type R2Fault =
  | { kind: "none" }
  | { kind: "unreachable" }
  | { kind: "slow"; delayMs: number }
  | { kind: "5xx"; status: 500 | 503 }
  | { kind: "reset-upload"; afterBytes: number }
  | { kind: "reset-download"; afterBytes: number };

export interface R2Request {
  method: string;
  /** The object key (after the bucket), "" for bucket operations such as a listing. */
  key: string;
}

/** What StartedR2 offers for faults. */
export interface R2Faults {
  /** Applies from the next request on; `{kind: "none"}` ends it. Resolves once in force. */
  fault(fault: R2Fault): Promise<void>;
  /** Called for every request the stand-in receives, before the fault applies; undefined removes it. */
  onRequest(listener: ((request: R2Request) => void) | undefined): void;
  /** How many requests a fault has failed so far. */
  readonly disturbed: number;
}

export interface StartedR2Front extends R2Faults {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const S3_ERROR = (status: number) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 503 ? "ServiceUnavailable" : "InternalError"}</Code><Message>moltlab R2 stand-in: injected ${status}</Message></Error>`;

/**
 * Serves `host:port` in front of `upstream` (a backend's origin). `s3Path` is the path the
 * backend serves S3 under ("" or Miniflare's /cdn-cgi/local/r2/s3), to read keys from URLs.
 */
export async function startR2Front(options: { upstream: string; s3Path: string; bucket: string; host: string; port: number }): Promise<StartedR2Front> {
  const target = new URL(options.upstream);
  const bucketPath = `${options.s3Path.replace(/\/+$/, "")}/${options.bucket}`;
  let current: R2Fault = { kind: "none" };
  let listener: ((request: R2Request) => void) | undefined;
  let disturbed = 0;
  const sockets = new Set<Socket>();

  const keyOf = (url: string | undefined) => {
    const path = new URL(url ?? "/", "http://front").pathname;
    if (path !== bucketPath && !path.startsWith(`${bucketPath}/`)) return "";
    return decodeURIComponent(path.slice(bucketPath.length + 1));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const key = keyOf(req.url);
    listener?.({ method: req.method ?? "GET", key });
    const fault = current;
    if (fault.kind === "5xx") {
      disturbed++;
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/xml" }).end(S3_ERROR(fault.status));
      return;
    }
    const send = () => {
      const upstreamRequest = forward(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamResponse) => {
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          let sent = 0;
          const cut = fault.kind === "reset-download" && req.method === "GET" && key !== "" ? fault.afterBytes : Number.POSITIVE_INFINITY;
          upstreamResponse.on("data", (chunk: Buffer) => {
            if (sent + chunk.length > cut) {
              disturbed++;
              res.write(chunk.subarray(0, Math.max(0, cut - sent)));
              res.socket?.destroy();
              upstreamResponse.destroy();
              return;
            }
            sent += chunk.length;
            res.write(chunk);
          });
          upstreamResponse.on("end", () => res.end());
        },
      );
      upstreamRequest.on("error", () => res.socket?.destroy());
      let received = 0;
      const cut = fault.kind === "reset-upload" && req.method === "PUT" ? fault.afterBytes : Number.POSITIVE_INFINITY;
      req.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > cut) {
          disturbed++;
          upstreamRequest.destroy();
          req.socket.destroy();
          return;
        }
        upstreamRequest.write(chunk);
      });
      req.on("end", () => upstreamRequest.end());
    };
    if (fault.kind === "slow") setTimeout(send, fault.delayMs);
    else send();
  };

  const server: Server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, options.host, () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  const port = await listen(options.port);

  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    get disturbed() {
      return disturbed;
    },
    async fault(next) {
      const wasDown = current.kind === "unreachable";
      current = next;
      // Unreachable is a refused connection: nothing listens on the port while it lasts.
      if (next.kind === "unreachable" && !wasDown) await close();
      if (next.kind !== "unreachable" && wasDown) await listen(port);
    },
    onRequest(next) {
      listener = next;
    },
    stop: close,
  };
}
