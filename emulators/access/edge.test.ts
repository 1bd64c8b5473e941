import { gzipSync } from "node:zlib";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFetch, type StartedServer } from "../../core/serve.ts";
import { Authority, BROKEN_KINDS, decideAccess, generateSigningKey, KeySet, originRequest, startAccess, type StartedAccess } from "./index.ts";

const APP = "https://moltbot.example.com/_admin/?tab=devices";
const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const JSON_ONLY = { accept: "application/json" };
const second = { clientId: "second-client.access", clientSecret: "second-secret" };

let access: StartedAccess;
beforeAll(async () => {
  access = await startAccess({ serviceTokens: [{ clientId: "ci-robot.access", clientSecret: "s3cret-value" }, second] });
});
afterAll(() => access.stop());

const request = (headers: Record<string, string> = {}, url = APP) => new Request(url, { headers });

async function allowed(headers: Record<string, string>) {
  const decision = await access.decide(request(headers));
  if (!decision.allowed) throw new Error(`denied: ${decision.reason}`);
  return decision;
}

describe("the Access edge decision", () => {
  it("lets a valid CF_Authorization cookie through and injects it with the user's email", async () => {
    const token = access.mint({ email: "owner@example.com" });
    const decision = await allowed({ ...HTML, cookie: `theme=dark; CF_Authorization=${token}; other=1` });
    expect(decision.via).toBe("cookie");
    expect(decision.token).toBe(token);
    expect(decision.inject).toEqual({ "Cf-Access-Jwt-Assertion": token, "Cf-Access-Authenticated-User-Email": "owner@example.com" });
    expect(decision.setCookie).toBeUndefined();
  });

  it("accepts the token in the cf-access-token header, as cloudflared sends it", async () => {
    const token = access.mint();
    const decision = await allowed({ ...JSON_ONLY, "cf-access-token": token });
    expect(decision.via).toBe("token-header");
    expect(decision.inject["Cf-Access-Jwt-Assertion"]).toBe(token);
  });

  it("exchanges a valid service token for an application token whose common_name is the client id", async () => {
    for (const { clientId, clientSecret } of access.serviceTokens) {
      const decision = await allowed({ ...JSON_ONLY, "CF-Access-Client-Id": clientId, "CF-Access-Client-Secret": clientSecret });
      expect(decision.via).toBe("service-token");
      expect(decision.inject).toEqual({ "Cf-Access-Jwt-Assertion": decision.token });
      expect(decision.setCookie).toMatch(new RegExp(`^CF_Authorization=${decision.token.replaceAll(".", "\\.")}; Path=/;`));
      // Checked independently of the edge: jose against the certs URL.
      const { payload } = await jwtVerify(decision.token, createRemoteJWKSet(new URL(access.certsUrl)), {
        issuer: access.issuer,
        audience: access.audience,
        algorithms: ["RS256"],
      });
      expect(payload.common_name).toBe(clientId);
      expect(payload).not.toHaveProperty("email");
    }
  });

  it.each([
    ["a wrong secret", { "CF-Access-Client-Id": "ci-robot.access", "CF-Access-Client-Secret": "s3cret-valuX" }],
    ["another token's secret", { "CF-Access-Client-Id": "ci-robot.access", "CF-Access-Client-Secret": second.clientSecret }],
    ["an unknown client id", { "CF-Access-Client-Id": "nobody.access", "CF-Access-Client-Secret": "s3cret-value" }],
    ["only a client id", { "CF-Access-Client-Id": "ci-robot.access" }],
  ])("denies %s with 403, even for a browser, without echoing the secret", async (_case, headers) => {
    const decision = await access.decide(request({ ...HTML, ...headers }));
    expect(decision).toMatchObject({ allowed: false, status: 403, reason: "invalid service token" });
    const body = await (decision.allowed ? undefined : decision.response)!.text();
    expect(body).not.toContain("s3cret");
  });

  it("sends a browser without credentials to the login page, returning to the requested URL", async () => {
    const decision = await access.decide(request(HTML));
    expect(decision).toMatchObject({ allowed: false, status: 302, reason: "no Access credentials" });
    const response = decision.allowed ? undefined : decision.response;
    expect(response!.status).toBe(302);
    expect(response!.headers.get("location")).toBe(access.loginUrl(APP));
    expect(access.loginUrl(APP)).toBe(`${access.url}/cdn-cgi/access/login/${new URL(APP).hostname}?redirect_url=${encodeURIComponent(APP)}`);
  });

  it("answers a non-HTML request without credentials with a 401 JSON body", async () => {
    const decision = await access.decide(request(JSON_ONLY));
    expect(decision).toMatchObject({ allowed: false, status: 401 });
    const response = decision.allowed ? undefined : decision.response;
    expect(response!.status).toBe(401);
    expect(await response!.json()).toEqual({ error: "Cloudflare Access: authentication required", reason: "no Access credentials" });
  });

  it.each(BROKEN_KINDS)("refuses a %s cookie: login for a browser, 401 otherwise", async (kind) => {
    const cookie = `CF_Authorization=${access.broken(kind)}`;
    expect(await access.decide(request({ ...HTML, cookie }))).toMatchObject({ allowed: false, status: 302 });
    const decision = await access.decide(request({ ...JSON_ONLY, cookie }));
    expect(decision).toMatchObject({ allowed: false, status: 401, reason: expect.stringMatching(/^CF_Authorization rejected: ERR_/) });
  });

  // jose would refuse these anyway (no JWK for "none"/HS256); the edge names the real reason.
  it.each(["alg-none", "hs256-confusion"] as const)("refuses a %s token for its algorithm: RS256 only", async (kind) => {
    const decision = await access.decide(request({ ...JSON_ONLY, cookie: `CF_Authorization=${access.broken(kind)}` }));
    expect(decision).toMatchObject({ allowed: false, reason: "CF_Authorization rejected: ERR_JOSE_ALG_NOT_ALLOWED" });
  });

  it("does not treat a client-sent Cf-Access-Jwt-Assertion as a credential", async () => {
    const decision = await access.decide(request({ ...JSON_ONLY, "Cf-Access-Jwt-Assertion": access.mint() }));
    expect(decision).toMatchObject({ allowed: false, status: 401 });
  });

  it("is a plain function of a request and an authority: no server needed", async () => {
    const [keys, stranger] = await Promise.all([KeySet.create("test"), generateSigningKey()]);
    const authority = new Authority({
      issuer: "https://team.example.com",
      audience: "aud-tag",
      country: "XX",
      keys,
      stranger,
      serviceTokens: [],
      defaultEmail: "owner@example.com",
    });
    const withCookie = await decideAccess(request({ cookie: `CF_Authorization=${authority.mint()}` }), authority);
    expect(withCookie).toMatchObject({ allowed: true, via: "cookie", claims: { iss: "https://team.example.com", aud: ["aud-tag"] } });
    // A token from the started emulator is another team's: wrong issuer, unknown key.
    const foreign = await decideAccess(request({ ...HTML, cookie: `CF_Authorization=${access.mint()}` }), authority);
    expect(foreign).toMatchObject({ allowed: false, status: 302 });
  });
});

describe("the request towards the origin", () => {
  it("replaces forged Access headers, drops the service-token secret, keeps path, query, method and body", async () => {
    const incoming = new Request("http://127.0.0.1:1234/api/admin/devices/abc/approve?x=1", {
      method: "POST",
      headers: {
        "CF-Access-Client-Id": access.serviceToken.clientId,
        "CF-Access-Client-Secret": access.serviceToken.clientSecret,
        "Cf-Access-Jwt-Assertion": "forged",
        "Cf-Access-Authenticated-User-Email": "admin@evil.example",
        "content-type": "text/plain",
      },
      body: "payload",
    });
    const decision = await access.decide(incoming.clone());
    if (!decision.allowed) throw new Error(decision.reason);
    const outgoing = originRequest(incoming, decision, "http://127.0.0.1:8787");
    expect(outgoing.url).toBe("http://127.0.0.1:8787/api/admin/devices/abc/approve?x=1");
    expect(outgoing.method).toBe("POST");
    expect(outgoing.headers.get("Cf-Access-Jwt-Assertion")).toBe(decision.token);
    expect(outgoing.headers.has("Cf-Access-Authenticated-User-Email")).toBe(false);
    expect(outgoing.headers.has("CF-Access-Client-Secret")).toBe(false);
    expect(outgoing.headers.get("content-type")).toBe("text/plain");
    expect(await outgoing.text()).toBe("payload");
  });
});

describe("reverse-proxy mode", () => {
  let upstream: StartedServer;
  let proxy: StartedAccess;
  const seen: Request[] = [];
  beforeAll(async () => {
    upstream = await serveFetch(async (incoming) => {
      seen.push(incoming);
      const path = new URL(incoming.url).pathname;
      if (path === "/gzipped") return new Response(gzipSync("unzipped by the edge"), { headers: { "content-encoding": "gzip", "content-type": "text/plain" } });
      return Response.json({
        path,
        method: incoming.method,
        body: await incoming.text(),
        assertion: incoming.headers.get("cf-access-jwt-assertion"),
        email: incoming.headers.get("cf-access-authenticated-user-email"),
        secret: incoming.headers.get("cf-access-client-secret"),
      });
    });
    proxy = await startAccess({ protect: upstream.url });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.stop();
  });

  it("walks a browser through login and then forwards with the injected assertion", async () => {
    const target = `${proxy.url}/_admin/?tab=devices`;
    const first = await fetch(target, { headers: HTML, redirect: "manual" });
    expect(first.status).toBe(302);
    const login = first.headers.get("location")!;
    expect(login).toBe(proxy.loginUrl(target));

    const form = new URLSearchParams({ email: proxy.identities[0]!, redirect_url: new URL(login).searchParams.get("redirect_url")! });
    const signedIn = await fetch(login, { method: "POST", body: form, redirect: "manual" });
    expect(signedIn.headers.get("location")).toBe(target);
    const cookie = signedIn.headers.getSetCookie()[0]!.split(";")[0]!;

    const count = seen.length;
    const page = await fetch(target, { headers: { ...HTML, cookie, "cf-access-jwt-assertion": "forged" } });
    expect(page.status).toBe(200);
    const echoed = (await page.json()) as Record<string, string | null>;
    expect(seen.length).toBe(count + 1);
    expect(echoed.path).toBe("/_admin/");
    expect(echoed.assertion).toBe(cookie.slice("CF_Authorization=".length));
    expect(echoed.email).toBe(proxy.identities[0]);
  });

  it("forwards a service-token request with its application token and a session cookie, without the secret", async () => {
    const response = await fetch(`${proxy.url}/api/admin/storage/sync`, {
      method: "POST",
      body: "now",
      headers: { "CF-Access-Client-Id": proxy.serviceToken.clientId, "CF-Access-Client-Secret": proxy.serviceToken.clientSecret },
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Record<string, string | null>;
    expect(echoed).toMatchObject({ method: "POST", body: "now", email: null, secret: null });
    expect((await proxy.verify(echoed.assertion!)).common_name).toBe(proxy.serviceToken.clientId);
    expect(response.headers.getSetCookie()[0]).toMatch(/^CF_Authorization=/);
  });

  it("stops a wrong service token at the edge: 403, upstream never called", async () => {
    const count = seen.length;
    const response = await fetch(`${proxy.url}/api/admin/devices`, {
      headers: { "CF-Access-Client-Id": proxy.serviceToken.clientId, "CF-Access-Client-Secret": "wrong" },
    });
    expect(response.status).toBe(403);
    expect(seen.length).toBe(count);
  });

  it("relays an upstream body that fetch already decoded without a stale content-encoding", async () => {
    const response = await fetch(`${proxy.url}/gzipped`, { headers: { cookie: `CF_Authorization=${proxy.mint()}` } });
    expect(response.headers.has("content-encoding")).toBe(false);
    expect(await response.text()).toBe("unzipped by the edge");
  });

  it("serves its own JWKS and login page instead of proxying them", async () => {
    const count = seen.length;
    expect((await fetch(proxy.certsUrl)).status).toBe(200);
    expect((await fetch(proxy.loginUrl())).status).toBe(200);
    expect(seen.length).toBe(count);
  });

  it("answers 502 when the upstream is down", async () => {
    const down = await serveFetch(() => new Response("unused"));
    await down.stop();
    const orphan = await startAccess({ protect: down.url });
    try {
      const response = await fetch(`${orphan.url}/`, { headers: { cookie: `CF_Authorization=${orphan.mint()}` } });
      expect(response.status).toBe(502);
      expect(await response.text()).toContain("unreachable");
    } finally {
      await orphan.stop();
    }
  });
});
