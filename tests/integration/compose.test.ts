/**
 * `docker compose up` as a user without a registry runs it (docker-compose.yml plus the offline
 * R2 override), under a project name and ports of its own so it never meets a user's sandbox:
 * every service healthy, a login through the Access emulator, OpenClaw started by the Worker
 * in its container on the compose network, a chat reply from the AI Gateway emulator through the
 * Worker, and `docker compose down -v` leaving nothing behind. Timings are printed, never asserted.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureImages } from "../../container/build/index.ts";
import { removeSupersededImages } from "../../core/docker.ts";
import { run, tryRun } from "../../core/exec.ts";
import { StepRunner } from "../../core/ui.ts";
import { ROOT } from "../../core/host.ts";
import { freePort } from "../../core/wrangler-dev.ts";
import { postAccessLogin, waitForSandboxRunning } from "../shared/through-worker.ts";
import { GatewaySocket } from "./openclaw-ws.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";

const MINUTES = 60_000;
const PROJECT = `moltlab-compose-test-${randomBytes(3).toString("hex")}`;
const FILES = ["-f", "docker-compose.yml", "-f", "compose/r2-offline.yml"];
const HTTP_REPLY = "Pong over HTTP through the Worker in docker compose.";
const TOKEN_FILE = "/tmp/moltlab-worker/gateway-token";
const PROJECT_LABEL = `com.docker.compose.project=${PROJECT}`;

/** Published ports of their own; a real provider or compose settings of the caller must not leak in. */
async function composeEnv(): Promise<{ env: NodeJS.ProcessEnv; ports: Record<string, number> }> {
  const ports = {
    MOLTLAB_WORKER_PORT: await freePort("127.0.0.1"),
    MOLTLAB_ACCESS_PORT: await freePort("127.0.0.1"),
    MOLTLAB_AI_GATEWAY_PORT: await freePort("127.0.0.1"),
    MOLTLAB_R2_PORT: await freePort("127.0.0.1"),
  };
  const ignored = /^(COMPOSE_|ANTHROPIC_|CLOUDFLARE_AI_GATEWAY_|CF_AI_GATEWAY_|MOLTLAB_(ARCH|OPENCLAW_|R2_|ACCESS_|PLATFORM_|MINIO_))/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ignored.test(name)));
  return { env: { ...env, ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])) }, ports };
}

/** Every live process's command line, from /proc: what `ps` would show anyone on the machine. */
async function commandLines(): Promise<string[]> {
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  return Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")));
}

describe("docker compose up: the whole sandbox from docker-compose.yml (offline R2)", () => {
  const docker = new Docker();
  let env: NodeJS.ProcessEnv;
  let worker: string;
  let access: string;
  let aiGateway: string;
  let cookie: string;
  let gatewayToken: string;
  let downed = false;

  const compose = (args: string[], timeoutMs = 5 * MINUTES) =>
    run("docker", ["compose", "--project-name", PROJECT, ...FILES, ...args], { cwd: ROOT, env, timeoutMs });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${worker}${path}`, {
      ...init,
      headers: { cookie, ...(init.headers as Record<string, string> | undefined) },
      redirect: "manual",
      signal: AbortSignal.timeout(5 * MINUTES),
    });
  const status = async () => (await (await api("/api/status")).json()) as { status: string; container: { status: string; lastError: string | null } };
  const openclawContainers = () => docker.listContainers({ all: true, filters: { name: [`^/${PROJECT}-openclaw-`] } });

  beforeAll(async () => {
    let ports: Record<string, number>;
    ({ env, ports } = await composeEnv());
    worker = `http://127.0.0.1:${ports.MOLTLAB_WORKER_PORT}`;
    access = `http://127.0.0.1:${ports.MOLTLAB_ACCESS_PORT}`;
    aiGateway = `http://127.0.0.1:${ports.MOLTLAB_AI_GATEWAY_PORT}`;
    // What a user runs first (README): the OpenClaw image must exist before compose starts the
    // platform; test files run in no fixed order, so this one makes sure (a no-op when current).
    await ensureImages({ arches: ["amd64"], openclawVersion: OPENCLAW_VERSION }, new StepRunner());
    const started = Date.now();
    await compose(["build"], 15 * MINUTES);
    const built = Date.now();
    await compose(["up", "--detach", "--wait"], 10 * MINUTES);
    console.log(`docker compose (${PROJECT}): build ${built - started} ms, up --wait (all healthy) ${Date.now() - built} ms`);
  }, 25 * MINUTES);

  afterAll(async () => {
    if (!downed)
      await tryRun("docker", ["compose", "--project-name", PROJECT, ...FILES, "down", "--volumes", "--timeout", "120"], {
        cwd: ROOT,
        env,
        timeoutMs: 5 * MINUTES,
      });
    // Whatever a failed down left: only this project's objects, found by its unique name.
    for (const container of [...(await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } })), ...(await openclawContainers())]) {
      await docker
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
    for (const network of await docker.listNetworks({ filters: { label: [PROJECT_LABEL] } }))
      await docker
        .getNetwork(network.Id)
        .remove()
        .catch(() => undefined);
    for (const volume of (await docker.listVolumes({ filters: { label: [PROJECT_LABEL] } })).Volumes ?? [])
      await docker
        .getVolume(volume.Name)
        .remove()
        .catch(() => undefined);
    // The services image this build replaced under its tag.
    await removeSupersededImages();
  }, 10 * MINUTES);

  it("labels what compose made as moltlab's sandbox and publishes ports on 127.0.0.1 only", async () => {
    const containers = await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } });
    expect(containers.map((container) => container.Labels["com.docker.compose.service"]).sort()).toEqual([
      "access",
      "ai-gateway",
      "containers",
      "r2",
      "worker",
    ]);
    for (const container of containers) {
      expect(container.State).toBe("running");
      expect(container.Labels).toMatchObject({ "moltlab.managed": "true", "moltlab.kind": "sandbox" });
      for (const port of container.Ports.filter((item) => item.PublicPort)) expect(port.IP).toBe("127.0.0.1");
    }
    const networks = await docker.listNetworks({ filters: { label: [PROJECT_LABEL] } });
    expect(networks.map((network) => network.Name).sort()).toEqual([`${PROJECT}-sandbox`, `${PROJECT}_control`]);
    for (const network of networks) expect(network.Labels).toMatchObject({ "moltlab.managed": "true", "moltlab.kind": "sandbox" });
    const volumes = (await docker.listVolumes({ filters: { label: [PROJECT_LABEL] } })).Volumes ?? [];
    expect(volumes.map((volume) => [volume.Name, volume.Labels["moltlab.kind"]])).toEqual([[`${PROJECT}_r2-data`, "sandbox"]]);
  });

  it("sends a browser to the Access login and lets it in with the cookie the login sets", async () => {
    const page = await fetch(`${worker}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toContain(`${access}/cdn-cgi/access/login/`);
    expect((await fetch(`${worker}/api/status`)).status).toBe(401);
    const login = await postAccessLogin(`${access}/cdn-cgi/access/login`, "you@example.com", `${worker}/api/status`);
    expect(login.status).toBe(302);
    cookie = login.cookie ?? "";
    expect(cookie).not.toBe("");
    const back = await api(new URL(login.location!).pathname);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ status: "not_running" });
  });

  it("starts OpenClaw on the sandbox network and answers a chat with the AI Gateway emulator's reply, through the Worker", async () => {
    const firstRequest = Date.now();
    const cold = await api("/", { headers: { accept: "text/html" } });
    expect(cold.status).toBe(503);
    await waitForSandboxRunning(status, 10 * MINUTES, 2000);
    const running = Date.now();

    // On the compose network only, reached by name: nothing published on the host.
    const [openclaw] = await openclawContainers();
    expect(openclaw).toBeDefined();
    const inspected = await docker.getContainer(openclaw!.Id).inspect();
    expect(Object.keys(inspected.NetworkSettings.Networks)).toEqual([`${PROJECT}-sandbox`]);
    expect(openclaw!.Ports.filter((port) => port.PublicPort)).toEqual([]);
    expect(openclaw!.Labels).toMatchObject({
      "moltlab.managed": "true",
      "moltlab.kind": "sandbox",
      "moltlab.platform.container": expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const loaded = await fetch(`${aiGateway}/__moltlab/scenarios`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ name: "http-probe", match: { provider: "anthropic" }, reply: { text: HTTP_REPLY } }]),
    });
    expect(loaded.status).toBe(200);
    // Generated by the worker service at its start; readable only inside its container.
    gatewayToken = (await compose(["exec", "-T", "worker", "cat", TOKEN_FILE])).stdout.trim();
    expect(gatewayToken).toMatch(/^[0-9a-f]{48}$/);
    const chat = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gatewayToken}` },
      body: JSON.stringify({ model: "openclaw", user: "moltlab-compose-test", messages: [{ role: "user", content: "compose-probe: say pong" }] }),
    });
    const body = await chat.text();
    expect(chat.status, body.slice(0, 500)).toBe(200);
    expect((JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain(HTTP_REPLY);
    console.log(`compose sandbox: first request → running ${running - firstRequest} ms, first chat reply ${Date.now() - running} ms`);
    const log = (await (await fetch(`${aiGateway}/__moltlab/log?provider=anthropic`)).json()) as { requests: { scenario?: string }[] };
    expect(log.requests.some((entry) => entry.scenario === "http-probe")).toBe(true);

    // The Worker relays OpenClaw's WebSocket over the compose network and injects the token.
    // (Chatting over it needs a paired device: the Worker is not on OpenClaw's loopback here.)
    const { socket, hello } = await GatewaySocket.connect({ url: worker, headers: { cookie }, timeoutMs: 2 * MINUTES });
    socket.close();
    expect(hello).toMatchObject({ type: "hello-ok" });
  });

  it("keeps the gateway token off every command line and out of the services' logs", async () => {
    expect(gatewayToken).toBeTruthy();
    expect((await commandLines()).filter((line) => line.includes(gatewayToken))).toEqual([]);
    const logs = await compose(["logs", "--no-color"]);
    expect(logs.stdout).toContain("ready on");
    expect(logs.stdout + logs.stderr).not.toContain(gatewayToken);
  });

  it("docker compose down -v stops OpenClaw gracefully and leaves no container, network or volume", async () => {
    expect((await openclawContainers()).length).toBe(1);
    // The platform's log says how OpenClaw ended; it is gone with the container after down.
    const follow = spawn("docker", ["compose", "--project-name", PROJECT, ...FILES, "logs", "--follow", "--no-color", "--since", "1s", "containers"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let platformLog = "";
    follow.stdout.on("data", (chunk: Buffer) => (platformLog += chunk.toString("utf8")));
    const followEnded = new Promise((resolve) => follow.once("close", resolve));
    const started = Date.now();
    try {
      await compose(["down", "--volumes", "--timeout", "120"]);
      downed = true;
    } finally {
      await Promise.race([followEnded, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      follow.kill();
    }
    console.log(`docker compose down -v: ${Date.now() - started} ms`);
    expect(platformLog).toMatch(/stopped \S+: exited 0/);
    expect(await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } })).toEqual([]);
    expect(await openclawContainers()).toEqual([]);
    expect((await docker.listNetworks()).map((network) => network.Name).filter((name) => name.startsWith(PROJECT))).toEqual([]);
    expect(((await docker.listVolumes()).Volumes ?? []).map((volume) => volume.Name).filter((name) => name.startsWith(PROJECT))).toEqual([]);
  });
});
