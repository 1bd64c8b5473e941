/**
 * Chromium for the browser test (tests/integration/browser.test.ts), driven by playwright-core.
 * Playwright's own browser download cannot work offline, so the test uses a Chromium or Chrome
 * the machine already has: MOLTLAB_CHROMIUM if set, else one found on PATH or in the usual
 * places. As root on Debian, setup installs Debian's `chromium` when none is found.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { aptInstall } from "../core/apt.ts";
import { UserError } from "../core/errors.ts";
import { tryRun } from "../core/exec.ts";
import { canManageMachine } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";

export const CHROMIUM_ENV = "MOLTLAB_CHROMIUM";
/** Debian's package; its /usr/bin/chromium is a wrapper script that sets Debian's defaults. */
export const DEBIAN_PACKAGE = "chromium";

/** Program names looked up on PATH, in order of preference. */
export const PROGRAM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] as const;
/** Installs outside PATH (macOS app bundles). */
export const APP_PATHS = ["/Applications/Chromium.app/Contents/MacOS/Chromium", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"] as const;

export type ChromiumLookup = { found: true; path: string; from: "env" | "search" } | { found: false; problem: string };

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where Chromium is, without running anything. An explicit MOLTLAB_CHROMIUM that does not
 * point at an executable is a problem of its own, not a reason to quietly use another browser.
 */
export function lookupChromium(env: NodeJS.ProcessEnv = process.env, isExecutable: (path: string) => boolean = isExecutableFile): ChromiumLookup {
  const override = env[CHROMIUM_ENV]?.trim();
  if (override) {
    return isExecutable(override)
      ? { found: true, path: override, from: "env" }
      : { found: false, problem: `${CHROMIUM_ENV}=${override} is not an executable file` };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of PROGRAM_NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (isExecutable(path)) return { found: true, path, from: "search" };
    }
  }
  for (const path of APP_PATHS) if (isExecutable(path)) return { found: true, path, from: "search" };
  return { found: false, problem: `no Chromium or Chrome found (looked for ${PROGRAM_NAMES.join(", ")} on PATH and in /Applications)` };
}

export function chromiumFix(lookup: ChromiumLookup): string {
  if (!lookup.found && lookup.problem.startsWith(CHROMIUM_ENV)) {
    return `point ${CHROMIUM_ENV} at a Chromium or Chrome executable, or unset it to let moltlab find one; then rerun \`npm run setup\``;
  }
  return (
    `install Chromium or Google Chrome (on Debian or Ubuntu: \`apt-get install ${DEBIAN_PACKAGE}\`; moltlab does this itself when run as root on Debian), ` +
    `or set ${CHROMIUM_ENV} to its executable; then rerun \`npm run setup\`. Playwright's own browser download is not used.`
  );
}

/** The executable the browser test launches; a UserError naming the fix when there is none. */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const lookup = lookupChromium(env);
  if (!lookup.found) throw new UserError(lookup.problem, chromiumFix(lookup));
  return lookup.path;
}

/** "Chromium 131.0.6778.85 built on Debian 12.8, running on Debian 12.8" → its first line, trimmed. */
export function versionLine(output: string): string {
  return output.trim().split("\n")[0]?.trim() ?? "";
}

async function chromiumVersion(path: string): Promise<string> {
  const result = await tryRun(path, ["--version"], { timeoutMs: 30_000 });
  const version = versionLine(result.stdout);
  if (result.code !== 0 || !version) {
    throw new UserError(
      `${path} --version failed (exit ${result.code}): ${versionLine(result.stderr) || "no output"}`,
      `repair or reinstall that browser, or set ${CHROMIUM_ENV} to another Chromium or Chrome executable; then rerun \`npm run setup\``,
    );
  }
  return version;
}

/** Finds Chromium (installing Debian's where we may) and checks that it runs. */
export async function ensureBrowser(context: StepContext, logFile: string): Promise<StepOutcome> {
  const before = lookupChromium();
  if (before.found) {
    const version = await chromiumVersion(before.path);
    return { status: "ok", detail: `${version} at ${before.path}${before.from === "env" ? ` (${CHROMIUM_ENV})` : ""}` };
  }
  // An explicit but wrong override is the user's to fix; installing another browser would hide it.
  if (process.env[CHROMIUM_ENV]?.trim() || !canManageMachine()) throw new UserError(before.problem, chromiumFix(before));

  const installed = await aptInstall([DEBIAN_PACKAGE], context, logFile);
  const after = lookupChromium();
  if (!after.found)
    throw new UserError(
      `${after.problem}, although Debian's ${DEBIAN_PACKAGE} package is installed`,
      `read ${logFile}; \`dpkg -L ${DEBIAN_PACKAGE}\` lists its files`,
    );
  const version = await chromiumVersion(after.path);
  return { status: installed.length ? "done" : "ok", detail: `${installed.length ? `installed ${installed.join(", ")}: ` : ""}${version} at ${after.path}` };
}
