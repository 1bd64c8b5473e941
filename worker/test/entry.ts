/**
 * The Worker as the tests run it: the real app and the real Sandbox Durable Object, with
 * one difference — its `ctx.container` is a FakeContainer (the pool has no containers), driven
 * through the production CloudflareContainerDriver. Tests reach the instance with
 * runInDurableObject to steer the fake, its clock and its settings.
 */
import { CloudflareContainerDriver } from "../src/container/cloudflare-driver.ts";
import type { ContainerDriver } from "../src/container/driver.ts";
import { Sandbox as RealSandbox } from "../src/container/sandbox.ts";
import type { SandboxSettings } from "../src/container/settings.ts";
import { FakeContainer } from "./fake-container.ts";

export { default } from "../src/index.ts";

export class Sandbox extends RealSandbox {
  readonly fake = new FakeContainer();
  /** Added to the real clock: tests step over sleepAfter without waiting for it. */
  #skewMs = 0;

  constructor(ctx: DurableObjectState, env: ConstructorParameters<typeof RealSandbox>[1]) {
    super(ctx, env);
    // Readiness polls while a test holds /readyz: keep them quick (this is a poll interval, not a wait in a test).
    this.settings.readyPollMs = 5;
  }

  protected override createDriver(): ContainerDriver {
    return new CloudflareContainerDriver(this.fake);
  }

  protected override now(): number {
    return Date.now() + this.#skewMs;
  }

  advanceClock(ms: number): void {
    this.#skewMs += ms;
  }

  configure(settings: Partial<SandboxSettings>): void {
    Object.assign(this.settings, settings);
  }
}
