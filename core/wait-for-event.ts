import type { EventEmitter } from "node:events";

export interface EventWait<T> {
  /** What is already there: resolves at once when it gives something. */
  existing: () => T | undefined;
  /** Which emitted values count. */
  matches: (value: T) => boolean;
  timeoutMs: number;
  /** The rejection's message, read at the timeout (so it can name what was seen by then). */
  timedOut: () => string;
}

/**
 * The first value (already there, or emitted as `event` later) that matches; rejects after
 * `timeoutMs` with `timedOut()`. The listener is removed either way.
 */
export function waitForEvent<T>(events: EventEmitter, event: string, wait: EventWait<T>): Promise<T> {
  const found = wait.existing();
  if (found !== undefined) return Promise.resolve(found);
  return new Promise<T>((resolve, reject) => {
    const onEvent = (value: T) => {
      if (!wait.matches(value)) return;
      clearTimeout(timer);
      events.off(event, onEvent);
      resolve(value);
    };
    const timer = setTimeout(() => {
      events.off(event, onEvent);
      reject(new Error(wait.timedOut()));
    }, wait.timeoutMs);
    events.on(event, onEvent);
  });
}
