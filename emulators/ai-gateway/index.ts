/** The AI Gateway emulator: MSW handlers (in-process) and a standalone HTTP server. See README.md. */
export { aiGatewayHandlers, gatewayBaseUrl, AI_GATEWAY_ORIGIN, DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "./handlers.ts";
export { controlHandlers, CONTROL_PREFIX } from "./control.ts";
export { aiGatewayFetchHandler, startAiGateway, type StartAiGatewayOptions, type StartedAiGateway } from "./server.ts";
export { AiGatewayState, createAiGatewayState, type AiGatewayOptions } from "./state.ts";
export { RequestLog, fingerprint, maskSecret, ALL_SCOPES, type LogQuery } from "./request-log.ts";
export { SCOPE_HEADER } from "./scope.ts";
export { DEFAULT_SEED } from "./scope.ts";
export { FAULT_HEADER } from "./faults.ts";
export { defaultReply } from "./scenarios.ts";
export type {
  Fault,
  FaultRule,
  GatewayErrorName,
  GatewaySettings,
  LoggedRequest,
  Provider,
  RateLimitWindow,
  RateLimitWindows,
  Reply,
  RequestMatch,
  Scenario,
  ToolCall,
} from "./types.ts";
export { CASSETTE_VERSION, CassetteError, readCassette, parseCassette, writeCassette, type Cassette, type Exchange } from "./cassette.ts";
export type { RecordOptions } from "./cassette-record.ts";
export { tapeHandler, type TapeHandler, type TapeMode } from "./cassette-gateway.ts";
export type { ReplayOptions, Timing } from "./cassette-replay.ts";
export { checkCassette, type CheckReport } from "./cassette-check.ts";
