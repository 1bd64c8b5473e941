/**
 * Where the stack listens and how OpenClaw's container reaches it.
 *
 * `npm run dev`: on Linux the container uses the host's network (`host`): everything, the
 * Worker → container hop included, stays on 127.0.0.1, and the gateway binds loopback only.
 * Docker Desktop (macOS, Windows) cannot do that; there the container is on the bridge
 * (`bridge`) and reaches the emulators and R2 at host.docker.internal.
 *
 * `bridge` on Linux too (the tests run sandboxes side by side that way: each container has its
 * own ports): host.docker.internal is the bridge's gateway there, and bridge-door.ts forwards it.
 *
 * docker compose: every service listens on all of its container's interfaces, and OpenClaw
 * joins the compose network (`network:<name>`), reaching the services by their names.
 */
import type { NetworkMode } from "../platform/client/types.ts";

/** `npm run dev`'s services: this machine only. */
export const LOOPBACK = "127.0.0.1";
/** The compose services: Docker forwards published ports to their container's interfaces. */
export const ANY_HOST = "0.0.0.0";

export function defaultNetwork(platform: NodeJS.Platform = process.platform): NetworkMode {
  return platform === "linux" ? "host" : "bridge";
}

/** How the container reaches a service on the host's loopback. */
export function containerView(url: string, network: NetworkMode): string {
  if (network === "host") return url;
  const view = new URL(url);
  view.hostname = "host.docker.internal";
  return view.href.replace(/\/$/, "");
}

/** Docker Desktop forwards host.docker.internal to the host's loopback; Linux needs bridge-door.ts. */
export function needsBridgeDoor(network: NetworkMode, platform: NodeJS.Platform = process.platform): boolean {
  return network === "bridge" && platform === "linux";
}
