/**
 * What an `npm run dev` run leaves behind if it is SIGKILLed (no exit handler runs then):
 * wrangler's process group, still holding the port, and the temp dir with the run's secrets.
 * Recorded beside the state dir, and reaped by the next run on the same state. Containers need
 * no record: the platform removes a dead platform's containers when it starts.
 */
import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";

export const SANDBOX_TEMP_PREFIX = "moltlab-dev-";

export interface Session {
  wranglerGroup: number;
  configDir: string;
}

function sessionFile(persistTo: string): string {
  return `${persistTo.replace(/\/+$/, "")}.session.json`;
}

export async function recordSession(persistTo: string, session: Session): Promise<void> {
  await writeFile(sessionFile(persistTo), JSON.stringify(session satisfies Session), { mode: 0o600 });
}

/** After a clean stop: nothing to reap. */
export async function forgetSession(persistTo: string): Promise<void> {
  await rm(sessionFile(persistTo), { force: true });
}

/** Whether an `npm run dev` on this state is running now (its wrangler still alive): its bucket must not be written from outside then. */
export async function sessionRunning(persistTo: string): Promise<boolean> {
  try {
    const session = JSON.parse(await readFile(sessionFile(persistTo), "utf8")) as Session;
    return readFileSync(`/proc/${session.wranglerGroup}/cmdline`, "utf8").includes("wrangler");
  } catch {
    return false;
  }
}

/** Ends a previous run's wrangler group (only if it still is wrangler) and removes its temp dir; says what it did. */
export async function reapSession(persistTo: string): Promise<string[]> {
  const file = sessionFile(persistTo);
  let session: Session;
  try {
    session = JSON.parse(await readFile(file, "utf8")) as Session;
  } catch {
    return [];
  }
  const done: string[] = [];
  const cmdline = (() => {
    try {
      return readFileSync(`/proc/${session.wranglerGroup}/cmdline`, "utf8");
    } catch {
      return "";
    }
  })();
  if (cmdline.includes("wrangler")) {
    try {
      process.kill(-session.wranglerGroup, "SIGKILL");
      done.push(`killed a previous run's wrangler (process group ${session.wranglerGroup})`);
    } catch {
      // Gone meanwhile.
    }
  }
  if (session.configDir.includes(SANDBOX_TEMP_PREFIX)) {
    await rm(session.configDir, { recursive: true, force: true });
  }
  await rm(file, { force: true });
  return done;
}
