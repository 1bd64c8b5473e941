import { run, tryRun, type RunOptions, type RunResult } from "./exec.ts";
import { leftoverDecision, processAlive } from "./leftovers.ts";
import { LABEL_MANAGED, LABEL_RUN, labelFilter, testRun, type Kind } from "./labels.ts";

export const DEFAULT_SOCKET = "unix:///var/run/docker.sock";
/** Docker 20.10 (API 1.41) is the oldest engine moltlab is tested on: Debian 12's docker.io. */
export const MIN_API_VERSION = "1.41";

export interface Engine {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
}

export type EngineProbe = { ok: true; engine: Engine } | { ok: false; reason: "no-cli" | "permission" | "unreachable"; message: string };

export function engineHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || DEFAULT_SOCKET;
}

export function docker(args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run("docker", args, options);
}

/** Asks the engine for its version; never throws. */
export async function probeEngine(): Promise<EngineProbe> {
  const result = await tryRun("docker", ["version", "--format", "{{json .Server}}"], { timeoutMs: 15_000 });
  if (result.code === 127) return { ok: false, reason: "no-cli", message: "the `docker` command is not installed" };
  const server = result.code === 0 ? parseServer(result.stdout) : undefined;
  if (server) return { ok: true, engine: server };
  const message = (result.stderr || result.stdout).trim().split("\n").at(-1) ?? "";
  return { ok: false, reason: /permission denied/i.test(message) ? "permission" : "unreachable", message };
}

export function parseServer(json: string): Engine | undefined {
  try {
    const server = JSON.parse(json) as { Version?: string; ApiVersion?: string; Os?: string; Arch?: string } | null;
    if (!server?.Version || !server.ApiVersion) return undefined;
    return { version: server.Version, apiVersion: server.ApiVersion, os: server.Os ?? "", arch: server.Arch ?? "" };
  } catch {
    return undefined;
  }
}

/** Compares dotted API versions numerically ("1.41" < "1.100"). */
export function compareApiVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

export interface ImageFacts {
  id: string;
  architecture: string;
  labels: Record<string, string>;
}

export async function inspectImage(reference: string): Promise<ImageFacts | undefined> {
  const result = await tryRun("docker", ["image", "inspect", "--format", "{{json .}}", reference]);
  if (result.code !== 0) return undefined;
  const image = JSON.parse(result.stdout) as { Id: string; Architecture: string; Config?: { Labels?: Record<string, string> | null } };
  return { id: image.Id, architecture: image.Architecture, labels: image.Config?.Labels ?? {} };
}

async function listIds(command: readonly string[], filter: string): Promise<string[]> {
  const { stdout } = await docker([...command, "--filter", filter]);
  return stdout.split("\n").filter(Boolean);
}

/** Ids with their moltlab.run label ("" when absent), from a `docker … ls` that supports {{.Label}}. */
async function listWithRun(command: readonly string[], idField: string, filter: string): Promise<{ id: string; run: string }[]> {
  const { stdout } = await docker([...command, "--filter", filter, "--format", `{{${idField}}}\t{{.Label "${LABEL_RUN}"}}`]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", run = ""] = line.split("\t");
      return { id, run };
    });
}

async function imagesWithRun(filter: string): Promise<{ id: string; run: string }[]> {
  const ids = [...new Set(await listIds(["image", "ls", "-q"], filter))];
  if (!ids.length) return [];
  const { stdout } = await docker(["image", "inspect", "--format", `{{.Id}}\t{{index .Config.Labels "${LABEL_RUN}"}}`, ...ids]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", run = ""] = line.split("\t");
      return { id, run: run === "<no value>" ? "" : run };
    });
}

/**
 * Whether a sweep leaves an object alone: it belongs to another test run that is still alive
 * (same host, its process running). Objects of this run, of a run that is gone, or without the
 * label are swept.
 */
export function belongsToLiveRun(run: string, self: string = testRun(), isAlive: (pid: number) => boolean = processAlive): boolean {
  if (!run || run === self) return false;
  const cut = self.lastIndexOf(":");
  return leftoverDecision(run, { host: self.slice(0, cut), pid: Number(self.slice(cut + 1)), isAlive }).action === "keep";
}

export interface Removed {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
  superseded: number;
}

/**
 * moltlab's images that a rebuild under the same tag left untagged (`docker compose build`
 * re-tags moltlab/compose on every change of the repository): nothing refers to them any more.
 */
export async function removeSupersededImages(): Promise<number> {
  const ids = [...new Set(await listIds(["image", "ls", "-q", "--filter", "dangling=true"], `label=${LABEL_MANAGED}=true`))];
  // One by one: an image a container still uses stays, and the others still go.
  let removed = 0;
  for (const id of ids) if ((await tryRun("docker", ["image", "rm", id])).code === 0) removed++;
  return removed;
}

/**
 * Removes moltlab's labelled objects (of one kind, or all). Images only when asked:
 * base images are expensive to rebuild and are not leftovers. With `spareLiveRuns` (the test
 * sweeps) the objects of another test run that is still alive stay (see belongsToLiveRun).
 */
export async function removeLabelled(kind: Kind | undefined, options: { images: boolean; spareLiveRuns?: boolean }): Promise<Removed> {
  const filter = labelFilter(kind);
  const take = (items: { id: string; run: string }[]) => items.filter((item) => !(options.spareLiveRuns && belongsToLiveRun(item.run))).map((item) => item.id);
  const containers = take(await listWithRun(["ps", "-a"], ".ID", filter));
  if (containers.length) await docker(["rm", "-f", "-v", ...containers]);
  const networks = take(await listWithRun(["network", "ls"], ".ID", filter));
  if (networks.length) await docker(["network", "rm", ...networks]);
  const volumes = take(await listWithRun(["volume", "ls"], ".Name", filter));
  if (volumes.length) await docker(["volume", "rm", "-f", ...volumes]);
  const images = options.images ? take(await imagesWithRun(filter)) : [];
  if (images.length) await docker(["image", "rm", "-f", ...new Set(images)]);
  const superseded = kind === undefined ? await removeSupersededImages() : 0;
  return { containers: containers.length, networks: networks.length, volumes: volumes.length, images: new Set(images).size, superseded };
}
