import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { workerSettings } from "../stack/compose-settings.ts";
import { ROOT } from "../core/host.ts";
import { interpolate, serviceEnv } from "../tests/shared/compose-file.ts";
import { parseEmulateArgs } from "./emulate.ts";
import { parseRecordArgs } from "./record.ts";

/** The compose overrides that put a cassette (or a recorder) in front of the sandbox's model. */

const counter = () => {
  let n = 0;
  return (bytes: number) => `s${++n}`.padEnd(bytes * 2, "0");
};

/** The worker service's environment as docker-compose.yml gives it (compose names for the services). */
const WORKER_ENV = {
  MOLTLAB_WORKER_PORT: "8787",
  CF_ACCESS_TEAM_DOMAIN: "http://127.0.0.1:8788",
  CF_ACCESS_AUD: "aud",
  MOLTLAB_CONTAINERS_URL: "http://containers:8790",
  MOLTLAB_PLATFORM_TOKEN: "platform-token",
  MOLTLAB_CONTAINERS_NETWORK: "network:moltlab-sandbox",
  R2_ENDPOINT: "http://r2:9000",
  R2_BUCKET_NAME: "moltbot-data",
  R2_ACCESS_KEY_ID: "key",
  R2_SECRET_ACCESS_KEY: "secret",
  MOLTLAB_AI_GATEWAY_URL: "http://ai-gateway:8789",
};

describe("compose/cassette.yml and compose/record.yml, as shipped", () => {
  type Service = { command: string[]; volumes: string[]; user?: string; environment?: Record<string, unknown> };
  const file = (name: string) => parse(readFileSync(join(ROOT, name), "utf8")) as { services: Record<string, Service> };
  const realGateway = { CLOUDFLARE_AI_GATEWAY_API_KEY: "real-key", CF_AI_GATEWAY_ACCOUNT_ID: "acct-1", CF_AI_GATEWAY_GATEWAY_ID: "gw-1" };

  it("replay: the ai-gateway service answers from the mounted cassette, and the Worker talks to it even with a real AI Gateway's settings", () => {
    const { services } = file("compose/cassette.yml");
    const env = { MOLTLAB_CASSETTE: "/home/me/tapes/chat.json", MOLTLAB_CASSETTE_TIMING: "fast" };
    const args = services["ai-gateway"]!.command.map((arg) => interpolate(arg, env)!);
    expect(args.slice(0, 2)).toEqual(["emulate", "ai-gateway"]);
    expect(parseEmulateArgs(args.slice(1)).options).toMatchObject({
      host: "0.0.0.0",
      port: 8789,
      cassette: { file: "/cassettes/replay.json", timing: "fast" },
    });
    expect(interpolate(services["ai-gateway"]!.volumes[0], env)).toBe("/home/me/tapes/chat.json:/cassettes/replay.json:ro");
    expect(() => interpolate(services["ai-gateway"]!.volumes[0], {})).toThrow(/set MOLTLAB_CASSETTE/);

    const worker = { ...WORKER_ENV, ...realGateway, ...serviceEnv("compose/cassette.yml", "worker", env) };
    const settings = workerSettings(worker, counter());
    expect(settings.tape).toBe("replay");
    expect(settings.vars).toMatchObject({
      CF_AI_GATEWAY_BASE_URL: "http://ai-gateway:8789",
      CF_AI_GATEWAY_ACCOUNT_ID: "acct-1",
      CF_AI_GATEWAY_GATEWAY_ID: "gw-1",
    });
  });

  it("record: the ai-gateway service records into the mounted directory, and the Worker sends it the real AI Gateway's route and key", () => {
    const { services } = file("compose/record.yml");
    const env = { MOLTLAB_RECORD_DIR: "/home/me/tapes", MOLTLAB_RECORD_UPSTREAM: "http://upstream:1" };
    const args = services["ai-gateway"]!.command.map((arg) => interpolate(arg, env)!);
    expect(args[0]).toBe("record");
    expect(parseRecordArgs(args.slice(1))).toEqual({ host: "0.0.0.0", port: 8789, to: "/cassettes/session.json", upstream: "http://upstream:1" });
    expect(interpolate(services["ai-gateway"]!.volumes[0], env)).toBe("/home/me/tapes:/cassettes");
    expect(() => interpolate(services["ai-gateway"]!.volumes[0], {})).toThrow(/set MOLTLAB_RECORD_DIR/);

    const settings = workerSettings({ ...WORKER_ENV, ...realGateway, ...serviceEnv("compose/record.yml", "worker", env) }, counter());
    expect(settings.tape).toBe("record");
    expect(settings.vars).toMatchObject({ CF_AI_GATEWAY_BASE_URL: "http://ai-gateway:8789", CF_AI_GATEWAY_ACCOUNT_ID: "acct-1" });
    expect(settings.secrets.CLOUDFLARE_AI_GATEWAY_API_KEY).toBe("real-key");
  });

  it("refuse an unknown MOLTLAB_AI_GATEWAY_TAPE, naming the override files", () => {
    expect(() => workerSettings({ ...WORKER_ENV, MOLTLAB_AI_GATEWAY_TAPE: "rewind" })).toThrow(/MOLTLAB_AI_GATEWAY_TAPE=rewind is not replay or record/);
  });
});
