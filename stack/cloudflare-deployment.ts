/**
 * Phase 1 to the local stack in one flow: what a Terraform apply against the Cloudflare API
 * emulator (`npm run emulate -- cloudflare-api`) made — the R2 bucket, the Access application
 * with its AUD tag, the team domain — read from the state the emulator keeps in the kit's cache
 * folder, as the settings `npm run dev -- --from-cloudflare-api` runs the sandbox with. The
 * emulator rewrites that file after every change, so reading it works as well while it runs as
 * after it stopped; nothing here needs a server.
 *
 * What each value becomes locally:
 * - the bucket: the name of the Worker's MOLTBOT_BUCKET binding and R2_BUCKET_NAME, so wrangler
 *   dev's R2 simulator serves that bucket to the Worker and to OpenClaw's backups, as the
 *   deployed Worker would be bound to it;
 * - the AUD: what the Access emulator signs its tokens for and the Worker checks (CF_ACCESS_AUD);
 * - the team domain: `<team>.cloudflareaccess.com` is a host only Cloudflare serves, so the Access
 *   emulator stands in for it at its own URL, which is then the Worker's CF_ACCESS_TEAM_DOMAIN and
 *   every token's `iss`: the Worker's issuer check stays real, against the team it can reach.
 */
import { join } from "node:path";
import { cacheDir } from "../core/host.ts";
import { UserError } from "../core/errors.ts";
import { type AccessApp, type CloudflareState, readCloudflareApiState, STATE_FILE } from "../emulators/cloudflare-api/index.ts";

/** Where `npm run emulate -- cloudflare-api` keeps its account between runs (and where `dev --from-cloudflare-api` reads it). */
export function cloudflareApiDataDir(): string {
  return join(cacheDir(), "emulators", "cloudflare-api");
}

export interface DeploymentChoice {
  /** `--bucket`: which bucket, when the account holds several. */
  bucket?: string;
  /** `--access-app`: which application (its name, id or domain), when the Worker's hostname does not tell. */
  accessApp?: string;
  /** false with `--dev-mode`: Access is skipped, so an account without an application is fine. */
  needsAccess?: boolean;
}

export interface AccessDeployment {
  app: { id: string; name: string; domain: string };
  /** The application's AUD tag (CF_ACCESS_AUD). */
  audience: string;
  /** The organization's auth_domain, e.g. moltlab.cloudflareaccess.com. */
  teamDomain: string;
}

export interface CloudflareDeployment {
  /** The state file the values come from. */
  source: string;
  bucket: string;
  /** Absent only when the choice did not need it and the account has no application. */
  access?: AccessDeployment;
}

/** What the sandbox is started with (SandboxOptions.bucket, .accessAudience). */
export interface DeploymentSandboxSettings {
  bucket: string;
  accessAudience?: string;
}

/** The command line that runs dev with these values, with a choice added. */
const devCommand = (choice = "") => `\`npm run dev -- --from-cloudflare-api${choice}\``;

/** Reads the emulator's state in `dataDir` (default: the kit's cache folder) and picks the deployment's values from it. */
export function readCloudflareDeployment(choice: DeploymentChoice = {}, dataDir: string = cloudflareApiDataDir()): CloudflareDeployment {
  const file = join(dataDir, STATE_FILE);
  const state = readCloudflareApiState(file);
  if (!state) {
    throw new UserError(
      `--from-cloudflare-api found no Cloudflare API emulator state at ${file}`,
      "run `npm run emulate -- cloudflare-api`, apply your Terraform against it (CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN as it prints), then run dev again; or drop --from-cloudflare-api",
    );
  }
  return deploymentFrom(state, file, choice);
}

/** Pure: the deployment's values in `state` (read from `source`), chosen as `choice` says. */
export function deploymentFrom(state: CloudflareState, source: string, choice: DeploymentChoice = {}): CloudflareDeployment {
  const bucket = chooseBucket(state, source, choice.bucket);
  const app = chooseAccessApp(state, source, choice);
  return {
    source,
    bucket,
    ...(app
      ? { access: { app: { id: app.id, name: app.name, domain: app.domain }, audience: app.aud, teamDomain: String(state.organization.auth_domain) } }
      : {}),
  };
}

export function sandboxSettings(deployment: CloudflareDeployment): DeploymentSandboxSettings {
  return { bucket: deployment.bucket, ...(deployment.access ? { accessAudience: deployment.access.audience } : {}) };
}

function chooseBucket(state: CloudflareState, source: string, wanted: string | undefined): string {
  // A name may exist once per jurisdiction; locally a bucket is its name only.
  const names = [...new Set(state.r2Buckets.map((bucket) => bucket.name))].sort();
  if (wanted !== undefined) {
    if (names.includes(wanted)) return wanted;
    throw new UserError(
      `--bucket ${wanted}: ${source} holds no such R2 bucket (${names.length ? `it holds ${names.join(", ")}` : "it holds none"})`,
      names.length
        ? `pass one of them: ${names.map((name) => `--bucket ${name}`).join(", ")}`
        : "apply your Terraform's cloudflare_r2_bucket against the emulator first",
    );
  }
  if (names.length === 1) return names[0]!;
  if (names.length === 0) {
    throw new UserError(
      `${source} holds no R2 bucket: the Worker's bucket comes from your Terraform's cloudflare_r2_bucket`,
      `apply it against the emulator (\`npm run emulate -- cloudflare-api\`), then run ${devCommand()} again; or drop --from-cloudflare-api to use worker/wrangler.jsonc's bucket`,
    );
  }
  throw new UserError(
    `${source} holds ${names.length} R2 buckets (${names.join(", ")}): which one the Worker binds is not in the state`,
    `choose one: ${devCommand(` --bucket ${names[0]}`)}`,
  );
}

/** The host part of an application domain or route pattern (`moltbot.example.com/path*` → `moltbot.example.com`). */
function hostOf(domain: string): string {
  return domain
    .replace(/^[a-z]+:\/\//i, "")
    .split("/")[0]!
    .toLowerCase();
}

function appHosts(app: AccessApp): Set<string> {
  const domains = [app.domain, ...((app.self_hosted_domains as string[] | undefined) ?? [])];
  for (const destination of (app.destinations as { uri?: string }[] | undefined) ?? []) if (destination.uri) domains.push(destination.uri);
  return new Set(domains.map(hostOf));
}

/** Where the account serves a Worker: custom domains and route patterns (the hostnames an Access application protects it on). */
export function workerHostnames(state: CloudflareState): Set<string> {
  const routes = Object.values(state.workersRoutes).flat();
  return new Set([...state.workersDomains.map((domain) => domain.hostname.toLowerCase()), ...routes.map((route) => hostOf(route.pattern))]);
}

const describeApp = (app: AccessApp) => `"${app.name}" (${app.domain}, id ${app.id})`;

function chooseAccessApp(state: CloudflareState, source: string, choice: DeploymentChoice): AccessApp | undefined {
  const apps = state.accessApps;
  const wanted = choice.accessApp;
  if (wanted !== undefined) {
    const matches = apps.filter((app) => app.id === wanted || app.name === wanted || hostOf(app.domain) === hostOf(wanted));
    if (matches.length === 1) return matches[0];
    throw new UserError(
      `--access-app ${wanted}: ${matches.length ? `${matches.length} applications match` : "no application matches"} in ${source} (${apps.length ? apps.map(describeApp).join(", ") : "it holds none"})`,
      apps.length
        ? `name one by its id: --access-app ${apps[0]!.id}`
        : "apply your Terraform's cloudflare_zero_trust_access_application against the emulator first",
    );
  }
  if (apps.length === 1) return apps[0];
  if (apps.length === 0) {
    if (choice.needsAccess === false) return undefined;
    throw new UserError(
      `${source} holds no Access application: the Worker's CF_ACCESS_AUD comes from your Terraform's cloudflare_zero_trust_access_application`,
      `apply it against the emulator, then run ${devCommand()} again; or add --dev-mode to run without Access`,
    );
  }
  // Several: the one protecting the Worker's hostname (its custom domain or route), if exactly one does.
  const hosts = workerHostnames(state);
  const protecting = apps.filter((app) => [...appHosts(app)].some((host) => hosts.has(host)));
  if (protecting.length === 1) return protecting[0];
  const candidates = protecting.length > 1 ? protecting : apps;
  const why =
    protecting.length > 1
      ? `${protecting.length} of them protect the Worker's hostnames (${[...hosts].join(", ")})`
      : hosts.size
        ? `none protects the Worker's hostnames (${[...hosts].join(", ")})`
        : "no Workers custom domain or route says which hostname is the Worker's";
  throw new UserError(
    `${source} holds ${apps.length} Access applications (${candidates.map(describeApp).join(", ")}) and ${why}`,
    `choose one: ${devCommand(` --access-app ${candidates[0]!.id}`)} (an application's id, name or domain)`,
  );
}
