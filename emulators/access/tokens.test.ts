import { X509Certificate } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyOptions } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKEN_KINDS, type BrokenKind, SESSION_SECONDS, startAccess, type StartedAccess, subjectFor } from "./index.ts";

let access: StartedAccess;
beforeAll(async () => {
  access = await startAccess({ identities: ["owner@example.com", "guest@example.com"] });
});
afterAll(() => access.stop());

/** The check a Worker does (moltworker's, plus `algorithms`), against the emulator over HTTP. */
function verifyOverHttp(token: string, options: JWTVerifyOptions = { algorithms: ["RS256"] }) {
  // A new key set per call: no verifier cache hides what the certs endpoint serves right now.
  const jwks = createRemoteJWKSet(new URL(access.certsUrl));
  return jwtVerify(token, jwks, { issuer: access.issuer, audience: access.audience, ...options });
}

describe("a minted token", () => {
  it("verifies with jose against the certs URL and carries Cloudflare's header and claims", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = access.mint();
    const after = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await verifyOverHttp(token);

    expect(protectedHeader).toEqual({ alg: "RS256", kid: access.kids[0], typ: "JWT" });
    expect(Object.keys(payload).sort()).toEqual(["aud", "country", "email", "exp", "iat", "identity_nonce", "iss", "nbf", "sub", "type"]);
    expect(payload.aud).toEqual([access.audience]);
    expect(access.audience).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.email).toBe("owner@example.com");
    expect(payload.iss).toBe(access.url);
    expect(payload.iss).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(payload.sub).toBe(subjectFor("owner@example.com"));
    expect(payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe(payload.iat! + SESSION_SECONDS);
    expect(payload.type).toBe("app");
    expect(payload.identity_nonce).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(payload.country).toBe("XX");
  });

  it("keeps sub stable per identity, distinct between identities, and the nonce fresh per token", () => {
    const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const first = claims(access.mint({ email: "guest@example.com" }));
    const second = claims(access.mint({ email: "guest@example.com" }));
    const other = claims(access.mint());
    expect(first.sub).toBe(second.sub);
    expect(first.sub).not.toBe(other.sub);
    expect(first.identity_nonce).not.toBe(second.identity_nonce);
  });

  it("takes claim overrides, and jose's currentDate shows when it expires", async () => {
    const iat = 1_700_000_000;
    const token = access.mint({ iat, nbf: iat, exp: iat + 60, country: "DE" });
    const { payload } = await verifyOverHttp(token, { algorithms: ["RS256"], currentDate: new Date((iat + 30) * 1000) });
    expect(payload.country).toBe("DE");
    await expect(verifyOverHttp(token, { algorithms: ["RS256"], currentDate: new Date((iat + 61) * 1000) })).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it("for a service token has common_name = client id, no email and an empty sub", async () => {
    const { payload } = await verifyOverHttp(access.mintServiceToken());
    expect(payload.common_name).toBe(access.serviceToken.clientId);
    expect(access.serviceToken.clientId).toMatch(/^[0-9a-f]{32}\.access$/);
    expect(payload).not.toHaveProperty("email");
    expect(payload.sub).toBe("");
    expect(payload.type).toBe("app");
    expect(payload.aud).toEqual([access.audience]);
  });
});

describe("broken tokens", () => {
  type Expected = { error: new (...args: never[]) => Error; code: string; claim?: string };
  const expected: Record<BrokenKind, Expected> = {
    expired: { error: errors.JWTExpired, code: "ERR_JWT_EXPIRED", claim: "exp" },
    "not-yet-valid": { error: errors.JWTClaimValidationFailed, code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "nbf" },
    "wrong-audience": { error: errors.JWTClaimValidationFailed, code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" },
    "wrong-issuer": { error: errors.JWTClaimValidationFailed, code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "iss" },
    "bad-signature": { error: errors.JWSSignatureVerificationFailed, code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" },
    "unknown-kid": { error: errors.JWKSNoMatchingKey, code: "ERR_JWKS_NO_MATCHING_KEY" },
    "alg-none": { error: errors.JOSEAlgNotAllowed, code: "ERR_JOSE_ALG_NOT_ALLOWED" },
    "hs256-confusion": { error: errors.JOSEAlgNotAllowed, code: "ERR_JOSE_ALG_NOT_ALLOWED" },
    "malformed-parts": { error: errors.JWSInvalid, code: "ERR_JWS_INVALID" },
    "malformed-header": { error: errors.JWSInvalid, code: "ERR_JWS_INVALID" },
    "malformed-payload": { error: errors.JWTInvalid, code: "ERR_JWT_INVALID" },
  };

  it.each(BROKEN_KINDS)("%s is rejected by jose with its specific error", async (kind) => {
    const { error, code, claim } = expected[kind];
    const rejection = verifyOverHttp(access.broken(kind));
    await expect(rejection).rejects.toBeInstanceOf(error);
    await expect(rejection).rejects.toMatchObject(claim ? { code, claim } : { code });
  });

  // moltworker's own check passes no `algorithms`; the confusion tokens must still fail.
  it.each(["alg-none", "hs256-confusion"] as const)("%s is rejected even without an algorithms allow-list", async (kind) => {
    await expect(verifyOverHttp(access.broken(kind), {})).rejects.toMatchObject({ code: "ERR_JOSE_NOT_SUPPORTED" });
  });

  it("differ from a valid token only in the broken part", () => {
    expect(decodeProtectedHeader(access.broken("bad-signature")).kid).toBe(access.kids[0]);
    expect(decodeProtectedHeader(access.broken("unknown-kid")).kid).not.toBe(access.kids[0]);
    expect(decodeProtectedHeader(access.broken("alg-none"))).toMatchObject({ alg: "none" });
    expect(access.broken("alg-none").endsWith(".")).toBe(true);
    expect(decodeProtectedHeader(access.broken("hs256-confusion"))).toMatchObject({ alg: "HS256", kid: access.kids[0] });
    expect(access.broken("malformed-parts").split(".")).toHaveLength(2);
  });
});

describe("the certs endpoint", () => {
  it("publishes RS256 JWKs and a matching self-signed X.509 certificate per key, like Cloudflare", async () => {
    const response = await fetch(access.certsUrl);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const certs = (await response.json()) as {
      keys: Record<string, string>[];
      public_cert: { kid: string; cert: string };
      public_certs: { kid: string; cert: string }[];
    };
    expect(certs.keys).toHaveLength(1);
    const [jwk] = certs.keys;
    expect(Object.keys(jwk!).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
    expect(jwk).toMatchObject({ kid: access.kids[0], kty: "RSA", alg: "RS256", use: "sig", e: "AQAB" });
    expect(certs.public_cert.kid).toBe(jwk!.kid);
    expect(certs.public_certs).toEqual([certs.public_cert]);

    const cert = new X509Certificate(certs.public_cert.cert);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.export({ format: "jwk" })).toMatchObject({ n: jwk!.n, e: jwk!.e });
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
  });
});

describe("key rotation", () => {
  it("keeps old tokens valid while the old key is published, and rejects them once it is retired", async () => {
    const rotating = await startAccess();
    try {
      const verify = (token: string) =>
        jwtVerify(token, createRemoteJWKSet(new URL(rotating.certsUrl)), { issuer: rotating.issuer, audience: rotating.audience, algorithms: ["RS256"] });
      const oldToken = rotating.mint();
      const { kid, previousKid } = await rotating.rotateKeys();
      expect(previousKid).toBe(decodeProtectedHeader(oldToken).kid);
      expect(rotating.kids).toEqual([kid, previousKid]);

      const newToken = rotating.mint();
      expect(decodeProtectedHeader(newToken).kid).toBe(kid);
      await expect(verify(oldToken)).resolves.toBeDefined();
      await expect(verify(newToken)).resolves.toBeDefined();

      expect(() => rotating.retireKey(kid)).toThrow(/current/);
      rotating.retireKey(previousKid);
      expect(rotating.kids).toEqual([kid]);
      await expect(verify(oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
      await expect(verify(newToken)).resolves.toBeDefined();
      await expect(verify(rotating.mint())).resolves.toBeDefined();
    } finally {
      await rotating.stop();
    }
  });

  it("can be driven over HTTP by another process", async () => {
    const rotating = await startAccess();
    try {
      const first = rotating.kids[0]!;
      const rotated = await fetch(`${rotating.url}/__moltlab/access/rotate`, { method: "POST" });
      const { kid, previousKid } = (await rotated.json()) as { kid: string; previousKid: string };
      expect(previousKid).toBe(first);
      expect(((await (await fetch(rotating.certsUrl)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toEqual([kid, first]);

      const refused = await fetch(`${rotating.url}/__moltlab/access/retire/${kid}`, { method: "POST" });
      expect(refused.status).toBe(400);
      const retired = await fetch(`${rotating.url}/__moltlab/access/retire/${first}`, { method: "POST" });
      expect(await retired.json()).toEqual({ kids: [kid] });
    } finally {
      await rotating.stop();
    }
  });
});
