/**
 * The Docker side of a Cloudflare-like container: how a spec becomes a create request.
 * Pure, so the profile (no privileges, no devices, no swap, loopback-only ports) is
 * unit-tested without an engine and reviewed in one place.
 */
import type Docker from "dockerode";
import { hostname } from "node:os";
import { LABEL_KIND, moltlabLabels } from "../../core/labels.ts";
import { dockerName, NAME_PREFIX } from "./docker-names.ts";
import type { NormalizedSpec } from "./spec.ts";
import { namedNetwork } from "../client/types.ts";
import type { ContainerLimits } from "../../contract/instance-types.ts";

export const LABEL_CONTAINER = "moltlab.container";
/** `<hostname>:<pid>` of the platform process that owns the container (see leftovers.ts). */
export const LABEL_OWNER = "moltlab.platform.owner";
/** The id of the container the owning platform runs in, when it runs in one on the same engine (see leftovers.ts). */
export const LABEL_OWNER_CONTAINER = "moltlab.platform.container";
export const LABEL_INSTANCE_TYPE = "moltlab.instance-type";
export const SANDBOX_KIND = "sandbox";

/** Who owns a container: the platform process and, when it runs in one, its container. */
export interface Owner {
  /** `<hostname>:<pid>`. */
  label: string;
  container?: string;
}

export function ownerLabel(pid: number = process.pid, host: string = hostname()): string {
  return `${host}:${pid}`;
}

export function platformLabels(name: string, spec: NormalizedSpec, owner: string | Owner): Record<string, string> {
  const { label, container } = typeof owner === "string" ? { label: owner, container: undefined } : owner;
  return {
    ...spec.labels,
    ...moltlabLabels(SANDBOX_KIND, {
      [LABEL_CONTAINER]: name,
      [LABEL_OWNER]: label,
      ...(container ? { [LABEL_OWNER_CONTAINER]: container } : {}),
      [LABEL_INSTANCE_TYPE]: spec.instanceType,
    }),
  };
}

/** Docker's list filter for every container a platform (any platform) started. */
export function platformFilter(extra: string[] = []): { label: string[] } {
  return { label: [`${LABEL_KIND}=${SANDBOX_KIND}`, LABEL_CONTAINER, ...extra] };
}

/**
 * The create request. `_query` carries only the name and platform: docker-modem would
 * otherwise copy the whole body, Env included, into the URL's query string.
 */
export function createRequest(
  name: string,
  spec: NormalizedSpec,
  limits: ContainerLimits,
  owner: string | Owner,
  namePrefix: string = NAME_PREFIX,
): Docker.ContainerCreateOptions {
  const portKeys = spec.ports.map((port) => `${port}/tcp`);
  const attachedTo = namedNetwork(spec.network);
  // Lets a sandbox reach emulators started with --host 0.0.0.0 (see the root README).
  const hostGateway = ["host.docker.internal:host-gateway"];
  // Host networking shares the host's ports: nothing to publish, and no bridge gateway for host-gateway.
  // A named network: nothing published either; its other containers reach the ports by the alias.
  const network =
    spec.network === "host"
      ? { NetworkMode: "host" }
      : attachedTo
        ? { NetworkMode: attachedTo, ExtraHosts: hostGateway }
        : {
            NetworkMode: "bridge",
            PortBindings: Object.fromEntries(portKeys.map((key) => [key, [{ HostIp: "127.0.0.1", HostPort: "" }]])),
            ExtraHosts: hostGateway,
          };
  // The alias is the platform name, not the Docker name: it is DNS-sized (≤ 63) and only has to
  // be unique on that network, while the Docker name carries the platform's prefix.
  const networking = attachedTo ? { NetworkingConfig: { EndpointsConfig: { [attachedTo]: { Aliases: [name] } } } } : {};
  const body = {
    Image: spec.image,
    // Through the API body only: nothing on a command line, nothing in a URL.
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    Labels: platformLabels(name, spec, owner),
    ExposedPorts: Object.fromEntries(portKeys.map((key) => [key, {}])),
    ...networking,
    HostConfig: {
      // Cloudflare runs unprivileged containers with the default capability set and no devices.
      Privileged: false,
      CapAdd: [],
      CapDrop: [],
      Devices: [],
      NanoCpus: limits.nanoCpus,
      Memory: limits.memoryBytes,
      // Equal to Memory: no swap, so exceeding the instance type's memory is an OOM kill, as there.
      MemorySwap: limits.memorySwapBytes,
      PidsLimit: limits.pidsLimit,
      ...network,
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
      Init: false,
    },
  };
  return { _query: { name: dockerName(name, namePrefix), platform: spec.platform }, _body: body } as unknown as Docker.ContainerCreateOptions;
}

/** Inspect's `NetworkSettings.Ports`: container port → its bindings on the host. */
export type InspectPorts = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** Where each port of a started container is reached, by its network mode. */
export function portUrls(name: string, spec: NormalizedSpec, inspected: InspectPorts | undefined): Record<string, string> {
  if (spec.network === "host") return hostNetworkPorts(spec.ports);
  if (namedNetwork(spec.network)) return namedNetworkPorts(name, spec.ports);
  return publishedPorts(inspected);
}

/** Host networking: each container port is the same port on the host's loopback. */
export function hostNetworkPorts(ports: readonly number[]): Record<string, string> {
  return Object.fromEntries(ports.map((port) => [String(port), `http://127.0.0.1:${port}`]));
}

/** A named network: each container port at the container's alias there, for the network's other containers. */
export function namedNetworkPorts(alias: string, ports: readonly number[]): Record<string, string> {
  return Object.fromEntries(ports.map((port) => [String(port), `http://${alias}:${port}`]));
}

/** Container port → host URL, from `NetworkSettings.Ports` of an inspect. */
export function publishedPorts(ports: InspectPorts | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const binding = bindings?.find((item) => item.HostIp === "127.0.0.1") ?? bindings?.[0];
    if (binding?.HostPort) out[key.split("/")[0]!] = `http://127.0.0.1:${binding.HostPort}`;
  }
  return out;
}
