import { describe, expect, it } from "vitest";
import { CloudflareContainerDriver } from "../src/container/cloudflare-driver.ts";
import { FakeContainer } from "./fake-container.ts";

describe("CloudflareContainerDriver over a fake ctx.container", () => {
  it("starts with env only, refuses a second start, and reaches ports by number", async () => {
    const fake = new FakeContainer();
    const driver = new CloudflareContainerDriver(fake);
    await driver.start({ env: { OPENCLAW_GATEWAY_TOKEN: "t" } });
    expect(fake.startOptions[0]).toEqual({ env: { OPENCLAW_GATEWAY_TOKEN: "t" }, entrypoint: undefined, enableInternet: true });
    await expect(driver.start({ env: {} })).rejects.toThrow("already running");
    expect(await driver.state()).toEqual({ status: "running" });
    expect((await driver.port(18789).fetch(new Request("http://ignored/readyz"))).status).toBe(200);
    await expect(driver.port(9999).fetch(new Request("http://ignored/"))).rejects.toThrow("ECONNREFUSED");
  });

  it("reports an exit seen through monitor(), with its code, to state() and to listeners", async () => {
    const fake = new FakeContainer();
    const driver = new CloudflareContainerDriver(fake);
    const exits: (number | null)[] = [];
    driver.onExit((exit) => exits.push(exit.code));
    expect(await driver.state()).toEqual({ status: "stopped" });
    await driver.start({ env: {} });
    fake.crash(42);
    expect(await driver.state()).toMatchObject({ status: "exited", exit: { code: 42 } });
    expect(exits).toEqual([42]);
    // A new run starts clean.
    await driver.start({ env: {} });
    expect(await driver.state()).toEqual({ status: "running" });
  });

  it("stops with SIGTERM when that suffices, and adds SIGKILL when it does not", async () => {
    const polite = new FakeContainer();
    const first = new CloudflareContainerDriver(polite);
    await first.start({ env: {} });
    expect(await first.stop({ timeoutMs: 60_000 })).toEqual({ graceful: true, exit: expect.objectContaining({ code: 0 }) });
    expect(polite.signals).toEqual([15]);

    const stubborn = new FakeContainer();
    stubborn.ignoreSigterm = true;
    const second = new CloudflareContainerDriver(stubborn);
    await second.start({ env: {} });
    expect(await second.stop({ timeoutMs: 0 })).toEqual({ graceful: false, exit: expect.objectContaining({ code: 137 }) });
    expect(stubborn.signals).toEqual([15, 9]);
  });

  it("treats stopping a container that is not running as done", async () => {
    const driver = new CloudflareContainerDriver(new FakeContainer());
    expect(await driver.stop({ timeoutMs: 0 })).toEqual({ graceful: true, exit: null });
  });
});
