/**
 * How busy the machine was while a test project ran: the CPU the whole machine used against what
 * its cores could give, the part of it spent in Docker containers, and the containers moltlab
 * started. `moltlab test` prints it under each project, so a slow run says whether the machine was
 * saturated (and by what) or waiting, and a run that starts more OpenClaw containers than the
 * last shows it.
 *
 * Everything is read from the kernel's own counters before and after (Linux: /proc/stat, the
 * Docker engine's cgroup); the container starts come from the engine's event stream, watched
 * through the run, since the engine keeps only the last few hundred events. Whatever a machine
 * cannot give (another OS, a remote engine, the systemd cgroup driver) is left out, never guessed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { engineHost } from "./docker.ts";
import { LABEL_MANAGED } from "./labels.ts";

/** The kernel's clock ticks per second in /proc/stat (USER_HZ): 100 on every Linux architecture Docker runs on. */
const USER_HZ = 100;

/** CPU seconds from /proc/stat's first line: `busy` (all but idle and iowait) and `total`, over all cores. */
export interface HostCpu {
  busy: number;
  total: number;
}

/** What a project's run cost the machine; a part the machine could not give is undefined. */
export interface MachineLoad {
  seconds: number;
  cores: number;
  /** CPU seconds the whole machine was busy, and what its cores could have given over the run. */
  host?: HostCpu;
  /** CPU seconds in Docker's containers (those that ended during the run included). */
  containers?: number;
  /** The image of each moltlab container started during the run, in order. */
  starts?: string[];
}

/** Parses /proc/stat's aggregate `cpu` line (user nice system idle iowait irq softirq steal …, in ticks). */
export function parseProcStat(text: string): HostCpu | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith("cpu "));
  if (!line) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 4 || ticks.some((value) => !Number.isFinite(value))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / USER_HZ, total: (busy + idle + iowait) / USER_HZ };
}

/**
 * The CPU seconds of the cgroup Docker puts its containers under with the cgroupfs driver. The
 * kernel charges a child's time to its parents as it runs, so the parent keeps the time of
 * containers already removed. cgroup v1: cpuacct.usage in nanoseconds; v2: usage_usec in cpu.stat.
 */
export function parseCgroupCpu(file: "cpuacct.usage" | "cpu.stat", text: string): number | undefined {
  if (file === "cpuacct.usage") {
    const nanoseconds = Number(text.trim());
    return text.trim() && Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : undefined;
  }
  const microseconds = /^usage_usec (\d+)$/m.exec(text)?.[1];
  return microseconds === undefined ? undefined : Number(microseconds) / 1e6;
}

const DOCKER_CGROUPS = [
  { path: "/sys/fs/cgroup/cpuacct/docker/cpuacct.usage", file: "cpuacct.usage" },
  { path: "/sys/fs/cgroup/docker/cpu.stat", file: "cpu.stat" },
] as const;

function readHostCpu(): HostCpu | undefined {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return undefined;
  }
}

/** Docker's containers' CPU seconds, when the engine runs on this machine with the cgroupfs driver. */
function readContainersCpu(env: NodeJS.ProcessEnv): number | undefined {
  if (!engineHost(env).startsWith("unix://")) return undefined;
  for (const { path, file } of DOCKER_CGROUPS) {
    try {
      const seconds = parseCgroupCpu(file, readFileSync(path, "utf8"));
      if (seconds !== undefined) return seconds;
    } catch {
      // not this layout
    }
  }
  return undefined;
}

/** A load watch under way: `stop()` ends it and gives what the machine did since it started. */
export interface StartedLoadWatch {
  /** The images of the starts seen so far (the engine's stream delivers each within milliseconds). */
  startsSoFar(): readonly string[];
  stop(): Promise<MachineLoad>;
}

/** How long to wait before following the engine again after its stream ended (a restart of the engine). */
const RECONNECT_MS = 1000;
/** Streams in a row that end within a second: an engine gone this long is not restarting. */
const GIVE_UP_AFTER = 60;

/**
 * The engine's stream of container starts (`docker events`), from the moment it was made. The
 * stream ends when the engine stops (a test restarts it): it is opened again with the same
 * `--since`, and the engine, which keeps recent events, sends what it saw since, each start
 * counted once. A missing docker CLI, or an engine gone for a minute, makes the starts unknown, never zero.
 */
class StartFollower {
  readonly starts: string[] = [];
  #seen = new Set<string>();
  #since = (Date.now() / 1000).toFixed(3);
  #child: ChildProcess | undefined;
  #closed: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #quickEnds = 0;
  complete = true;

  readonly #filters: readonly string[];
  readonly #env: NodeJS.ProcessEnv;

  constructor(filters: readonly string[], env: NodeJS.ProcessEnv) {
    this.#filters = filters;
    this.#env = env;
    this.#follow();
  }

  #follow(): void {
    const child = spawn("docker", ["events", "--since", this.#since, ...this.#filters.flatMap((filter) => ["--filter", filter]), "--format", "{{json .}}"], {
      env: this.#env,
      stdio: ["ignore", "pipe", "ignore"],
    });
    this.#child = child;
    const opened = performance.now();
    let missing = false;
    child.on("error", (error: NodeJS.ErrnoException) => {
      missing = error.code === "ENOENT";
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const start = startOf(line);
      if (!start || this.#seen.has(start.key)) return;
      this.#seen.add(start.key);
      this.starts.push(start.image);
    });
    this.#closed = new Promise((resolve) =>
      child.once("close", () => {
        this.#quickEnds = performance.now() - opened < RECONNECT_MS ? this.#quickEnds + 1 : 0;
        if (missing || this.#quickEnds >= GIVE_UP_AFTER) this.complete = false;
        else if (!this.#stopping) this.#timer = setTimeout(() => this.#follow(), RECONNECT_MS);
        resolve();
      }),
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    // If this process dies without stop(), the child goes at its next write (a broken pipe).
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await this.#closed;
  }
}

/**
 * Starts watching: reads the counters now and, with `starts`, follows the engine's container
 * starts of moltlab's objects (`labels` narrows them further, as `key=value`). The watch never
 * fails the run it watches.
 */
export function startLoadWatch(options: { cores: number; starts: boolean; labels?: readonly string[]; env?: NodeJS.ProcessEnv }): StartedLoadWatch {
  const env = options.env ?? process.env;
  const started = performance.now();
  const hostBefore = readHostCpu();
  const containersBefore = readContainersCpu(env);
  const filters = ["type=container", "event=start", `label=${LABEL_MANAGED}=true`, ...(options.labels ?? []).map((label) => `label=${label}`)];
  const follower = options.starts ? new StartFollower(filters, env) : undefined;
  return {
    startsSoFar: () => follower?.starts ?? [],
    async stop() {
      const seconds = (performance.now() - started) / 1000;
      const hostAfter = readHostCpu();
      const containersAfter = readContainersCpu(env);
      // The engine sends each event as it happens: what the stream had not delivered when the project
      // ended would be a start in its last milliseconds, of a container the run has already removed.
      await follower?.stop();
      return {
        seconds,
        cores: options.cores,
        host: hostBefore && hostAfter ? { busy: hostAfter.busy - hostBefore.busy, total: hostAfter.total - hostBefore.total } : undefined,
        containers: containersBefore !== undefined && containersAfter !== undefined ? containersAfter - containersBefore : undefined,
        starts: follower?.complete ? follower.starts : undefined,
      };
    },
  };
}

/**
 * A container start from `docker events --format '{{json .}}'`: its image as the engine names it,
 * and a key that is the same when the engine sends the event again (container id and time).
 */
export function startOf(line: string): { image: string; key: string } | undefined {
  try {
    const event = JSON.parse(line) as { id?: unknown; timeNano?: unknown; Actor?: { Attributes?: { image?: unknown } } };
    const image = event.Actor?.Attributes?.image;
    return typeof image === "string" ? { image, key: `${String(event.id)}@${String(event.timeNano)}` } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line for the test summary, e.g. "machine: 1,132 of 1,497 CPU-seconds busy (76 %, 2 cores), 837
 * of them in containers; 60 containers started, 24 of them OpenClaw". `isOpenclaw` tells OpenClaw's
 * images from the others. Undefined when the machine gave nothing to say.
 */
export function formatMachineLoad(load: MachineLoad, isOpenclaw: (image: string) => boolean): string | undefined {
  const parts: string[] = [];
  const count = (value: number) => Math.round(value).toLocaleString("en-US");
  if (load.host && load.host.total > 0) {
    const share = Math.round((100 * load.host.busy) / load.host.total);
    // A project without containers says nothing of them.
    const inContainers =
      load.containers !== undefined && (load.containers >= 0.5 || load.starts?.length) ? `, ${count(load.containers)} of them in containers` : "";
    parts.push(`${count(load.host.busy)} of ${count(load.host.total)} CPU-seconds busy (${share} %, ${load.cores} cores)${inContainers}`);
  } else if (load.containers !== undefined) {
    parts.push(`${count(load.containers)} CPU-seconds in containers`);
  }
  if (load.starts?.length) {
    const openclaw = load.starts.filter(isOpenclaw).length;
    parts.push(`${load.starts.length} ${load.starts.length === 1 ? "container" : "containers"} started, ${openclaw} of them OpenClaw`);
  }
  return parts.length ? `machine: ${parts.join("; ")}` : undefined;
}
