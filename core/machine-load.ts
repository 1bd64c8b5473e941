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

/**
 * Starts watching: reads the counters now and follows the engine's container starts of moltlab's
 * objects (`labels` narrows them further, as `key=value`). Without an engine the starts are left
 * out; the watch never fails the run it watches.
 */
export function startLoadWatch(options: { cores: number; labels?: readonly string[]; env?: NodeJS.ProcessEnv }): StartedLoadWatch {
  const env = options.env ?? process.env;
  const started = performance.now();
  const hostBefore = readHostCpu();
  const containersBefore = readContainersCpu(env);
  const starts: string[] = [];
  let events: ChildProcess | undefined;
  let following = false;
  let stopping = false;
  let listening: Promise<void> = Promise.resolve();
  try {
    const filters = ["type=container", "event=start", `label=${LABEL_MANAGED}=true`, ...(options.labels ?? []).map((label) => `label=${label}`)];
    // --since now: the engine replays what it saw from this moment, so a start in the instant before
    // the stream connects is not lost.
    const since = (Date.now() / 1000).toFixed(3);
    events = spawn("docker", ["events", "--since", since, ...filters.flatMap((filter) => ["--filter", filter]), "--format", "{{json .}}"], {
      env,
      stdio: ["ignore", "pipe", "ignore"],
    });
    following = true;
    events.on("error", () => {
      following = false;
    });
    const lines = createInterface({ input: events.stdout! });
    lines.on("line", (line) => {
      const image = imageOfStart(line);
      if (image !== undefined) starts.push(image);
    });
    listening = new Promise((resolve) => events!.once("close", () => resolve()));
    events.on("close", () => {
      // Ended by itself (no engine, refused): the starts are unknown, not zero.
      if (!stopping) following = false;
    });
  } catch {
    following = false;
  }
  return {
    startsSoFar: () => starts,
    async stop() {
      const seconds = (performance.now() - started) / 1000;
      const hostAfter = readHostCpu();
      const containersAfter = readContainersCpu(env);
      // The engine sends each event as it happens: what the stream had not delivered when the project
      // ended would be a start in its last milliseconds, of a container the run has already removed.
      stopping = true;
      if (events && events.exitCode === null && events.signalCode === null) events.kill("SIGTERM");
      await listening;
      return {
        seconds,
        cores: options.cores,
        host: hostBefore && hostAfter ? { busy: hostAfter.busy - hostBefore.busy, total: hostAfter.total - hostBefore.total } : undefined,
        containers: containersBefore !== undefined && containersAfter !== undefined ? containersAfter - containersBefore : undefined,
        starts: following ? starts : undefined,
      };
    },
  };
}

/** The image of a `docker events --format '{{json .}}'` container start, as the engine names it. */
export function imageOfStart(line: string): string | undefined {
  try {
    const event = JSON.parse(line) as { Actor?: { Attributes?: { image?: unknown } } };
    const image = event.Actor?.Attributes?.image;
    return typeof image === "string" ? image : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line for the test summary, e.g. "machine: 821 of 976 CPU-seconds busy (84 %, 2 cores), 597 of
 * them in containers; 31 containers started, 19 of them OpenClaw". `isOpenclaw` tells OpenClaw's
 * images from the others. Undefined when the machine gave nothing to say.
 */
export function formatMachineLoad(load: MachineLoad, isOpenclaw: (image: string) => boolean): string | undefined {
  const parts: string[] = [];
  const count = (value: number) => Math.round(value).toLocaleString("en-US");
  if (load.host && load.host.total > 0) {
    const share = Math.round((100 * load.host.busy) / load.host.total);
    const inContainers = load.containers !== undefined ? `, ${count(load.containers)} of them in containers` : "";
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
