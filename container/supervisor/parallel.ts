// Bounded parallelism for uploads and downloads (R2 handles many requests at once, the disk and the event loop do not), and turns of the event loop for long synchronous loops.

/** Runs `task` over `items`, `limit` at a time; after a failure no new item starts. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (rejected) throw rejected.reason;
}

/**
 * For loops of synchronous fs calls (each microseconds, thousands in a row, cheaper than a
 * thread-pool round trip each): `await turn()` between steps lets the event loop run once
 * every `sliceMs`, so timers, sockets and the control server are never held up longer.
 */
export function eventLoopTurns(sliceMs = 8): () => Promise<void> | undefined {
  let sliceStart = performance.now();
  return () => {
    if (performance.now() - sliceStart < sliceMs) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        sliceStart = performance.now();
        resolve();
      }),
    );
  };
}
