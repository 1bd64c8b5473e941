/**
 * The supervisor's own HTTP API, on its own port, for the Worker's admin routes. Every route
 * needs `Authorization: Bearer <gateway token>`: the Worker holds that token already, and
 * nothing here may wake or reveal anything to an unauthenticated caller.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import type { BackupResult } from "./backup.ts";
import { DEVICE_ID, devicesApproveArgs, devicesListArgs, type CliResult } from "./openclaw-cli.ts";
import { errorText, type Logger } from "./log.ts";
import { APPROVE_PATH, CONTROL_PATHS } from "../../contract/control-api.ts";

export interface ControlOptions {
  host: string;
  port: number;
  token: string;
  log: Logger;
  health: () => unknown;
  /** A backup run, or why none can run now (no R2, restore not finished). */
  backupNow: () => Promise<BackupResult> | string;
  cli: (args: readonly string[]) => Promise<CliResult>;
  toolsFile: string;
}

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export async function startControlServer(options: ControlOptions): Promise<ControlServer> {
  const expected = digest(options.token);
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log.error("control", "request failed", { path: request.url, error: errorText(error) });
      if (!response.headersSent) send(response, 500, { error: options.log.redact(errorText(error)) });
      else response.destroy();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const auth = request.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
    if (!given || !timingSafeEqual(digest(given), expected)) {
      send(response, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="moltlab"' });
      return;
    }
    request.resume(); // no route reads a body
    const path = new URL(request.url ?? "/", "http://control").pathname;
    const method = request.method ?? "GET";
    const approve = APPROVE_PATH.exec(path);
    const route = approve ? "approve" : path;
    const allowed: Record<string, string> = {
      [CONTROL_PATHS.health]: "GET",
      [CONTROL_PATHS.backup]: "POST",
      [CONTROL_PATHS.devices]: "GET",
      [CONTROL_PATHS.tools]: "GET",
      approve: "POST",
    };
    if (!(route in allowed)) return send(response, 404, { error: `no route ${path}` });
    if (allowed[route] !== method) return send(response, 405, { error: `${path} takes ${allowed[route]}` }, { allow: allowed[route]! });

    if (route === CONTROL_PATHS.health) return send(response, 200, options.health());
    if (route === CONTROL_PATHS.backup) {
      const started = options.backupNow();
      if (typeof started === "string") return send(response, 409, { error: started });
      const result = await started;
      return send(response, result.ok ? 200 : 503, result);
    }
    if (route === CONTROL_PATHS.devices) {
      const result = await options.cli(devicesListArgs);
      if (result.code !== 0) return send(response, 502, cliError("devices list", result, options.log));
      try {
        return send(response, 200, JSON.parse(result.stdout));
      } catch {
        return send(response, 502, {
          error: "openclaw devices list --json printed something that is not JSON",
          output: options.log.redact(result.stdout.slice(0, 2000)),
        });
      }
    }
    if (route === "approve") {
      const id = decodeURIComponent(approve![1]!);
      if (!DEVICE_ID.test(id)) return send(response, 400, { error: "not a device request id" });
      const result = await options.cli(devicesApproveArgs(id));
      if (result.code !== 0) return send(response, 502, cliError(`devices approve ${id}`, result, options.log));
      options.log.info("control", "device approved", { id });
      return send(response, 200, { approved: id, output: options.log.redact(result.stdout.trim()) });
    }
    // /tools: the image's tool probe results, written at build time.
    let text: string;
    try {
      text = await readFile(options.toolsFile, "utf8");
    } catch {
      return send(response, 404, { error: `no tool probe results at ${options.toolsFile}` });
    }
    try {
      return send(response, 200, JSON.parse(text));
    } catch (error) {
      return send(response, 500, { error: `${options.toolsFile} is not valid JSON: ${errorText(error)}` });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function cliError(what: string, result: CliResult, log: Logger): unknown {
  return { error: `openclaw ${what} failed with exit code ${result.code}`, stderr: log.redact(result.stderr.trim().slice(-2000)) };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
