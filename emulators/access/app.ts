/** The team domain's HTTP routes, and optionally the protected application behind them. */
import { Hono } from "hono";
import { SESSION_SECONDS } from "./claims.ts";
import { clearedSessionCookie, decideAccess, LOGOUT_PATH, originRequest, sessionCookie } from "./edge.ts";
import { loginPage, messagePage } from "./login-page.ts";
import type { Authority } from "./tokens.ts";
import { CERTS_FAULTS, CERTS_OK, type CertsFault } from "./certs-faults.ts";
import { CERTS_PATH, LOGIN_PATH } from "../../contract/access.ts";

/** Not a Cloudflare route: lets another process (`npm run dev`, a script) rotate keys. */
export const ADMIN_PATH = "/__moltlab/access";

export interface AccessAppOptions {
  authority: Authority;
  identities: readonly string[];
  /** Upstream origin to put behind Access; without it only the team domain routes exist. */
  protect?: string;
}

/** The WHATWG definition of a valid email address, the one `<input type="email">` applies. */
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Hop-by-hop headers, and those made false by fetch having already decoded the body. */
const NOT_RELAYED = ["connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"];

type Redirect = { url?: string } | { error: string };

/** `redirect_url` may be absolute or relative to the team domain; only http(s) targets. */
function parseRedirect(raw: unknown, base: string): Redirect {
  if (typeof raw !== "string" || raw === "") return {};
  try {
    const url = new URL(raw, base);
    if (url.protocol === "http:" || url.protocol === "https:") return { url: url.href };
  } catch {
    // Falls through to the error below.
  }
  return { error: "redirect_url must be an http or https URL." };
}

const html = (body: string, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...headers } });

const badRequest = (message: string): Response => html(messagePage("Bad request", message), 400);

/**
 * The certs endpoint's answer under a fault. A hung request ends when its client gives up
 * (`signal`) or when the fault changes (`release`), so nothing waits forever.
 */
function faultyCerts(fault: CertsFault, signal: AbortSignal, release: Promise<void>): Promise<Response> | Response {
  switch (fault) {
    case "unreachable":
      return Response.error();
    case "server-error":
      return html(messagePage("Service unavailable", "The team domain could not answer (moltlab certs fault)."), 503);
    case "garbage":
      return html("<!doctype html><title>Welcome</title><p>Sign in to the Wi-Fi to continue.</p>");
    case "not-a-key-set":
      return Response.json({ error: "no keys here (moltlab certs fault)" });
    case "hang":
      return new Promise((resolve) => {
        const end = () => resolve(new Response("moltlab certs fault: hung request released\n", { status: 503 }));
        signal.addEventListener("abort", end, { once: true });
        void release.then(end);
      });
  }
}

export function createAccessApp(options: AccessAppOptions): Hono {
  const { authority, identities } = options;
  const app = new Hono();

  // Not Cloudflare: `POST ${ADMIN_PATH}/certs/<fault>` breaks the certs endpoint, `/certs/ok` mends it.
  let certsFault: CertsFault | undefined;
  let releaseHung = (): void => {};
  let hungReleased = new Promise<void>((resolve) => (releaseHung = resolve));
  app.get(CERTS_PATH, (c) => (certsFault ? faultyCerts(certsFault, c.req.raw.signal, hungReleased) : c.json(authority.keys.certs())));
  app.post(`${ADMIN_PATH}/certs/:fault`, (c) => {
    const name = c.req.param("fault");
    if (name !== CERTS_OK && !(CERTS_FAULTS as readonly string[]).includes(name)) {
      return c.json({ error: `no certs fault "${name}": use one of ${[CERTS_OK, ...CERTS_FAULTS].join(", ")}` }, 400);
    }
    certsFault = name === CERTS_OK ? undefined : (name as CertsFault);
    releaseHung();
    hungReleased = new Promise<void>((resolve) => (releaseHung = resolve));
    return c.json({ certs: certsFault ?? CERTS_OK });
  });

  const showLogin = (request: Request): Response => {
    const redirect = parseRedirect(new URL(request.url).searchParams.get("redirect_url"), request.url);
    if ("error" in redirect) return badRequest(redirect.error);
    return html(loginPage({ identities, redirectUrl: redirect.url }));
  };

  const login = async (request: Request): Promise<Response> => {
    const form = await request.formData().catch(() => new FormData());
    const redirect = parseRedirect(form.get("redirect_url"), request.url);
    if ("error" in redirect) return badRequest(redirect.error);
    const typed = form.get("email");
    const email = typeof typed === "string" ? typed.trim().toLowerCase() : "";
    if (!EMAIL.test(email)) {
      const error = email ? `"${email}" is not a valid email address. Enter one like name@example.com.` : "Enter an email address, like name@example.com.";
      return html(loginPage({ identities, redirectUrl: redirect.url, error, typedEmail: email }), 400);
    }
    const cookie = sessionCookie(authority.mint({ email }), SESSION_SECONDS);
    if (redirect.url) return new Response(null, { status: 302, headers: { location: redirect.url, "set-cookie": cookie } });
    return html(messagePage("Signed in", `You are signed in as ${email}.`), 200, { "set-cookie": cookie });
  };

  // Cloudflare's login URLs carry the application's host as an extra path segment.
  for (const path of [LOGIN_PATH, `${LOGIN_PATH}/*`]) {
    app.get(path, (c) => showLogin(c.req.raw));
    app.post(path, (c) => login(c.req.raw));
  }

  app.on(["GET", "POST"], LOGOUT_PATH, (c) => {
    const redirect = parseRedirect(c.req.query("redirect_url"), c.req.url);
    if ("error" in redirect) return badRequest(redirect.error);
    const cookie = clearedSessionCookie();
    if (redirect.url) return new Response(null, { status: 302, headers: { location: redirect.url, "set-cookie": cookie } });
    return html(messagePage("Signed out", "You have been signed out."), 200, { "set-cookie": cookie });
  });

  app.post(`${ADMIN_PATH}/rotate`, async (c) => c.json(await authority.keys.rotate()));
  app.post(`${ADMIN_PATH}/retire/:kid`, (c) => {
    try {
      authority.keys.retire(c.req.param("kid"));
    } catch (error) {
      return c.json({ error: (error as Error).message }, 400);
    }
    return c.json({ kids: authority.keys.kids });
  });

  const upstream = options.protect;
  if (upstream === undefined) {
    // The moltworker Worker sends unauthenticated browsers to the team domain's root.
    app.get("/", (c) => showLogin(c.req.raw));
    return app;
  }
  app.all("*", async (c) => {
    const decision = await decideAccess(c.req.raw, authority);
    if (!decision.allowed) return decision.response;
    let response: Response;
    try {
      response = await fetch(originRequest(c.req.raw, decision, upstream));
    } catch {
      return new Response(`moltlab access: the protected upstream ${upstream} is unreachable\n`, { status: 502 });
    }
    const headers = new Headers(response.headers);
    for (const name of NOT_RELAYED) headers.delete(name);
    if (decision.setCookie) headers.append("set-cookie", decision.setCookie);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  });
  return app;
}
