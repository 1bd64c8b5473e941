/**
 * `/api/admin/*`: device pairing, storage, restart. Device and storage calls go to the
 * supervisor's control API in the container (port 18790, `Authorization: Bearer <gateway
 * token>`) through the Sandbox DO; restart is the DO's own graceful stop + start, because
 * the supervisor deliberately exits rather than restarting the gateway in place.
 */
import { Hono } from "hono";
import type { AppEnv, ControlResult } from "../types.ts";
import { sandboxStub } from "../container/sandbox-stub.ts";
import { DEFAULT_BUCKET } from "../../../contract/storage.ts";
import { approvePath, CONTROL_PATHS } from "../../../contract/control-api.ts";

interface DeviceList {
  pending?: { requestId?: string }[];
  paired?: unknown[];
}

interface SupervisorHealth {
  persistence?: unknown;
  lastBackup?: { at?: string; ok?: boolean } | null;
  lastRestore?: unknown;
  phases?: unknown;
}

export const adminApi = new Hono<AppEnv>();

const send = (result: ControlResult) =>
  new Response(result.json, { status: result.status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });

const bodyOf = <T>(result: ControlResult): T => JSON.parse(result.json) as T;

adminApi.get("/devices", async (c) => send(await sandboxStub(c.env).control("GET", CONTROL_PATHS.devices, { wake: true })));

adminApi.post("/devices/approve-all", async (c) => {
  const stub = sandboxStub(c.env);
  const list = await stub.control("GET", CONTROL_PATHS.devices, { wake: true });
  if (list.status !== 200) return send(list);
  const approved: string[] = [];
  const failed: { requestId: string; status: number; body: unknown }[] = [];
  for (const device of bodyOf<DeviceList>(list).pending ?? []) {
    if (!device.requestId) continue;
    const result = await stub.control("POST", approvePath(device.requestId), { wake: true });
    if (result.status === 200) approved.push(device.requestId);
    else failed.push({ requestId: device.requestId, status: result.status, body: bodyOf(result) });
  }
  return c.json({ approved, failed }, failed.length ? 207 : 200);
});

adminApi.post("/devices/:id/approve", async (c) => send(await sandboxStub(c.env).control("POST", approvePath(c.req.param("id")), { wake: true })));

adminApi.get("/storage", async (c) => {
  const r2Names = ["R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "CF_ACCOUNT_ID"] as const;
  const missing = r2Names.filter((name) => !c.env[name] && !(name === "CF_ACCOUNT_ID" && c.env.R2_ENDPOINT));
  const configured = missing.length === 0;
  // Storage status must not wake a sleeping container: ask only a running one.
  const health = configured ? await sandboxStub(c.env).control("GET", CONTROL_PATHS.health, { wake: false }) : null;
  const supervisor = health?.status === 200 ? bodyOf<SupervisorHealth>(health) : null;
  const lastBackup = supervisor?.lastBackup ?? null;
  return c.json({
    configured,
    missing,
    bucket: c.env.R2_BUCKET_NAME ?? DEFAULT_BUCKET,
    lastSync: lastBackup?.at ?? null,
    lastBackup,
    lastRestore: supervisor?.lastRestore ?? null,
    containerRunning: health?.status === 200,
    message: configured
      ? supervisor
        ? "R2 backups are on."
        : "R2 is configured; the container is not running, so there is no live backup status."
      : "R2 is not configured: state is lost when the container stops. Set R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and CF_ACCOUNT_ID.",
  });
});

adminApi.post("/storage/sync", async (c) => send(await sandboxStub(c.env).control("POST", CONTROL_PATHS.backup, { wake: false })));

adminApi.post("/gateway/restart", async (c) => {
  const state = await sandboxStub(c.env).restart();
  return c.json({ restarting: true, state }, 202);
});

/** Container state and boot-phase timings for the admin page; never wakes the container. */
adminApi.get("/state", async (c) => c.json(await sandboxStub(c.env).status()));
