import { http, HttpResponse, type HttpHandler } from "msw";
import { checkFaultRule } from "./faults.ts";
import type { LogQuery } from "./request-log.ts";
import { checkScopeId, SCOPE_HEADER } from "./scope.ts";
import type { AiGatewayState } from "./state.ts";
import type { FaultRule, GatewaySettings, Provider, Scenario } from "./types.ts";

/**
 * The control API of the standalone emulator, for other processes and containers. Its prefix
 * cannot clash with gateway routes, which all start with /v1/.
 *
 *   GET  /__moltlab/health     → {ok: true}
 *   GET  /__moltlab/log        → {requests: LoggedRequest[]}   (?provider=&model=&path=)
 *   GET  /__moltlab/settings   → {settings}                     what applies (the scope's over the gateway's)
 *   POST /__moltlab/settings   ← GatewaySettings  merges          → {settings}
 *   POST /__moltlab/scenarios  ← Scenario[] | {scenarios}  replaces the scenarios → {loaded}
 *   POST /__moltlab/faults     ← FaultRule | FaultRule[]   queues faults          → {queued}
 *   POST /__moltlab/reset      → {ok: true}
 *
 * Every route takes a scope, as the `x-moltlab-scope` header or `?scope=`: it then reads or
 * steers that scope only (`GET log?scope=*` reads every entry). Invalid input gets 400 {error: message}.
 */
export const CONTROL_PREFIX = "/__moltlab";

/** The scope a control request names (header or query), validated. */
function scopeOf(request: Request): string | undefined {
  const raw = new URL(request.url).searchParams.get("scope") ?? request.headers.get(SCOPE_HEADER);
  return raw ? checkScopeId(raw.trim(), "scope") : undefined;
}

export function controlHandlers(state: AiGatewayState): HttpHandler[] {
  const at = (path: string) => `*${CONTROL_PREFIX}/${path}`;
  return [
    http.get(at("health"), () => HttpResponse.json({ ok: true })),
    http.get(at("log"), ({ request }) =>
      answer(() => {
        const search = new URL(request.url).searchParams;
        const scope = search.get("scope") ?? request.headers.get(SCOPE_HEADER);
        const query: LogQuery = {};
        if (scope) query.scope = scope === "*" ? scope : checkScopeId(scope, "scope");
        if (search.has("provider")) query.provider = search.get("provider") as Provider;
        if (search.has("model")) query.model = search.get("model")!;
        if (search.has("path")) query.path = search.get("path")!;
        return { requests: state.log.all(query) };
      }),
    ),
    http.get(at("settings"), ({ request }) => answer(() => ({ settings: state.settings(scopeOf(request)) }))),
    http.post(at("settings"), ({ request }) =>
      guarded(request, (body) => {
        const scope = scopeOf(request);
        state.configure(body as GatewaySettings, scope);
        return { settings: state.settings(scope) };
      }),
    ),
    http.post(at("scenarios"), ({ request }) =>
      guarded(request, (body) => {
        const scenarios = (Array.isArray(body) ? body : (body as { scenarios?: unknown })?.scenarios) as Scenario[];
        if (!Array.isArray(scenarios)) throw new Error("expected an array of scenarios or {scenarios: [...]}");
        state.load(scenarios, scopeOf(request));
        return { loaded: scenarios.length };
      }),
    ),
    http.post(at("faults"), ({ request }) =>
      guarded(request, (body) => {
        const scope = scopeOf(request);
        const rules = (Array.isArray(body) ? body : [body]) as FaultRule[];
        // All or nothing: a bad rule anywhere queues none of them.
        for (const [i, rule] of rules.entries()) checkFaultRule(rule, Array.isArray(body) ? `faults[${i}]` : "fault");
        for (const rule of rules) state.inject(rule, scope);
        return { queued: rules.length };
      }),
    ),
    http.post(at("reset"), ({ request }) =>
      answer(() => {
        state.reset(scopeOf(request));
        return { ok: true };
      }),
    ),
  ];
}

/** Runs `apply`; a thrown error is the caller's bad input: 400 {error}. */
function answer(apply: () => Record<string, unknown>): Response {
  try {
    return HttpResponse.json(apply());
  } catch (error) {
    return HttpResponse.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 });
  }
}

async function guarded(request: Request, apply: (body: unknown) => Record<string, unknown>): Promise<Response> {
  const text = await request.text();
  return answer(() => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error("the body must be JSON");
    }
    return apply(body);
  });
}
