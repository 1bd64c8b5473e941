/**
 * The Worker and the team's signing keys: an unreachable, failing or slow JWKS fails closed (503,
 * never through), the cache carries a warm isolate through an outage only as long as it says, and
 * a key rotation during a session neither locks out new tokens nor keeps a retired key forever.
 * Each test uses a team domain of its own (vitest.worker.config.ts creates one per hostname), so its
 * faults and rotations touch no other test, and the Worker's JWKS client for it starts empty:
 * a fresh isolate as far as that team is concerned.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { JWKS_CACHE_MS } from "../src/middleware/access.ts";
import { CERTS_FAULTS, type CertsFault } from "../../emulators/access/certs-faults.ts";
import { accessToken, BASE, fetchWithEnv } from "./helpers.ts";

type Transport = "header" | "cookie";

function ownTeam() {
  // The bare hostname, as Cloudflare's CF_ACCESS_TEAM_DOMAIN is written.
  const host = `t-${crypto.randomUUID()}.cloudflareaccess.com`;
  const control = async <T>(path: string): Promise<T> => {
    const response = await fetch(`https://${host}/__moltlab/access/${path}`, { method: "POST" });
    if (!response.ok) throw new Error(`access control ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    host,
    token: (options: { exp?: number } = {}) => accessToken("valid", host, options),
    certs: (fault: CertsFault | "ok") => control(`certs/${fault}`),
    rotate: () => control<{ kid: string; previousKid: string }>("rotate"),
    retire: (kid: string) => control(`retire/${kid}`),
    /** /api/status (authenticated, never wakes the container) as an API client or, with the cookie, a browser. */
    request: (token: string, transport: Transport = "header") =>
      fetchWithEnv(
        new Request(`${BASE}/api/status`, {
          headers:
            transport === "header"
              ? { accept: "application/json", "CF-Access-JWT-Assertion": token }
              : { accept: "text/html,application/xhtml+xml", cookie: `CF_Authorization=${token}` },
        }),
        { CF_ACCESS_TEAM_DOMAIN: host },
      ),
  };
}

/** The Worker's refusal for a bad token: 401 with jose's reason. */
async function refusedAsInvalid(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  const body = (await response.json()) as { error: string; reason: string };
  expect(body.error).toMatch(/invalid Cloudflare Access token/);
  return body.reason;
}

/** The Worker's answer when it could not check Access at all: 503, JSON or a page, never through. */
async function expectUnavailable(response: Response, transport: Transport, token: string): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const text = await response.text();
  expect(text).not.toContain(token);
  if (transport === "header") {
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(text) as { error: string; reason: string };
    expect(body.reason).toBe("ACCESS_KEYS_UNAVAILABLE");
    expect(body.error).toMatch(/Cloudflare Access could not be checked.*cdn-cgi\/access\/certs.*refused, not let through/);
  } else {
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(text).toContain("<h1>Sign-in could not be checked</h1>");
    expect(text).toMatch(/refused, not let through/);
  }
}

/** The Worker's log line for an outage: asserted where it matters, kept off the test output. */
let logged: MockInstance<typeof console.error>;
beforeEach(() => {
  logged = vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Moves the clock jose reads (Date) past the key cache's lifetime; timers stay real. */
function afterTheCacheExpires(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + JWKS_CACHE_MS + 60_000);
}

describe("the team's keys cannot be fetched", () => {
  const quickFaults = CERTS_FAULTS.filter((fault) => fault !== "hang");

  it.each(quickFaults)("%s, nothing cached: 503 (JSON to an API client, a page to a browser), and the next request works once they are back", async (fault) => {
    const team = ownTeam();
    const token = await team.token();
    await team.certs(fault);
    await expectUnavailable(await team.request(token, "header"), "header", token);
    await expectUnavailable(await team.request(token, "cookie"), "cookie", token);
    // The operator's log names the certs URL it could not fetch, and never the token.
    const lines = logged.mock.calls.map((call) => String(call[0]));
    expect(lines.some((line) => line.includes(`https://${team.host}/cdn-cgi/access/certs`))).toBe(true);
    expect(lines.join("\n")).not.toContain(token);
    // A browser is not sent round the login loop: its token is not what failed.
    expect((await team.request(token, "cookie")).headers.get("location")).toBeNull();

    await team.certs("ok");
    expect((await team.request(token, "header")).status).toBe(200);
    expect((await team.request(token, "cookie")).status).toBe(200);
  });

  it("hang: the request gives up on the team domain and answers 503 instead of hanging", { timeout: 60_000 }, async () => {
    const team = ownTeam();
    const token = await team.token();
    await team.certs("hang");
    try {
      await expectUnavailable(await team.request(token), "header", token);
    } finally {
      await team.certs("ok"); // also releases the hung certs request if the Worker never gave up
    }
    expect((await team.request(token)).status).toBe(200);
  });

  it("with keys cached, tokens they verify still pass; a token needing a key the cache lacks gets 503", async () => {
    const team = ownTeam();
    const token = await team.token();
    const badSignature = await accessToken("broken/bad-signature", team.host); // names the cached key's kid
    expect((await team.request(token)).status).toBe(200); // fetches and caches the key set

    await team.certs("unreachable");
    expect((await team.request(token, "header")).status).toBe(200);
    expect((await team.request(token, "cookie")).status).toBe(200);
    // Checkable against the cached key, and wrong: refused as invalid while the keys are down.
    expect(await refusedAsInvalid(await team.request(badSignature))).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    // A new key (or a forged kid) needs the JWKS, which is down: not checkable, so refused.
    await team.rotate();
    const signedByNewKey = await team.token();
    await expectUnavailable(await team.request(signedByNewKey), "header", signedByNewKey);
    await expectUnavailable(await team.request(signedByNewKey, "cookie"), "cookie", signedByNewKey);

    await team.certs("ok");
    expect((await team.request(signedByNewKey)).status).toBe(200);
  });

  it("a cached key set outlives an outage only by its cache lifetime, then every request fails closed", async () => {
    const team = ownTeam();
    const token = await team.token();
    expect((await team.request(token)).status).toBe(200);
    await team.certs("server-error");
    expect((await team.request(token)).status).toBe(200);

    afterTheCacheExpires();
    await expectUnavailable(await team.request(token), "header", token);
    await team.certs("ok");
    expect((await team.request(token)).status).toBe(200);
  });
});

describe("a key rotation during a session", () => {
  it("accepts the new key's tokens right away, and the old key's until it leaves the JWKS", async () => {
    const team = ownTeam();
    const oldToken = await team.token();
    expect((await team.request(oldToken)).status).toBe(200);

    const { previousKid } = await team.rotate();
    const newToken = await team.token();
    expect(newToken).not.toBe(oldToken);
    // Unknown kid → the Worker refetches at once and finds it.
    expect((await team.request(newToken)).status).toBe(200);
    expect((await team.request(oldToken, "cookie")).status).toBe(200);

    await team.retire(previousKid);
    // The warm isolate still holds the old key (see JWKS_CACHE_MS): nothing has made it refetch yet.
    expect((await team.request(oldToken)).status).toBe(200);
    // The next rotation's token has an unknown kid: the refetch sees the old key gone.
    await team.rotate();
    expect((await team.request(await team.token())).status).toBe(200);
    expect(await refusedAsInvalid(await team.request(oldToken, "header"))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(await refusedAsInvalid(await team.request(oldToken, "cookie"))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect((await team.request(newToken)).status).toBe(200);
  });

  it("refuses a retired key's token once the cached key set expires", async () => {
    const team = ownTeam();
    const oldToken = await team.token();
    expect((await team.request(oldToken)).status).toBe(200);
    const { previousKid } = await team.rotate();
    await team.retire(previousKid);
    const newToken = await team.token();
    expect((await team.request(oldToken)).status).toBe(200);

    afterTheCacheExpires();
    expect(await refusedAsInvalid(await team.request(oldToken))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect((await team.request(newToken)).status).toBe(200);
  });

  it("refuses a token of another team, even one carrying this application's audience", async () => {
    const team = ownTeam();
    expect((await team.request(await team.token())).status).toBe(200);
    const stranger = await accessToken("valid", ownTeam().host);
    expect(await refusedAsInvalid(await team.request(stranger, "header"))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(await refusedAsInvalid(await team.request(stranger, "cookie"))).toBe("ERR_JWKS_NO_MATCHING_KEY");
  });
});

describe("a token already verified", () => {
  it("is checked once while the key set that verified it is current, header or cookie alike", async () => {
    const team = ownTeam();
    const token = await team.token();
    const other = await team.token({ exp: Math.floor(Date.now() / 1000) + 3600 });
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect((await team.request(token)).status).toBe(200);
    expect((await team.request(token)).status).toBe(200);
    expect((await team.request(token, "cookie")).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    // Another token is another check.
    expect((await team.request(other)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(2);
    // A refetch of the key set (here a rotation's unknown kid) sends every kept token through the check again.
    await team.rotate();
    expect((await team.request(await team.token())).status).toBe(200);
    expect((await team.request(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it("is refused from the moment it expires, though the key set that verified it is still fresh", async () => {
    const team = ownTeam();
    const exp = Math.floor(Date.now() / 1000) + 120;
    const token = await team.token({ exp });
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect((await team.request(token)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(exp * 1000 - 1);
    expect((await team.request(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1); // from the cache
    vi.setSystemTime(exp * 1000);
    expect(await refusedAsInvalid(await team.request(token))).toBe("ERR_JWT_EXPIRED");
  });

  it("is never kept for another application or another team", async () => {
    const team = ownTeam();
    const token = await team.token();
    expect((await team.request(token)).status).toBe(200);
    const asSeenBy = (overrides: Record<string, string>) =>
      fetchWithEnv(new Request(`${BASE}/api/status`, { headers: { accept: "application/json", "CF-Access-JWT-Assertion": token } }), {
        CF_ACCESS_TEAM_DOMAIN: team.host,
        ...overrides,
      });
    expect(await refusedAsInvalid(await asSeenBy({ CF_ACCESS_AUD: "another-application" }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    const otherTeam = ownTeam();
    expect((await otherTeam.request(await otherTeam.token())).status).toBe(200);
    expect(await refusedAsInvalid(await asSeenBy({ CF_ACCESS_TEAM_DOMAIN: otherTeam.host }))).toBe("ERR_JWKS_NO_MATCHING_KEY");
  });

  it("is not kept under a key set that a concurrent refetch replaced while its signature was checked", async () => {
    const team = ownTeam();
    expect((await team.request(await team.token())).status).toBe(200); // key set A cached
    const oldToken = await team.token();
    const { previousKid } = await team.rotate();
    await team.retire(previousKid);
    const newToken = await team.token();
    // While the old token's signature is checked against A, the new token's unknown kid makes
    // the Worker fetch B, which no longer has A's key.
    const subtle = crypto.subtle;
    const realVerify = subtle.verify.bind(subtle);
    let refetched: Promise<Response> | undefined;
    vi.spyOn(subtle, "verify").mockImplementation(async (...args: Parameters<SubtleCrypto["verify"]>) => {
      if (!refetched) {
        refetched = team.request(newToken); // its own check passes straight through
        await refetched;
      }
      return realVerify(...args);
    });
    expect((await team.request(oldToken)).status).toBe(200); // checked against A, as before
    expect((await refetched!).status).toBe(200);
    vi.restoreAllMocks();
    // B is current and has no key for it: the full check refuses it, so the cache must not pass it.
    expect(await refusedAsInvalid(await team.request(oldToken))).toBe("ERR_JWKS_NO_MATCHING_KEY");
  });
});
