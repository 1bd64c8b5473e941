/**
 * The part of Cloudflare's v4 REST API (api.cloudflare.com/client/v4) that a moltworker
 * deployment's Terraform (cloudflare provider v5) and tooling use — R2 buckets, Access
 * applications, policies, identity providers and the team domain, AI Gateway gateways, zones and
 * DNS records, Workers custom domains and routes, token verification — on 127.0.0.1, for one
 * account with one API token. Clients point at it with their base URL setting
 * (CLOUDFLARE_BASE_URL / the SDK's `baseURL` / the provider's `base_url`).
 */
import { serveFetch, type ServeOptions, type StartedServer } from "../../core/serve.ts";
import { defaultIdentityProvider, defaultOrganization } from "./access.ts";
import { API_PREFIX, createCloudflareApiApp } from "./app.ts";
import { newZone } from "./dns.ts";
import { generateToken, HEX_ID, hexId, TOKEN } from "./ids.ts";
import type { LOCATION_HINTS } from "./r2.ts";
import {
  type AccessApp,
  type AccessPolicy,
  type AiGateway,
  type ChangeHook,
  type CloudflareState,
  type DnsRecord,
  type IdentityProvider,
  type R2Bucket,
  Store,
  type WorkersDomain,
  type WorkersRoute,
  type Zone,
} from "./state.ts";

export { API_PREFIX } from "./app.ts";
export { CloudflareApiError, CODES } from "./envelope.ts";
export { R2_CODES } from "./r2.ts";
export { ACCESS_CODE } from "./access.ts";
export { readState as readCloudflareApiState, STATE_FILE, type Change, type ChangeHook, type ChangeKind, type CloudflareState } from "./state.ts";
export type { AccessApp, AccessPolicy, AiGateway, DnsRecord, IdentityProvider, R2Bucket, WorkersDomain, WorkersRoute, Zone } from "./state.ts";

export interface CloudflareApiOptions extends ServeOptions {
  /** The API token clients send as `Authorization: Bearer <token>`. Default: 40 random characters (kept in dataDir). */
  token?: string;
  /** 32 hex digits. Default: random (kept in dataDir). */
  accountId?: string;
  accountName?: string;
  /** The account's zones, by name; the first is `zoneId`. Default: example.com. */
  zones?: string[];
  /** The Access team: its team domain is `<teamName>.cloudflareaccess.com`. Default "moltlab". */
  teamName?: string;
  /** Where a bucket made without a location hint lands. Default "enam". */
  defaultLocation?: (typeof LOCATION_HINTS)[number];
  /**
   * A folder to keep the account in across restarts (state.json, rewritten after every change).
   * Without it the account lives in memory only. An existing state wins over the seeds above,
   * except that a different `accountId` or `token` is refused rather than silently ignored.
   */
  dataDir?: string;
  /** Each change, before it is committed: throwing refuses it (see state.ts). */
  onChange?: ChangeHook;
}

export interface StartedCloudflareApi extends StartedServer {
  /** `${url}/client/v4`: CLOUDFLARE_BASE_URL, the SDK's `baseURL`, the Terraform provider's `base_url`. */
  readonly baseUrl: string;
  /** Not enumerable: logging or serialising the handle does not print it. */
  readonly token: string;
  readonly accountId: string;
  /** The first zone's id (example.com unless `zones` says otherwise). */
  readonly zoneId: string;
  /** The Access team domain, e.g. moltlab.cloudflareaccess.com (the organization's auth_domain). */
  readonly teamDomain: string;
  /** The state file, when there is a dataDir. */
  readonly stateFile: string | undefined;
  buckets(jurisdiction?: R2Bucket["jurisdiction"]): R2Bucket[];
  accessApps(): AccessApp[];
  accessPolicies(): AccessPolicy[];
  identityProviders(): IdentityProvider[];
  aiGateways(): AiGateway[];
  zones(): Zone[];
  dnsRecords(zoneId?: string): DnsRecord[];
  workersDomains(): WorkersDomain[];
  workersRoutes(zoneId?: string): WorkersRoute[];
  /** Revokes the token, as deleting it in the dashboard does: every request is 9109 "Invalid access token" from now on. */
  revoke(): void;
}

function freshState(options: CloudflareApiOptions): CloudflareState {
  const accountId = options.accountId ?? hexId();
  const accountName = options.accountName ?? "moltlab";
  const teamName = options.teamName ?? "moltlab";
  const organization = defaultOrganization(teamName);
  return {
    version: 1,
    token: options.token ?? generateToken(),
    tokenId: hexId(),
    accountId,
    accountName,
    zones: (options.zones?.length ? options.zones : ["example.com"]).map((name) => newZone(name, { id: accountId, name: accountName })),
    r2Buckets: [],
    accessApps: [],
    accessPolicies: [],
    identityProviders: [defaultIdentityProvider(String(organization.auth_domain))],
    organization,
    aiGateways: [],
    dnsRecords: {},
    workersDomains: [],
    workersRoutes: {},
  };
}

function checkSeeds(options: CloudflareApiOptions): void {
  if (options.accountId !== undefined && !HEX_ID.test(options.accountId))
    throw new Error(`accountId "${options.accountId}" is not an account id: Cloudflare's are 32 lowercase hex digits; leave it out to have one generated`);
  // Never echo a token back: say only what is wrong with it.
  if (options.token !== undefined && !TOKEN.test(options.token))
    throw new Error(
      `the token given is not an API token (${options.token.length} characters): Cloudflare's are 40 of A-Z a-z 0-9 _ -; leave it out to have one generated`,
    );
}

export async function startCloudflareApi(options: CloudflareApiOptions = {}): Promise<StartedCloudflareApi> {
  checkSeeds(options);
  const store = Store.open({ ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}), hooks: options.onChange ? [options.onChange] : [] }, () =>
    freshState(options),
  );
  const { state } = store;
  if (options.accountId !== undefined && options.accountId !== state.accountId)
    throw new Error(`${store.file} holds account ${state.accountId}, not ${options.accountId}: pass that accountId, or another dataDir for another account`);
  if (options.token !== undefined && options.token !== state.token)
    throw new Error(`${store.file} holds another API token than the one given: leave token out to use the stored one, or pass another dataDir`);

  let revoked = false;
  const app = createCloudflareApiApp({
    store,
    defaultLocation: options.defaultLocation ?? "enam",
    token: () => (revoked ? undefined : store.state.token),
  });
  const server = await serveFetch((request) => app.fetch(request), options);
  const copy = <T>(value: T): T => structuredClone(value);
  const handle: StartedCloudflareApi = {
    ...server,
    baseUrl: `${server.url}${API_PREFIX}`,
    token: state.token,
    accountId: state.accountId,
    zoneId: state.zones[0]!.id,
    get teamDomain() {
      return String(store.state.organization.auth_domain);
    },
    stateFile: store.file,
    buckets: (jurisdiction) => copy(store.state.r2Buckets.filter((bucket) => jurisdiction === undefined || bucket.jurisdiction === jurisdiction)),
    accessApps: () => copy(store.state.accessApps),
    accessPolicies: () => copy(store.state.accessPolicies),
    identityProviders: () => copy(store.state.identityProviders),
    aiGateways: () => copy(store.state.aiGateways),
    zones: () => copy(store.state.zones),
    dnsRecords: (zoneId = state.zones[0]!.id) => copy(store.state.dnsRecords[zoneId] ?? []),
    workersDomains: () => copy(store.state.workersDomains),
    workersRoutes: (zoneId = state.zones[0]!.id) => copy(store.state.workersRoutes[zoneId] ?? []),
    revoke: () => {
      revoked = true;
    },
  };
  Object.defineProperty(handle, "token", { enumerable: false });
  return handle;
}
