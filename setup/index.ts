import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SOCKET, engineHost } from "../core/docker.ts";
import { tryRun } from "../core/exec.ts";
import { cacheDir, foreignArch } from "../core/host.ts";
import { formatSeconds, StepRunner } from "../core/ui.ts";
import { ensureActionlint } from "./actionlint.ts";
import { ensureBaseImages, verifyPlatforms } from "./base-images.ts";
import { ensureBrowser } from "./browser.ts";
import { ensureEmulation } from "./emulation.ts";
import { ensureEngine } from "./engine.ts";
import { ensurePlugins } from "./plugins.ts";

/**
 * Brings the machine to ready: engine, CLI plugins, emulation of the other
 * platform, base images for both platforms, and a run of each. Every step first
 * checks and only then changes something, so a second run is a fast no-op.
 */
export async function setup(steps: StepRunner = new StepRunner()): Promise<void> {
  const started = performance.now();
  const cache = cacheDir();
  mkdirSync(cache, { recursive: true });
  const logFile = join(cache, "setup.log");
  appendFileSync(logFile, `\n=== moltlab setup ${new Date().toISOString()} ===\n`);
  console.log(`moltlab setup (details: ${logFile})`);

  await steps.step("docker engine", (context) => ensureEngine(context, logFile));
  await steps.step("compose and buildx", (context) => ensurePlugins(context, cache, logFile));
  const engineIsLocal = engineHost() === DEFAULT_SOCKET;
  await steps.step(`${foreignArch()} emulation`, (context) => ensureEmulation(context, logFile, engineIsLocal));
  const rootDir = (await tryRun("docker", ["info", "--format", "{{.DockerRootDir}}"])).stdout.trim();
  await steps.step("base images", (context) => ensureBaseImages(context, cache, logFile, engineIsLocal ? rootDir : undefined));
  await steps.step("platform check", (context) => verifyPlatforms(context, cache));
  await steps.step("browser", (context) => ensureBrowser(context, logFile));
  await steps.step("actionlint", (context) => ensureActionlint(context, cache, logFile));

  const took = formatSeconds((performance.now() - started) / 1000);
  console.log(steps.changedNothing ? `setup: nothing to do, this machine is ready (${took})` : `setup: machine ready (${took})`);
}
