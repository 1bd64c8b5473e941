/**
 * LocalContainers: Cloudflare Containers semantics on the local Docker engine. One
 * container per name; a start after an exit makes a fresh container (ephemeral disk);
 * concurrent starts share one; stop is signal → bounded wait → SIGKILL.
 */
import Docker from "dockerode";
import { PlatformError } from "../client/errors.ts";
import { limitsFor, type ContainerLimits } from "../../contract/instance-types.ts";
import { ignoreNotRunning, removeContainer, toPlatformError } from "./docker-errors.ts";
import { logTail } from "./docker-logs.ts";
import { checkContainerName, checkNamePrefix, dockerName, NAME_PREFIX } from "./docker-names.ts";
import { EventHistory, type EventDetails } from "./event-history.ts";
import { Ownership, type LeftoverReport } from "./ownership.ts";
import { waitForHttp } from "./port-ready.ts";
import { preflight } from "./preflight.ts";
import { createRequest, portUrls, type InspectPorts } from "./run-profile.ts";
import { validateSignal, validateSpec, validateStopOptions, type NormalizedSpec } from "./spec.ts";
import { signalOf, statusOf, type Phase } from "./state.ts";
import type { ContainerSpec, ContainerState, ContainerTimings, LifecycleEvent, LifecycleEventType, PlatformStopOptions, PlatformStopResult } from "../client/types.ts";

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
  readonly events = new EventHistory();
  readonly docker: Docker;
  readonly namePrefix: string;
  private readonly ownership: Ownership;
  private readonly hostCpus: number;
  private readonly instances = new Map<string, Instance>();

  private constructor(docker: Docker, namePrefix: string, ownership: Ownership, hostCpus: number) {
    this.docker = docker;
    this.namePrefix = namePrefix;
    this.ownership = ownership;
    this.hostCpus = hostCpus;
  }

  /** Connects to the engine and deals with an earlier, crashed platform's containers. */
  static async create(options: LocalContainersOptions = {}): Promise<{ containers: LocalContainers; leftovers: LeftoverReport }> {
    const namePrefix = options.namePrefix ?? NAME_PREFIX;
    checkNamePrefix(namePrefix);
    const docker = options.docker ?? new Docker();
    try {
      const info = (await docker.info()) as { NCPU?: number };
      const ownership = await Ownership.find(docker);
      const containers = new LocalContainers(docker, namePrefix, ownership, info.NCPU ?? 1);
      return { containers, leftovers: await ownership.sweepLeftovers() };
    } catch (error) {
      throw toPlatformError(error);
    }
  }

  /** `<hostname>:<pid>` of this platform, on every container it creates. */
  get owner(): string {
    return this.ownership.label;
  }

  /** The id of the container this platform runs in (on the same engine), if it runs in one. */
  get ownerContainer(): string | undefined {
    return this.ownership.container;
  }

  start(name: string, spec: ContainerSpec): Promise<ContainerState> {
    return this.begin(name, spec).promise;
  }

  /** Like start, and says whether this call made a new container (the API answers 201 then). */
  begin(name: string, input: ContainerSpec | unknown): { promise: Promise<ContainerState>; created: boolean } {
    checkContainerName(name);
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
    checkContainerName(name);
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
      await removeContainer(instance.container);
      await instance.exited;
    }
    if (this.instances.get(name) === instance) this.instances.delete(name);
    this.record(instance, "destroyed");
    return this.state(name);
  }

  /** Destroys every container this platform started. */
  async shutdown(): Promise<void> {
    await Promise.all(this.names().map((name) => this.destroy(name)));
  }

  /** Recorded events of a name, oldest first, optionally only those after `since`. */
  historyOf(name: string, since = 0): LifecycleEvent[] {
    return this.events.of(name, since);
  }

  private async launch(instance: Instance, previous: Instance | undefined): Promise<ContainerState> {
    const { name, spec } = instance;
    this.record(instance, "creating");
    try {
      await previous?.stopping?.catch(() => undefined);
      await preflight(this.docker, spec);
      await this.ownership.removeExisting(dockerName(name, this.namePrefix));
      let started = performance.now();
      const container = await this.docker.createContainer(createRequest(name, spec, instance.limits, this.ownership.owner, this.namePrefix));
      instance.container = container;
      instance.id = container.id;
      instance.timings.createMs = elapsed(started);
      instance.phase = "created";
      this.record(instance, "created", { ms: instance.timings.createMs });

      instance.phase = "starting";
      this.record(instance, "starting");
      started = performance.now();
      await container.start();
      instance.timings.startMs = elapsed(started);
      const info = await container.inspect();
      instance.startedAt = info.State.StartedAt;
      instance.ports = portUrls(name, spec, info.NetworkSettings.Ports as InspectPorts);
      instance.exited = this.watchExit(instance, container);
      // A process that died within the inspect above is already "exited": keep that phase.
      if (instance.phase === "starting") instance.phase = "running";
      this.record(instance, "running", { ms: instance.timings.startMs });
      if (spec.waitForPorts) return await this.awaitReady(instance);
      instance.timings.totalMs = elapsed(instance.requestedAt);
      return this.snapshot(instance);
    } catch (error) {
      const failure = toPlatformError(error);
      instance.error = { code: failure.code, message: failure.message };
      this.record(instance, "start-failed", { error: instance.error });
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
      if (!waiting.signal.aborted) this.record(instance, "port-ready", { port, hostUrl, ms: elapsed(portStarted) });
    }));
    ports.catch(() => undefined); // settled through the race; a later rejection must not go unhandled
    await Promise.race([ports, exited]);
    if (exit && !instance.abort.signal.aborted) {
      const oom = exit.oomKilled ? ", killed by the OOM killer (raise instanceType)" : "";
      throw new PlatformError("container_exited",
        `container ${name} exited with code ${exit.code ?? "unknown"}${oom} before its ports ${spec.ports.join(", ")} answered HTTP; ` +
        `fix the app or its command. Last log lines:\n${await logTail(instance.container!)}`);
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
    this.record(instance, "exited", { code: exit.code, signal: signalOf(exit.code), oomKilled: exit.oomKilled });
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
    this.record(instance, "stopping", { signal });
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

  private record(instance: Instance, type: LifecycleEventType, details?: EventDetails): void {
    this.events.record(instance.name, instance.id, type, details);
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}
