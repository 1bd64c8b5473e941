/**
 * What to do at startup with containers an earlier platform left behind. A platform that
 * crashed (or was SIGKILLed) cannot stop its sandboxes; they keep running with ports and
 * memory nobody will ever use. Adopting them would need the lost in-memory state (spec,
 * waiters, the start in progress), and a sandbox's disk is ephemeral anyway, so they are
 * removed. Containers of a platform that is still alive (another `npm run dev`, a test
 * run) are left alone: the owner label says whose they are.
 */
export type LeftoverDecision = { action: "remove" | "keep"; reason: string };

export interface Self {
  host: string;
  pid: number;
  isAlive(pid: number): boolean;
}

export function leftoverDecision(owner: string | undefined, self: Self): LeftoverDecision {
  const match = owner ? /^(.+):(\d+)$/.exec(owner) : null;
  if (!match) return { action: "remove", reason: owner ? `unreadable owner label "${owner}"` : "no owner label" };
  const [, host, pidText] = match;
  const pid = Number(pidText);
  if (host !== self.host) return { action: "keep", reason: `owned by a platform on host ${host}, whose processes this one cannot see` };
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
