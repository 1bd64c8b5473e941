/**
 * The machine's Docker engine lock (/tmp/moltlab-engine.lock): work that uses the engine holds
 * it shared (`flock -s`), and the one thing that restarts the engine holds it exclusively
 * (`flock -x`), so a restart never cuts anyone's run short. A test takes it here itself,
 * through util-linux's `flock` holding the lock for as long as its child lives: the lock is
 * released when the test lets go, and also when the test process dies (the pipe closes).
 * takeFileLock is that mechanism for any lock file (host-ports.ts takes another with it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

export const ENGINE_LOCK = "/tmp/moltlab-engine.lock";

export type LockMode = "shared" | "exclusive";

export interface HeldLock {
  readonly mode: LockMode;
  release(): Promise<void>;
}

/** Printed by the holder once flock has the lock. */
const HELD = "held";

/** Takes the engine lock, waiting up to `timeoutMs` for it (see takeFileLock). */
export function takeEngineLock(mode: LockMode, timeoutMs: number): Promise<HeldLock> {
  return takeFileLock(
    ENGINE_LOCK,
    mode,
    timeoutMs,
    mode === "exclusive"
      ? "other Docker work holds it shared; wait for it to finish and run again, and do not wrap this test in `flock -s` yourself (it takes the lock itself, and would wait for its own shared hold)"
      : "an engine restart holds it exclusively; run again once it is done",
  );
}

/**
 * Takes the lock at `path`, waiting up to `timeoutMs` for it. Fails, never skips, when flock is
 * missing or the lock stays taken; then the message ends with `busy`: what holds it and the fix.
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
        ? `\`flock\` is not installed, and this test takes ${path} ${mode} with it so that it never runs into another run's work; install util-linux (\`apt-get install util-linux\`)`
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
