/**
 * moltlab's Moltworker-compatible Worker: Cloudflare Access in front, OpenClaw in one
 * container owned by the `Sandbox` Durable Object. Deployable unchanged (wrangler.jsonc);
 * `env.local` runs it against moltlab's local Containers platform.
 */
import { createApp } from "./app.ts";
import { sandboxStub } from "./container/sandbox-stub.ts";
import type { Env } from "./types.ts";

export type { Env } from "./types.ts";
export { Sandbox } from "./container/sandbox.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Cron Triggers (`triggers.crons` in wrangler.jsonc; none by default): OpenClaw's heartbeat and
   * automations run inside the container, so each trigger wakes it (worker/src/container/sandbox.ts
   * wakeForSchedule) and OpenClaw catches up on what came due while it slept.
   */
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(sandboxStub(env).wakeForSchedule(controller.cron));
  },
} satisfies ExportedHandler<Env>;
