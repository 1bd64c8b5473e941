/**
 * A lock file held through util-linux's `flock` for as long as its child lives: released when
 * the holder lets go, and also when the holding process dies (the pipe to the child closes), so
 * a crash never leaves a lock behind. Shared (`flock -s`) or exclusive (`flock -x`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

export type LockMode = "shared" | "exclusive";

export interface HeldLock {
  readonly mode: LockMode;
  release(): Promise<void>;
}

/** Printed by the holder once flock has the lock. */
const HELD = "held";

/**
 * Takes the lock at `path`, waiting up to `timeoutMs` for it. Fails when flock is missing or the
 * lock stays taken; then the message ends with `busy`: what holds it and the fix.
 */
export async function takeFileLock(path: string, mode: LockMode, timeoutMs: number, busy: string): Promise<HeldLock> {
  const flag = mode === "shared" ? "-s" : "-x";
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  // `cat` holds the lock until its stdin closes: release() or the death of this process.
  const holder = spawn("flock", [flag, "-w", seconds, path, "-c", `echo ${HELD}; exec cat`], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  holder.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const outcome = await new Promise<"held" | { code: number | null } | Error>((resolve) => {
    holder.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes(HELD)) resolve("held");
    });
    holder.once("error", resolve);
    holder.once("exit", (code) => resolve({ code }));
  });
  if (outcome === "held") return { mode, release: () => release(holder) };
  if (outcome instanceof Error) {
    const missing = (outcome as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? `\`flock\` is not installed, and moltlab takes ${path} ${mode} with it so that two runs on this machine never work on the same thing at once; install util-linux (\`apt-get install util-linux\`)`
        : `could not run flock for ${path}: ${outcome.message}`,
    );
  }
  throw new Error(`could not take ${path} ${mode} within ${seconds} s (flock exited ${outcome.code}${stderr.trim() ? `: ${stderr.trim()}` : ""}): ${busy}`);
}

async function release(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) return;
  const exited = once(holder, "exit");
  holder.stdin!.end();
  await exited;
}
