/**
 * Ending everything the gateway started before the final backup. The gateway's children
 * (a browser, `exec` jobs the agent left running) would otherwise keep writing while the
 * final backup reads, and what they write then is lost. The gateway leads its own process
 * group; a child that left the group (setsid, a daemonising tool) is still found by its user
 * when the gateway runs as a user of its own.
 */
import { readdir, readFile } from "node:fs/promises";

/** Sends `signal` to every process of the group; false when the group is empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

interface ProcStatus {
  pid: number;
  uid: number;
  pgid: number;
  zombie: boolean;
}

async function statusOf(pid: number): Promise<ProcStatus | null> {
  try {
    const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? "?";
    // The fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, uid, pgid: Number(fields[2]), zombie: state === "Z" || state === "X" };
  } catch {
    return null; // gone meanwhile
  }
}

/** Live (not zombie) processes in `pgid` or, when `uid` is given, of that user. */
export async function remainingProcesses(pgid: number, uid: number | null): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return []; // no procfs (not Linux): only the group signal works there
  }
  const statuses = await Promise.all(names.filter((name) => /^\d+$/.test(name)).map((name) => statusOf(Number(name))));
  return statuses
    .filter((status): status is ProcStatus => status !== null && !status.zombie && status.pid !== process.pid)
    .filter((status) => status.pgid === pgid || (uid !== null && status.uid === uid))
    .map((status) => status.pid);
}

/**
 * SIGKILLs what is left of the gateway's group (and of its user), until nothing is, within
 * `timeoutMs`: the pids it killed, and those still alive at the deadline (empty when all are gone).
 */
export async function killRemaining(pgid: number, uid: number | null, timeoutMs = 5000): Promise<{ killed: number[]; alive: number[] }> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const left = await remainingProcesses(pgid, uid);
    if (!left.length) return { killed: [...killed], alive: [] };
    for (const pid of left) killed.add(pid);
    signalGroup(pgid, "SIGKILL");
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (Date.now() >= deadline) return { killed: [...killed], alive: left };
    // SIGKILL takes effect at once, but the exit is asynchronous: look again shortly.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
