import { run, tryRun } from "./exec.ts";
import type { StepContext } from "./ui.ts";

let indexesFresh = false;

async function isInstalled(name: string): Promise<boolean> {
  const { code, stdout } = await tryRun("dpkg-query", ["-W", "-f=${Status}", name]);
  return code === 0 && stdout.includes("install ok installed");
}

/**
 * Installs the Debian packages that are missing, refreshing the package lists once per
 * run. Returns the names it installed (empty when all were present).
 */
export async function aptInstall(packages: readonly string[], context: StepContext, logFile: string): Promise<string[]> {
  const missing: string[] = [];
  for (const name of packages) if (!(await isInstalled(name))) missing.push(name);
  if (missing.length === 0) return [];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!indexesFresh) {
    context.progress("apt-get update");
    // A failing third-party source makes `apt-get update` exit non-zero although
    // Debian's own lists were refreshed; the install below is the real test.
    await tryRun("apt-get", ["update"], { env, logFile, timeoutMs: 300_000 });
    indexesFresh = true;
  }
  context.progress(`apt-get install ${missing.join(" ")}`);
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { env, logFile, timeoutMs: 900_000 });
  return missing;
}
