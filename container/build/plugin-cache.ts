/**
 * The npm cache an OpenClaw plugin install reads inside the image build. OpenClaw trusts a
 * channel plugin only when its own `openclaw plugins install <npm spec>` put it there, and that
 * runs npm inside the image, where the registry may be unreachable or behind a proxy only the
 * host trusts. So the host fills a small npm cache with the plugin (its dependencies are
 * bundled), and the build's install runs offline against it (container/Dockerfile).
 * Kept per spec and npm version: a rebuild reuses it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec.ts";
import type { NpmRuntime } from "./npm-stage.ts";

export interface PluginCache {
  dir: string;
  reused: boolean;
}

export async function stagePluginCache(specs: readonly string[], cache: string, runtime: NpmRuntime, logFile: string): Promise<PluginCache> {
  const key = createHash("sha256")
    .update(JSON.stringify([specs, runtime.npmVersion]))
    .digest("hex")
    .slice(0, 12);
  const root = join(cache, "image", "plugin-npm-cache");
  const dir = join(root, key);
  if (existsSync(dir)) return { dir, reused: true };
  mkdirSync(root, { recursive: true });
  for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
  const partial = `${dir}.partial`;
  const scratch = `${dir}.prefix`;
  try {
    // Installing into a scratch prefix is what fills the cache with everything the install needs.
    await run(
      runtime.node,
      [runtime.npmCli, "install", "--prefix", scratch, "--cache", partial, "--ignore-scripts", "--no-audit", "--no-fund", "--no-save", ...specs],
      { env: { ...process.env, npm_config_update_notifier: "false" }, logFile, timeoutMs: 600_000 },
    );
    renameSync(partial, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(partial, { recursive: true, force: true });
  }
  return { dir, reused: false };
}
