import { getResponse, HttpResponse, type HttpHandler } from "msw";
import { normalizeRequest, providerOfPath, readCassette } from "./cassette.ts";
import { CASSETTE_ERROR_CODE, CassetteWriter, forward, rejection, upstreamOrigin, type RecordOptions } from "./cassette-record.ts";
import { aiGatewayError } from "./gateway-errors.ts";
import { CassettePlayer, playResponse, type ReplayOptions } from "./cassette-replay.ts";
import { controlHandlers } from "./control.ts";
import { beginCall, checkGatewayAuth, reject } from "./gateway.ts";
import { aiGatewayHandlers } from "./handlers.ts";
import type { AiGatewayState } from "./state.ts";

/**
 * The gateway in record or replay mode: the same URLs and control API as the emulator, but model
 * routes are forwarded upstream and taped (record) or answered from the tape (replay). Paths that
 * are no model route get the emulator's own answers (the provider's 404, "Invalid provider").
 * Replay never reaches the network unless `recordOnMiss` asks it to.
 */

/** `/v1/{account}/{gateway}/{provider path}` */
const GATEWAY_PATH = /^\/v1\/([^/]+)\/([^/]+)\/(.+)$/;

export type TapeMode = { record: RecordOptions } | { replay: ReplayOptions };

export interface TapeHandler {
  handle(request: Request): Promise<Response>;
  /** Resolves when every recorded exchange is on disk. */
  flushed(): Promise<void>;
  /** Replay: back to the first recording of each request. */
  rewind(): void;
}

export async function tapeHandler(state: AiGatewayState, mode: TapeMode): Promise<TapeHandler> {
  const emulator: HttpHandler[] = [...controlHandlers(state), ...aiGatewayHandlers(state)];
  const file = "record" in mode ? mode.record.to : mode.replay.file;
  const upstream = "record" in mode ? mode.record.upstream : mode.replay.upstream;
  const recording = "record" in mode || mode.replay.recordOnMiss === true;
  if ("replay" in mode && mode.replay.recordOnMiss && !mode.replay.upstream) {
    throw new Error("recordOnMiss needs an upstream to record from; give --upstream <url> (or `upstream` in the options)");
  }
  const origin = recording ? upstreamOrigin(upstream) : undefined;
  const writer = recording ? await CassetteWriter.open(file) : undefined;
  // Replay and record-on-miss share one list of exchanges: what record-on-miss adds is answered from then on.
  const player = "replay" in mode ? new CassettePlayer(writer?.cassette ?? (await readCassette(file)), mode.replay) : undefined;

  async function handle(request: Request): Promise<Response> {
    const match = GATEWAY_PATH.exec(new URL(request.url).pathname);
    const path = match ? decodeURIComponent(match[3]!) : "";
    const provider = providerOfPath(path);
    if (!match || !provider || request.method !== "POST") return (await getResponse(emulator, request)) ?? notFound();
    const call = await beginCall(state, request, { account: match[1]!, gateway: match[2]! }, provider);
    const refused = checkGatewayAuth(state, request);
    if (refused) return reject(call, refused);
    let body: unknown;
    try {
      body = JSON.parse(call.raw);
    } catch {
      body = undefined;
    }
    const normalized = normalizeRequest(path, body, request.headers, { account: match[1]!, gateway: match[2]! });
    if (normalized) Object.assign(call.entry, { model: normalized.model, stream: normalized.stream });
    const answer = async (): Promise<Response> => {
      if (player && normalized) {
        const found = player.find(normalized);
        if ("response" in found) {
          call.entry.scenario = `cassette exchange ${found.index}`;
          return playResponse(found.response, call.headers, player.options, AbortSignal.any([request.signal, state.signal]));
        }
        if (!writer) return rejection(found.miss);
      }
      if (!origin || !writer) {
        return rejection(
          aiGatewayError(
            400,
            CASSETTE_ERROR_CODE,
            `moltlab cassette ${file}: the request body is not a JSON object, so no recording can match it; send the JSON body the provider expects`,
          ),
        );
      }
      return forward(request, call.raw, origin, normalized, writer);
    };
    const response = await answer();
    call.entry.status = response.status;
    return response;
  }

  return {
    handle,
    flushed: () => writer?.flushed() ?? Promise.resolve(),
    rewind: () => player?.rewind(),
  };
}

function notFound(): Response {
  return HttpResponse.json({ success: false, errors: [{ code: 7000, message: "No route for that URI" }], messages: [], result: null }, { status: 404 });
}
