import { describe, expect, it } from "vitest";
import { limitsFor } from "../../contract/instance-types.ts";
import { dockerName, isContainerName, isNamePrefix } from "./docker-names.ts";
import { createRequest, hostNetworkPorts, namedNetworkPorts, ownerLabel, publishedPorts } from "./run-profile.ts";
import { validateSpec } from "./spec.ts";

describe("the Docker run profile", () => {
  const spec = validateSpec({
    image: "moltlab/openclaw:1-amd64",
    env: { OPENCLAW_GATEWAY_TOKEN: "s3cret" },
    ports: [18789, 9222],
    instanceType: "lite",
    labels: { team: "a" },
  });
  const request = createRequest("moltbot", spec, limitsFor("lite", 2), "host:42") as unknown as {
    _query: Record<string, string>;
    _body: { Env: string[]; Labels: Record<string, string>; ExposedPorts: object; HostConfig: Record<string, unknown> };
  };

  it("keeps env in the request body: the query string carries only the name and platform", () => {
    expect(request._query).toEqual({ name: "moltlab-sandbox-moltbot", platform: "linux/amd64" });
    expect(request._body.Env).toEqual(["OPENCLAW_GATEWAY_TOKEN=s3cret"]);
  });

  it("is unprivileged, deviceless, swapless, sized by the instance type, published on loopback only", () => {
    expect(request._body.HostConfig).toMatchObject({
      Privileged: false,
      CapAdd: [],
      CapDrop: [],
      Devices: [],
      NanoCpus: 62_500_000,
      Memory: 256 * 1024 ** 2,
      MemorySwap: 256 * 1024 ** 2,
      NetworkMode: "bridge",
      RestartPolicy: { Name: "no" },
      Init: false,
      PortBindings: { "18789/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }], "9222/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
    });
    expect(request._body.ExposedPorts).toEqual({ "18789/tcp": {}, "9222/tcp": {} });
  });

  it("labels the container as moltlab's sandbox, with its name and owner, after the caller's labels", () => {
    expect(request._body.Labels).toEqual({
      team: "a",
      "moltlab.managed": "true",
      "moltlab.kind": "sandbox",
      "moltlab.container": "moltbot",
      "moltlab.platform.owner": "host:42",
      "moltlab.instance-type": "lite",
    });
  });

  it("reads host URLs of published ports from an inspect, preferring the loopback binding", () => {
    expect(publishedPorts({ "18789/tcp": [{ HostIp: "127.0.0.1", HostPort: "49153" }], "9222/tcp": null })).toEqual({ "18789": "http://127.0.0.1:49153" });
    expect(publishedPorts(undefined)).toEqual({});
  });

  it("with network host: the host's namespace, nothing published, no host-gateway entry, ports on the host's loopback", () => {
    const hostSpec = validateSpec({ image: "moltlab/openclaw:1-amd64", ports: [18789, 18790], network: "host" });
    const hostRequest = createRequest("moltbot", hostSpec, limitsFor("standard-1", 2), "host:42") as unknown as typeof request;
    expect(hostRequest._body.HostConfig).toMatchObject({ NetworkMode: "host", Privileged: false, Memory: 4 * 1024 ** 3 });
    expect(hostRequest._body.HostConfig).not.toHaveProperty("PortBindings");
    expect(hostRequest._body.HostConfig).not.toHaveProperty("ExtraHosts");
    expect(hostNetworkPorts(hostSpec.ports)).toEqual({ "18789": "http://127.0.0.1:18789", "18790": "http://127.0.0.1:18790" });
  });

  it("rejects an unknown network mode with the accepted ones", () => {
    expect(() => validateSpec({ image: "i", ports: [], network: "none" })).toThrow(/network must be one of bridge, host or network:<name/);
  });

  it("with network:<name>: attached to that network only, nothing published, reached by an alias equal to the platform name", () => {
    const namedSpec = validateSpec({ image: "moltlab/openclaw:1-amd64", ports: [18789, 18790], network: "network:moltlab-sandbox" });
    const namedRequest = createRequest(
      "moltbot",
      namedSpec,
      limitsFor("standard-1", 2),
      { label: "abc123:7", container: "f".repeat(64) },
      "proj-sandbox-",
    ) as unknown as {
      _query: Record<string, string>;
      _body: typeof request._body & { NetworkingConfig: unknown };
    };
    expect(namedRequest._query).toEqual({ name: "proj-sandbox-moltbot", platform: "linux/amd64" });
    expect(namedRequest._body.HostConfig).toMatchObject({
      NetworkMode: "moltlab-sandbox",
      ExtraHosts: ["host.docker.internal:host-gateway"],
      Privileged: false,
    });
    expect(namedRequest._body.HostConfig).not.toHaveProperty("PortBindings");
    expect(namedRequest._body.NetworkingConfig).toEqual({ EndpointsConfig: { "moltlab-sandbox": { Aliases: ["moltbot"] } } });
    expect(namedRequest._body.Labels).toMatchObject({
      "moltlab.platform.owner": "abc123:7",
      "moltlab.platform.container": "f".repeat(64),
      "moltlab.kind": "sandbox",
    });
    expect(namedNetworkPorts("moltbot", namedSpec.ports)).toEqual({ "18789": "http://moltbot:18789", "18790": "http://moltbot:18790" });
  });

  it("accepts network:<name> only for a Docker network name that is not one of the built-in ones", () => {
    for (const network of ["network:moltlab_sandbox", "network:a.b-c", "network:x"])
      expect(validateSpec({ image: "i", ports: [], network }).network).toBe(network);
    for (const network of [
      "network:",
      "network:bridge",
      "network:host",
      "network:none",
      "network:-x",
      "network:a/b",
      "network:a b",
      "Network:x",
      "container:abc",
    ]) {
      expect(() => validateSpec({ image: "i", ports: [], network }), network).toThrow(/network must be one of/);
    }
  });

  it("names containers with a prefix and accepts only Docker-safe names", () => {
    expect(dockerName("moltbot")).toBe("moltlab-sandbox-moltbot");
    expect(dockerName("moltbot", "proj-sandbox-")).toBe("proj-sandbox-moltbot");
    expect(["moltlab-sandbox-", "p_1.", "-p", "", "a/b"].map(isNamePrefix)).toEqual([true, true, false, false, false]);
    expect(["moltbot", "a.b-c_1", "-x", "", "a/b", "x".repeat(64)].map(isContainerName)).toEqual([true, true, false, false, false, false]);
    expect(ownerLabel(7, "box")).toBe("box:7");
  });
});
