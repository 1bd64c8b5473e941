/**
 * How much `npm run bench` measures. Each figure has its own default sample count, chosen so
 * a default run stays around 20 minutes on a 2-core machine; MOLTLAB_BENCH_RUNS replaces all
 * of them at once (e.g. 2 for a quick end-to-end check, 10 for tighter ranges).
 */
import { UserError } from "../../core/errors.ts";
import { describeInstanceTypes, isInstanceType, type InstanceType, DEFAULT_INSTANCE_TYPE } from "../../contract/instance-types.ts";
import { ARCHES, type Arch } from "../../contract/arch.ts";

function positiveInteger(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`${name}=${raw} is not a positive whole number`, `set ${name} to a number such as 3, or unset it for the defaults`);
  }
  return value;
}

/** Samples per row: MOLTLAB_BENCH_RUNS if set, else the figure's default. */
export function benchRuns(defaultRuns: number, env: NodeJS.ProcessEnv = process.env): number {
  return positiveInteger("MOLTLAB_BENCH_RUNS", env) ?? defaultRuns;
}

/** Requests per path and round in the warm-latency figures (MOLTLAB_BENCH_REQUESTS, default 100). */
export function benchRequests(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInteger("MOLTLAB_BENCH_REQUESTS", env) ?? 100;
}

/**
 * A comma list of names from `env[name]`, each one `isKnown`, without repeats; `fallback`
 * when unset. Anything unknown is an error naming the accepted values (`accepted`).
 */
function knownNames<T extends string>(name: string, env: NodeJS.ProcessEnv, isKnown: (item: string) => item is T, accepted: string, fallback: T[]): T[] {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const wanted = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = wanted.filter((item) => !isKnown(item));
  if (unknown.length || wanted.length === 0) {
    throw new UserError(`${name}=${raw} names ${unknown.join(", ") || "nothing"}`, `use a comma list of ${accepted}`);
  }
  return [...new Set(wanted)] as T[];
}

/**
 * Architectures for the cold start through the whole stack (MOLTLAB_BENCH_ARCHES, default
 * amd64: Cloudflare's). arm64 runs under QEMU here and OpenClaw's gateway has not become
 * ready that way (see tests/integration/openclaw-chat.test.ts), so it is opt-in and bounded.
 */
export function benchArches(env: NodeJS.ProcessEnv = process.env): Arch[] {
  const isArch = (item: string): item is Arch => (ARCHES as readonly string[]).includes(item);
  return knownNames("MOLTLAB_BENCH_ARCHES", env, isArch, `${ARCHES.join(", ")} (default amd64)`, ["amd64"]);
}

/**
 * Instance types for the amd64 cold start (MOLTLAB_BENCH_INSTANCE_TYPES, default standard-1,
 * moltworker's). The first one listed also gets the floors and the warm-latency figures.
 */
export function benchInstanceTypes(env: NodeJS.ProcessEnv = process.env): InstanceType[] {
  return knownNames("MOLTLAB_BENCH_INSTANCE_TYPES", env, isInstanceType, describeInstanceTypes(), [DEFAULT_INSTANCE_TYPE]);
}

/** Workspace sizes for the backup figures, in MB (MOLTLAB_BENCH_BACKUP_MB, default 1,10,50,200). */
export function benchBackupSizes(env: NodeJS.ProcessEnv = process.env): number[] {
  const raw = env.MOLTLAB_BENCH_BACKUP_MB?.trim();
  if (!raw) return [1, 10, 50, 200];
  const sizes = raw.split(",").map((item) => Number(item.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isFinite(size) || size <= 0 || size > 2048)) {
    throw new UserError(
      `MOLTLAB_BENCH_BACKUP_MB=${raw} is not a comma list of sizes in MB (each above 0, at most 2048)`,
      "use e.g. 1,10,50,200 (the default), or unset it",
    );
  }
  return sizes;
}
