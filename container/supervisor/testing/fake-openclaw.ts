/**
 * A stand-in for the `openclaw` binary, for the supervisor's tests. Run as
 * `node fake-openclaw.ts gateway --port P …` (through a wrapper script that the tests
 * point OPENCLAW_BIN at). Like OpenClaw it reads openclaw.json, resolves ${VAR}
 * references from its environment (refusing to start if one is unset), serves /healthz
 * and /readyz, keeps a WAL-mode SQLite database open in the state dir and stops on SIGTERM.
 * Unlike OpenClaw it checkpoints nothing (the WAL holds every write) and exits without
 * closing the database, the worst case for a byte copy.
 *
 * Test hooks on its HTTP port: POST /fake/sql?text=… inserts a row; POST /fake/exit?code=N exits;
 * POST /fake/writer?file=…[&setsid=1] starts a child that ignores SIGTERM and appends a line to
 * the file every few ms (an agent's job left running; with setsid=1 it leaves the process group)
 * and answers its pid.
 * POST /fake/workload?cycle=N[&fill=1] starts the script FAKE_OPENCLAW_WORKLOAD names (the torture
 * run's workload) as a child in its process group, like an agent's tool: on SIGTERM the fake
 * passes the signal on and exits when the child has.
 * FAKE_OPENCLAW_READYZ_FAILING=a,b makes /readyz answer 503 `{ ready: false, failing: [a, b] }`, as
 * OpenClaw does while a channel is unhealthy (a revoked token) or while it starts.
 * It prints its token on stdout once, so tests can check the supervisor masks it.
 * `devices list --json` and `devices approve <id>` answer from a fixed list when the
 * gateway token is in the environment.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const [command, ...args] = process.argv.slice(2);
const env = process.env;

function fail(message: string): never {
  process.stderr.write(`fake-openclaw: ${message}\n`);
  process.exit(1);
}

function loadConfig(): Record<string, unknown> {
  const path = env.OPENCLAW_CONFIG_PATH ?? fail("OPENCLAW_CONFIG_PATH is not set");
  const text = readFileSync(path, "utf8");
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (!env[match[1]!]) fail(`config references \${${match[1]}} but it is not set`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

if (command === "devices") {
  loadConfig();
  if (!env.OPENCLAW_GATEWAY_TOKEN) fail("no gateway token in the environment");
  if (args[0] === "list" && args.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ pending: [{ requestId: "req-1", deviceId: "dev-abc", platform: "test" }], paired: [] })}\n`);
  } else if (args[0] === "approve") {
    if (args[1] !== "req-1") fail(`unknown request ${args[1]}`);
    process.stdout.write(`Approved ${args[1]}\n`);
  } else fail(`unsupported: devices ${args.join(" ")}`);
  process.exit(0);
}

if (command !== "gateway") fail(`unsupported command ${command}`);
const port = Number(args[args.indexOf("--port") + 1]);
const config = loadConfig();
const stateDir = env.OPENCLAW_STATE_DIR ?? fail("OPENCLAW_STATE_DIR is not set");
process.stdout.write(
  `fake-openclaw: starting with token ${env.OPENCLAW_GATEWAY_TOKEN} and mode ${JSON.stringify((config.gateway as { mode?: string }).mode)}\n`,
);
process.stderr.write("fake-openclaw: a warning on stderr\n");

const agentDir = join(stateDir, "agents", "main", "agent");
mkdirSync(agentDir, { recursive: true });
const db = new DatabaseSync(join(agentDir, "openclaw-agent.sqlite"));
db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
const workspace = join(stateDir, "workspace");
mkdirSync(workspace, { recursive: true });
if (!existsSync(join(workspace, "AGENTS.md"))) writeFileSync(join(workspace, "AGENTS.md"), "# Agents\n");

let workload: ChildProcess | undefined;

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://fake");
  const failing = env.FAKE_OPENCLAW_READYZ_FAILING?.split(",").filter(Boolean) ?? [];
  if (url.pathname === "/readyz" && failing.length) {
    // What OpenClaw answers while something is unhealthy: a channel past its connect grace, or a start-up reason.
    response.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ ready: false, failing, uptimeMs: 1 }));
    process.stdout.write(`fake-openclaw: /readyz 503 ${failing.join(",")}\n`);
  } else if (url.pathname === "/healthz" || url.pathname === "/readyz") {
    response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  } else if (url.pathname === "/fake/sql" && request.method === "POST") {
    db.prepare("INSERT INTO messages (text) VALUES (?)").run(url.searchParams.get("text") ?? "");
    response.writeHead(200).end("ok");
  } else if (url.pathname === "/fake/writer" && request.method === "POST") {
    const script = `process.on("SIGTERM", () => {}); let n = 0; setInterval(() => require("node:fs").appendFileSync(process.argv[1], \`\${n++}\\n\`), 5);`;
    const child = spawn(process.execPath, ["-e", script, url.searchParams.get("file") ?? fail("writer needs ?file=")], {
      stdio: "ignore",
      detached: url.searchParams.get("setsid") === "1",
    });
    child.unref();
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pid: child.pid }));
  } else if (url.pathname === "/fake/workload" && request.method === "POST") {
    const script = env.FAKE_OPENCLAW_WORKLOAD ?? fail("/fake/workload needs FAKE_OPENCLAW_WORKLOAD");
    workload = spawn(process.execPath, [script], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...env, TORTURE_CYCLE: url.searchParams.get("cycle") ?? "0", TORTURE_FILL: url.searchParams.get("fill") ?? "0" },
    });
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pid: workload.pid }));
  } else if (url.pathname === "/fake/exit" && request.method === "POST") {
    response.writeHead(200).end("bye", () => process.exit(Number(url.searchParams.get("code") ?? 0)));
  } else response.writeHead(404).end();
});
server.listen(port, "127.0.0.1", () => process.stdout.write(`fake-openclaw: listening on ${port}\n`));

process.on("SIGTERM", () => {
  process.stdout.write("fake-openclaw: SIGTERM, exiting\n");
  server.close();
  if (!workload || workload.exitCode !== null || workload.signalCode !== null) process.exit(0);
  workload.once("exit", () => process.exit(0));
  workload.kill("SIGTERM");
});
