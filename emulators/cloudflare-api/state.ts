/**
 * Everything the emulated account holds, as one JSON document: kept in memory, and when a data
 * folder is given, written there after every change (a temporary file renamed over the old one,
 * so a crash mid-write leaves the previous state, never half a file) and read back on start.
 *
 * A change is made on a copy and committed only when the handler finished without error and the
 * change hooks accepted it: a refused request leaves nothing behind, half-created or otherwise.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../../core/errors.ts";

/** API objects are kept as the API returns them (snake_case), so reading one is a copy. */
export type ApiObject = Record<string, unknown>;

export interface R2Bucket {
  name: string;
  creation_date: string;
  location: string;
  storage_class: "Standard" | "InfrequentAccess";
  jurisdiction: "default" | "eu" | "fedramp";
}

export interface AccessPolicy extends ApiObject {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/** An application as stored: its policies are links to reusable policies, expanded when read. */
export interface AccessApp extends ApiObject {
  id: string;
  aud: string;
  name: string;
  domain: string;
  type: string;
  policies: { id: string; precedence: number }[];
  created_at: string;
  updated_at: string;
}

export interface IdentityProvider extends ApiObject {
  id: string;
  name: string;
  type: string;
}

export interface AiGateway extends ApiObject {
  id: string;
  created_at: string;
  modified_at: string;
}

export interface Zone extends ApiObject {
  id: string;
  name: string;
}

export interface DnsRecord extends ApiObject {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  created_on: string;
  modified_on: string;
}

export interface WorkersDomain {
  id: string;
  cert_id: string;
  environment: string;
  hostname: string;
  service: string;
  zone_id: string;
  zone_name: string;
}

export interface WorkersRoute {
  id: string;
  pattern: string;
  script?: string;
}

export interface CloudflareState {
  version: 1;
  /** The one API token this account accepts (kept so a restart keeps clients' settings valid). */
  token: string;
  /** What /user/tokens/verify names the token by. */
  tokenId: string;
  accountId: string;
  accountName: string;
  zones: Zone[];
  r2Buckets: R2Bucket[];
  accessApps: AccessApp[];
  accessPolicies: AccessPolicy[];
  identityProviders: IdentityProvider[];
  organization: ApiObject;
  aiGateways: AiGateway[];
  /** By zone id. */
  dnsRecords: Record<string, DnsRecord[]>;
  workersDomains: WorkersDomain[];
  /** By zone id. */
  workersRoutes: Record<string, WorkersRoute[]>;
}

export type ChangeKind =
  | "r2.bucket"
  | "access.app"
  | "access.policy"
  | "access.identity_provider"
  | "access.organization"
  | "ai_gateway"
  | "dns.record"
  | "workers.domain"
  | "workers.route";

/** One change, as the hooks see it: `before` is absent for a creation, `after` for a deletion. */
export interface Change {
  kind: ChangeKind;
  action: "create" | "update" | "delete";
  id: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Called with each change before it is committed, e.g. to mirror it somewhere else (the local
 * stack reads the committed state at start instead: stack/cloudflare-deployment.ts). Throwing
 * refuses the change: the request is answered 500 and the state stays as it was.
 */
export type ChangeHook = (change: Change) => void | Promise<void>;

export const STATE_FILE = "state.json";

/** The list kept under `key` in a by-zone map, created empty on first use. */
export function listIn<T>(map: Record<string, T[]>, key: string): T[] {
  const existing = map[key];
  if (existing) return existing;
  const created: T[] = [];
  map[key] = created;
  return created;
}

/** Enough of the file's shape to refuse a foreign or damaged one with a clear fix. */
const StoredState = z.looseObject({
  version: z.literal(1),
  token: z.string(),
  accountId: z.string().regex(/^[0-9a-f]{32}$/),
  zones: z.array(z.looseObject({ id: z.string(), name: z.string() })),
});

export class Store {
  #state: CloudflareState;
  readonly #file: string | undefined;
  readonly #hooks: readonly ChangeHook[];
  /** Changes run one at a time: a hook may wait, and two changes must not start from one copy. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(state: CloudflareState, file: string | undefined, hooks: readonly ChangeHook[]) {
    this.#state = state;
    this.#file = file;
    this.#hooks = hooks;
  }

  /** The state in `dataDir` when there is one, else `fresh()` (written there at once). */
  static open(options: { dataDir?: string; hooks?: readonly ChangeHook[] }, fresh: () => CloudflareState): Store {
    const file = options.dataDir === undefined ? undefined : join(options.dataDir, STATE_FILE);
    const stored = file === undefined ? undefined : readState(file);
    const store = new Store(stored ?? fresh(), file, options.hooks ?? []);
    if (file !== undefined && stored === undefined) store.#persist();
    return store;
  }

  get state(): Readonly<CloudflareState> {
    return this.#state;
  }

  get file(): string | undefined {
    return this.#file;
  }

  /** Applies `change` to a copy; commits it (and writes it out) only if it and every hook succeed. */
  mutate<T>(change: (draft: CloudflareState, record: (change: Change) => void) => T): Promise<T> {
    const run = async () => {
      const draft = structuredClone(this.#state);
      const changes: Change[] = [];
      const result = change(draft, (item) => changes.push(item));
      for (const item of changes) for (const hook of this.#hooks) await hook(item);
      this.#state = draft;
      this.#persist();
      return result;
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => undefined);
    return done;
  }

  #persist(): void {
    if (this.#file === undefined) return;
    mkdirSync(join(this.#file, ".."), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.#state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.#file);
  }
}

/**
 * The account kept in `file` (a data folder's state.json): undefined when there is none, a
 * UserError naming the fix when it is not one this emulator wrote. Also how the local stack reads
 * what a Terraform apply left there (stack/cloudflare-deployment.ts), without starting a server.
 */
export function readState(file: string): CloudflareState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not JSON (the Cloudflare API emulator's saved state)`, `delete ${file} to start from an empty account`);
  }
  const checked = StoredState.safeParse(parsed);
  if (!checked.success)
    throw new UserError(
      `${file} is not a state this Cloudflare API emulator wrote (${checked.error.issues[0]?.path.join(".") || "top level"}: ${checked.error.issues[0]?.message})`,
      `delete ${file} to start from an empty account, or pass another data folder`,
    );
  return checked.data as unknown as CloudflareState;
}
