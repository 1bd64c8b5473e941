/**
 * Cloudflare Access emulator: a team domain on 127.0.0.1 (JWKS, login, logout, service tokens),
 * token helpers for tests, and optionally the Access edge in front of an upstream app.
 */
import { serveFetch, type ServeOptions, type StartedServer } from "../../core/serve.ts";
import { createAccessApp } from "./app.ts";
import { DEFAULT_COUNTRY } from "./claims.ts";
import { type AccessDecision, decideAccess, LOGOUT_PATH } from "./edge.ts";
import { generateSigningKey, KeySet } from "./keys.ts";
import { Authority, type BrokenKind, generateServiceToken, type MintClaims, type ServiceToken } from "./tokens.ts";
import { CERTS_PATH, type AccessClaims, loginUrl } from "../../contract/access.ts";
import { randomSecret } from "../../core/secret.ts";

export { SESSION_SECONDS, subjectFor } from "./claims.ts";
export {
  type AccessDecision,
  CLIENT_ID_HEADER,
  CLIENT_SECRET_HEADER,
  decideAccess,
  EMAIL_HEADER,
  originRequest,
  readCookie,
  TOKEN_HEADER,
} from "./edge.ts";
export { Authority, BROKEN_KINDS, type BrokenKind, type MintClaims, type ServiceToken } from "./tokens.ts";
export { ADMIN_PATH } from "./app.ts";
export { CERTS_FAULTS, CERTS_OK, type CertsFault } from "./certs-faults.ts";
export { AccessTeams, type AccessTeam, type AccessTeamsOptions } from "./teams.ts";
export { generateSigningKey, KeySet, type CertsResponse, type SigningKey } from "./keys.ts";

export const DEFAULT_IDENTITIES = ["you@example.com", "teammate@example.com"] as const;

export interface AccessOptions extends ServeOptions {
  /** The application's AUD tag (CF_ACCESS_AUD). Default: 64 random hex digits, like Cloudflare's. */
  audience?: string;
  /** Emails offered on the login page; the first is what `mint()` uses. */
  identities?: string[];
  /** Accepted client id/secret pairs. Default: one generated pair. */
  serviceTokens?: ServiceToken[];
  /** The `country` claim of person tokens. Default "XX" (unknown). */
  country?: string;
  /** Reverse-proxy mode: put this origin behind Access (e.g. "http://127.0.0.1:8787"). */
  protect?: string;
}

export interface StartedAccess extends StartedServer {
  /** The URL to give the Worker as CF_ACCESS_TEAM_DOMAIN (scheme included: it is plain http). */
  readonly teamDomain: string;
  /** The `iss` of every token: the team domain URL. */
  readonly issuer: string;
  /** The `aud` (CF_ACCESS_AUD). */
  readonly audience: string;
  readonly certsUrl: string;
  readonly logoutUrl: string;
  readonly identities: readonly string[];
  /** The first configured service token. */
  readonly serviceToken: ServiceToken;
  readonly serviceTokens: readonly ServiceToken[];
  /** Published kids, current first. */
  readonly kids: readonly string[];
  /** The login page, returning to `redirectUrl` afterwards. */
  loginUrl(redirectUrl?: string): string;
  /** A valid person token (signed with the current key); `claims` override defaults. */
  mint(claims?: MintClaims): string;
  /** The token Access issues for a service token (default: the first configured one). */
  mintServiceToken(clientId?: string): string;
  /** A token that is wrong in exactly the named way. */
  broken(kind: BrokenKind): string;
  /** Verifies like the edge does; throws jose's errors. */
  verify(token: string): Promise<AccessClaims>;
  /** The Access edge decision for a request to the protected application. */
  decide(request: Request): Promise<AccessDecision>;
  /** New current key; the previous one stays published until `retireKey`. */
  rotateKeys(): Promise<{ kid: string; previousKid: string }>;
  /** Stops publishing a non-current key. */
  retireKey(kid: string): void;
}

export async function startAccess(options: AccessOptions = {}): Promise<StartedAccess> {
  const identities = [...(options.identities ?? DEFAULT_IDENTITIES)];
  const serviceTokens = options.serviceTokens ?? [generateServiceToken()];
  if (!serviceTokens[0]) throw new Error("startAccess: serviceTokens must not be empty (omit it for a generated one)");
  if (options.protect !== undefined) new URL(options.protect); // fail early on a typo
  const [keys, stranger] = await Promise.all([KeySet.create("moltlab Cloudflare Access"), generateSigningKey()]);

  // The issuer is the server's own URL, known only once it listens; no request can arrive
  // before that (nobody knows the port), except with a fixed port, hence the 503.
  let app: ReturnType<typeof createAccessApp> | undefined;
  const server = await serveFetch((request) => app?.fetch(request) ?? new Response("starting\n", { status: 503 }), { host: options.host, port: options.port });
  const authority = new Authority({
    issuer: server.url,
    audience: options.audience ?? randomSecret(32),
    country: options.country ?? DEFAULT_COUNTRY,
    keys,
    stranger,
    serviceTokens,
    defaultEmail: identities[0] ?? DEFAULT_IDENTITIES[0],
  });
  app = createAccessApp({ authority, identities, protect: options.protect });

  return {
    ...server,
    teamDomain: server.url,
    issuer: authority.issuer,
    audience: authority.audience,
    certsUrl: new URL(CERTS_PATH, server.url).href,
    logoutUrl: new URL(LOGOUT_PATH, server.url).href,
    identities,
    serviceToken: serviceTokens[0],
    serviceTokens,
    get kids() {
      return keys.kids;
    },
    loginUrl: (redirectUrl) => loginUrl(server.url, redirectUrl),
    mint: (claims) => authority.mint(claims),
    mintServiceToken: (clientId = serviceTokens[0]!.clientId) => authority.mintServiceToken(clientId),
    broken: (kind) => authority.broken(kind),
    verify: (token) => authority.verify(token),
    decide: (request) => decideAccess(request, authority),
    rotateKeys: () => keys.rotate(),
    retireKey: (kid) => keys.retire(kid),
  };
}
