import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { openBridgeDoor } from "./bridge-door.ts";
import { needsBridgeDoor } from "./network.ts";

// 127.0.0.2 stands in for the bridge's gateway: another address of this machine, on which the
// loopback service's port is free.
const GATEWAY = "127.0.0.2";
const servers: Server[] = [];

async function loopbackService(reply: string): Promise<number> {
  const server = createServer((request, response) => response.end(`${reply} for ${request.headers.host}`));
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as { port: number }).port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("the bridge door", () => {
  it("is needed on Linux's bridge only", () => {
    expect(needsBridgeDoor("bridge", "linux")).toBe(true);
    expect(needsBridgeDoor("host", "linux")).toBe(false);
    expect(needsBridgeDoor("bridge", "darwin")).toBe(false);
  });

  it("passes connections on the gateway to the loopback service on the same port, Host untouched, until closed", async () => {
    const port = await loopbackService("hello");
    const door = await openBridgeDoor([port], GATEWAY);
    expect(door.addresses).toEqual([`${GATEWAY}:${port}`]);
    expect(await (await fetch(`http://${GATEWAY}:${port}/`)).text()).toBe(`hello for ${GATEWAY}:${port}`);
    await door.close();
    await expect(fetch(`http://${GATEWAY}:${port}/`)).rejects.toThrow();
  });

  it("fails naming the port and the fix when a port is taken there, leaving none of its ports open", async () => {
    const free = await loopbackService("free");
    const taken = await loopbackService("taken");
    const squatter = createServer();
    servers.push(squatter);
    squatter.listen(taken, GATEWAY);
    await once(squatter, "listening");
    const opening = openBridgeDoor([free, taken], GATEWAY);
    await expect(opening).rejects.toThrow(`could not open ${GATEWAY}:${free}, ${taken}`);
    await expect(opening).rejects.toMatchObject({ fix: expect.stringContaining("network host") });
    await expect(fetch(`http://${GATEWAY}:${free}/`)).rejects.toThrow();
  });
});
