/**
 * LocalContainers: Cloudflare Containers semantics on the local Docker engine. One
 * container per name; a start after an exit makes a fresh container (ephemeral disk);
 * concurrent starts share one; stop is signal → bounded wait → SIGKILL.
 */
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import Docker from "dockerode";
import { engineHost } from "../../core/docker.ts";
import { PlatformError } from "../client/errors.ts";
import { imageFix } from "./image-fix.ts";
import { limitsFor, type ContainerLimits } from "../../contract/instance-types.ts";
import { containerIdFromMountinfo, leftoverDecision, processAlive, readMountinfo, type LeftoverDecision, type OwnerContainer } from "../../core/leftovers.ts";
import { waitForHttp } from "./port-ready.ts";
import {
  createRequest, dockerName, hostNetworkPorts, isContainerName, isNamePrefix, LABEL_CONTAINER, LABEL_OWNER, LABEL_OWNER_CONTAINER, NAME_PREFIX, namedNetworkPorts,
  ownerLabel, platformFilter, publishedPorts, type Owner,
} from "./run-profile.ts";
import { validateSignal, validateSpec, validateStopOptions, type NormalizedSpec } from "./spec.ts";
import { signalOf, statusOf, type Phase } from "./state.ts";
import { namedNetwork, type ContainerSpec, type ContainerState, type ContainerTimings, type LifecycleEvent, type PlatformStopOptions, type PlatformStopResult } from "../client/types.ts";

const HISTORY_PER_NAME = 200;
const LOG_TAIL_LINES = 20;

interface DockerExit {
  code?: number;
  oomKilled: boolean;
  finishedAt?: string;
}

/** One container generation of a name. A restart replaces the whole record. */
interface Instance {
  name: string;
  spec: NormalizedSpec;
  limits: ContainerLimits;
  phase: Phase;
  ready: boolean;
  ports: Record<string, string>;
  timings: ContainerTimings;
  requestedAt: number;
  container?: Docker.Container;
  id?: string;
  startedAt?: string;
  exit?: DockerExit;
  error?: { code: string; message: string };
  /** The start in progress; every concurrent start call gets this same promise. */
  starting?: Promise<ContainerState>;
  stopping?: Promise<PlatformStopResult>;
  /** Resolves when the process has exited (set once it runs). */
  exited?: Promise<DockerExit>;
  /** Aborts a port wait when a stop or destroy arrives. */
  abort: AbortController;
}

export interface Leftover {
  name: string;
  id: string;
  owner?: string;
  reason: string;
}

export interface LeftoverReport {
  removed: Leftover[];
  kept: Leftover[];
}

export interface LocalContainersOptions {
  docker?: Docker;
  /**
   * Docker names are `<namePrefix><name>` (default `moltlab-sandbox-`). Platforms with different
   * prefixes (one per docker compose project) can run a container of the same name each.
   */
  namePrefix?: string;
}


export class LocalContainers {
  /** Every lifecycle event of every container, as `"event"`. */
  readonly events = new EventEmitter<{ event: [LifecycleEvent] }>();
  readonly docker: Docker;
  readonly owner = ownerLabel();
  /** The id of the container this platform runs in (on the same engine), if it runs in one. */
  ownerContainer: string | undefined;
  readonly namePrefix: string;
  private readonly instances = new Map<string, Instance>();
  private readonly history = new Map<string, LifecycleEvent[]>();
  private seq = 0;
  private hostCpus = 1;

  private constructor(docker: Docker, namePrefix: string) {
    this.docker = docker;
    this.namePrefix = namePrefix;
    // Subscribers come and go per SSE client; the default cap of 10 would warn on a busy dev box.
    this.events.setMaxListeners(0);
  }

  /** Connects to the engine and deals with an earlier, crashed platform's containers. */
  static async create(options: LocalContainersOptions = {}): Promise<{ containers: LocalContainers; leftovers: LeftoverReport }> {
    const namePrefix = options.namePrefix ?? NAME_PREFIX;
    if (!isNamePrefix(namePrefix)) {
      throw new PlatformError("invalid_spec", `container name prefix "${namePrefix}" must be letters, digits, _ . - (starting with a letter or digit, at most 63); change it`);
    }
    const containers = new LocalContainers(options.docker ?? new Docker(), namePrefix);
    try {
      const info = (await containers.docker.info()) as { NCPU?: number };
      containers.hostCpus = info.NCPU ?? 1;
      containers.ownerContainer = await containers.findOwnContainer();
      return { containers, leftovers: await containers.sweepLeftovers() };
    } catch (error) {
      throw toPlatformError(error);
    }
  }

  start(name: string, spec: ContainerSpec): Promise<ContainerState> {
    return this.begin(name, spec).promise;
  }

  /** Like start, and says whether this call made a new container (the API answers 201 then). */
  begin(name: string, input: ContainerSpec | unknown): { promise: Promise<ContainerState>; created: boolean } {
    checkName(name);
    const spec = validateSpec(input);
    const current = this.instances.get(name);
    if (current?.starting) return { promise: current.starting, created: false };
    if (current && current.phase === "running" && !current.stopping) {
      if (current.ready || !current.spec.waitForPorts) return { promise: Promise.resolve(this.snapshot(current)), created: false };
      // Running, but an earlier wait for its ports timed out: wait again, shared like a start.
      current.starting = this.awaitReady(current).finally(() => (current.starting = undefined));
      return { promise: current.starting, created: false };
    }
    const instance: Instance = {
      name, spec, limits: limitsFor(spec.instanceType, this.hostCpus), phase: "creating", ready: false, ports: {}, timings: {},
      requestedAt: performance.now(), abort: new AbortController(),
    };
    this.instances.set(name, instance);
    instance.starting = this.launch(instance, current).finally(() => (instance.starting = undefined));
    return { promise: instance.starting, created: true };
  }

  state(name: string): ContainerState {
    checkName(name);
    const instance = this.instances.get(name);
    return instance ? this.snapshot(instance) : { name, status: "stopped", ready: false, ports: {}, timings: {} };
  }

  /** Names with a container (running or exited). */
  names(): string[] {
    return [...this.instances.keys()];
  }

  /** The state of each of those containers. */
  states(): ContainerState[] {
    return this.names().map((name) => this.state(name));
  }

  async signal(name: string, signal: string): Promise<ContainerState> {
    const instance = this.instances.get(name);
    const sig = validateSignal(signal);
    if (!instance?.container || (instance.phase !== "running" && instance.phase !== "stopping")) {
      throw new PlatformError("not_running", `container ${name} is ${this.state(name).status}, so there is no process to signal; start it first`);
    }
    await instance.container.kill({ signal: sig });
    return this.snapshot(instance);
  }

  stop(name: string, options: PlatformStopOptions = {}): Promise<PlatformStopResult> {
    const { signal, timeoutMs } = validateStopOptions(options);
    const instance = this.instances.get(name);
    if (!instance) return Promise.resolve({ state: this.state(name), signalSent: null, killed: false });
    instance.stopping ??= this.stopInstance(instance, signal, timeoutMs).finally(() => (instance.stopping = undefined));
    return instance.stopping;
  }

  /** Kills and removes the container at once; the name is then "stopped". */
  async destroy(name: string): Promise<ContainerState> {
    const instance = this.instances.get(name);
    if (!instance) return this.state(name);
    instance.abort.abort(new PlatformError("stopped_during_start", `container ${name} was destroyed while starting; start it again`));
    await instance.starting?.catch(() => undefined);
    if (instance.container) {
      await instance.container.remove({ force: true, v: true }).catch(ignoreMissing);
      await instance.exited;
    }
    if (this.instances.get(name) === instance) this.instances.delete(name);
    this.emit(instance, "destroyed");
    return this.state(name);
  }

  /** Destroys every container this platform started. */
  async shutdown(): Promise<void> {
    await Promise.all(this.names().map((name) => this.destroy(name)));
  }

  /** Recorded events of a name, oldest first, optionally only those after `since`. */
  historyOf(name: string, since = 0): LifecycleEvent[] {
    return (this.history.get(name) ?? []).filter((event) => event.seq > since);
  }

  private async launch(instance: Instance, previous: Instance | undefined): Promise<ContainerState> {
    const { name, spec } = instance;
    this.emit(instance, "creating");
    try {
      await previous?.stopping?.catch(() => undefined);
      await this.checkImage(spec);
      await this.checkNetwork(spec);
      await this.removeExisting(name);
      let started = performance.now();
      const container = await this.docker.createContainer(createRequest(name, spec, instance.limits, this.ownerInfo(), this.namePrefix));
      instance.container = container;
      instance.id = container.id;
      instance.timings.createMs = elapsed(started);
      instance.phase = "created";
      this.emit(instance, "created", { ms: instance.timings.createMs });

      instance.phase = "starting";
      this.emit(instance, "starting");
      started = performance.now();
      await container.start();
      instance.timings.startMs = elapsed(started);
      const info = await container.inspect();
      instance.startedAt = info.State.StartedAt;
      instance.ports = spec.network === "host"
        ? hostNetworkPorts(spec.ports)
        : namedNetwork(spec.network)
          ? namedNetworkPorts(name, spec.ports)
          : publishedPorts(info.NetworkSettings.Ports as Record<string, { HostIp: string; HostPort: string }[] | null>);
      instance.exited = this.watchExit(instance, container);
      // A process that died within the inspect above is already "exited": keep that phase.
      if (instance.phase === "starting") instance.phase = "running";
      this.emit(instance, "running", { ms: instance.timings.startMs });
      if (spec.waitForPorts) return await this.awaitReady(instance);
      instance.timings.totalMs = elapsed(instance.requestedAt);
      return this.snapshot(instance);
    } catch (error) {
      const failure = toPlatformError(error);
      instance.error = { code: failure.code, message: failure.message };
      this.emit(instance, "start-failed", { error: instance.error });
      if (!instance.exited) {
        // It never ran (no image, a create or start refused): leave the name as it was before.
        await instance.container?.remove({ force: true, v: true }).catch(() => undefined);
        if (this.instances.get(name) === instance) this.instances.delete(name);
      }
      throw failure;
    }
  }

  /** Waits until every port answers HTTP; fails early, with the app's last log lines, if the process exits. */
  private async awaitReady(instance: Instance): Promise<ContainerState> {
    const { name, spec } = instance;
    const waiting = new AbortController();
    let exit: DockerExit | undefined;
    const exited = instance.exited!.then((info) => {
      exit = info;
      waiting.abort();
    });
    const signal = AbortSignal.any([waiting.signal, instance.abort.signal]);
    const started = performance.now();
    const ports = Promise.all(spec.ports.map(async (port) => {
      const hostUrl = instance.ports[String(port)]!;
      const portStarted = performance.now();
      try {
        await waitForHttp(hostUrl, { signal, timeoutMs: spec.portReadyTimeoutMs });
      } catch (error) {
        if (instance.abort.signal.aborted) throw instance.abort.signal.reason;
        if (waiting.signal.aborted) return; // the process exited: reported below
        throw new PlatformError("port_timeout",
          `container ${name}: port ${port} did not answer HTTP within ${spec.portReadyTimeoutMs} ms (${(error as Error).message}); ` +
          `the container keeps running: check that the app listens on 0.0.0.0:${port}, or raise portReadyTimeoutMs`);
      }
      if (!waiting.signal.aborted) this.emit(instance, "port-ready", { port, hostUrl, ms: elapsed(portStarted) });
    }));
    ports.catch(() => undefined); // settled through the race; a later rejection must not go unhandled
    await Promise.race([ports, exited]);
    if (exit && !instance.abort.signal.aborted) {
      const oom = exit.oomKilled ? ", killed by the OOM killer (raise instanceType)" : "";
      throw new PlatformError("container_exited",
        `container ${name} exited with code ${exit.code ?? "unknown"}${oom} before its ports ${spec.ports.join(", ")} answered HTTP; ` +
        `fix the app or its command. Last log lines:\n${await this.logTail(instance)}`);
    }
    waiting.abort();
    instance.ready = true;
    instance.error = undefined;
    instance.timings.portReadyMs = elapsed(started);
    instance.timings.totalMs = elapsed(instance.requestedAt);
    return this.snapshot(instance);
  }

  private async watchExit(instance: Instance, container: Docker.Container): Promise<DockerExit> {
    let code: number | undefined;
    try {
      code = ((await container.wait()) as { StatusCode?: number }).StatusCode;
    } catch {
      // Removed before the wait was registered: it is gone, code unknown.
    }
    const exit: DockerExit = { code, oomKilled: false };
    try {
      const info = await container.inspect();
      exit.code = info.State.ExitCode;
      exit.oomKilled = info.State.OOMKilled;
      exit.finishedAt = info.State.FinishedAt;
    } catch {
      // destroy() removed it already; the wait's status code is all there is.
    }
    instance.exit = exit;
    instance.phase = "exited";
    instance.ready = false;
    this.emit(instance, "exited", { code: exit.code, signal: signalOf(exit.code), oomKilled: exit.oomKilled });
    return exit;
  }

  private async stopInstance(instance: Instance, signal: string, timeoutMs: number): Promise<PlatformStopResult> {
    instance.abort.abort(new PlatformError("stopped_during_start", `container ${instance.name} was stopped while starting; start it again`));
    await instance.starting?.catch(() => undefined);
    if (!instance.container || !instance.exited || instance.phase === "exited") {
      // Nothing to signal: the start failed before a process ran (the name may be "stopped" again), or it already exited.
      const state = this.instances.get(instance.name) === instance ? this.snapshot(instance) : this.state(instance.name);
      return { state, signalSent: null, killed: false, ...(instance.exit?.code !== undefined ? { exitCode: instance.exit.code } : {}) };
    }
    const started = performance.now();
    instance.phase = "stopping";
    this.emit(instance, "stopping", { signal });
    await instance.container.kill({ signal }).catch(ignoreNotRunning);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<"timeout">((resolve) => (timer = setTimeout(resolve, timeoutMs, "timeout")));
    const outcome = await Promise.race([instance.exited, bound]);
    clearTimeout(timer);
    const killed = outcome === "timeout";
    if (killed) await instance.container.kill({ signal: "SIGKILL" }).catch(ignoreNotRunning);
    const exit = await instance.exited;
    instance.timings.stopMs = elapsed(started);
    return { state: this.snapshot(instance), signalSent: signal, killed, ...(exit.code !== undefined ? { exitCode: exit.code } : {}) };
  }

  private async checkImage(spec: NormalizedSpec): Promise<void> {
    const arch = spec.platform.split("/")[1]!;
    let image: Docker.ImageInspectInfo;
    try {
      image = await this.docker.getImage(spec.image).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) {
        throw new PlatformError("image_missing", `image ${spec.image} is not in the local Docker engine; ${imageFix(spec.image, arch)}`);
      }
      throw error;
    }
    if (image.Architecture !== arch) {
      throw new PlatformError("image_platform_mismatch",
        `image ${spec.image} is linux/${image.Architecture} but the spec asks for ${spec.platform}; ${imageFix(spec.image, arch)}, or set platform to linux/${image.Architecture}`);
    }
  }

  /** A named network must exist: Docker's own error would not say what to do. */
  private async checkNetwork(spec: NormalizedSpec): Promise<void> {
    const network = namedNetwork(spec.network);
    if (!network) return;
    try {
      await this.docker.getNetwork(network).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      throw new PlatformError("network_missing",
        `the Docker network ${network} (spec network "${spec.network}") does not exist; create it (\`docker network create ${network}\`; docker compose creates its own networks), or use network bridge`);
    }
  }

  /** Removes this name's previous container (an exited generation, or a dead platform's); refuses a live platform's. */
  private async removeExisting(name: string): Promise<void> {
    const docker = dockerName(name, this.namePrefix);
    const [existing] = await this.docker.listContainers({ all: true, filters: { name: [`^/${docker}$`] } });
    if (!existing) return;
    const owner = existing.Labels[LABEL_OWNER];
    const mine = owner === this.owner && existing.Labels[LABEL_OWNER_CONTAINER] === this.ownerContainer;
    if (!mine && (await this.decide(existing)).action === "keep") {
      throw new PlatformError("name_in_use", `a container named ${docker} belongs to another running platform (${owner ?? "not moltlab's"}); use another name or stop that platform`);
    }
    await this.docker.getContainer(existing.Id).remove({ force: true, v: true }).catch(ignoreMissing);
  }

  private async sweepLeftovers(): Promise<LeftoverReport> {
    const report: LeftoverReport = { removed: [], kept: [] };
    const owners = new Map<string, Promise<OwnerContainer | null>>();
    for (const item of await this.docker.listContainers({ all: true, filters: platformFilter() })) {
      const owner = item.Labels[LABEL_OWNER];
      const decision = await this.decide(item, owners);
      const leftover: Leftover = { name: item.Labels[LABEL_CONTAINER] ?? item.Names[0] ?? item.Id, id: item.Id, reason: decision.reason, ...(owner ? { owner } : {}) };
      if (decision.action === "remove") {
        await this.docker.getContainer(item.Id).remove({ force: true, v: true }).catch(ignoreMissing);
        report.removed.push(leftover);
      } else {
        report.kept.push(leftover);
      }
    }
    return report;
  }

  /** Whether a sandbox container's platform is gone (see leftovers.ts); the engine is asked about container owners. */
  private async decide(item: Docker.ContainerInfo, owners = new Map<string, Promise<OwnerContainer | null>>()): Promise<LeftoverDecision> {
    const ownerContainerId = item.Labels[LABEL_OWNER_CONTAINER];
    let ownerContainer: OwnerContainer | null | undefined;
    if (ownerContainerId) {
      if (!owners.has(ownerContainerId)) owners.set(ownerContainerId, this.inspectOwner(ownerContainerId));
      ownerContainer = await owners.get(ownerContainerId);
    }
    return leftoverDecision(item.Labels[LABEL_OWNER], this.self(), { ownerContainerId, ownerContainer, createdAt: item.Created * 1000 });
  }

  private async inspectOwner(id: string): Promise<OwnerContainer | null> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return { running: info.State.Running, startedAt: Date.parse(info.State.StartedAt) };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  /**
   * The container this process runs in, if the engine it drives is the one running it: the
   * mount table names a candidate, and its hostname must be ours (a machine may itself be a
   * container of some other engine, whose ids mean nothing here).
   */
  private async findOwnContainer(): Promise<string | undefined> {
    const candidate = containerIdFromMountinfo(readMountinfo());
    if (!candidate) return undefined;
    try {
      const info = await this.docker.getContainer(candidate).inspect();
      return info.Config.Hostname === hostname() ? info.Id : undefined;
    } catch {
      return undefined;
    }
  }

  private ownerInfo(): Owner {
    return { label: this.owner, ...(this.ownerContainer ? { container: this.ownerContainer } : {}) };
  }

  private self() {
    return { host: hostname(), pid: process.pid, isAlive: processAlive, ...(this.ownerContainer ? { container: this.ownerContainer } : {}) };
  }

  private async logTail(instance: Instance): Promise<string> {
    try {
      const raw = (await instance.container!.logs({ stdout: true, stderr: true, follow: false, tail: LOG_TAIL_LINES })) as unknown as Buffer;
      return demuxLogs(raw).trimEnd() || "(no output)";
    } catch {
      return "(logs unavailable)";
    }
  }

  private snapshot(instance: Instance): ContainerState {
    const { spec, exit } = instance;
    const state: ContainerState = {
      name: instance.name,
      status: statusOf(instance.phase),
      ready: instance.ready,
      instanceType: spec.instanceType,
      platform: spec.platform,
      image: spec.image,
      ports: instance.phase === "exited" ? {} : { ...instance.ports },
      limits: instance.limits,
      timings: { ...instance.timings },
    };
    if (instance.id) state.containerId = instance.id;
    if (instance.startedAt) state.startedAt = instance.startedAt;
    if (exit) {
      if (exit.code !== undefined) state.exitCode = exit.code;
      const signal = signalOf(exit.code);
      if (signal) state.exitSignal = signal;
      state.oomKilled = exit.oomKilled;
      if (exit.finishedAt) state.finishedAt = exit.finishedAt;
    }
    if (instance.error) state.error = instance.error;
    return state;
  }

  private emit(instance: Instance, type: LifecycleEvent["type"], details: Partial<LifecycleEvent> = {}): void {
    const event: LifecycleEvent = {
      seq: ++this.seq, name: instance.name, type, at: new Date().toISOString(), ...(instance.id ? { containerId: instance.id } : {}),
      ...Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)),
    };
    const list = this.history.get(instance.name) ?? [];
    list.push(event);
    if (list.length > HISTORY_PER_NAME) list.splice(0, list.length - HISTORY_PER_NAME);
    this.history.set(instance.name, list);
    this.events.emit("event", event);
  }
}

function checkName(name: string): void {
  if (!isContainerName(name)) {
    throw new PlatformError("invalid_spec", `container name "${name}" must be 1–63 characters of letters, digits, _ . - (not starting with _ . -); rename it`);
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

function ignoreMissing(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
}

function ignoreNotRunning(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== 404 && status !== 409) throw error;
}

/** Docker multiplexes stdout and stderr of a non-TTY container: 8-byte frame headers, then the payload. */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && raw[offset]! <= 2 && raw[offset + 1] === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? raw.toString("utf8") : Buffer.concat(parts).toString("utf8");
}

/** Errors from dockerode or the socket, as the API reports them. */
export function toPlatformError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EACCES" || code === "ECONNRESET") {
    return new PlatformError("engine_unreachable",
      `the Docker engine at ${engineHost()} is unreachable (${code}: ${(error as Error).message}); run \`npm run setup\`, which starts or installs it`);
  }
  return new PlatformError("internal", error instanceof Error ? error.message : String(error));
}
