/**
 * The certs endpoint's faults over real HTTP, as jose's remote key set (what a Worker uses)
 * meets them, and the in-process teams the Worker tests route to.
 */
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessTeams, CERTS_FAULTS, type CertsFault, startAccess, type StartedAccess } from "./index.ts";

let access: StartedAccess;
beforeAll(async () => {
  access = await startAccess();
});
afterAll(() => access.stop());

const setCerts = (name: CertsFault | "ok" | string) => fetch(`${access.url}/__moltlab/access/certs/${name}`, { method: "POST" });

/** jose as a Worker uses it, with a fresh cache; a short timeout only so the hang case ends soon. */
const verify = (token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(access.certsUrl), { timeoutDuration: 500 }), {
    issuer: access.issuer,
    audience: access.audience,
    algorithms: ["RS256"],
  });

describe("certs faults", () => {
  const expected: Record<CertsFault, (error: unknown) => void> = {
    unreachable: (error) => expect(error).toBeInstanceOf(TypeError), // fetch failed: the socket was reset
    "server-error": (error) => expect((error as Error).message).toMatch(/Expected 200 OK/),
    garbage: (error) => expect((error as Error).message).toMatch(/Failed to parse .* as JSON/),
    "not-a-key-set": (error) => expect(error).toBeInstanceOf(errors.JWKSInvalid),
    hang: (error) => expect(error).toBeInstanceOf(errors.JWKSTimeout),
  };

  it.each(CERTS_FAULTS)("%s: jose cannot get the keys; `ok` serves them again", async (fault) => {
    const token = access.mint();
    expect(await (await setCerts(fault)).json()).toEqual({ certs: fault });
    try {
      const error = await verify(token).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeDefined();
      expected[fault](error);
    } finally {
      expect(await (await setCerts("ok")).json()).toEqual({ certs: "ok" });
    }
    await expect(verify(token)).resolves.toBeDefined();
  });

  it("refuses an unknown fault name, naming the ones it knows", async () => {
    const response = await setCerts("flaky");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe(`no certs fault "flaky": use one of ok, ${CERTS_FAULTS.join(", ")}`);
  });
});

describe("AccessTeams", () => {
  const teams = new AccessTeams({ audience: "a".repeat(64), serviceTokens: [], identities: ["you@example.com"] });
  const certs = async (host: string) =>
    ((await (await teams.fetch(new Request(`https://${host}/cdn-cgi/access/certs`))).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

  it("gives each hostname its own keys and issuer, the same team on every later use", async () => {
    const [one, two] = await Promise.all([teams.team("one.cloudflareaccess.com"), teams.team("two.cloudflareaccess.com")]);
    expect(one.authority.issuer).toBe("https://one.cloudflareaccess.com");
    expect(two.authority.issuer).toBe("https://two.cloudflareaccess.com");
    expect(await teams.team("ONE.cloudflareaccess.com")).toBe(one);
    expect(await certs("one.cloudflareaccess.com")).toEqual(one.authority.keys.kids);
    expect(await certs("two.cloudflareaccess.com")).not.toEqual(await certs("one.cloudflareaccess.com"));
    // Same audience: another team's token fails on its issuer and key only.
    await expect(one.authority.verify(two.authority.mint())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(one.authority.verify(one.authority.mint())).resolves.toMatchObject({ aud: ["a".repeat(64)] });
  });

  it("rotates and breaks one team's certs without touching another's", async () => {
    const before = await certs("three.cloudflareaccess.com");
    const other = await certs("four.cloudflareaccess.com");
    const post = (path: string) => teams.fetch(new Request(`https://three.cloudflareaccess.com/__moltlab/access/${path}`, { method: "POST" }));
    expect((await post("rotate")).status).toBe(200);
    expect((await certs("three.cloudflareaccess.com")).slice(1)).toEqual(before);
    expect((await post("certs/server-error")).status).toBe(200);
    expect((await teams.fetch(new Request("https://three.cloudflareaccess.com/cdn-cgi/access/certs"))).status).toBe(503);
    expect(await certs("four.cloudflareaccess.com")).toEqual(other);
  });

  it("needs an identity for mint()", () => {
    expect(() => new AccessTeams({ audience: "a", serviceTokens: [], identities: [] })).toThrow(/at least one email/);
  });
});
