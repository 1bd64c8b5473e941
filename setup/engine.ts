import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { aptInstall } from "../core/apt.ts";
import { compareApiVersions, DEFAULT_SOCKET, engineHost, MIN_API_VERSION, probeEngine, type Engine } from "../core/docker.ts";
import { UserError } from "../core/errors.ts";
import { lastLines, tryRun } from "../core/exec.ts";
import { canManageMachine } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";

export const DOCKERD_LOG = "/var/log/moltlab-dockerd.log";
const DOCKERD_PIDFILE = "/var/run/docker.pid";
const START_TIMEOUT_MS = 90_000;

const INSTALL_HINT =
  "install Docker Engine 20.10 or newer (Docker Desktop, or your distribution's docker package), start it, and rerun `npm run setup`.\n" +
  "moltlab installs and starts one by itself only when run as root on Debian.";

export function describeEngine(engine: Engine): string {
  return `Docker ${engine.version} (API ${engine.apiVersion}, ${engine.os}/${engine.arch}) at ${engineHost()}`;
}

export function assertEngineSupported(engine: Engine): void {
  if (compareApiVersions(engine.apiVersion, MIN_API_VERSION) < 0) {
    throw new UserError(
      `the Docker engine at ${engineHost()} is ${engine.version} (API ${engine.apiVersion}); moltlab needs API ${MIN_API_VERSION} (Docker 20.10) or newer`,
      "upgrade the Docker engine, then rerun `npm run setup`",
    );
  }
}

/** Makes sure a supported engine answers, installing and starting Debian's docker.io where we may. */
export async function ensureEngine(context: StepContext, logFile: string): Promise<StepOutcome> {
  const probe = await probeEngine();
  if (probe.ok) {
    assertEngineSupported(probe.engine);
    return { status: "ok", detail: describeEngine(probe.engine) };
  }
  if (probe.reason === "permission") {
    throw new UserError(
      `no permission to use the Docker engine at ${engineHost()}: ${probe.message}`,
      'add your user to the docker group (`sudo usermod -aG docker "$USER"`), log in again, and rerun `npm run setup`',
    );
  }
  if (process.env.DOCKER_HOST && process.env.DOCKER_HOST !== DEFAULT_SOCKET) {
    throw new UserError(
      `no Docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST}: ${probe.message}`,
      "start that engine, or unset DOCKER_HOST to use (or let moltlab install) the local one",
    );
  }
  if (!canManageMachine()) throw new UserError(`no Docker engine is reachable at ${engineHost()} (${probe.message})`, INSTALL_HINT);

  const installed = await aptInstall(["docker.io", "iptables"], context, logFile);
  const started = await startDockerd(context);
  const after = await probeEngine();
  if (!after.ok) throw new UserError(`dockerd is running but \`docker version\` fails: ${after.message}`, `read ${DOCKERD_LOG}`);
  assertEngineSupported(after.engine);
  const actions = [installed.length ? `installed ${installed.join(", ")}` : "", started ? "started dockerd" : ""].filter(Boolean);
  return { status: "done", detail: `${actions.join(" and ")}: ${describeEngine(after.engine)} (daemon log: ${DOCKERD_LOG})` };
}

/** The pid of the running dockerd (from its pidfile), undefined when none runs. */
export function dockerdPid(): number | undefined {
  if (!existsSync(DOCKERD_PIDFILE)) return undefined;
  const pid = Number(readFileSync(DOCKERD_PIDFILE, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Starts dockerd in the background (there is no systemd here), detached so it
 * outlives this command like a system service. Never starts a second one: two
 * daemons on one host fight over the docker0 bridge. Resolves once it answers
 * (true: this call started it); the engine-restart fault test starts it again with this.
 */
export async function startDockerd(context: StepContext): Promise<boolean> {
  let started = false;
  let exited: number | null | undefined;
  if (dockerdPid() === undefined) {
    context.progress(`starting dockerd (log: ${DOCKERD_LOG})`);
    const log = openSync(DOCKERD_LOG, "a");
    const child = spawn("dockerd", [], { cwd: "/", detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    child.on("exit", (code) => (exited = code));
    child.on("error", () => (exited = 127));
    child.unref();
    started = true;
  } else {
    context.progress("dockerd is already running; waiting for it to answer");
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if ((await tryRun("docker", ["version"], { timeoutMs: 5_000 })).code === 0) return started;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const tail = existsSync(DOCKERD_LOG) ? lastLines(readFileSync(DOCKERD_LOG, "utf8"), 12) : "(no log)";
  throw new UserError(
    exited !== undefined
      ? `dockerd exited with code ${exited} while starting:\n${tail}`
      : `dockerd did not answer within ${START_TIMEOUT_MS / 1000}s:\n${tail}`,
    `read ${DOCKERD_LOG}; if another engine owns /var/run/docker.sock, stop it or point DOCKER_HOST at it`,
  );
}
