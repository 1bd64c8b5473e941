/**
 * The sandbox on Docker's bridge network, on Linux. There a container reaches the host at
 * host.docker.internal, which `host-gateway` resolves to the default bridge's gateway address
 * (docker0, 172.17.0.1 as a rule); the stack's services listen on 127.0.0.1 only, which no
 * container can reach. Docker Desktop forwards host.docker.internal to the host's loopback by
 * itself; on Linux this door does it: one TCP forwarder per service the container needs, on the
 * gateway address and the service's own port (so containerView's URLs hold), piping each
 * connection to the loopback service.
 *
 * It opens those services to every container on the default bridge, as host networking opens
 * them to every process on the machine; it is closed when the sandbox stops.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { docker } from "../core/docker.ts";
import { tryRun } from "../core/exec.ts";
import { UserError } from "../core/errors.ts";

export interface OpenDoor {
  /** Where containers connect: `<gateway>:<port>` per forwarded service. */
  readonly addresses: string[];
  close(): Promise<void>;
}

/**
 * The default bridge's gateway address: what `host-gateway` stands for in a container's /etc/hosts.
 * Docker names it in the network's IPAM config, except when dockerd found its bridge interface
 * already addressed at start (docker.io 20.10 after a restart): then the config holds the subnet
 * only, and the gateway is the address of the bridge interface itself (docker0 as a rule).
 */
export async function bridgeGateway(): Promise<string> {
  const { stdout } = await docker([
    "network",
    "inspect",
    "bridge",
    "--format",
    '{{range .IPAM.Config}}{{.Gateway}} {{end}}|{{index .Options "com.docker.network.bridge.name"}}',
  ]);
  const [gateways = "", bridgeName = ""] = stdout.trim().split("|");
  const gateway = gateways.split(/\s+/).find(isIPv4) ?? (await interfaceAddress(bridgeName.trim() || "docker0"));
  if (!gateway) {
    throw new UserError(
      `Docker's default bridge network names no IPv4 gateway, and its interface ${bridgeName.trim() || "docker0"} has no IPv4 address (\`docker network inspect bridge\` gave "${stdout.trim()}")`,
      "start dockerd with its default bridge (no `--bridge=none`), or run the sandbox with network host",
    );
  }
  return gateway;
}

const isIPv4 = (address: string) => /^\d+\.\d+\.\d+\.\d+$/.test(address);

/**
 * The IPv4 address of a network interface. Not os.networkInterfaces(): libuv leaves out interfaces
 * that are down, and docker0 is down while no container is attached to it.
 */
async function interfaceAddress(name: string): Promise<string | undefined> {
  const { code, stdout } = await tryRun("ip", ["-4", "-o", "addr", "show", "dev", name]);
  if (code !== 0) return undefined;
  return /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(stdout)?.[1];
}

function forward(client: Socket, port: number): void {
  const upstream = connect({ host: "127.0.0.1", port });
  client.pipe(upstream).pipe(client);
  // Either side going away ends the other: no half-open pairs left behind.
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end).on("close", end);
  upstream.on("error", end).on("close", end);
}

/** Opens the door for each loopback port on `gateway`; on a failure nothing stays open. */
export async function openBridgeDoor(ports: readonly number[], gateway: string): Promise<OpenDoor> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  };
  try {
    for (const port of ports) {
      const server = createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        forward(client, port);
      });
      servers.push(server);
      server.listen(port, gateway);
      await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error))]);
    }
  } catch (error) {
    await close();
    throw new UserError(
      `could not open ${gateway}:${ports.join(", ")} for the sandbox's container (${(error as Error).message})`,
      "free that port on the bridge's address, or run the sandbox with network host",
    );
  }
  return { addresses: ports.map((port) => `${gateway}:${port}`), close };
}
