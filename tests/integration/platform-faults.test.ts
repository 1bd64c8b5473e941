/**
 * The local Containers platform's faults, seen through the Worker: the real Worker under
 * wrangler dev (DEV_MODE, on 127.0.0.1) → its Sandbox Durable Object → the platform → a probe
 * image (platform/testing/probe-app.cjs as the image's default command, on the gateway port,
 * in place of OpenClaw). For each fault: the Worker's answer and /api/status while it is
 * broken, then the next request served by a fresh container. The table goes to
 * reports/platform-faults.{json,md}.
 *
 * - the memory cgroup's OOM killer ends the app (instance type lite, 256 MiB);
 * - the image disappears while the Durable Object believes its container runs;
 * - the Docker engine restarts under the running sandbox (no live-restore: its containers
 *   die). This one stops the machine's dockerd, so it holds /tmp/moltlab-engine.lock
 *   exclusively while it does, and only where moltlab may manage the engine (root on Debian,
 *   a dockerd that no service manager owns): never on a CI runner's systemd engine.
 *
 * The file holds the engine lock shared for its own Docker work (do not wrap it in `flock -s`:
 * the restart would wait for that hold of yours and fail after LOCK_WAIT_MS).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SOCKET, engineHost } from "../../core/docker.ts";
import { canManageMachine } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { processAlive } from "../../core/leftovers.ts";
import { randomSecret } from "../../core/secret.ts";
import { freePort } from "../../core/wrangler-dev.ts";
import { GATEWAY_PORT } from "../../contract/ports.ts";
import { startContainersPlatform, type LifecycleEvent, type LifecycleEventType, type StartedContainersPlatform } from "../../platform/index.ts";
import { OOM_KILL_WAIT_MS, probeImage } from "../../platform/testing/probe.ts";
import { dockerdPid, startDockerd } from "../../setup/engine.ts";
import { Cleanup } from "../../stack/cleanup.ts";
import { LOOPBACK } from "../../stack/network.ts";
import { wranglerR2 } from "../../stack/r2.ts";
import { bucketOf, readWorkerConfig } from "../../stack/sandbox-config.ts";
import { startWorker, workerConfigDir } from "../../stack/worker.ts";
import { emulatorKey, workerEnv } from "../../stack/worker-env.ts";
import { EVIDENCE_FILES, PLATFORM_FAULTS, type PlatformFaultRow, type PlatformFaultsFile } from "../../verify/evidence-files.ts";
import type { HeldLock } from "../../core/file-lock.ts";
import { takeEngineLock } from "../shared/engine-lock.ts";
import { waitFor } from "../shared/wait.ts";
import { markdownTable, writeReport } from "./openclaw-reports.ts";

const run = randomUUID().slice(0, 8);
const docker = new Docker();
/** The throwaway probe image the Worker runs (and fault 2 removes): only this run uses it. */
const PROBE_TAG = `moltlab-test/fault-probe:${run}`;
const INSTANCE_TYPE = "lite";
/**
 * Other people's Docker work may hold the lock shared for a whole test run, and a waiting
 * exclusive lock does not hold new shared ones back: wait as long as the test's 15 minutes allow.
 */
const LOCK_WAIT_MS = 13 * 60_000;
const BOOT_MS = 120_000;

let sharedLock: HeldLock | undefined;
let platform: StartedContainersPlatform;
let workerUrl: string;
let probeImageId: string;
const cleanup = new Cleanup();
const faults: PlatformFaultsFile["faults"] = {};

beforeAll(async () => {
  sharedLock = await takeEngineLock("shared", LOCK_WAIT_MS);
  probeImageId = await probeImage(docker, { tag: PROBE_TAG, port: GATEWAY_PORT, labels: moltlabLabels("test") });
  cleanup.add("remove the probe image", async () => {
    await docker.getImage(probeImageId).remove({ force: true });
    return probeImageId;
  });

  const token = randomSecret(24);
  // Its own Docker name prefix: the Sandbox's container name is the same in every Worker.
  platform = await startContainersPlatform({ host: LOOPBACK, token, namePrefix: `moltlab-faults-${run}-` });
  cleanup.add("stop the platform", async () => {
    await platform.stop();
    return platform.url;
  });

  const config = readWorkerConfig();
  const port = await freePort(LOOPBACK);
  workerUrl = `http://${LOOPBACK}:${port}`;
  const persistTo = await mkdtemp(join(tmpdir(), "moltlab-faults-state-"));
  cleanup.add("remove the Worker's state", async () => {
    await rm(persistTo, { recursive: true, force: true });
    return persistTo;
  });
  const r2 = wranglerR2(workerUrl, "bridge", bucketOf(config), { accessKeyId: randomSecret(16), secretAccessKey: randomSecret(32) });
  const env = workerEnv({
    listenOn: LOOPBACK,
    devMode: true,
    access: { teamDomain: "https://moltlab-faults.cloudflareaccess.com", audience: randomSecret(32) },
    platform: { url: platform.url, token },
    image: { tag: PROBE_TAG, platform: "linux/amd64" },
    network: "bridge",
    instanceType: INSTANCE_TYPE,
    r2,
    // Never called: the probe is no OpenClaw.
    model: { kind: "emulator", baseUrl: "http://127.0.0.1:9", apiKey: emulatorKey(randomSecret) },
    gatewayToken: randomSecret(24),
  });
  const dir = await workerConfigDir({ temp: "moltlab-faults-" }, cleanup);
  await startWorker({ dir, config, env, binding: r2.binding, host: LOOPBACK, port, persistTo }, cleanup);
});

afterAll(async () => {
  try {
    await cleanup.run((line) => console.error(line));
  } finally {
    await sharedLock?.release();
    const rows = PLATFORM_FAULTS.map((fault) => {
      const row = faults[fault];
      if (!row) return [fault, "(did not run to its end)", "", ""];
      if (row.notRun) return [fault, `not run: ${row.notRun}`, "", ""];
      return [fault, row.platform, row.userSaw, row.recovered ? "yes" : "no"];
    });
    const table = markdownTable(["fault", "the platform recorded", "what the user saw (Worker)", "recovered on the next request"], rows);
    console.log(table);
    await writeReport<PlatformFaultsFile>(
      EVIDENCE_FILES.platformFaults,
      { generatedAt: new Date().toISOString(), source: EVIDENCE_FILES.platformFaults.writtenBy, instanceType: INSTANCE_TYPE, faults },
      [
        "# Containers platform faults, through the Worker",
        "",
        `Generated by \`${EVIDENCE_FILES.platformFaults.writtenBy}\`: the Worker under wrangler dev → Sandbox DO → local Containers platform → probe app (instance type ${INSTANCE_TYPE}).`,
        "",
        table,
      ].join("\n"),
    );
  }
});

/** /api/status, as these tests read it. */
interface WorkerStatus {
  ok: boolean;
  status: string;
  container: {
    status: string;
    starts: number;
    crashes: number;
    lastExit: { code: number | null; message?: string; expected: boolean } | null;
    lastError: string | null;
  };
}

async function workerStatus(): Promise<WorkerStatus> {
  return (await fetch(`${workerUrl}/api/status`)).json() as Promise<WorkerStatus>;
}

/** A request through the Worker to the probe (JSON, so never the loading page). */
async function throughWorker(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${workerUrl}${path}`, { headers: { accept: "application/json" } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The Sandbox's container on the platform (one Durable Object, one name). */
function sandboxName(): string {
  const names = platform.containers.names();
  if (names.length !== 1) throw new Error(`expected the Sandbox's one container on the platform, found: ${names.join(", ") || "none"}`);
  return names[0]!;
}

/** Serves a request through the Worker and returns the container that served it. */
async function servedByContainer(): Promise<string> {
  const served = await throughWorker("/info");
  expect(served).toMatchObject({ status: 200, body: { machine: "x86_64" } });
  const state = platform.containers.state(sandboxName());
  expect(state).toMatchObject({ status: "running", instanceType: INSTANCE_TYPE });
  return state.containerId!;
}

function lastSeq(name: string): number {
  return platform.containers.historyOf(name).at(-1)?.seq ?? 0;
}

/** The first `type` event of `name` after `afterSeq`, recorded or still to come. */
function platformEvent(name: string, type: LifecycleEventType, afterSeq: number, timeoutMs = BOOT_MS): Promise<LifecycleEvent> {
  return waitFor(
    `a "${type}" event of ${name} on the platform`,
    () => platform.containers.historyOf(name, afterSeq).find((event) => event.type === type),
    timeoutMs,
    100,
  );
}

/** Why this machine's engine is not this test's to restart; undefined when it is. */
function engineRestartBlocker(): string | undefined {
  if (engineHost() !== DEFAULT_SOCKET) return `the engine is at DOCKER_HOST=${engineHost()}, not this machine's dockerd`;
  if (!canManageMachine()) return "moltlab manages (and so restarts) only an engine on a machine it may manage: root on Debian";
  const pid = dockerdPid();
  if (pid === undefined) return "no dockerd runs here that /var/run/docker.pid names";
  const cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  if (/\.service\b/.test(cgroup)) return "dockerd is a service of the machine's service manager (systemd), which restarts it itself";
  return undefined;
}

describe("Containers platform faults, through the Worker", () => {
  it("oom-kill: the OOM killer ends the app; the exit says so, and the next request starts a fresh container", async () => {
    const before = await servedByContainer();
    const name = sandboxName();
    const since = lastSeq(name);
    expect(await throughWorker("/allocate")).toMatchObject({ status: 202, body: { allocating: true } });
    const exited = await platformEvent(name, "exited", since, OOM_KILL_WAIT_MS);
    const row: PlatformFaultRow = {
      platform: `exited event: code ${exited.code}, oomKilled ${exited.oomKilled}`,
      userSaw: "",
      recovered: false,
    };
    faults["oom-kill"] = row;
    expect(exited).toMatchObject({ code: 137, oomKilled: true, containerId: before });
    expect(platform.containers.state(name)).toMatchObject({ status: "exited", oomKilled: true, exitCode: 137 });

    // The Durable Object learns of the exit on the next request, which it also serves.
    const after = await servedByContainer();
    const status = await workerStatus();
    row.userSaw = `the next request: 200 after a fresh start; /api/status lastExit "${status.container.lastExit?.message}" (code ${status.container.lastExit?.code}), crashes ${status.container.crashes}`;
    expect(after).not.toBe(before);
    expect(status).toMatchObject({ ok: true, status: "running" });
    expect(status.container.lastExit).toMatchObject({ code: 137, message: "killed by the OOM killer", expected: false });
    expect(status.container.crashes).toBeGreaterThanOrEqual(1);
    row.recovered = true;
  });

  it("image-missing: the image goes while its container runs; the restart fails at once naming the fix, and works once it is back", async () => {
    const before = await servedByContainer();
    const name = sandboxName();
    // What `docker rmi -f` does to an image a running container uses: the tag goes, the layers stay (dangling).
    await docker.getImage(PROBE_TAG).remove({ force: true });
    await expect(docker.getImage(PROBE_TAG).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(platform.containers.state(name)).toMatchObject({ status: "running", containerId: before });

    // Then the container stops behind the Durable Object's back (the DO still believes it runs).
    const since = lastSeq(name);
    await docker.getContainer(before).kill({ signal: "SIGKILL" });
    expect((await platformEvent(name, "exited", since)).code).toBe(137);

    const broken = await throughWorker("/info");
    const status = await workerStatus();
    const state = platform.containers.state(name);
    const row: PlatformFaultRow = {
      platform: `start-failed ${state.error?.code}: ${state.error?.message}`,
      userSaw: `${broken.status} ${JSON.stringify(broken.body)}; /api/status ${status.container.status}, lastError "${status.container.lastError}"`,
      recovered: false,
    };
    faults["image-missing"] = row;
    expect(broken.status).toBe(503);
    expect(String(broken.body.detail)).toMatch(new RegExp(`image ${PROBE_TAG} is not in the local Docker engine; .*moltlab never pulls`));
    expect(status.container).toMatchObject({
      status: "stopped",
      lastError: expect.stringContaining(`start failed: image ${PROBE_TAG} is not in the local Docker engine`),
    });
    expect(state).toMatchObject({ status: "exited", error: { code: "image_missing" } });
    expect(platform.containers.historyOf(name, since).map((event) => event.type)).toEqual(["exited", "creating", "start-failed"]);

    // The fix (here: the tag back on the image; for OpenClaw's, `npm run image`), then the next request.
    await docker.getImage(probeImageId).tag({ repo: PROBE_TAG.split(":")[0]!, tag: run });
    const after = await servedByContainer();
    expect(after).not.toBe(before);
    expect((await workerStatus()).container).toMatchObject({ status: "running", lastError: null });
    row.recovered = true;
  });

  it("engine-restart: dockerd restarts under the sandbox; while it is down the Worker names the fix, and the next request after starts a fresh container", async (context) => {
    const blocker = engineRestartBlocker();
    if (blocker) {
      // Reported as skipped, and in the table as not run, with why.
      faults["engine-restart"] = { platform: "", userSaw: "", recovered: false, notRun: blocker };
      context.skip(`engine restart not staged: ${blocker}`);
    }
    const before = await servedByContainer();
    const name = sandboxName();
    const crashesBefore = (await workerStatus()).container.crashes;
    const row: PlatformFaultRow = { platform: "", userSaw: "", recovered: false };
    faults["engine-restart"] = row;

    await sharedLock?.release();
    sharedLock = undefined;
    const exclusive = await takeEngineLock("exclusive", LOCK_WAIT_MS);
    try {
      const since = lastSeq(name);
      const pid = dockerdPid()!;
      // What a service restart does: SIGTERM, and dockerd stops its containers on the way out.
      process.kill(pid, "SIGTERM");
      await waitFor("dockerd to exit", () => !processAlive(pid), 120_000, 200);
      const exited = await platformEvent(name, "exited", since);

      const health = await fetch(`${platform.url}/v1/health`);
      const healthBody = (await health.json()) as { ok: boolean; error: { code: string; message: string } };
      const broken = await throughWorker("/info");
      const status = await workerStatus();
      const state = platform.containers.state(name);
      row.platform = `exited event (code ${exited.code}); then start-failed ${state.error?.code}; /v1/health ${health.status} ${healthBody.error?.code}`;
      row.userSaw = `${broken.status} ${JSON.stringify(broken.body)}; /api/status ${status.container.status}, lastError "${status.container.lastError}"`;

      expect(exited.containerId).toBe(before);
      expect(health.status).toBe(503);
      expect(healthBody).toMatchObject({ ok: false, error: { code: "engine_unreachable", message: expect.stringContaining("run `npm run setup`") } });
      expect(broken.status).toBe(503);
      expect(String(broken.body.detail)).toMatch(/the Docker engine at .* is unreachable .*; run `npm run setup`, which starts or installs it/);
      expect(status.container).toMatchObject({ status: "stopped", lastError: expect.stringContaining("run `npm run setup`") });
      expect(state).toMatchObject({ status: "exited", error: { code: "engine_unreachable" } });
    } finally {
      // Whatever happened above, the engine is left running, and only then is the lock let go.
      await startDockerd({ progress: (text) => console.log(text) });
      await exclusive.release();
      sharedLock = await takeEngineLock("shared", LOCK_WAIT_MS);
    }

    const after = await servedByContainer();
    const status = await workerStatus();
    row.userSaw += `; after the engine was back: 200, crashes ${crashesBefore} → ${status.container.crashes}`;
    expect(after).not.toBe(before);
    expect(status.container).toMatchObject({ status: "running", lastError: null });
    expect(status.container.crashes).toBe(crashesBefore + 1);
    row.recovered = true;
  });
});
