/**
 * Web services of the user's own beside OpenClaw in the container (a board, a dashboard), each
 * reached through the Worker on a hostname of its own, behind Access like the gateway. One
 * setting names them all — SANDBOX_WEB_SERVICES="board.example.com=8080,grafana.example.com=3000"
 * — and from it the Worker routes by hostname and the container's ports are opened. Locally any
 * `<name>.localhost` works: browsers resolve it to the loopback.
 */
import { GATEWAY_PORT, CONTROL_PORT } from "./ports.ts";
import { TELEGRAM_WEBHOOK_PORT } from "./telegram.ts";

export const WEB_SERVICES_VAR = "SANDBOX_WEB_SERVICES";

export interface WebService {
  /** The hostname requests arrive on (lower case, no port). */
  host: string;
  /** Where the service listens in the container. */
  port: number;
}

/** Ports the kit's own parts take in the container. */
const TAKEN: Record<number, string> = {
  [GATEWAY_PORT]: "OpenClaw's gateway",
  [CONTROL_PORT]: "the supervisor's control API",
  [TELEGRAM_WEBHOOK_PORT]: "OpenClaw's Telegram webhook listener",
};
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const EXAMPLE = `${WEB_SERVICES_VAR}="board.example.com=8080"`;

/** A setting that cannot be read, with what to write instead. */
export class WebServicesError extends Error {
  readonly fix: string;

  constructor(message: string, fix: string) {
    super(message);
    this.name = "WebServicesError";
    this.fix = fix;
  }
}

/** Reads SANDBOX_WEB_SERVICES ("host=port" pairs, comma-separated); unset or empty is none. */
export function parseWebServices(value: string | undefined): WebService[] {
  const services: WebService[] = [];
  for (const entry of (value ?? "").split(",").map((part) => part.trim())) {
    if (!entry) continue;
    const [rawHost = "", rawPort = "", ...rest] = entry.split("=").map((part) => part.trim());
    const host = rawHost.toLowerCase();
    if (rest.length || !HOSTNAME.test(host) || !/^\d{1,5}$/.test(rawPort)) {
      throw new WebServicesError(`${WEB_SERVICES_VAR}: "${entry}" is not hostname=port`, `write each service as hostname=port, e.g. ${EXAMPLE}`);
    }
    const port = Number(rawPort);
    if (port < 1 || port > 65535) throw new WebServicesError(`${WEB_SERVICES_VAR}: port ${port} of ${host} is out of range`, "use a port from 1 to 65535");
    if (TAKEN[port]) throw new WebServicesError(`${WEB_SERVICES_VAR}: port ${port} of ${host} is ${TAKEN[port]}'s`, "move your service to another port");
    if (services.some((service) => service.host === host)) {
      throw new WebServicesError(`${WEB_SERVICES_VAR}: ${host} is named twice`, "give each hostname one port");
    }
    services.push({ host, port });
  }
  return services;
}

/** The service a request's hostname belongs to, if any. */
export function webServiceFor(services: readonly WebService[], hostname: string): WebService | undefined {
  const host = hostname.toLowerCase();
  return services.find((service) => service.host === host);
}

/** The container ports SANDBOX_WEB_SERVICES opens; none while it cannot be read (the Worker reports that). */
export function webServicePorts(value: string | undefined): number[] {
  try {
    return parseWebServices(value).map((service) => service.port);
  } catch (error) {
    if (error instanceof WebServicesError) return [];
    throw error;
  }
}
