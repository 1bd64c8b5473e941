/**
 * Many Access team domains in one process, each created on first use of its hostname with its
 * own keys, authority and routes: what an in-process test needs to break or rotate a team's
 * keys without touching anyone else's (the Worker tests' outbound service, vitest.worker.config.ts).
 * Every team's issuer is `https://<hostname>`, as on Cloudflare; they share an audience, so a
 * token from another team differs from this team's only by its issuer and its key.
 */
import type { Hono } from "hono";
import { createAccessApp } from "./app.ts";
import { DEFAULT_COUNTRY } from "./claims.ts";
import { generateSigningKey, KeySet, type SigningKey } from "./keys.ts";
import { Authority, type ServiceToken } from "./tokens.ts";

export interface AccessTeamsOptions {
  audience: string;
  serviceTokens: readonly ServiceToken[];
  /** Emails on the login page; the first is what `mint()` uses. */
  identities: readonly string[];
}

export interface AccessTeam {
  readonly authority: Authority;
  readonly app: Hono;
}

export class AccessTeams {
  readonly #options: AccessTeamsOptions;
  /** Promises, so two first requests for one hostname share one team. */
  readonly #teams = new Map<string, Promise<AccessTeam>>();
  /** One never-published key for every team's `bad-signature` tokens. */
  #stranger: Promise<SigningKey> | undefined;

  constructor(options: AccessTeamsOptions) {
    if (!options.identities[0]) throw new Error("AccessTeams: identities must name at least one email (the one mint() uses)");
    this.#options = options;
  }

  /** The team at `hostname` (e.g. `myteam.cloudflareaccess.com`), created on first use. */
  team(hostname: string): Promise<AccessTeam> {
    const host = hostname.toLowerCase();
    let team = this.#teams.get(host);
    if (!team) {
      team = this.#create(host);
      this.#teams.set(host, team);
    }
    return team;
  }

  /** Answers a request to one of the teams, by the request's hostname. */
  async fetch(request: Request): Promise<Response> {
    const { app } = await this.team(new URL(request.url).hostname);
    return app.fetch(request);
  }

  async #create(host: string): Promise<AccessTeam> {
    this.#stranger ??= generateSigningKey();
    const [keys, stranger] = await Promise.all([KeySet.create(host), this.#stranger]);
    const { audience, serviceTokens, identities } = this.#options;
    const authority = new Authority({
      issuer: `https://${host}`,
      audience,
      country: DEFAULT_COUNTRY,
      keys,
      stranger,
      serviceTokens,
      defaultEmail: identities[0]!,
    });
    return { authority, app: createAccessApp({ authority, identities }) };
  }
}
