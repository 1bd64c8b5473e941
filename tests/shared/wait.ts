/**
 * The one bounded poll of moltlab's tests (supervisor, OpenClaw and end-to-end tests alike):
 * synchronise on a condition, never on a sleep, and fail naming what was awaited.
 */

/** Thrown by a poll's check to stop polling at once (e.g. the container exited). */
export class PollAborted extends Error {}

/**
 * Polls `check` every `everyMs` until it returns something other than undefined/false, and
 * returns that. An error thrown by `check` counts as "not yet" (and is quoted if time runs
 * out), except PollAborted, which ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof PollAborted) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
