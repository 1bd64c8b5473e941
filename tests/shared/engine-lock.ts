/**
 * The machine's Docker engine lock (/tmp/moltlab-engine.lock): work that uses the engine holds
 * it shared (`flock -s`), and the one thing that restarts the engine holds it exclusively
 * (`flock -x`), so a restart never cuts anyone's run short. A test takes it here itself,
 * through util-linux's `flock` holding the lock for as long as its child lives: the lock is
 * released when the test lets go, and also when the test process dies (the pipe closes).
 * The mechanism is core/file-lock.ts (host-ports.ts takes another lock with it).
 */
import { takeFileLock, type HeldLock, type LockMode } from "../../core/file-lock.ts";

export const ENGINE_LOCK = "/tmp/moltlab-engine.lock";

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
