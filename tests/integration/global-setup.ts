import { removeLabelled, probeEngine } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { RUN_PID_ENV } from "../../core/labels.ts";
import { baseImagesNeedingWork } from "../../setup/base-images.ts";

/**
 * Runs once per integration (or perf) run: refuses to start on an unready machine
 * with the fix in the message, and removes what an earlier, crashed run left behind.
 * Ryuk is disabled (its image cannot be pulled everywhere), so this label sweep is
 * what guarantees that nothing a test started outlives the run. It spares the objects of
 * another run that is still going (their moltlab.run label names a live process).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const probe = await probeEngine();
  if (!probe.ok) throw new UserError(`integration tests need a Docker engine: ${probe.message}`, "run `npm run setup` (or `npm test`, which runs it)");
  const missing = await baseImagesNeedingWork();
  if (missing.length) {
    throw new UserError(
      `base images not ready: ${missing.map(({ tag, state }) => `${tag} (${state})`).join(", ")}`,
      "run `npm run setup` (or `npm test`, which runs it)",
    );
  }
  // The workers vitest starts after this inherit it: their objects are labelled with this run.
  process.env[RUN_PID_ENV] ??= String(process.pid);
  await removeLabelled("test", { images: true, spareLiveRuns: true });
  return async () => {
    await removeLabelled("test", { images: true, spareLiveRuns: true });
  };
}
