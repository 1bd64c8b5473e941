/**
 * The Worker's floor: the smallest Worker under the same `wrangler dev` (same package, same
 * workerd, same compatibility date and flags as worker/wrangler.jsonc) that forwards every
 * request to the same container port. What moltlab's Worker costs beyond it is ours: Access
 * verification, the Durable Object hop, routing, header handling.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWranglerDev } from "../../core/wrangler-dev.ts";
import { readWorkerConfig } from "../../stack/sandbox-config.ts";

/**
 * One line of work: the request, re-aimed at the target, nothing else. Under DO_PREFIX it goes
 * through a Durable Object that does the same: on Cloudflare a container is reachable only
 * from its Durable Object, so that hop is the architecture's, not moltlab's.
 */
const DO_PREFIX = "/__floor-do";
const FLOOR_SCRIPT = `import { DurableObject } from "cloudflare:workers";
const forward = (request, target, path) => {
  const url = new URL(request.url);
  return fetch(new Request(target + path + url.search, request));
};
export class Hop extends DurableObject {
  fetch(request) {
    return forward(request, this.env.TARGET, new URL(request.url).pathname.slice(${DO_PREFIX.length}));
  }
}
export default {
  fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("${DO_PREFIX}/")) return env.HOP.get(env.HOP.idFromName("floor")).fetch(request);
    return forward(request, env.TARGET, path);
  },
};
`;

export interface StartedWorkerFloor {
  /** http://127.0.0.1:PORT: straight to the target. */
  readonly url: string;
  /** The same through one Durable Object hop: prefix the target's path with it. */
  readonly durableObjectUrl: string;
  stop(): Promise<void>;
}

/** Starts the floor Worker, forwarding to `target` (an origin such as http://127.0.0.1:18789). */
export async function startWorkerFloor(target: string): Promise<StartedWorkerFloor> {
  const ours = readWorkerConfig();
  const dir = await mkdtemp(join(tmpdir(), "moltlab-bench-floor-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const config = {
    name: "moltlab-bench-floor",
    main: "worker.js",
    compatibility_date: ours.compatibility_date as string,
    compatibility_flags: (ours.compatibility_flags as string[] | undefined) ?? [],
    vars: { TARGET: new URL(target).origin },
    durable_objects: { bindings: [{ name: "HOP", class_name: "Hop" }] },
    migrations: [{ tag: "v1", new_sqlite_classes: ["Hop"] }],
  };
  try {
    await writeFile(join(dir, "wrangler.json"), JSON.stringify(config, null, 2));
    await writeFile(join(dir, "worker.js"), FLOOR_SCRIPT);
    const wrangler = await startWranglerDev({
      config: join(dir, "wrangler.json"),
      cwd: dir,
      host: "127.0.0.1",
      port: 0,
      persistTo: join(dir, "state"),
      registry: join(dir, "registry"),
      onAbandon: removeDir,
    });
    return {
      url: `http://127.0.0.1:${wrangler.url.port}`,
      durableObjectUrl: `http://127.0.0.1:${wrangler.url.port}${DO_PREFIX}`,
      stop: async () => {
        await wrangler.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}
