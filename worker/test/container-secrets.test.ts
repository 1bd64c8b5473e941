import { describe, expect, it } from "vitest";
import { CONTAINER_SECRET_PREFIX, containerSecretRefusal } from "../../contract/container-env.ts";
import { containerEnv } from "../src/container/container-env.ts";
import type { Env } from "../src/types.ts";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("container-only secrets (CONTAINER_SECRET_<NAME>)", () => {
  it("reach the container under their own name, for tools OpenClaw's config does not know", () => {
    const result = containerEnv(env({ CONTAINER_SECRET_GH_TOKEN: "ghp-value", CONTAINER_SECRET_GRAFANA_SERVICE_ACCOUNT_TOKEN: "glsa-value" }));
    expect(result).toMatchObject({ GH_TOKEN: "ghp-value", GRAFANA_SERVICE_ACCOUNT_TOKEN: "glsa-value" });
    expect(Object.keys(result).some((name) => name.startsWith(CONTAINER_SECRET_PREFIX))).toBe(false);
  });

  it("never set a name the table sets, a supervisor setting, or a name that does not read as a secret", () => {
    const result = containerEnv(
      env({
        ANTHROPIC_API_KEY: "from-the-table",
        CONTAINER_SECRET_ANTHROPIC_API_KEY: "must-not-win",
        CONTAINER_SECRET_OPENCLAW_GATEWAY_TOKEN: "must-not-pass",
        CONTAINER_SECRET_R2_SECRET_ACCESS_KEY: "must-not-pass",
        CONTAINER_SECRET_MOLTLAB_PLATFORM_TOKEN: "must-not-pass",
        CONTAINER_SECRET_NODE_OPTIONS: "--require /tmp/x.js",
        CONTAINER_SECRET_PATH: "/tmp",
        CONTAINER_SECRET_EMPTY_TOKEN: "",
      }),
    );
    expect(result.ANTHROPIC_API_KEY).toBe("from-the-table");
    for (const name of ["OPENCLAW_GATEWAY_TOKEN", "R2_SECRET_ACCESS_KEY", "MOLTLAB_PLATFORM_TOKEN", "NODE_OPTIONS", "PATH", "EMPTY_TOKEN"]) {
      expect(result, name).not.toHaveProperty(name);
    }
    expect(containerSecretRefusal("GH_TOKEN")).toBeNull();
    expect(containerSecretRefusal("NODE_OPTIONS")).toContain("only names ending in _TOKEN");
    expect(containerSecretRefusal("OPENCLAW_GATEWAY_TOKEN")).toContain("the kit's own");
  });
});
