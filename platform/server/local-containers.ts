/**
 * LocalContainers: Cloudflare Containers semantics on the local Docker engine. One
 * container per name; a start after an exit makes a fresh container (ephemeral disk);
 * concurrent starts share one; stop is signal → bounded wait → SIGKILL.
 *
 * This module is the lifecycle; the rest lives by job: preflight.ts (image, network),
 * ownership.ts (owner labels, leftovers), event-history.ts, port-ready.ts, instance.ts
 * (one generation and its state), run-profile.ts (the create request), docker-errors.ts.
 */
import Docker from "dockerode";
import { PlatformError } from "../client/errors.ts";
import { limitsFor } from "../../contract/instance-types.ts";
import { ignoreNotRunning, removeContainer, toPlatformError } from "./docker-errors.ts";
import { checkContainerName, checkNamePrefix, dockerName, NAME_PREFIX } from "./docker-names.ts";
import { EventHistory, type EventDetails } from "./event-history.ts";
import { elapsed, newInstance, signalOf, stateOf, stoppedState, type DockerExit, type Instance } from "./instance.ts";
import { Ownership, type LeftoverReport } from "./ownership.ts";
import { waitForPorts } from "./port-ready.ts";
import { preflight } from "./preflight.ts";
import { createRequest, portUrls, type InspectPorts } from "./run-profile.ts";
import { validateSignal, validateSpec, validateStopOptions } from "./spec.ts";
import type { ContainerSpec, ContainerState, LifecycleEvent, LifecycleEventType, PlatformStopOptions, PlatformStopResult } from "../client/types.ts";

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
      if (current.ready || !current.spec.waitForPorts) return { promise: Promise.resolve(stateOf(current)), created: false };
      // Running, but an earlier wait for its ports timed out: wait again, shared like a start.
      current.starting = this.awaitReady(current).finally(() => (current.starting = undefined));
      return { promise: current.starting, created: false };
    }
    const instance = newInstance(name, spec, limitsFor(spec.instanceType, this.hostCpus));
    this.instances.set(name, instance);
    instance.starting = this.launch(instance, current).finally(() => (instance.starting = undefined));
    return { promise: instance.starting, created: true };
  }

  state(name: string): ContainerState {
    checkContainerName(name);
    const instance = this.instances.get(name);
    return instance ? stateOf(instance) : stoppedState(name);
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
    return stateOf(instance);
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
      return stateOf(instance);
    } catch (error) {
      const failure = toPlatformError(error);
      instance.error = { code: failure.code, message: failure.message };
      this.record(instance, "start-failed", { error: instance.error });
      if (!instance.exited) {
        // It never ran (no image, no engine, a create or start refused): leave the name as it
        // was before — an earlier run's exit stays readable — with the reason this start failed.
        await instance.container?.remove({ force: true, v: true }).catch(() => undefined);
        if (this.instances.get(name) === instance) {
          if (previous) this.instances.set(name, Object.assign(previous, { error: instance.error }));
          else this.instances.delete(name);
        }
      }
      throw failure;
    }
  }

  private async awaitReady(instance: Instance): Promise<ContainerState> {
    const started = performance.now();
    await waitForPorts(instance, (port, hostUrl, ms) => this.record(instance, "port-ready", { port, hostUrl, ms }));
    instance.ready = true;
    instance.error = undefined;
    instance.timings.portReadyMs = elapsed(started);
    instance.timings.totalMs = elapsed(instance.requestedAt);
    return stateOf(instance);
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
      const state = this.instances.get(instance.name) === instance ? stateOf(instance) : this.state(instance.name);
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
    return { state: stateOf(instance), signalSent: signal, killed, ...(exit.code !== undefined ? { exitCode: exit.code } : {}) };
  }

  private record(instance: Instance, type: LifecycleEventType, details?: EventDetails): void {
    this.events.record(instance.name, instance.id, type, details);
  }
}
