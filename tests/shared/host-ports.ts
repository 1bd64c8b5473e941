/**
 * OpenClaw on the host's network binds the gateway (18789) and the supervisor's control API
 * (18790) on the host itself, so only one such container may run at a time on a machine, across
 * test files that run side by side and across test runs. A file that starts one calls
 * holdHostPorts() at its top: the file waits for the ports' lock before its first hook and lets
 * go after its last. The lock is util-linux's flock on HOST_PORTS_LOCK (takeFileLock), released
 * also when the test process dies. Files on the bridge network (each container its own ports)
 * need no lock; the integration sequencer (tests/shared/sequencer.ts) runs both kinds side
 * by side.
 */
import { afterAll, beforeAll } from "vitest";
import { CONTROL_PORT, GATEWAY_PORT } from "../../contract/ports.ts";
import { takeFileLock, type HeldLock } from "../../core/file-lock.ts";

export const HOST_PORTS_LOCK = "/tmp/moltlab-openclaw-ports.lock";
/** Long enough for the longest other holder (a file's whole run). */
const WAIT_MS = 30 * 60_000;

export function holdHostPorts(): void {
  let held: HeldLock | undefined;
  beforeAll(async () => {
    held = await takeFileLock(
      HOST_PORTS_LOCK,
      "exclusive",
      WAIT_MS,
      `another OpenClaw on the host's network (this run's or another's) kept ports ${GATEWAY_PORT}/${CONTROL_PORT}; let it finish, or find it with \`ss -ltnp 'sport = :${GATEWAY_PORT}'\``,
    );
  }, WAIT_MS + 60_000);
  // Registered first, so it runs after the file's own afterAll hooks (vitest runs them as a stack).
  afterAll(async () => {
    await held?.release();
  });
}
