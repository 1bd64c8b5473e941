/** Shared by the worker tests: tokens, authenticated requests, the Sandbox instance, secrets. */
import { abortAllDurableObjects, createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../src/index.ts";
import { SECRET_NAMES } from "../src/manifest.ts";
import type { Env } from "../src/types.ts";
import { SANDBOX_NAME } from "../src/container/settings.ts";
import type { Sandbox as TestSandbox } from "./entry.ts";

/** The tests' Worker URL. No test env has MOLTLAB_DEV_SERVER, so DEV_MODE never skips Access unless a test sets both. */
export const BASE = "https://moltbot.example.com";

/**
 * Tokens minted by the Access authority behind a team domain (see vitest.worker.config.ts): the
 * Worker's own (CF_ACCESS_TEAM_DOMAIN) unless `team` names another `*.cloudflareaccess.com` host.
 */
export async function accessToken(kind: "valid" | "service" | `broken/${string}` = "valid", team?: string, options: { exp?: number } = {}): Promise<string> {
  const url = new URL(`http://access-tokens.moltlab.test/${kind}`);
  if (team) url.searchParams.set("team", team);
  if (options.exp !== undefined) url.searchParams.set("exp", String(options.exp));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`no token for ${kind}: ${response.status}`);
  return response.text();
}

/** A concrete URL path a Hono route pattern matches (`:id` → `x`, a trailing `*` → `anything`). */
export function pathFor(pattern: string): string {
  return pattern.replace(/:\w+/g, "x").replace(/\*$/, "anything");
}

/** A request through the real Worker entry, as a signed-in user. */
export async function authed(path: string, init: RequestInit = {}, token?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("CF-Access-JWT-Assertion", token ?? (await accessToken()));
  if (!headers.has("accept")) headers.set("accept", "application/json");
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

/** The Worker with a different environment (same Durable Object namespace). */
export function fetchWithEnv(request: Request, overrides: { [K in keyof Env]?: Env[K] | undefined }): Promise<Response> {
  return Promise.resolve(worker.fetch(request, { ...env, ...overrides } as unknown as Env, createExecutionContext()));
}

export function sandboxStub() {
  return env.Sandbox.get(env.Sandbox.idFromName(SANDBOX_NAME));
}

/** Runs `work` inside the Sandbox instance the Worker talks to (creating it if needed). */
export function inSandbox<R>(work: (sandbox: TestSandbox) => R | Promise<R>): Promise<R> {
  return runInDurableObject(sandboxStub(), (instance: TestSandbox) => work(instance));
}

/**
 * A fresh Sandbox per test: empty storage, no alarm, then a new instance (and so a new fake
 * container). `reset()` from cloudflare:test leaves Durable Object storage alone here.
 */
export async function freshSandbox(): Promise<void> {
  await runInDurableObject(sandboxStub(), async (_instance, state) => {
    await state.storage.deleteAlarm();
    await state.storage.deleteAll();
  });
  await abortAllDurableObjects();
}

/** The secret values of the test environment: none may appear in any response. */
export function secretValues(): string[] {
  return SECRET_NAMES.map((name) => (env as unknown as Record<string, unknown>)[name]).filter(
    (value): value is string => typeof value === "string" && value !== "",
  );
}

export function leakedSecrets(text: string): string[] {
  return secretValues().filter((secret) => text.includes(secret));
}
