/**
 * OpenClaw on the host's network uses fixed ports (18789 gateway, 18790 control). Another
 * run (a test, `npm run dev`) may hold them: the bench waits for them, bounded, instead of
 * failing half-way or disturbing that run.
 */
import { readFile } from "node:fs/promises";
import { waitFor } from "../shared/wait.ts";

/** The given ports that something listens on in this network namespace (/proc/net/tcp{,6}). */
export async function listening(ports: readonly number[]): Promise<number[]> {
  const found = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== "0A" || !local) continue; // 0A: LISTEN
      const port = parseInt(local.split(":")[1]!, 16);
      if (ports.includes(port)) found.add(port);
    }
  }
  return [...found].sort();
}

/** Resolves, with the milliseconds it waited, once none of `ports` is listened on; prints once while it waits. */
export async function waitForFreePorts(ports: readonly number[], timeoutMs: number): Promise<number> {
  const busy = await listening(ports);
  if (!busy.length) return 0;
  console.log(
    `bench: port(s) ${busy.join(", ")} in use (another OpenClaw on the host's network); waiting up to ${Math.round(timeoutMs / 60_000)} min for them to be free`,
  );
  const started = Date.now();
  await waitFor(`ports ${ports.join(", ")} to be free (see \`ss -ltnp\`)`, async () => (await listening(ports)).length === 0, timeoutMs, 5000);
  const waited = Date.now() - started;
  console.log(`bench: ports free after ${Math.round(waited / 1000)} s`);
  return waited;
}
