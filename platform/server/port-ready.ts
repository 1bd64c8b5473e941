import { setTimeout as delay } from "node:timers/promises";

const POLL_INTERVAL_MS = 100;
const ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * Resolves once `url` answers HTTP with any status. A TCP connect is not enough: Docker's
 * userland proxy accepts on the published port before anything listens inside, then
 * drops the connection. Rejects with `signal.reason` when aborted, or "timeout" once
 * `timeoutMs` passed without an answer.
 */
export async function waitForHttp(url: string, options: { signal: AbortSignal; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal.throwIfAborted();
    const left = deadline - Date.now();
    try {
      const response = await fetch(url, {
        redirect: "manual",
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)))]),
      });
      await response.body?.cancel();
      return;
    } catch {
      options.signal.throwIfAborted();
    }
    if (Date.now() >= deadline) throw new Error("timeout");
    await delay(POLL_INTERVAL_MS, undefined, { signal: options.signal });
  }
}
