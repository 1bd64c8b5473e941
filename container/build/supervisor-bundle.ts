import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import { ROOT } from "../../core/host.ts";

/** The supervisor's entry (container/supervisor/). */
export const SUPERVISOR_ENTRY = join(ROOT, "container/supervisor/main.ts");

export interface SupervisorBundle {
  entry: string;
  /** sha256 of the bundle: part of the image recipe, so any change in it or its imports rebuilds. */
  digest: string;
  bytes: number;
}

/**
 * `esbuild <entry> --bundle --platform=node --format=esm --target=node24` into one
 * file for /opt/moltlab/supervisor.mjs. Bundling is ~0.1 s, so it runs on every
 * `moltlab image`, and the recipe digest sees changes in any imported file.
 */
export async function bundleSupervisor(outfile: string): Promise<SupervisorBundle> {
  const result = await build({
    entryPoints: [SUPERVISOR_ENTRY],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    write: false,
    legalComments: "inline",
    // Bundled CommonJS dependencies may call require() for Node built-ins, which an ES module lacks.
    banner: { js: 'import { createRequire as __moltlabCreateRequire } from "node:module"; const require = __moltlabCreateRequire(import.meta.url);' },
    logLevel: "silent",
  });
  const contents = result.outputFiles[0]!.contents;
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, contents);
  return {
    entry: relative(ROOT, SUPERVISOR_ENTRY),
    digest: createHash("sha256").update(contents).digest("hex"),
    bytes: contents.byteLength,
  };
}
