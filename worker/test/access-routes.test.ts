/**
 * Every bad token, over the header and the cookie, on every route Access guards — WebSocket
 * upgrades and /_admin/ included. The routes come from manifest.ts's ROUTES, which
 * routes.test.ts holds equal to what app.ts registers: a new route is in this table by itself.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ROUTES, type WorkerRoute } from "../src/manifest.ts";
import { BROKEN_KINDS } from "../../emulators/access/broken-kinds.ts";
import { accessToken, BASE, fetchWithEnv, pathFor } from "./helpers.ts";

/** A team domain other than the Worker's, whose tokens carry the Worker's audience (vitest.worker.config.ts). */
const OTHER_TEAM = "other-team.cloudflareaccess.com";
const KINDS = [...BROKEN_KINDS, "another-team"] as const;
type Kind = (typeof KINDS)[number];
const TRANSPORTS = ["header", "cookie"] as const;
type Transport = (typeof TRANSPORTS)[number];

interface Probe {
  label: string;
  method: string;
  path: string;
  upgrade: boolean;
}

/**
 * The requests that reach a route: each method it answers (ALL: a GET and a POST), at a path
 * its pattern matches — a trailing `/*` also at its bare prefix, so `/` and `/_admin/` — and, for
 * GETs, as a WebSocket upgrade too.
 */
function probesFor(route: WorkerRoute): Probe[] {
  const methods = route.method === "ALL" ? ["GET", "POST"] : [route.method];
  const paths = route.path.endsWith("/*") ? [pathFor(route.path), route.path.slice(0, -1)] : [pathFor(route.path)];
  return methods.flatMap((method) =>
    paths.flatMap((path) => {
      const plain = { label: `${method} ${path}`, method, path, upgrade: false };
      return method === "GET" ? [plain, { ...plain, label: `${method} ${path} (WebSocket upgrade)`, upgrade: true }] : [plain];
    }),
  );
}

const PROBES = ROUTES.filter((route) => route.auth === "access").flatMap(probesFor);

function request(probe: Probe, transport: Transport, token: string): Request {
  const headers = new Headers(
    transport === "header"
      ? { accept: "application/json", "CF-Access-JWT-Assertion": token }
      : { accept: "text/html,application/xhtml+xml", cookie: `CF_Authorization=${token}` },
  );
  // Same-origin, so nothing but Access has a reason to refuse.
  headers.set("origin", BASE);
  if (probe.upgrade) {
    headers.set("upgrade", "websocket");
    headers.set("connection", "Upgrade");
  }
  return new Request(`${BASE}${probe.path}`, { method: probe.method, headers });
}

/** DEBUG_ROUTES on, so /debug/* exists behind Access. */
const send = (probe: Probe, transport: Transport, token: string) => fetchWithEnv(request(probe, transport, token), { DEBUG_ROUTES: "true" });

const tokens = new Map<Kind, string>();
beforeAll(async () => {
  for (const kind of BROKEN_KINDS) tokens.set(kind, await accessToken(`broken/${kind}`));
  tokens.set("another-team", await accessToken("valid", OTHER_TEAM));
});

describe("Access refuses every bad token on every guarded route", () => {
  it("covers the WebSocket upgrade, /_admin/ and its API", () => {
    const labels = PROBES.map((probe) => probe.label);
    expect(labels).toContain("GET / (WebSocket upgrade)");
    expect(labels).toContain("GET /_admin/");
    expect(labels).toContain("POST /api/admin/gateway/restart");
    expect(PROBES.length).toBeGreaterThan(ROUTES.length);
  });

  it.each(PROBES.map((probe): [string, Probe] => [probe.label, probe]))("%s", async (_, probe) => {
    const wrong: string[] = [];
    for (const transport of TRANSPORTS) {
      for (const kind of KINDS) {
        const response = await send(probe, transport, tokens.get(kind)!);
        const body = await response.text();
        if (response.status !== 401 || !body.includes("invalid Cloudflare Access token")) {
          wrong.push(`${kind} over the ${transport}: ${response.status} ${body.slice(0, 120)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each(TRANSPORTS)("lets a valid token through over the %s (the refusals above are the tokens', not the transport's)", async (transport) => {
    const response = await send({ label: "", method: "GET", path: "/debug/version", upgrade: false }, transport, await accessToken());
    expect(response.status).toBe(200);
    expect(((await response.json()) as { identity: { email: string } }).identity.email).toBe("you@example.com");
  });
});
