import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SOCKET, engineHost } from "../core/docker.ts";
import { parseCommandArgs } from "../core/args.ts";
import { tryRun } from "../core/exec.ts";
import { cacheDir, foreignArch } from "../core/host.ts";
import { formatSeconds, StepRunner } from "../core/ui.ts";
import { ensureActionlint } from "./actionlint.ts";
import { ensureBaseImages, verifyPlatforms } from "./base-images.ts";
import { ensureBrowser } from "./browser.ts";
import { ensureEmulation } from "./emulation.ts";
import { ensureEngine } from "./engine.ts";
import { ensurePlugins } from "./plugins.ts";
import { ensureTofu, TOFU_VERSION } from "./tofu.ts";

export interface SetupOptions {
  /** Build OpenTofu too (verify's item 0-8 applies Terraform with it): minutes of both CPUs, so only when asked. */
  terraform?: boolean;
}

/** `moltlab setup [--terraform]`. */
export function parseSetupArgs(args: readonly string[]): SetupOptions {
  const { values } = parseCommandArgs(args, { terraform: { type: "boolean" } }, { usage: "usage: moltlab setup [--terraform]" });
  return { terraform: values.terraform ?? false };
}

/**
 * Brings the machine to ready: engine, CLI plugins, emulation of the other
 * platform, base images for both platforms, and a run of each. Every step first
 * checks and only then changes something, so a second run is a fast no-op.
 */
export async function setup(steps: StepRunner = new StepRunner(), options: SetupOptions = {}): Promise<void> {
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
  await steps.step("OpenTofu", async (context) =>
    options.terraform
      ? ensureTofu(context, cache, logFile)
      : {
          status: "skip",
          detail: `not built unless asked: \`npm run setup -- --terraform\` builds OpenTofu v${TOFU_VERSION} (about 6 minutes) for verify's item 0-8`,
        },
  );

  const took = formatSeconds((performance.now() - started) / 1000);
  console.log(steps.changedNothing ? `setup: nothing to do, this machine is ready (${took})` : `setup: machine ready (${took})`);
}
