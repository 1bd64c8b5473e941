import { getResponse, HttpResponse } from "msw";
import { serveFetch, type ServeOptions, type StartedServer } from "../../core/serve.ts";
import { CONTROL_PREFIX, controlHandlers } from "./control.ts";
import { aiGatewayHandlers, gatewayBaseUrl } from "./handlers.ts";
import { tapeHandler, type TapeMode } from "./cassette-gateway.ts";
import type { RecordOptions } from "./cassette-record.ts";
import type { ReplayOptions } from "./cassette-replay.ts";
import type { RequestLog } from "./request-log.ts";
import { AiGatewayState, type AiGatewayOptions } from "./state.ts";
import type { FaultRule, GatewaySettings, Provider, Scenario } from "./types.ts";

export interface StartAiGatewayOptions extends ServeOptions, AiGatewayOptions {
  /** Record mode: forward every model request to `upstream` (default the real AI Gateway) and tape it into `to`. */
  record?: RecordOptions;
  /** Replay mode: answer model requests from this cassette (a file, or the file with replay options), offline. */
  cassette?: string | ReplayOptions;
}

/** A running AI Gateway emulator on real HTTP. */
export interface StartedAiGateway extends StartedServer {
  readonly state: AiGatewayState;
  /** Base of the control API, e.g. http://127.0.0.1:PORT/__moltlab */
  readonly controlUrl: string;
  /** What a client is configured with, e.g. http://127.0.0.1:PORT/v1/moltlab-account/moltlab-gateway/anthropic */
  baseUrl(provider: Provider, account?: string, gateway?: string): string;
  readonly log: RequestLog;
  /** Record (and record-on-miss): resolves when every exchange taped so far is written. Otherwise resolves at once. */
  flushed(): Promise<void>;
  /** Each takes an optional scope id (see scope.ts); without one it acts on the gateway itself. */
  load(scenarios: Scenario[], scope?: string): void;
  inject(fault: FaultRule, scope?: string): void;
  configure(settings: GatewaySettings, scope?: string): void;
  reset(scope?: string): void;
}

/** Outside /v1/… and /__moltlab/…: Cloudflare's API-style 404. */
function noRoute(): Response {
  return HttpResponse.json({ success: false, errors: [{ code: 7000, message: "No route for that URI" }], messages: [], result: null }, { status: 404 });
}

/**
 * The whole emulator — control API, gateway routes, Cloudflare's 404 — as one fetch
 * handler: what the HTTP server runs, and what Miniflare's `outboundService` can
 * answer a Worker's outbound fetches with, no port involved.
 */
export function aiGatewayFetchHandler(state: AiGatewayState): (request: Request) => Promise<Response> {
  const handlers = [...controlHandlers(state), ...aiGatewayHandlers(state)];
  return async (request) => (await getResponse(handlers, request)) ?? noRoute();
}

export async function startAiGateway(options: StartAiGatewayOptions = {}): Promise<StartedAiGateway> {
  const { host, port, record, cassette, ...gatewayOptions } = options;
  if (record && cassette)
    throw new Error(
      "startAiGateway takes record or cassette, not both; to extend a cassette while replaying it use cassette: {file, recordOnMiss: true, upstream}",
    );
  const state = new AiGatewayState(gatewayOptions);
  const mode: TapeMode | undefined = record ? { record } : cassette ? { replay: typeof cassette === "string" ? { file: cassette } : cassette } : undefined;
  const tape = mode ? await tapeHandler(state, mode) : undefined;
  const server = await serveFetch(tape ? tape.handle : aiGatewayFetchHandler(state), {
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    requestsServed: server.requestsServed,
    state,
    controlUrl: `${server.url}${CONTROL_PREFIX}`,
    log: state.log,
    baseUrl: (provider, account, gateway) => gatewayBaseUrl(server.url, provider, account, gateway),
    load: (scenarios, scope) => state.load(scenarios, scope),
    inject: (fault, scope) => state.inject(fault, scope),
    configure: (settings, scope) => state.configure(settings, scope),
    reset: (scope) => {
      state.reset(scope);
      if (scope === undefined) tape?.rewind();
    },
    flushed: () => tape?.flushed() ?? Promise.resolve(),
    stop: async () => {
      state.close();
      await server.stop();
      await tape?.flushed();
    },
  };
}
