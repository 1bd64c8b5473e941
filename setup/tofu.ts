import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import { lastLines, tryRun } from "../core/exec.ts";
import { goCacheEnv, goMissingError, goVersion } from "../core/go.ts";
import { cacheDir } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";

/**
 * OpenTofu applies a Terraform module against the Cloudflare API emulator for verify's item
 * 0-8. It is MPL-2.0 and runs as a separate program: moltlab never bundles or links it.
 * HashiCorp Terraform (BUSL) is never built; a `terraform` already on PATH is used as is.
 *
 * Built from source with the Go the image build needs anyway, like actionlint, because the
 * Go module proxy is reachable where GitHub release downloads are not. `go install …@version`
 * refuses OpenTofu (its go.mod has replace directives), so the module is downloaded and
 * `go build ./cmd/tofu` runs inside its folder. About 6 minutes on 2 cores, ~126 MB: setup
 * only does it when asked (`moltlab setup --terraform`).
 */
export const TOFU_VERSION = "1.10.10";
const TOFU_MODULE = "github.com/opentofu/opentofu";

/** Where setup puts the tofu binary (one file per version, so an upgrade never runs a stale one). */
export function tofuPath(cache: string = cacheDir()): string {
  return join(cache, "bin", `tofu-v${TOFU_VERSION}`);
}

/**
 * The version the binary reports (`OpenTofu v1.10.10` first), or undefined when it does not run.
 * A "-dev" suffix is dropped: OpenTofu marks every build "-dev" unless its release flag
 * (version.dev=no, set by the build below) was given, and the source is the tagged module either way.
 */
export async function tofuInstalledVersion(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  const result = await tryRun(binary, ["version"], { timeoutMs: 30_000, env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" } });
  return result.code === 0 ? /OpenTofu v(\S+)/.exec(result.stdout)?.[1]?.replace(/-dev$/, "") : undefined;
}

/** The module's folder in the Go module cache after `go mod download -json`. */
function downloadedDir(json: string): string | undefined {
  try {
    const parsed = JSON.parse(json) as { Dir?: string };
    return parsed.Dir;
  } catch {
    return undefined;
  }
}

function buildFailed(step: string, why: string, logFile: string): UserError {
  return new UserError(
    `building OpenTofu v${TOFU_VERSION}: ${step} failed: ${why}`,
    `check that the Go module proxy (\`go env GOPROXY\`) serves ${TOFU_MODULE}@v${TOFU_VERSION} (details: ${logFile}), then rerun \`npm run setup -- --terraform\``,
  );
}

/**
 * Builds tofu into the cache unless that version is there. `wanted` says why (the progress
 * line names it), so a user never wonders what the six minutes are for.
 */
export async function ensureTofu(context: StepContext, cache: string, logFile: string): Promise<StepOutcome> {
  const binary = tofuPath(cache);
  if ((await tofuInstalledVersion(binary)) === TOFU_VERSION) return { status: "ok", detail: `OpenTofu v${TOFU_VERSION} (${binary})` };

  const go = await goVersion();
  if (!go)
    throw goMissingError(
      "setup builds OpenTofu, which verify's item 0-8 runs against the Cloudflare API emulator, from source",
      "npm run setup -- --terraform",
    );
  const env: NodeJS.ProcessEnv = { ...goCacheEnv(cache), CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" };
  // A GOOS/GOARCH left in the caller's environment would build for another machine.
  delete env.GOOS;
  delete env.GOARCH;

  context.progress(`go mod download ${TOFU_MODULE}@v${TOFU_VERSION} (${go})`);
  const download = await tryRun("go", ["mod", "download", "-json", `${TOFU_MODULE}@v${TOFU_VERSION}`], { cwd: cache, env, logFile, timeoutMs: 600_000 });
  const moduleDir = downloadedDir(download.stdout);
  if (download.code !== 0 || download.timedOut || !moduleDir)
    throw buildFailed("go mod download", download.timedOut ? "timed out after 10 minutes" : lastLines(download.stderr || download.stdout, 3), logFile);

  context.progress(`go build ./cmd/tofu in ${moduleDir} (about 6 minutes on 2 cores)`);
  const binDir = join(cache, "bin");
  mkdirSync(binDir, { recursive: true });
  // Built into a private folder and renamed into place, so an interrupted build never leaves a half-written tofu behind.
  const staging = mkdtempSync(join(binDir, ".tofu-"));
  try {
    const build = await tryRun(
      "go",
      ["build", "-trimpath", "-ldflags=-s -w -X github.com/opentofu/opentofu/version.dev=no", "-o", join(staging, "tofu"), "./cmd/tofu"],
      {
        cwd: moduleDir,
        env,
        logFile,
        timeoutMs: 1_800_000,
      },
    );
    if (build.code !== 0 || build.timedOut)
      throw buildFailed("go build", build.timedOut ? "timed out after 30 minutes" : lastLines(build.stderr || build.stdout, 3), logFile);
    renameSync(join(staging, "tofu"), binary);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const built = await tofuInstalledVersion(binary);
  if (built !== TOFU_VERSION)
    throw new UserError(
      `built ${binary} but it reports ${built ?? "nothing (it does not run)"} instead of v${TOFU_VERSION}`,
      `delete ${binary}, see ${logFile}, and rerun \`npm run setup -- --terraform\``,
    );
  return { status: "done", detail: `built OpenTofu v${TOFU_VERSION} with ${go} (${binary})` };
}
