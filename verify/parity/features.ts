/**
 * The features a person uses today, read from their openclaw.json: chat channels, MCP servers,
 * plugins, scheduled work (heartbeat, automations), webhook triggers and the browser tool.
 * Pure: the parity item (verify/items/parity.ts) judges each against the kit's stack, together
 * with the tools of their image from the tools matrix.
 */
import { isObject } from "../../container/supervisor/config.ts";

export type FeatureKind = "channel" | "mcp-server" | "plugin" | "schedule" | "webhook-trigger" | "browser" | "tool";

export interface Feature {
  kind: FeatureKind;
  /** The key or name that identifies it: the channel's, the server's, the tool's. */
  name: string;
  /** Where it was read (`channels.telegram`, `mcp.servers.grafana`, the image's tools). */
  from: string;
  /** What the entry says, in a few words (the server's command or URL, a heartbeat's period). */
  detail: string;
}

type Json = Record<string, unknown>;

const enabled = (value: unknown) => !(isObject(value) && value.enabled === false);
const entries = (value: unknown): [string, unknown][] => (isObject(value) ? Object.entries(value) : []);

function mcpDetail(server: unknown): string {
  if (!isObject(server)) return "";
  if (typeof server.command === "string") return `stdio: ${[server.command, ...(Array.isArray(server.args) ? server.args : [])].join(" ")}`;
  if (typeof server.url === "string") return `remote: ${server.url}`;
  return "";
}

export function featuresOfConfig(config: Json): Feature[] {
  const features: Feature[] = [];
  for (const [name, channel] of entries(config.channels)) {
    if (isObject(channel) && enabled(channel)) {
      const policy =
        typeof channel.dmPolicy === "string" ? channel.dmPolicy : isObject(channel.dm) && typeof channel.dm.policy === "string" ? channel.dm.policy : "";
      features.push({ kind: "channel", name, from: `channels.${name}`, detail: policy ? `DM policy ${policy}` : "" });
    }
  }
  for (const [name, server] of entries(isObject(config.mcp) ? config.mcp.servers : undefined)) {
    if (enabled(server)) features.push({ kind: "mcp-server", name, from: `mcp.servers.${name}`, detail: mcpDetail(server) });
  }
  for (const [name, plugin] of entries(isObject(config.plugins) ? config.plugins.entries : undefined)) {
    if (enabled(plugin)) features.push({ kind: "plugin", name, from: `plugins.entries.${name}`, detail: "" });
  }
  const heartbeat = isObject(config.agents) && isObject(config.agents.defaults) ? config.agents.defaults.heartbeat : undefined;
  if (isObject(heartbeat) && typeof heartbeat.every === "string" && heartbeat.every !== "0m") {
    features.push({ kind: "schedule", name: "heartbeat", from: "agents.defaults.heartbeat", detail: `every ${heartbeat.every}` });
  }
  if (isObject(config.cron) && config.cron.enabled === true) {
    features.push({ kind: "schedule", name: "automations", from: "cron", detail: "jobs from `openclaw automations` (kept in the state, restored from R2)" });
  }
  if (isObject(config.hooks) && enabled(config.hooks)) {
    features.push({ kind: "webhook-trigger", name: "hooks", from: "hooks", detail: "jobs an HTTP call starts" });
  }
  const browser = config.browser;
  if (isObject(browser) && enabled(browser)) features.push({ kind: "browser", name: "browser", from: "browser", detail: "the agent's browser tool" });
  return features;
}
