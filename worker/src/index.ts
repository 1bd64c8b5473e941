/**
 * moltlab's Moltworker-compatible Worker: Cloudflare Access in front, OpenClaw in one
 * container owned by the `Sandbox` Durable Object. Deployable unchanged (wrangler.jsonc);
 * `env.local` runs it against moltlab's local Containers platform.
 */
import { createApp } from "./app.ts";

export type { Env } from "./types.ts";
export { Sandbox } from "./container/sandbox.ts";

export default createApp();
