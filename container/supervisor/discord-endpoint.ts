/**
 * DISCORD_API_URL (another Discord: moltlab's emulator) as OpenClaw's Discord plugin accepts it.
 * The plugin (extensions/discord/src/endpoint-runtime.ts, `parseHttpAnchor`) takes HTTPS, or plain
 * HTTP only on a loopback host, and a Gateway only on the same origin. A container on Docker's
 * bridge reaches the emulator at host.docker.internal:PORT, plain HTTP and not loopback: the
 * plugin refuses it ("must use HTTPS or loopback HTTP"). So the supervisor listens on
 * 127.0.0.1:PORT inside the container — the same port, because the emulator's GET /gateway/bot
 * answers ws://127.0.0.1:PORT, which must be the gateway's origin — and pipes each connection,
 * WebSocket upgrades included (plain TCP), to the emulator; the gateway gets the loopback URL.
 * On the host's network the URL is loopback already and is passed as it is. Real Discord (no
 * DISCORD_API_URL, or https) never goes through here.
 */
import { createConnection, createServer, type Server } from "node:net";
import type { Logger } from "./log.ts";

export const DISCORD_API_URL = "DISCORD_API_URL";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** What the gateway gets for DISCORD_API_URL: as it is, or through a loopback forwarder to `target`. */
export type DiscordEndpoint = { url: string; forward?: undefined } | { url: string; forward: { host: string; port: number } };

export function discordEndpoint(value: string | undefined): DiscordEndpoint | null {
  const text = value?.trim();
  if (!text) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text }; // the plugin names the problem in its own log
  }
  if (url.protocol !== "http:" || LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.")) return { url: text };
  const port = Number(url.port || 80);
  const local = new URL(text);
  local.hostname = "127.0.0.1";
  return { url: local.href.replace(/\/$/, ""), forward: { host: url.hostname, port } };
}

/** Listens on 127.0.0.1:`port` and pipes every connection to `host`:`port`. */
export async function startLoopbackForwarder(target: { host: string; port: number }, log: Logger): Promise<Server> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    client.pipe(upstream).pipe(client);
    const end = (error?: Error) => {
      if (error) log.debug("discord", `forwarded connection ended: ${error.message}`);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(target.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  return server;
}
