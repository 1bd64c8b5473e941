/**
 * The Worker's floors: the smallest Workers under the same `wrangler dev` (same package, same
 * workerd, same compatibility date and flags as worker/wrangler.jsonc) that forward every request
 * to the same container port.
 *
 * - The one-line proxy: what wrangler dev itself costs.
 * - Moltworker's shape at one line: the same request through static assets in front of the Worker
 *   (worker/wrangler.jsonc's `assets` setting: moltworker serves its admin UI through an ASSETS
 *   binding, and wrangler dev then routes every request through its asset router first, even with
 *   `run_worker_first`) and one Durable Object hop (on Cloudflare a container is reachable only
 *   from its DO). Both hops are the architecture's, not moltlab's; what moltlab's Worker costs
 *   beyond this floor is its own code: routing, the Access check, header handling, the DO's logic.
 */
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWranglerDev, type WranglerDev } from "../../core/wrangler-dev.ts";
import { readWorkerConfig } from "../../stack/sandbox-config.ts";

/** One line of work: the request, re-aimed at the target, nothing else; through a DO when it has one. */
const FLOOR_SCRIPT = `import { DurableObject } from "cloudflare:workers";
const forward = (request, target) => {
  const url = new URL(request.url);
  return fetch(new Request(target + url.pathname + url.search, request));
};
export class Hop extends DurableObject {
  fetch(request) {
    return forward(request, this.env.TARGET);
  }
}
export default {
  fetch(request, env) {
    return env.HOP ? env.HOP.get(env.HOP.idFromName("floor")).fetch(request) : forward(request, env.TARGET);
  },
};
`;

export interface StartedWorkerFloor {
  /** The one-line proxy: http://127.0.0.1:PORT, straight to the target. */
  readonly url: string;
  /** The floor in moltworker's shape: static assets in front, then one Durable Object hop. */
  readonly shapeFloorUrl: string;
  stop(): Promise<void>;
}

/** Starts both floors, forwarding to `target` (an origin such as http://127.0.0.1:18789). */
export async function startWorkerFloor(target: string): Promise<StartedWorkerFloor> {
  const ours = readWorkerConfig();
  const ourAssets = ours.assets as Record<string, unknown> | undefined;
  if (!ourAssets) throw new Error("worker/wrangler.jsonc has no `assets` setting: the floor in moltworker's shape copies it, so it cannot be built");
  const dir = await mkdtemp(join(tmpdir(), "moltlab-bench-floor-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const started: WranglerDev[] = [];
  // Every one is stopped even if another fails to; the first failure is thrown after.
  const stopAll = async () => {
    const failed = (await Promise.allSettled(started.map((wrangler) => wrangler.stop()))).find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  };
  const base = {
    main: "../worker.js",
    compatibility_date: ours.compatibility_date as string,
    compatibility_flags: (ours.compatibility_flags as string[] | undefined) ?? [],
    vars: { TARGET: new URL(target).origin },
  };
  const start = async (name: string, config: Record<string, unknown>, files: Record<string, string> = {}) => {
    const own = join(dir, name);
    await mkdir(own, { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(join(own, file, ".."), { recursive: true });
      await writeFile(join(own, file), text);
    }
    await writeFile(join(own, "wrangler.json"), JSON.stringify({ name: `moltlab-bench-${name}`, ...base, ...config }, null, 2));
    const wrangler = await startWranglerDev({
      config: join(own, "wrangler.json"),
      cwd: own,
      host: "127.0.0.1",
      port: 0,
      persistTo: join(own, "state"),
      registry: join(own, "registry"),
      onAbandon: removeDir,
    });
    started.push(wrangler);
    return `http://127.0.0.1:${wrangler.url.port}`;
  };
  try {
    await writeFile(join(dir, "worker.js"), FLOOR_SCRIPT);
    const url = await start("floor", {});
    const shapeFloorUrl = await start(
      "shape-floor",
      {
        // Our own assets setting, over a folder of one page.
        assets: { ...ourAssets, directory: "public" },
        durable_objects: { bindings: [{ name: "HOP", class_name: "Hop" }] },
        migrations: [{ tag: "v1", new_sqlite_classes: ["Hop"] }],
      },
      { "public/index.html": "<!doctype html><title>floor</title>\n" },
    );
    return {
      url,
      shapeFloorUrl,
      stop: async () => {
        try {
          await stopAll();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    removeDir();
    throw error;
  }
}
