/**
 * The platform's HTTP API, what a Worker's Durable Object drives (through HttpPlatformContainer).
 * Every error is `{ error: { code, message } }`, the message ending with the fix.
 */
import { timingSafeEqual } from "node:crypto";
import { on } from "node:events";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { PlatformError } from "../client/errors.ts";
import { toPlatformError } from "./docker-errors.ts";
import type { LocalContainers } from "./local-containers.ts";
import { validateSignal } from "./spec.ts";
import type { LifecycleEvent } from "../client/types.ts";

export interface ApiOptions {
  /** When set, every route but /v1/health needs `Authorization: Bearer <token>`. */
  token?: string;
}

export function createContainersApp(containers: LocalContainers, options: ApiOptions = {}): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    const failure = toPlatformError(error);
    return c.json(failure.toBody(), failure.status as 400);
  });
  app.notFound((c) =>
    c.json(new PlatformError("not_found", `no route ${c.req.method} ${c.req.path}; the API is under /v1/containers/:name and /v1/health`).toBody(), 404),
  );

  app.get("/v1/health", async (c) => {
    try {
      const version = await containers.docker.version();
      return c.json({ ok: true, engine: { version: version.Version, apiVersion: version.ApiVersion }, containers: containers.names().length });
    } catch (error) {
      const failure = toPlatformError(error);
      return c.json({ ok: false, ...failure.toBody() }, 503);
    }
  });

  app.use("/v1/containers/*", async (c, next) => {
    if (options.token && !bearerMatches(c.req.header("authorization"), options.token)) {
      throw new PlatformError("unauthorized", "missing or wrong bearer token; send `Authorization: Bearer $MOLTLAB_PLATFORM_TOKEN`");
    }
    await next();
  });

  app.put("/v1/containers/:name", async (c) => {
    const { promise, created } = containers.begin(c.req.param("name"), await jsonBody(c));
    try {
      return c.json(await promise, created ? 201 : 200);
    } catch (error) {
      // The container may exist despite the failure (a port timeout, an exit): say where it is.
      const failure = toPlatformError(error);
      return c.json({ ...failure.toBody(), state: containers.state(c.req.param("name")) }, failure.status as 400);
    }
  });

  app.get("/v1/containers/:name", (c) => c.json(containers.state(c.req.param("name"))));

  app.post("/v1/containers/:name/signal", async (c) => {
    const body = (await jsonBody(c)) as { signal?: unknown };
    return c.json(await containers.signal(c.req.param("name"), validateSignal(body?.signal)));
  });

  app.post("/v1/containers/:name/stop", async (c) => c.json(await containers.stop(c.req.param("name"), (await jsonBody(c, {})) as object)));

  app.delete("/v1/containers/:name", async (c) => c.json(await containers.destroy(c.req.param("name"))));

  // History first (so a client that connects late still sees the start), then live events.
  app.get("/v1/containers/:name/events", (c) => {
    const name = c.req.param("name");
    const since = Number(c.req.query("since") ?? c.req.header("last-event-id") ?? 0) || 0;
    return streamSSE(c, async (stream) => {
      const closed = new AbortController();
      stream.onAbort(() => closed.abort());
      c.req.raw.signal.addEventListener("abort", () => closed.abort());
      // Subscribe before reading the history; the seq numbers drop what both would deliver.
      const live = on(containers.events, "event", { signal: closed.signal });
      let last = since;
      const send = async (event: LifecycleEvent) => {
        last = event.seq;
        await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
      };
      for (const event of containers.historyOf(name, since)) await send(event);
      try {
        for await (const [event] of live as AsyncIterable<[LifecycleEvent]>) {
          if (event.name === name && event.seq > last) await send(event);
        }
      } catch (error) {
        if (!closed.signal.aborted) throw error;
      }
    });
  });

  return app;
}

async function jsonBody(c: Context, empty?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "" && empty !== undefined) return empty;
  try {
    return JSON.parse(text);
  } catch {
    throw new PlatformError("invalid_spec", "the request body is not JSON; send a JSON object with content-type application/json");
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
