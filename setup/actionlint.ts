import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import { lastLines, tryRun } from "../core/exec.ts";
import { goCacheEnv, goMissingError, goVersion } from "../core/go.ts";
import { cacheDir } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";

/**
 * actionlint checks the GitHub Actions workflow that moltlab ships for users'
 * repositories (.github/workflows/); tests/integration/workflow-lint.test.ts runs it.
 * It is built from source with the Go that the image build needs anyway, because
 * release downloads from GitHub are not reachable everywhere, the Go module proxy is.
 */
export const ACTIONLINT_VERSION = "1.7.12";
const ACTIONLINT_PACKAGE = "github.com/rhysd/actionlint/cmd/actionlint";

/** Where setup puts the actionlint binary (one file per version, so an upgrade never runs a stale one). */
export function actionlintPath(cache: string = cacheDir()): string {
  return join(cache, "bin", `actionlint-v${ACTIONLINT_VERSION}`);
}

/** The version the binary reports (`actionlint -version` prints it first), or undefined when it does not run. */
async function installedVersion(binary: string): Promise<string | undefined> {
  const result = await tryRun(binary, ["-version"], { timeoutMs: 30_000 });
  return result.code === 0 ? result.stdout.split("\n")[0]?.trim() : undefined;
}

export async function ensureActionlint(context: StepContext, cache: string, logFile: string): Promise<StepOutcome> {
  const binary = actionlintPath(cache);
  const wanted = `v${ACTIONLINT_VERSION}`;
  if ((await installedVersion(binary)) === wanted) return { status: "ok", detail: `actionlint ${wanted} (${binary})` };

  const go = await goVersion();
  if (!go) throw goMissingError("setup builds actionlint, the GitHub Actions workflow linter the tests run, from source", "npm run setup");
  context.progress(`go install ${ACTIONLINT_PACKAGE}@${wanted} (${go})`);
  const binDir = join(cache, "bin");
  mkdirSync(binDir, { recursive: true });
  // `go install` writes into a private GOBIN; the finished file is renamed into
  // place, so an interrupted build never leaves a half-written actionlint behind.
  const staging = mkdtempSync(join(binDir, ".actionlint-"));
  try {
    const env: NodeJS.ProcessEnv = { ...goCacheEnv(cache), GOBIN: staging, CGO_ENABLED: "0" };
    // A GOOS/GOARCH left in the caller's environment would build for another machine.
    delete env.GOOS;
    delete env.GOARCH;
    const build = await tryRun("go", ["install", "-trimpath", "-ldflags=-s -w", `${ACTIONLINT_PACKAGE}@${wanted}`], {
      cwd: cache,
      env,
      logFile,
      timeoutMs: 1_200_000,
    });
    if (build.code !== 0 || build.timedOut) {
      const why = build.timedOut ? "timed out after 20 minutes" : lastLines(build.stderr || build.stdout, 3);
      throw new UserError(
        `building actionlint ${wanted} with ${go} failed: ${why}`,
        `check that the Go module proxy (\`go env GOPROXY\`) serves ${ACTIONLINT_PACKAGE}@${wanted} (details: ${logFile}), then rerun \`npm run setup\``,
      );
    }
    renameSync(join(staging, "actionlint"), binary);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const built = await installedVersion(binary);
  if (built !== wanted)
    throw new UserError(
      `built ${binary} but it reports ${built ?? "nothing (it does not run)"} instead of ${wanted}`,
      `delete ${binary}, see ${logFile}, and rerun \`npm run setup\``,
    );
  return { status: "done", detail: `built actionlint ${wanted} with ${go} (${binary})` };
}
