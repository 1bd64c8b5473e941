import { Hono } from "hono";

/** Bindings and secrets; filled in as the Worker grows (see moltworker's contract). */
export type Env = Record<string, never>;

const app = new Hono<{ Bindings: Env }>();

// Static liveness probe: never touches the container, needs no auth (moltworker contract).
app.get("/sandbox-health", (c) => c.json({ status: "ok" }));

export default app;
