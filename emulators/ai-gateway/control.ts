import { http, HttpResponse, type HttpHandler } from "msw";
import type { LogQuery } from "./request-log.ts";
import type { AiGatewayState } from "./state.ts";
import type { FaultRule, Provider, Scenario } from "./types.ts";

/**
 * The control API of the standalone emulator, for other processes and containers. Its prefix
 * cannot clash with gateway routes, which all start with /v1/.
 *
 *   GET  /__moltlab/health     → {ok: true}
 *   GET  /__moltlab/log        → {requests: LoggedRequest[]}   (?provider=&model=&path=)
 *   POST /__moltlab/scenarios  ← Scenario[] | {scenarios}  replaces the scenarios → {loaded}
 *   POST /__moltlab/faults     ← FaultRule | FaultRule[]   queues faults          → {queued}
 *   POST /__moltlab/reset      → {ok: true}
 *
 * Invalid input gets 400 {error: message}.
 */
export const CONTROL_PREFIX = "/__moltlab";

export function controlHandlers(state: AiGatewayState): HttpHandler[] {
  const at = (path: string) => `*${CONTROL_PREFIX}/${path}`;
  return [
    http.get(at("health"), () => HttpResponse.json({ ok: true })),
    http.get(at("log"), ({ request }) => {
      const search = new URL(request.url).searchParams;
      const query: LogQuery = {};
      if (search.has("provider")) query.provider = search.get("provider") as Provider;
      if (search.has("model")) query.model = search.get("model")!;
      if (search.has("path")) query.path = search.get("path")!;
      return HttpResponse.json({ requests: state.log.all(query) });
    }),
    http.post(at("scenarios"), ({ request }) =>
      guarded(request, (body) => {
        const scenarios = (Array.isArray(body) ? body : (body as { scenarios?: unknown })?.scenarios) as Scenario[];
        if (!Array.isArray(scenarios)) throw new Error("expected an array of scenarios or {scenarios: [...]}");
        state.load(scenarios);
        return { loaded: scenarios.length };
      }),
    ),
    http.post(at("faults"), ({ request }) =>
      guarded(request, (body) => {
        const rules = (Array.isArray(body) ? body : [body]) as FaultRule[];
        for (const rule of rules) state.inject(rule);
        return { queued: rules.length };
      }),
    ),
    http.post(at("reset"), () => {
      state.reset();
      return HttpResponse.json({ ok: true });
    }),
  ];
}

async function guarded(request: Request, apply: (body: unknown) => Record<string, unknown>): Promise<Response> {
  try {
    return HttpResponse.json(apply(JSON.parse(await request.text())));
  } catch (error) {
    return HttpResponse.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 });
  }
}
