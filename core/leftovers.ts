/**
 * What to do at startup with containers an earlier platform left behind. A platform that
 * crashed (or was SIGKILLed) cannot stop its sandboxes; they keep running with ports and
 * memory nobody will ever use. Adopting them would need the lost in-memory state (spec,
 * waiters, the start in progress), and a sandbox's disk is ephemeral anyway, so they are
 * removed. Containers of a platform that is still alive (another `npm run dev`, a test
 * run, a docker compose sandbox) are left alone: the owner labels say whose they are.
 *
 * A platform on the host is `<hostname>:<pid>`, and a pid says whether it lives. A platform
 * in a container (docker compose) has a pid only its own container can see, and a hostname
 * that is a new one for every container; it also labels its container's id, so another
 * platform asks the engine instead: the owner lives while that container runs and has run
 * since before the sandbox was made (a restart means a new process).
 */
import { readFileSync } from "node:fs";

export type LeftoverDecision = { action: "remove" | "keep"; reason: string };

export interface Self {
  host: string;
  pid: number;
  isAlive(pid: number): boolean;
  /** The id of the container this platform runs in, if it runs in one on the same engine. */
  container?: string;
}

/** What the engine says about the owner's container (null: no such container). */
export interface OwnerContainer {
  running: boolean;
  /** When its current run began, ms since the epoch. */
  startedAt: number;
}

export interface LeftoverFacts {
  /** The sandbox's `moltlab.platform.container` label. */
  ownerContainerId?: string;
  /** The engine's view of that container; only looked at with ownerContainerId. */
  ownerContainer?: OwnerContainer | null;
  /** When the sandbox was created, ms since the epoch. */
  createdAt?: number;
}

export function leftoverDecision(owner: string | undefined, self: Self, facts: LeftoverFacts = {}): LeftoverDecision {
  const match = owner ? /^(.+):(\d+)$/.exec(owner) : null;
  if (!match) return { action: "remove", reason: owner ? `unreadable owner label "${owner}"` : "no owner label" };
  const [, host, pidText] = match;
  const pid = Number(pidText);
  const id = facts.ownerContainerId;
  if (id) {
    const short = id.slice(0, 12);
    const container = facts.ownerContainer;
    if (!container) return { action: "remove", reason: `its platform's container ${short} is gone` };
    if (!container.running) return { action: "remove", reason: `its platform's container ${short} is not running` };
    // Docker reports creation in whole seconds: compare at that precision.
    if (facts.createdAt !== undefined && Math.floor(container.startedAt / 1000) * 1000 > facts.createdAt) {
      return { action: "remove", reason: `its platform's container ${short} restarted since (the process that made it is gone)` };
    }
    // Our own container: its pids are ours to check.
    if (id !== self.container) return { action: "keep", reason: `owned by the platform in the running container ${short}` };
  } else if (host !== self.host) {
    return { action: "keep", reason: `owned by a platform on host ${host}, whose processes this one cannot see` };
  }
  if (pid === self.pid) return { action: "keep", reason: "owned by another platform in this process" };
  if (self.isAlive(pid)) return { action: "keep", reason: `owned by the running process ${pid}` };
  return { action: "remove", reason: `its platform (process ${pid}) is gone` };
}

/** Signal 0 checks existence; EPERM means it exists but belongs to another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The id of the Docker container this process may run in, from the mounts Docker makes for
 * every container (/etc/hostname, /etc/hosts, /etc/resolv.conf come from
 * /var/lib/docker/containers/<id>/); works with cgroup v1 and v2. Only a candidate: the
 * caller confirms it with the engine (a machine may itself be a container of another engine).
 */
export function containerIdFromMountinfo(mountinfo: string): string | undefined {
  return /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/.exec(mountinfo)?.[1];
}

export function readMountinfo(): string {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return "";
  }
}
