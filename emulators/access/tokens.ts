/**
 * Signing, verifying and deliberately breaking Access application tokens.
 *
 * Tokens are assembled by hand with node:crypto rather than with jose's SignJWT: the broken
 * kinds need headers and signatures no well-behaved library will produce, and verifying with
 * jose (an independent implementation) is then a real interoperability check.
 */
import { createHash, createHmac, sign, timingSafeEqual } from "node:crypto";
import { createLocalJWKSet, jwtVerify } from "jose";
import { type ClaimContext, nowSeconds, personClaims, serviceTokenClaims } from "./claims.ts";
import type { KeySet, SigningKey } from "./keys.ts";
import type { AccessClaims } from "../../contract/access.ts";
import type { BrokenKind } from "./broken-kinds.ts";
import { randomSecret } from "../../core/secret.ts";

export { BROKEN_KINDS, type BrokenKind } from "./broken-kinds.ts";

export interface ServiceToken {
  clientId: string;
  clientSecret: string;
}

/** Claims for `mint`; giving only `email` also gives the `sub` that email always gets. */
export type MintClaims = Partial<AccessClaims>;

type JwsHeader = { alg: string; kid?: string; typ?: string };

const b64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

function compact(header: JwsHeader, payload: string, signer: (input: string) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(payload)}`;
  return `${input}.${b64url(signer(input))}`;
}

function rs256(key: SigningKey, kid = key.kid): { header: JwsHeader; signer: (input: string) => Buffer } {
  return { header: { alg: "RS256", kid, typ: "JWT" }, signer: (input) => sign("sha256", Buffer.from(input), key.privateKey) };
}

function signClaims(claims: AccessClaims, key: SigningKey, kid?: string): string {
  const { header, signer } = rs256(key, kid);
  return compact(header, JSON.stringify(claims), signer);
}

/** A service token shaped like Cloudflare's: `<32 hex>.access` and a 64-hex secret. */
export function generateServiceToken(): ServiceToken {
  return { clientId: `${randomSecret(16)}.access`, clientSecret: randomSecret(32) };
}

export interface AuthorityOptions {
  /** The team domain URL; also the `iss` claim. */
  issuer: string;
  audience: string;
  country: string;
  keys: KeySet;
  /** A key that is never published, for `bad-signature`. */
  stranger: SigningKey;
  serviceTokens: readonly ServiceToken[];
  /** The email `mint()` uses when none is given. */
  defaultEmail: string;
}

/** The team's token authority: issues, verifies and breaks tokens, checks service tokens. */
export class Authority {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: KeySet;
  readonly serviceTokens: readonly ServiceToken[];
  readonly #context: ClaimContext;
  readonly #stranger: SigningKey;
  readonly #defaultEmail: string;

  constructor(options: AuthorityOptions) {
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.keys = options.keys;
    this.serviceTokens = options.serviceTokens;
    this.#context = { issuer: options.issuer, audience: options.audience, country: options.country };
    this.#stranger = options.stranger;
    this.#defaultEmail = options.defaultEmail;
  }

  /** A valid person token signed with the current key; `claims` override the defaults. */
  mint(claims: MintClaims = {}): string {
    const email = claims.email ?? this.#defaultEmail;
    return signClaims({ ...personClaims(email, this.#context), ...claims }, this.keys.current);
  }

  /** The application token Access issues for a service token: `common_name` = client id, no email. */
  mintServiceToken(clientId: string): string {
    return signClaims(serviceTokenClaims(clientId, this.#context), this.keys.current);
  }

  broken(kind: BrokenKind): string {
    const now = nowSeconds();
    const valid = personClaims(this.#defaultEmail, { ...this.#context, now });
    const current = this.keys.current;
    switch (kind) {
      case "expired":
        return signClaims({ ...valid, iat: now - 2 * 3600, nbf: now - 2 * 3600, exp: now - 3600 }, current);
      case "not-yet-valid":
        return signClaims({ ...valid, nbf: now + 3600, exp: now + 3600 + 60 }, current);
      case "wrong-audience":
        return signClaims({ ...valid, aud: [randomSecret(32)] }, current);
      case "wrong-issuer":
        return signClaims({ ...valid, iss: "https://another-team.cloudflareaccess.com" }, current);
      case "bad-signature":
        return signClaims(valid, this.#stranger, current.kid);
      case "unknown-kid":
        return signClaims(valid, current, randomSecret(32));
      case "alg-none":
        return compact({ alg: "none", kid: current.kid, typ: "JWT" }, JSON.stringify(valid), () => Buffer.alloc(0));
      case "hs256-confusion": {
        const secret = current.publicKey.export({ type: "spki", format: "pem" });
        return compact({ alg: "HS256", kid: current.kid, typ: "JWT" }, JSON.stringify(valid), (input) => createHmac("sha256", secret).update(input).digest());
      }
      case "malformed-parts":
        return signClaims(valid, current).split(".").slice(0, 2).join(".");
      case "malformed-header": {
        const [, payload, signature] = signClaims(valid, current).split(".");
        return `${b64url("{not json")}.${payload}.${signature}`;
      }
      case "malformed-payload": {
        const { header, signer } = rs256(current);
        return compact(header, "this is not JSON", signer);
      }
    }
  }

  /**
   * Verifies a token as the Access edge does (against the published keys, RS256 only, this
   * team's issuer and this application's audience). Throws jose's errors.
   */
  async verify(token: string): Promise<AccessClaims> {
    const jwks = createLocalJWKSet({ keys: this.keys.certs().keys });
    const { payload } = await jwtVerify<AccessClaims>(token, jwks, { issuer: this.issuer, audience: this.audience, algorithms: ["RS256"] });
    return payload;
  }

  /** Constant-time check of a client id/secret pair against the configured service tokens. */
  checkServiceToken(clientId: string, clientSecret: string): boolean {
    const digest = (value: string) => createHash("sha256").update(value).digest();
    const given = digest(clientSecret);
    return this.serviceTokens.some((token) => token.clientId === clientId && timingSafeEqual(digest(token.clientSecret), given));
  }
}
