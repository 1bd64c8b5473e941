/**
 * manifest.ts's ROUTES is what other code (verify) knows of the Worker's routes: it must be
 * exactly what app.ts registers, and its `auth` must be what a request without a token meets.
 */
import { inspectRoutes } from "hono/dev";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { ROUTES, type WorkerRoute } from "../src/manifest.ts";
import { BASE, fetchWithEnv, pathFor } from "./helpers.ts";

const label = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

describe("the route table (manifest.ts ROUTES)", () => {
  it("lists the routes the app registers, in its order", () => {
    const served = inspectRoutes(createApp()).filter((route) => !route.isMiddleware);
    expect(ROUTES.map(label)).toEqual(served.map(label));
  });

  it.each(ROUTES.map((route): [string, WorkerRoute] => [label(route), route]))("%s: auth as listed", async (_, route) => {
    // DEBUG_ROUTES on, so /debug/* answers at all; no Access token, so only `none` routes may answer.
    const request = new Request(`${BASE}${pathFor(route.path)}`, {
      method: route.method === "ALL" ? "GET" : route.method,
      headers: { accept: "application/json" },
    });
    const response = await fetchWithEnv(request, { DEBUG_ROUTES: "true" });
    if (route.auth === "none") expect(response.status).toBe(200);
    else expect(response.status).toBe(401);
  });
});
