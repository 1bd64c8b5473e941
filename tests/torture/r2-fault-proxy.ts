/**
 * An HTTP proxy between the supervisor and the R2 stand-in that fails the ways a network and
 * R2 fail: unreachable (connections refused), slow (every request waits), 5xx (R2's own XML
 * error), resets in the middle of an upload (a PUT's body) or of a download (an object's body).
 * The torture run switches modes between and during cycles, and listens to the requests to
 * time a kill ("the first pack upload", "the first object read of a restore").
 */
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

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

export interface StartedR2FaultProxy {
  readonly endpoint: string;
  fault(fault: R2Fault): Promise<void>;
  /** Called for every request the proxy receives, before the fault applies. */
  onRequest(listener: ((request: R2Request) => void) | undefined): void;
  /** How many requests each fault disturbed, for the report. */
  readonly disturbed: number;
  stop(): Promise<void>;
}

const S3_ERROR = (status: number) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 503 ? "ServiceUnavailable" : "InternalError"}</Code><Message>moltlab torture: injected ${status}</Message></Error>`;

export async function startR2FaultProxy(upstream: string, bucket: string): Promise<StartedR2FaultProxy> {
  const target = new URL(upstream);
  // The stand-in serves S3 under a path (Miniflare's /cdn-cgi/local/r2/s3): the proxy keeps it.
  const base = target.pathname.replace(/\/+$/, "");
  let current: R2Fault = { kind: "none" };
  let listener: ((request: R2Request) => void) | undefined;
  let disturbed = 0;
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://proxy").pathname;
    const key = decodeURIComponent(
      path
        .slice(base.length)
        .replace(/^\//, "")
        .slice(bucket.length + 1),
    );
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
          const cut = fault.kind === "reset-download" && req.method === "GET" && key !== "" ? fault.afterBytes : Infinity;
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
      const cut = fault.kind === "reset-upload" && req.method === "PUT" ? fault.afterBytes : Infinity;
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
      server.listen(port, "127.0.0.1", () => {
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
  const port = await listen(0);

  return {
    endpoint: `http://127.0.0.1:${port}${base}`,
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
