import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccess, type StartedAccess } from "./index.ts";

let access: StartedAccess;
beforeAll(async () => {
  access = await startAccess({ identities: ["owner@example.com", "o'brien&co@example.com"] });
});
afterAll(() => access.stop());

const WORKER = "http://127.0.0.1:8787/_admin/?tab=devices";

/** `redirectUrl: null` leaves the field out. */
function signIn(email: string, redirectUrl: string | null = WORKER, path = "/cdn-cgi/access/login") {
  const form = new URLSearchParams({ email });
  if (redirectUrl !== null) form.set("redirect_url", redirectUrl);
  return fetch(`${access.url}${path}`, { method: "POST", body: form, redirect: "manual" });
}

/** The token from a Set-Cookie that sets CF_Authorization, asserting its attributes. */
function sessionToken(response: Response): string {
  const [cookie, ...more] = response.headers.getSetCookie();
  expect(more).toEqual([]);
  const [pair, ...attributes] = cookie!.split(";").map((part) => part.trim());
  expect(pair).toMatch(/^CF_Authorization=[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(attributes).toEqual(expect.arrayContaining(["HttpOnly", "Path=/", "SameSite=Lax", "Max-Age=86400"]));
  // Host-only: no Domain attribute, so every port on 127.0.0.1 receives it (RFC 6265 §8.5).
  expect(attributes.some((attribute) => /^domain=/i.test(attribute))).toBe(false);
  return pair!.slice("CF_Authorization=".length);
}

async function verifiedEmail(token: string): Promise<unknown> {
  const jwks = createRemoteJWKSet(new URL(access.certsUrl));
  const { payload } = await jwtVerify(token, jwks, { issuer: access.issuer, audience: access.audience, algorithms: ["RS256"] });
  return payload.email;
}

describe("the login page", () => {
  it("lists every configured identity as a button and carries redirect_url through, escaped", async () => {
    const response = await fetch(access.loginUrl(WORKER));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await response.text();
    expect(page).toContain('<button type="submit" name="email" value="owner@example.com">Sign in as owner@example.com</button>');
    expect(page).toContain('value="o&#39;brien&amp;co@example.com">Sign in as o&#39;brien&amp;co@example.com</button>');
    expect(page).toContain(`<input type="hidden" name="redirect_url" value="${WORKER.replace("&", "&amp;")}">`);
    expect(page).toContain('<label for="email">Email address</label>');
    expect(page).not.toMatch(/<(script|link|img)\b/);
  });

  it("is also what the team domain's root and Cloudflare's /login/<app-host> form show", async () => {
    for (const path of ["/", "/cdn-cgi/access/login/app.example.com?redirect_url=%2F"]) {
      const response = await fetch(`${access.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("Sign in as owner@example.com");
    }
  });

  it("refuses a redirect_url that is not http(s)", async () => {
    const response = await fetch(access.loginUrl("javascript:alert(1)"));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("redirect_url must be an http or https URL.");
  });
});

describe("signing in", () => {
  it("with a listed identity redirects to redirect_url with a CF_Authorization cookie for that email", async () => {
    const response = await signIn("o'brien&co@example.com");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(WORKER);
    expect(await verifiedEmail(sessionToken(response))).toBe("o'brien&co@example.com");
  });

  it("with a typed email works too, trimmed and lower-cased, also on the /login/<app-host> path", async () => {
    const response = await signIn("  Someone.Else@Example.ORG ", WORKER, "/cdn-cgi/access/login/app.example.com");
    expect(response.status).toBe(302);
    expect(await verifiedEmail(sessionToken(response))).toBe("someone.else@example.org");
  });

  it("resolves a relative redirect_url against the team domain", async () => {
    const response = await signIn("owner@example.com", "/somewhere?x=1");
    expect(response.headers.get("location")).toBe(`${access.url}/somewhere?x=1`);
  });

  it("without redirect_url sets the cookie and says who is signed in", async () => {
    const response = await signIn("owner@example.com", null);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("You are signed in as owner@example.com.");
    expect(await verifiedEmail(sessionToken(response))).toBe("owner@example.com");
  });

  it.each([
    ["not-an-email", "&quot;not-an-email&quot; is not a valid email address. Enter one like name@example.com."],
    ["two@@example.com", "&quot;two@@example.com&quot; is not a valid email address."],
    ["", "Enter an email address, like name@example.com."],
  ])("rejects %j with 400, a clear message and no cookie", async (email, message) => {
    const response = await signIn(email);
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie()).toEqual([]);
    const page = await response.text();
    expect(page).toContain(`<p role="alert" id="email-error">${message}`);
    expect(page).toContain('aria-invalid="true" aria-describedby="email-error"');
    // The form is shown again, keeping where to go afterwards.
    expect(page).toContain(`name="redirect_url" value="${WORKER.replace("&", "&amp;")}"`);
  });
});

describe("logging out", () => {
  it("clears the cookie", async () => {
    const response = await fetch(access.logoutUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("You have been signed out.");
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^CF_Authorization=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT;/);
  });

  it("redirects to redirect_url when given one", async () => {
    const response = await fetch(`${access.logoutUrl}?redirect_url=${encodeURIComponent(WORKER)}`, { method: "POST", redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(WORKER);
    expect(response.headers.getSetCookie()[0]).toMatch(/^CF_Authorization=; .*Max-Age=0/);
  });
});
