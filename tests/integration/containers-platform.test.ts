/**
 * The local Containers platform against the real Docker engine: the probe app
 * (platform/testing/probe-app.cjs) in moltlab's node base image, started,
 * reached, signalled, limited and removed the way a Durable Object would do it.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { readdirSync, readFileSync } from "node:fs";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { baseImageTag } from "../../setup/base-images.ts";
import {
  dockerName,
  HttpPlatformContainer,
  LABEL_CONTAINER,
  LABEL_OWNER,
  PlatformError,
  startContainersPlatform,
  type ContainerState,
  type LifecycleEvent,
  type LifecycleEventType,
  type LocalContainers,
  type StartedContainersPlatform,
} from "../../platform/index.ts";
import { OOM_KILL_WAIT_MS, PROBE_PORT, probeSpec } from "../../platform/testing/probe.ts";

const docker = new Docker();
const run = randomUUID().slice(0, 8);
let counter = 0;
/** A fresh container name per test: tests never see each other's containers. */
const fresh = (what: string) => `it-${run}-${what}-${++counter}`;

let platform: StartedContainersPlatform;
let containers: LocalContainers;
const startLatency: { amd64: number[]; arm64: number[] } = { amd64: [], arm64: [] };

beforeAll(async () => {
  platform = await startContainersPlatform();
  containers = platform.containers;
});

afterAll(async () => {
  await platform?.stop();
  // A failed test may have stopped half-way: remove whatever this process still owns.
  for (const item of await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER}=${containers.owner}`] } })) {
    await docker.getContainer(item.Id).remove({ force: true });
  }
  const { amd64, arm64 } = startLatency;
  console.log(`container start → port ready (ms): amd64 ${amd64.join(", ")}; arm64 (QEMU) ${arm64.join(", ")}`);
});

function url(state: ContainerState, path: string): string {
  const base = state.ports[String(PROBE_PORT)];
  if (!base) throw new Error(`port ${PROBE_PORT} is not published: ${JSON.stringify(state)}`);
  return `${base}${path}`;
}

async function getJson<T>(address: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(address, init);
  return { status: response.status, body: (await response.json()) as T };
}

interface Info {
  machine: string;
  memoryLimit: string;
  fuse: boolean;
  capEff: string;
  sigterms: number;
}

/** Resolves with the first event of `type` for `name` after `afterSeq`, recorded or live; fails with what was seen. */
function waitForEvent(name: string, type: LifecycleEventType, afterSeq = 0, timeoutMs = 60_000): Promise<LifecycleEvent> {
  const recorded = containers.historyOf(name, afterSeq).find((event) => event.type === type);
  if (recorded) return Promise.resolve(recorded);
  return new Promise((resolve, reject) => {
    const listener = (event: LifecycleEvent) => {
      if (event.name !== name || event.type !== type || event.seq <= afterSeq) return;
      clearTimeout(timer);
      containers.events.off("event", listener);
      resolve(event);
    };
    const timer = setTimeout(() => {
      containers.events.off("event", listener);
      reject(
        new Error(
          `no "${type}" event for ${name} within ${timeoutMs} ms; events: ${containers
            .historyOf(name)
            .map((event) => event.type)
            .join(", ")}`,
        ),
      );
    }, timeoutMs);
    containers.events.on("event", listener);
  });
}

/**
 * What the kernel says of a container's cgroups (cgroup v1 as Docker's cgroupfs driver lays it out,
 * or v2): CPU used and throttled, memory used and limit hits. It tells a container starved of CPU
 * from one whose memory never grew. Read while the cgroup exists; "unavailable" elsewhere.
 */
function cgroupFacts(containerId: string): string {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8").trim().replaceAll("\n", ", ");
    } catch {
      return undefined;
    }
  };
  const facts = [
    ["cpu.stat", read(`/sys/fs/cgroup/cpu/docker/${containerId}/cpu.stat`) ?? read(`/sys/fs/cgroup/docker/${containerId}/cpu.stat`)],
    ["cpuacct.usage (ns)", read(`/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`)],
    [
      "memory (bytes)",
      read(`/sys/fs/cgroup/memory/docker/${containerId}/memory.usage_in_bytes`) ?? read(`/sys/fs/cgroup/docker/${containerId}/memory.current`),
    ],
    ["memory.failcnt", read(`/sys/fs/cgroup/memory/docker/${containerId}/memory.failcnt`)],
  ].filter((fact): fact is [string, string] => fact[1] !== undefined);
  return facts.length
    ? facts.map(([name, value]) => `${name}: ${value}`).join("; ")
    : "unavailable (the cgroup is gone, or not where Docker's cgroupfs driver puts it)";
}

/** Polls `check` until it returns a value other than undefined; fails naming `what`. */
async function pollUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function containersNamed(name: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_CONTAINER}=${name}`] } });
}

function webSocketEcho(address: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(address.replace(/^http/, "ws"));
    socket.onopen = () => socket.send(text);
    socket.onmessage = (message) => {
      resolve(String(message.data));
      socket.close();
    };
    socket.onerror = () => reject(new Error(`WebSocket to ${address} failed`));
  });
}

describe("a container on the local platform", () => {
  it("serves HTTP and a WebSocket through a port published on 127.0.0.1, after the lifecycle events in order", async () => {
    const name = fresh("http");
    const state = await containers.start(name, probeSpec());
    startLatency.amd64.push(state.timings.totalMs!);
    expect(state).toMatchObject({ name, status: "running", ready: true, instanceType: "standard-1", platform: "linux/amd64" });
    expect(state.ports[String(PROBE_PORT)]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson<Info>(url(state, "/info"))).body.machine).toBe("x86_64");
    expect(await webSocketEcho(url(state, "/ws"), "hello sandbox")).toBe("echo: hello sandbox");

    const inspect = await docker.getContainer(state.containerId!).inspect();
    expect(inspect.Name).toBe(`/${dockerName(name)}`);
    expect(inspect.Config.Labels).toMatchObject({ "moltlab.managed": "true", "moltlab.kind": "sandbox", [LABEL_CONTAINER]: name });
    expect(inspect.NetworkSettings.Ports).toEqual({
      [`${PROBE_PORT}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: state.ports[String(PROBE_PORT)]!.split(":").at(-1) }],
    });
    expect(containers.historyOf(name).map((event) => event.type)).toEqual(["creating", "created", "starting", "running", "port-ready"]);
    await containers.destroy(name);
  });

  it("shares one start between concurrent start calls: one promise, one container", async () => {
    const name = fresh("concurrent");
    const spec = probeSpec();
    const first = containers.start(name, spec);
    const second = containers.start(name, spec);
    expect(second).toBe(first);
    const states = await Promise.all([first, second, containers.start(name, spec)]);
    expect(new Set(states.map((state) => state.containerId)).size).toBe(1);
    const again = await containers.start(name, spec);
    expect(again.containerId).toBe(states[0]!.containerId);
    expect(await containersNamed(name)).toHaveLength(1);
    await containers.destroy(name);
  });

  it("stops with SIGTERM, which the app sees (it exits 42), without escalating", async () => {
    const name = fresh("sigterm");
    await containers.start(name, probeSpec());
    const result = await containers.stop(name, { timeoutMs: 60_000 });
    expect(result).toMatchObject({ signalSent: "SIGTERM", killed: false, exitCode: 42 });
    expect(result.state).toMatchObject({ status: "exited", exitCode: 42, ready: false, ports: {} });
    const types = containers.historyOf(name).map((event) => event.type);
    expect(types.slice(-2)).toEqual(["stopping", "exited"]);
    expect((await waitForEvent(name, "exited")).code).toBe(42);
    await containers.destroy(name);
  });

  it("SIGKILLs an app that ignores SIGTERM once the bound passes, and says so", async () => {
    const name = fresh("stubborn");
    const state = await containers.start(name, probeSpec({ env: { IGNORE_SIGTERM: "1" } }));
    // Proof that SIGTERM arrives and is ignored: the app counts it and keeps answering.
    await containers.signal(name, "SIGTERM");
    await pollUntil("the app to count one SIGTERM", async () => ((await getJson<Info>(url(state, "/info"))).body.sigterms === 1 ? true : undefined));
    const result = await containers.stop(name, { timeoutMs: 500 });
    expect(result).toMatchObject({ signalSent: "SIGTERM", killed: true, exitCode: 137 });
    expect(result.state).toMatchObject({ status: "exited", exitSignal: "SIGKILL", oomKilled: false });
    await containers.destroy(name);
  });

  it("applies the instance type's limits, unprivileged, without devices or swap", async () => {
    const name = fresh("limits");
    const state = await containers.start(name, probeSpec({ instanceType: "basic" }));
    const { HostConfig } = await docker.getContainer(state.containerId!).inspect();
    expect(HostConfig).toMatchObject({ NanoCpus: 250_000_000, Memory: 1024 ** 3, MemorySwap: 1024 ** 3, PidsLimit: 8192, Privileged: false });
    expect(HostConfig.Devices ?? []).toEqual([]);
    expect(HostConfig.CapAdd ?? []).toEqual([]);
    const { body: info } = await getJson<Info>(url(state, "/info"));
    expect(info.memoryLimit).toBe(String(1024 ** 3));
    expect(info.fuse).toBe(false);
    // Docker's default capability set (no CAP_SYS_ADMIN, no CAP_NET_ADMIN); privileged would be 1ff….
    expect(info.capEff).toBe("00000000a80425fb");
    expect(state.limits).toMatchObject({ vcpu: 0.25, memoryBytes: 1024 ** 3, diskBytes: 4e9, diskEnforced: false });
    await containers.destroy(name);
  });

  it("runs linux/arm64 when asked (under QEMU here)", async () => {
    const name = fresh("arm64");
    const state = await containers.start(name, probeSpec({ platform: "linux/arm64" }));
    startLatency.arm64.push(state.timings.totalMs!);
    expect(state.platform).toBe("linux/arm64");
    expect((await getJson<Info>(url(state, "/info"))).body.machine).toBe("aarch64");
    await containers.destroy(name);
  });

  it("reports an OOM kill when the app allocates past lite's 256 MiB", async () => {
    const name = fresh("oom");
    const allocate = "const held = []; for (;;) held.push(Buffer.alloc(16 << 20, 1));";
    const started = await containers.start(name, { image: baseImageTag("node", "amd64"), cmd: ["node", "-e", allocate], ports: [], instanceType: "lite" });
    const startedAt = Date.now();
    const exited = await waitForEvent(name, "exited", 0, OOM_KILL_WAIT_MS).catch((error: Error) => {
      throw new Error(`${error.message}; the container's cgroup: ${cgroupFacts(started.containerId!)}`);
    });
    console.log(`lite's OOM kill came ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start`);
    expect(exited).toMatchObject({ oomKilled: true, code: 137, containerId: started.containerId });
    expect(containers.state(name)).toMatchObject({ status: "exited", oomKilled: true, exitCode: 137 });
    await containers.destroy(name);
  });

  it("gives a restarted container a fresh filesystem", async () => {
    const name = fresh("fresh");
    const first = await containers.start(name, probeSpec());
    await fetch(url(first, "/file"), { method: "PUT", body: "written before the restart" });
    expect((await getJson<{ content: string }>(url(first, "/file"))).body.content).toBe("written before the restart");
    await containers.stop(name);
    const second = await containers.start(name, probeSpec());
    expect(second.containerId).not.toBe(first.containerId);
    expect((await getJson(url(second, "/file"))).status).toBe(404);
    expect(await containersNamed(name)).toHaveLength(1);
    await containers.destroy(name);
  });

  it("passes env to the app through the API, never on a host process's command line", async () => {
    const name = fresh("env");
    const secret = `secret-${randomUUID()}`;
    const state = await containers.start(name, probeSpec({ env: { PROBE_SECRET: secret } }));
    expect((await getJson<{ value: string }>(url(state, "/env/PROBE_SECRET"))).body.value).toBe(secret);
    const inspect = await docker.getContainer(state.containerId!).inspect();
    expect(inspect.Config.Env).toContain(`PROBE_SECRET=${secret}`);
    const commandLines = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          return [readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")];
        } catch {
          return []; // exited while listing
        }
      });
    // The scan sees the container's own process (its `node -e` source carries the WebSocket GUID)…
    expect(commandLines.some((line) => line.includes("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))).toBe(true);
    // …and no process shows the secret.
    expect(commandLines.filter((line) => line.includes(secret))).toEqual([]);
    await containers.destroy(name);
  });

  it("fails a start whose app exits before its port answers, with the exit code and the app's last words", async () => {
    const name = fresh("crash");
    const crash = containers.start(name, probeSpec({ cmd: ["node", "-e", "console.error('config is broken'); process.exit(3)"] }));
    await expect(crash).rejects.toMatchObject({
      code: "container_exited",
      message: expect.stringMatching(/exited with code 3 before its ports 8080 answered HTTP[\s\S]*config is broken/),
    });
    expect(containers.state(name)).toMatchObject({ status: "exited", exitCode: 3, error: { code: "container_exited" } });
    await containers.destroy(name);
  });

  it("times out a port that never answers, keeps the container, and lets a stop cut a second wait short", async () => {
    const name = fresh("silent");
    const silent = probeSpec({ cmd: ["node", "-e", "setInterval(() => {}, 1000)"], portReadyTimeoutMs: 300 });
    await expect(containers.start(name, silent)).rejects.toMatchObject({ code: "port_timeout", message: expect.stringContaining("listens on 0.0.0.0:8080") });
    expect(containers.state(name)).toMatchObject({ status: "running", ready: false });
    const waiting = containers.start(name, { ...silent, portReadyTimeoutMs: 600_000 });
    const before = containers.historyOf(name).at(-1)!.seq;
    // A PID 1 without a SIGTERM handler ignores SIGTERM (Linux), so the stop escalates.
    const stopped = await containers.stop(name, { timeoutMs: 200 });
    await expect(waiting).rejects.toMatchObject({ code: "stopped_during_start" });
    expect(stopped).toMatchObject({ signalSent: "SIGTERM", killed: true, exitCode: 137 });
    expect((await waitForEvent(name, "exited", before)).signal).toBe("SIGKILL");
    await containers.destroy(name);
  });

  it("refuses an image for another platform, naming the fix, and never pulls a missing one", async () => {
    const mismatch = containers.start(fresh("mismatch"), probeSpec({ image: baseImageTag("node", "amd64"), platform: "linux/arm64" }));
    await expect(mismatch).rejects.toMatchObject({ code: "image_platform_mismatch", message: expect.stringContaining("npm run setup") });
    const missing = `moltlab/no-such-image:${run}`;
    await expect(containers.start(fresh("missing"), probeSpec({ image: missing }))).rejects.toMatchObject({
      code: "image_missing",
      message: expect.stringContaining("never pulls"),
    });
    await expect(docker.getImage(missing).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("the platform's HTTP API", () => {
  it("answers errors as JSON that name the fix", async () => {
    const base = `${platform.url}/v1/containers/${fresh("api")}`;
    const put = (body: unknown) =>
      getJson<{ error: { code: string; message: string } }>(base, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const unknownType = await put({ ...probeSpec(), instanceType: "standard-9" });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.error).toMatchObject({
      code: "unknown_instance_type",
      message: expect.stringContaining("standard-4 (4 vCPU, 12 GiB, 20 GB disk)"),
    });
    const missing = await put(probeSpec({ image: "moltlab/openclaw:0.0.0-amd64" }));
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toContain("npm run image -- --platform amd64");
    expect((await getJson<ContainerState>(base)).body).toMatchObject({ status: "stopped", ports: {} });
    const signal = await getJson<{ error: { code: string } }>(`${base}/signal`, { method: "POST", body: JSON.stringify({ signal: "SIGTERM" }) });
    expect(signal).toMatchObject({ status: 409, body: { error: { code: "not_running" } } });
    const health = await getJson<{ ok: boolean; engine: { apiVersion: string } }>(`${platform.url}/v1/health`);
    expect(health.body).toMatchObject({ ok: true, engine: { apiVersion: expect.stringMatching(/^1\.\d+$/) } });
  });

  it("requires the bearer token when one is set", async () => {
    const guarded = await startContainersPlatform({ token: "let-me-in" });
    try {
      const address = `${guarded.url}/v1/containers/${fresh("token")}`;
      expect((await fetch(address)).status).toBe(401);
      expect((await fetch(address, { headers: { authorization: "Bearer wrong-token" } })).status).toBe(401);
      expect((await getJson<ContainerState>(address, { headers: { authorization: "Bearer let-me-in" } })).body.status).toBe("stopped");
      expect((await fetch(`${guarded.url}/v1/health`)).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });

  it("drives a container end to end through HttpPlatformContainer, events included", async () => {
    const name = fresh("driver");
    const driver = new HttpPlatformContainer({ baseUrl: platform.url, name });
    expect((await driver.state()).status).toBe("stopped");
    await expect(driver.portUrl(PROBE_PORT)).rejects.toMatchObject({ code: "not_running" });

    const listening = new AbortController();
    const seen: LifecycleEvent[] = [];
    const collecting = (async () => {
      for await (const event of driver.events({ signal: listening.signal })) {
        seen.push(event);
        if (event.type === "exited") return;
      }
    })();

    const started = await driver.start(probeSpec());
    expect(started).toMatchObject({ status: "running", ready: true });
    const portUrl = await driver.portUrl(PROBE_PORT);
    expect(portUrl).toBe(started.ports[String(PROBE_PORT)]);
    expect((await getJson<Info>(`${portUrl}/info`)).body.machine).toBe("x86_64");
    expect(await webSocketEcho(`${portUrl}/socket`, "through the driver")).toBe("echo: through the driver");
    await expect(driver.portUrl(9)).rejects.toMatchObject({ code: "not_found" });

    const stopped = await driver.stop({ timeoutMs: 60_000 });
    expect(stopped).toMatchObject({ signalSent: "SIGTERM", killed: false, exitCode: 42 });
    await collecting;
    listening.abort();
    expect(seen.map((event) => event.type)).toEqual(["creating", "created", "starting", "running", "port-ready", "stopping", "exited"]);
    expect(seen.at(-1)).toMatchObject({ code: 42, containerId: started.containerId });

    expect((await driver.destroy()).status).toBe("stopped");
    expect(await containersNamed(name)).toEqual([]);
    await expect(driver.start({ ...probeSpec(), instanceType: "huge" as never })).rejects.toBeInstanceOf(PlatformError);
  });
});

describe("the platform's own lifecycle", () => {
  it("removes a crashed run's leftovers at startup, keeps a live platform's, and removes its own at stop", async () => {
    const other = await startContainersPlatform();
    const names = [fresh("owned"), fresh("owned")];
    await Promise.all(names.map((name) => other.containers.start(name, probeSpec({ waitForPorts: false }))));

    // What a crashed platform leaves: a running container with the platform's labels and no live owner.
    const crashedName = fresh("crashed");
    const leftover = await docker.createContainer({
      name: dockerName(crashedName),
      Image: baseImageTag("node", "amd64"),
      Cmd: ["node", "-e", "setInterval(() => {}, 1000)"],
      Labels: moltlabLabels("sandbox", { [LABEL_CONTAINER]: crashedName }),
    });
    await leftover.start();

    const next = await startContainersPlatform();
    try {
      expect(next.leftovers.removed).toEqual([expect.objectContaining({ id: leftover.id, name: crashedName, reason: "no owner label" })]);
      await expect(leftover.inspect()).rejects.toMatchObject({ statusCode: 404 });
      const keptNames = next.leftovers.kept.map((item) => item.name);
      expect(keptNames).toEqual(expect.arrayContaining(names));
    } finally {
      await next.stop();
    }
    for (const name of names) expect(await containersNamed(name)).toHaveLength(1);
    await other.stop();
    for (const name of names) expect(await containersNamed(name)).toEqual([]);
  });

  it("runs as `moltlab emulate containers`; a SIGKILLed platform's sandbox is removed by the next one", async () => {
    const cli = spawn(process.execPath, ["bin/moltlab.mjs", "emulate", "containers", "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: cli.stdout! })[Symbol.asyncIterator]();
      const first = String((await lines.next()).value);
      expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const driver = new HttpPlatformContainer({ baseUrl: first.slice("listening on ".length), name: fresh("orphan") });
      const orphan = await driver.start(probeSpec({ waitForPorts: false }));
      cli.kill("SIGKILL");
      await once(cli, "exit");

      const next = await startContainersPlatform();
      try {
        expect(next.leftovers.removed).toContainEqual(expect.objectContaining({ id: orphan.containerId, reason: `its platform (process ${cli.pid}) is gone` }));
        await expect(docker.getContainer(orphan.containerId!).inspect()).rejects.toMatchObject({ statusCode: 404 });
      } finally {
        await next.stop();
      }
    } finally {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill("SIGKILL");
    }
  });
});
