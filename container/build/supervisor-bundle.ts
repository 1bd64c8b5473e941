import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import { ROOT } from "../../core/host.ts";

/** The supervisor's entry (container/supervisor/). */
export const SUPERVISOR_ENTRY = join(ROOT, "container/supervisor/main.ts");

export interface ProgramBundle {
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
export function bundleSupervisor(outfile: string): Promise<ProgramBundle> {
  return bundleNodeProgram(SUPERVISOR_ENTRY, outfile);
}

/**
 * One of moltlab's TypeScript programs as one plain ES module, for a Node that may not strip
 * types itself (a user's image): the supervisor, and the compile-cache warm-up in a user's layer.
 */
export async function bundleNodeProgram(entry: string, outfile: string): Promise<ProgramBundle> {
  const result = await build({
    entryPoints: [entry],
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
    entry: relative(ROOT, entry),
    digest: createHash("sha256").update(contents).digest("hex"),
    bytes: contents.byteLength,
  };
}
