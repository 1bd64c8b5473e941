import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../core/errors.ts";
import { parseJson5 } from "../../core/json5.ts";
import { ROOT } from "../../core/host.ts";
import { SECRET_NAMES } from "../../worker/src/manifest.ts";
import { verify } from "../index.ts";
import { judgeMigrationItem, MIGRATION_OUTPUT_DIR } from "../items/migration.ts";
import { verifyContext } from "../testing/context.ts";
import { compareDeployment, type DeploymentRow } from "./deployment.ts";
import { MIGRATION_SAMPLES, readMigrationInputs } from "./inputs.ts";
import { readOpenclawConfig } from "./openclaw-config.ts";
import { DEV_VARS_TEMPLATE, devVarsTemplate, SECRET_PUT_SCRIPT, secretPutScript, writeFilesAtomically } from "./outputs.ts";
import { classifySecret, forwardedButNotSecret, parseInventory, SECRET_KINDS, secretsInVars } from "./secrets.ts";
import { readDeployment, type WranglerConfig } from "./wrangler-config.ts";

const temps: string[] = [];
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), "moltlab-migration-"));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const kit = parseJson5(readFileSync(join(ROOT, "worker/wrangler.jsonc"), "utf8")) as WranglerConfig;
const stock = (): WranglerConfig => ({
  name: "moltbot-sandbox",
  main: "src/index.ts",
  compatibility_flags: ["nodejs_compat"],
  containers: [{ class_name: "Sandbox", image: "./Dockerfile", instance_type: "standard-1", max_instances: 1 }],
  durable_objects: { bindings: [{ class_name: "Sandbox", name: "Sandbox" }] },
  migrations: [{ new_sqlite_classes: ["Sandbox"], tag: "v1" }],
  r2_buckets: [{ binding: "MOLTBOT_BUCKET", bucket_name: "moltbot-data" }],
  browser: { binding: "BROWSER" },
});
/** A deployment folder holding `config` as wrangler.jsonc (or `text` under `file`). */
function deploymentDir(config: WranglerConfig | null, file = "wrangler.jsonc", text?: string): string {
  const dir = temp();
  writeFileSync(join(dir, file), text ?? JSON.stringify(config, null, 2));
  return dir;
}
const rowsFor = async (config: WranglerConfig) => compareDeployment(await readDeployment(deploymentDir(config)), kit);
const row = (rows: DeploymentRow[], part: string) => {
  const found = rows.find((candidate) => candidate.part === part);
  if (!found) throw new Error(`no row ${part}: ${rows.map((candidate) => candidate.part).join(", ")}`);
  return found;
};
function refusal(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("accepted");
}
async function asyncRefusal(run: () => Promise<unknown>): Promise<UserError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("a secrets inventory: names only", () => {
  it("reads plain lines, a KEY=value env file (values dropped), JSON arrays, wrangler secret list JSON, objects and parameter-store paths", () => {
    expect(parseInventory("# store\n\nANTHROPIC_API_KEY\n  GH_TOKEN  \nANTHROPIC_API_KEY\n", "f")).toEqual(["ANTHROPIC_API_KEY", "GH_TOKEN"]);
    const env = parseInventory("export TELEGRAM_BOT_TOKEN=123:sk-value-never-kept\nOPENAI_API_KEY=sk-other=with=equals\n", "f");
    expect(env).toEqual(["TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY"]);
    expect(JSON.stringify(env)).not.toContain("sk-");
    expect(parseInventory('["A_KEY", "B_TOKEN"]', "f")).toEqual(["A_KEY", "B_TOKEN"]);
    expect(parseInventory('[{"name":"MOLTBOT_GATEWAY_TOKEN","type":"secret_text"},{"name":"CF_ACCESS_AUD","type":"secret_text"}]', "f")).toEqual([
      "MOLTBOT_GATEWAY_TOKEN",
      "CF_ACCESS_AUD",
    ]);
    expect(parseInventory('{"SLACK_BOT_TOKEN": "xoxb-value"}', "f")).toEqual(["SLACK_BOT_TOKEN"]);
    expect(parseInventory("/prod/openclaw/ZAI_API_KEY\narn:aws:ssm:x:1:parameter/prod/GH_TOKEN\n", "f")).toEqual(["ZAI_API_KEY", "GH_TOKEN"]);
  });

  it("refuses what is not a list of names, naming the line but never its content", () => {
    expect(refusal(() => parseInventory("  \n", "s.txt")).message).toBe("the secrets inventory s.txt is empty");
    expect(refusal(() => parseInventory("# only a comment\n", "s.txt")).message).toBe("the secrets inventory s.txt lists no names");
    const bad = refusal(() => parseInventory("GOOD_NAME\nsk-ant-this is a pasted value\n", "s.txt"));
    expect(bad.message).toBe("the secrets inventory s.txt: line 2 is not a secret name (letters, digits and _)");
    expect(bad.message + bad.fix).not.toContain("sk-ant");
    expect(refusal(() => parseInventory('["A", ', "s.json")).message).toContain("looks like JSON but does not parse");
    expect(refusal(() => parseInventory('["A", 5]', "s.json")).message).toBe('the secrets inventory s.json: entry 2 is neither a name nor { "name": … }');
  });

  it("maps each name by rule: aliases, the Worker's secrets and settings, AI Gateway, not needed (with why), container-only", () => {
    expect(classifySecret("OPENCLAW_GATEWAY_TOKEN")).toMatchObject({ kind: "Worker secret", workerName: "MOLTBOT_GATEWAY_TOKEN" });
    expect(classifySecret("CLAWDBOT_GATEWAY_TOKEN")).toMatchObject({ kind: "Worker secret", workerName: "MOLTBOT_GATEWAY_TOKEN" });
    expect(classifySecret("ANTHROPIC_API_KEY")).toMatchObject({
      kind: "Worker secret",
      workerName: "ANTHROPIC_API_KEY",
      why: "the Worker passes it to the container",
    });
    expect(classifySecret("AI_GATEWAY_API_KEY").why).toBe("the Worker passes it to the container as ANTHROPIC_API_KEY");
    expect(classifySecret("MOLTBOT_GATEWAY_TOKEN").why).toContain("as OPENCLAW_GATEWAY_TOKEN");
    expect(classifySecret("CF_ACCESS_AUD")).toMatchObject({ kind: "Worker secret", why: "read by the Worker itself (never sent to the container)" });
    expect(classifySecret("SANDBOX_SLEEP_AFTER")).toMatchObject({ kind: "Worker secret", why: expect.stringContaining("not secret in itself") });
    for (const name of ["CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID", "CF_AI_GATEWAY_MODEL", "AI_GATEWAY_BASE_URL"]) {
      expect(classifySecret(name)).toMatchObject({ kind: "AI Gateway setting", workerName: name });
    }
    for (const name of ["GEMINI_API_KEY", "ZAI_API_KEY", "OPENROUTER_API_KEY", "MISTRAL_API_KEY"]) {
      expect(classifySecret(name)).toMatchObject({ kind: "AI Gateway setting", workerName: null, why: expect.stringContaining("BYOK") });
    }
    const notNeeded = {
      LITELLM_MASTER_KEY: "LiteLLM",
      DATABASE_URL: "LiteLLM",
      KUBECONFIG: "Kubernetes",
      DOCKER_HOST: "Docker-in-Docker",
      AWS_SECRET_ACCESS_KEY: "R2",
      CLOUDFLARE_API_TOKEN: "deploy credential",
      GHCR_TOKEN: "registry",
      TAILSCALE_AUTHKEY: "Access",
      MOLTLAB_PLATFORM_TOKEN: "local",
    };
    for (const [name, why] of Object.entries(notNeeded))
      expect(classifySecret(name), name).toMatchObject({ kind: "not needed on Cloudflare", workerName: null, why: expect.stringContaining(why) });
    expect(classifySecret("GH_TOKEN")).toMatchObject({
      kind: "container-only secret",
      workerName: "CONTAINER_SECRET_GH_TOKEN",
      why: expect.stringContaining("passes it to the container as GH_TOKEN"),
    });
    expect(classifySecret("GRAFANA_URL")).toMatchObject({
      kind: "container-only secret",
      workerName: null,
      why: expect.stringContaining("only names ending in _TOKEN"),
    });
    // Every Worker secret the kit knows (but the local-only one) goes to `wrangler secret put` under its own name.
    for (const name of SECRET_NAMES.filter((name) => name !== "MOLTLAB_PLATFORM_TOKEN")) expect(classifySecret(name).workerName, name).toBe(name);
    const kinds = new Set(["OPENCLAW_GATEWAY_TOKEN", "GEMINI_API_KEY", "GH_TOKEN", "KUBECONFIG"].map((name) => classifySecret(name).kind));
    expect([...kinds].sort()).toEqual([...SECRET_KINDS].sort());
  });

  it("flags a secret that would be a plain var: in the deployment's vars, or forwarded to the container unmasked", () => {
    expect(() => secretsInVars({ SANDBOX_SLEEP_AFTER: "10m", DEBUG_ROUTES: "false" }, ["GH_TOKEN"], "w.jsonc")).not.toThrow();
    const kitSecret = refusal(() => secretsInVars({ ANTHROPIC_API_KEY: "sk-ant-plain-value" }, [], "w.jsonc"));
    expect(kitSecret.message).toBe(
      "w.jsonc lists ANTHROPIC_API_KEY under vars: a secret there is a plain variable, its value in the file and in the dashboard",
    );
    expect(kitSecret.fix).toContain("`npx wrangler secret put ANTHROPIC_API_KEY`");
    expect(kitSecret.message + kitSecret.fix).not.toContain("sk-ant-plain-value");
    expect(refusal(() => secretsInVars({ WEBHOOK_URL: "https://x" }, ["WEBHOOK_URL"], "w.jsonc")).message).toContain("WEBHOOK_URL under vars");
    expect(refusal(() => secretsInVars({ DB_PASSWORD: "x", API_KEY: "y" }, [], "w.jsonc")).message).toContain("DB_PASSWORD, API_KEY under vars");
    // The kit's own tables: every secret-looking name it passes to the container is masked as a secret.
    expect(forwardedButNotSecret()).toEqual([]);
    expect(forwardedButNotSecret(["GH_TOKEN", "WORKER_URL", "ANTHROPIC_API_KEY"], ["ANTHROPIC_API_KEY"])).toEqual(["GH_TOKEN"]);
  });

  it("writes a .dev.vars template and a `wrangler secret put` list with names only, the kit's required ones added", () => {
    const mappings = parseInventory(
      "OPENCLAW_GATEWAY_TOKEN=tok-value-1\nANTHROPIC_API_KEY=sk-value-2\nGH_TOKEN=ghp-value-3\nGEMINI_API_KEY=g-value-4\nGRAFANA_URL=https://g\n",
      "f",
    ).map(classifySecret);
    const devVars = devVarsTemplate(mappings, "names.env");
    const script = secretPutScript(mappings, "names.env");
    for (const text of [devVars, script]) for (const value of ["tok-value-1", "sk-value-2", "ghp-value-3", "g-value-4"]) expect(text).not.toContain(value);
    const assignments = devVars.split("\n").filter((line) => /^[A-Z_]+=/.test(line));
    expect(assignments).toEqual(["MOLTBOT_GATEWAY_TOKEN=", "ANTHROPIC_API_KEY=", "CONTAINER_SECRET_GH_TOKEN=", "CF_ACCESS_TEAM_DOMAIN=", "CF_ACCESS_AUD="]);
    expect(devVars).toContain("# GRAFANA_URL: no way in under this name");
    expect(devVars).toContain("# from GH_TOKEN\nCONTAINER_SECRET_GH_TOKEN=\n");
    expect(script.split("\n").filter((line) => line.startsWith("npx"))).toEqual(
      ["MOLTBOT_GATEWAY_TOKEN", "ANTHROPIC_API_KEY", "CONTAINER_SECRET_GH_TOKEN", "CF_ACCESS_TEAM_DOMAIN", "CF_ACCESS_AUD"].map(
        (name) => `npx wrangler secret put ${name} --config worker/wrangler.jsonc`,
      ),
    );
  });
});

describe("a moltworker deployment against the kit's Worker", () => {
  it("carries a stock moltworker deployment over: name, Durable Object, migration, container, bucket, browser", async () => {
    const rows = await rowsFor(stock());
    for (const part of [
      "Worker name",
      "Durable Object Sandbox",
      "migration v1",
      "container Sandbox: class",
      "container Sandbox: instance_type",
      "container Sandbox: max_instances",
      "R2 MOLTBOT_BUCKET",
      "browser",
    ]) {
      expect(row(rows, part).status, part).toBe("carries over");
    }
    expect(row(rows, "container Sandbox: image").status).toBe("needs a change");
    expect(row(rows, "main, build, rules").status).toBe("no counterpart");
  });

  it("says what to change: another name, a renamed class, KV-backed or extra migrations, another bucket, size or instance count", async () => {
    const config = stock();
    config.name = "my-claw";
    config.durable_objects = { bindings: [{ name: "Sandbox", class_name: "MoltbotSandbox" }] };
    config.migrations = [
      { tag: "v1", new_classes: ["MoltbotSandbox"] },
      { tag: "v2", deleted_classes: ["Old"] },
    ];
    config.containers = [
      { class_name: "MoltbotSandbox", image: "registry.cloudflare.com/acct/img:1", instance_type: { vcpu: 2, memory_mib: 6144 }, max_instances: 3 },
    ];
    config.r2_buckets = [{ binding: "DATA", bucket_name: "claw-state" }];
    config.vars = { SANDBOX_SLEEP_AFTER: "never", FEATURE_X: "on" };
    config.routes = ["claw.example.com/*"];
    config.queues = { producers: [] };
    config.triggers = { crons: ["*/5 * * * *"] };
    const rows = await rowsFor(config);
    expect(row(rows, "Worker name")).toMatchObject({ status: "needs a change", action: expect.stringContaining('set "name": "my-claw"') });
    expect(row(rows, "Durable Object Sandbox")).toMatchObject({
      status: "needs a change",
      action: expect.stringContaining('"renamed_classes": [{ "from": "MoltbotSandbox", "to": "Sandbox" }]'),
    });
    expect(row(rows, "migration v1")).toMatchObject({ status: "needs a change", action: expect.stringContaining("SQLite-backed") });
    expect(row(rows, "migration v2")).toMatchObject({ status: "needs a change", action: expect.stringContaining("copy your migrations list") });
    expect(row(rows, "container MoltbotSandbox: instance_type")).toMatchObject({
      status: "needs a change",
      action: expect.stringContaining("custom or unknown"),
    });
    expect(row(rows, "container MoltbotSandbox: max_instances")).toMatchObject({
      status: "needs a change",
      action: expect.stringContaining("set max_instances to 1"),
    });
    expect(row(rows, "R2 DATA")).toMatchObject({
      status: "needs a change",
      action: expect.stringMatching(/R2_BUCKET_NAME=claw-state.*must be MOLTBOT_BUCKET/),
    });
    expect(row(rows, "var SANDBOX_SLEEP_AFTER").status).toBe("carries over");
    expect(row(rows, "var FEATURE_X").status).toBe("no counterpart");
    expect(row(rows, "routes").status).toBe("needs a change");
    expect(row(rows, "queues").status).toBe("no counterpart");
    expect(row(rows, "triggers").status).toBe("no counterpart");
    const sized = stock();
    sized.containers![0]!.instance_type = "standard-3";
    expect(row(await rowsFor(sized), "container Sandbox: instance_type").action).toContain("--instance-type standard-3");
  });

  it("reads wrangler.toml with wrangler's own parser, to the same table as the JSONC", async () => {
    const toml = [
      'name = "moltbot-sandbox"',
      'main = "src/index.ts"',
      'compatibility_flags = ["nodejs_compat"]',
      "[[containers]]",
      'class_name = "Sandbox"',
      'image = "./Dockerfile"',
      'instance_type = "standard-1"',
      "max_instances = 1",
      "[[durable_objects.bindings]]",
      'class_name = "Sandbox"',
      'name = "Sandbox"',
      "[[migrations]]",
      'new_sqlite_classes = ["Sandbox"]',
      'tag = "v1"',
      "[[r2_buckets]]",
      'binding = "MOLTBOT_BUCKET"',
      'bucket_name = "moltbot-data"',
      "[browser]",
      'binding = "BROWSER"',
    ].join("\n");
    const fromToml = compareDeployment(await readDeployment(deploymentDir(null, "wrangler.toml", toml)), kit);
    expect(fromToml).toEqual(await rowsFor(stock()));
  });

  it("reads the sample deployment with its Dockerfile: Sandbox SDK base, older OpenClaw, start script, skills", async () => {
    const deployment = await readDeployment(MIGRATION_SAMPLES);
    expect(deployment.dockerfile?.path).toBe(join(MIGRATION_SAMPLES, "Dockerfile"));
    const rows = compareDeployment(deployment, kit);
    expect(row(rows, "Dockerfile: base image").status).toBe("no counterpart");
    expect(row(rows, "Dockerfile: OpenClaw version")).toMatchObject({ theirs: "2026.2.3", status: "needs a change" });
    expect(row(rows, "Dockerfile: start script").status).toBe("no counterpart");
    expect(row(rows, "Dockerfile: skills").status).toBe("carries over");
  });

  it("refuses a folder without a wrangler config, a file that does not parse, and one with the wrong shape", async () => {
    expect((await asyncRefusal(() => readDeployment("/nonexistent/moltworker"))).message).toBe("--moltworker /nonexistent/moltworker does not exist");
    expect((await asyncRefusal(() => readDeployment(temp()))).message).toMatch(/has no wrangler\.jsonc, wrangler\.json, wrangler\.toml$/);
    expect((await asyncRefusal(() => readDeployment(deploymentDir(null, "wrangler.jsonc", '{ "name": "x",\n  "vars": { ')))).message).toMatch(
      /is not valid JSONC \(JSON5: invalid end of input at 2:13\)/,
    );
    expect((await asyncRefusal(() => readDeployment(deploymentDir(null, "wrangler.toml", 'name = "x"\n[vars\n')))).message).toMatch(
      /is not valid TOML \(.*TOML/,
    );
    expect((await asyncRefusal(() => readDeployment(deploymentDir(null, "wrangler.jsonc", "[1]")))).message).toContain("must hold an object");
    const shape = await asyncRefusal(() =>
      readDeployment(deploymentDir({ containers: { class_name: "Sandbox" }, durable_objects: { bindings: [{ name: "S" }] } } as unknown as WranglerConfig)),
    );
    expect(shape.message).toBe(
      "wrangler.jsonc is not a wrangler configuration wrangler would accept: containers must be a list; durable_objects.bindings[0].class_name must be a string",
    );
  });
});

describe("the user's openclaw.json", () => {
  const file = (text: string) => {
    const path = join(temp(), "openclaw.json");
    writeFileSync(path, text);
    return path;
  };

  it("lists the values the supervisor's owned keys replace, and what the inventory leaves unset", () => {
    const reading = readOpenclawConfig(
      file('{ gateway: { port: 9000, auth: { token: "literal-secret-token" } }, tools: { web: { search: { apiKey: "${BRAVE_API_KEY}" } } } }'),
      ["MOLTBOT_GATEWAY_TOKEN"],
    );
    expect(reading.conflicts.map((conflict) => conflict.path).sort()).toEqual(["gateway.auth.token", "gateway.port"]);
    expect(JSON.stringify(reading)).not.toContain("literal-secret-token");
    expect(reading.problems).toEqual(["openclaw.json references ${BRAVE_API_KEY} but BRAVE_API_KEY is not set"]);
    // With TELEGRAM_BOT_TOKEN in the inventory the channel becomes the supervisor's.
    const telegram = readOpenclawConfig(file('{ channels: { telegram: { botToken: "${TELEGRAM_BOT_TOKEN}", streamMode: "partial" } } }'), [
      "TELEGRAM_BOT_TOKEN",
    ]);
    expect(telegram.conflicts).toEqual([expect.objectContaining({ path: "channels.telegram.streamMode", ours: "(removed)" })]);
    expect(telegram.built).toBe(true);
    // Half an AI Gateway in the inventory: the supervisor would refuse, so no conflicts can be known.
    const partial = readOpenclawConfig(file("{}"), ["CF_AI_GATEWAY_MODEL"]);
    expect(partial).toMatchObject({ built: false, conflicts: [], problems: [expect.stringContaining("AI Gateway is partly configured")] });
  });

  it("refuses a file OpenClaw would reject: not JSON5, not an object, a wrong type at a key it keeps", () => {
    expect(refusal(() => readOpenclawConfig(file("{ gateway: { port: 1, "), [])).message).toMatch(/is not valid JSON5 \(.*\): OpenClaw would refuse it$/);
    expect(refusal(() => readOpenclawConfig(file("[]"), [])).message).toMatch(/must hold a JSON object/);
    expect(refusal(() => readOpenclawConfig(file("{ cron: { enabled: 'yes' } }"), [])).message).toContain(
      "your openclaw.json's cron.enabled must be a boolean",
    );
    expect(refusal(() => readOpenclawConfig("/nonexistent/openclaw.json", [])).message).toMatch(/^cannot read --openclaw-config/);
  });
});

describe("the migration item", () => {
  /** A deployment, an inventory and a config, as a user passes them. */
  function userInputs(vars: Record<string, string> = {}) {
    const dir = temp();
    cpSync(MIGRATION_SAMPLES, dir, { recursive: true });
    const config = parseJson5(readFileSync(join(dir, "wrangler.jsonc"), "utf8")) as WranglerConfig;
    writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify({ ...config, vars: { ...config.vars, ...vars } }));
    writeFileSync(join(dir, "names.env"), "OPENCLAW_GATEWAY_TOKEN=value-one-never-printed\nGH_TOKEN=value-two-never-printed\nKUBECONFIG=/etc/kube\n");
    return { moltworker: dir, secrets: join(dir, "names.env"), openclawConfig: join(dir, "openclaw.json") };
  }

  it("judges the samples without writing anything", async () => {
    const reports = temp();
    const result = await judgeMigrationItem(verifyContext(reports));
    expect(result.verdict).toBe("OK with constraints");
    expect(result.summary).toMatch(/^sample deployment, secrets, openclaw.json: \d+ parts carry over/);
    expect(result.tables?.map((table) => table.caption)).toHaveLength(4);
    expect(existsSync(join(reports, MIGRATION_OUTPUT_DIR))).toBe(false);
  });

  it("writes the template and the secret list for the user's inventory, names only, replacing the last ones whole", async () => {
    const reports = temp();
    mkdirSync(join(reports, MIGRATION_OUTPUT_DIR));
    writeFileSync(join(reports, MIGRATION_OUTPUT_DIR, "stale.txt"), "from an earlier run");
    const result = await judgeMigrationItem(verifyContext(reports, userInputs()));
    const out = join(reports, MIGRATION_OUTPUT_DIR);
    expect(readdirSync(out).sort()).toEqual([DEV_VARS_TEMPLATE, SECRET_PUT_SCRIPT].sort());
    expect(readdirSync(reports)).toEqual([MIGRATION_OUTPUT_DIR]);
    const written = readFileSync(join(out, DEV_VARS_TEMPLATE), "utf8") + readFileSync(join(out, SECRET_PUT_SCRIPT), "utf8") + JSON.stringify(result);
    expect(written).not.toContain("never-printed");
    expect(readFileSync(join(out, DEV_VARS_TEMPLATE), "utf8")).toContain("MOLTBOT_GATEWAY_TOKEN=\n");
    expect(result.summary).not.toContain("sample");
  });

  it("refuses a secret exposed as a plain var before writing anything, and leaves earlier files as they were", async () => {
    const reports = temp();
    mkdirSync(join(reports, MIGRATION_OUTPUT_DIR));
    writeFileSync(join(reports, MIGRATION_OUTPUT_DIR, DEV_VARS_TEMPLATE), "earlier");
    const inputs = userInputs({ GH_TOKEN: "ghp-plain-in-vars" });
    const error = await asyncRefusal(() => readMigrationInputs(inputs));
    expect(error.message).toMatch(/lists GH_TOKEN under vars/);
    expect(error.message + error.fix).not.toContain("ghp-plain-in-vars");
    await expect(judgeMigrationItem(verifyContext(reports, inputs))).rejects.toThrow(UserError);
    expect(readdirSync(join(reports, MIGRATION_OUTPUT_DIR))).toEqual([DEV_VARS_TEMPLATE]);
    expect(readFileSync(join(reports, MIGRATION_OUTPUT_DIR, DEV_VARS_TEMPLATE), "utf8")).toBe("earlier");
    // The same for a secret under an environment's vars.
    const dir = userInputs();
    writeFileSync(join(dir.moltworker, "wrangler.jsonc"), JSON.stringify({ ...stock(), env: { staging: { vars: { OPENCLAW_GATEWAY_TOKEN: "x" } } } }));
    expect((await asyncRefusal(() => readMigrationInputs(dir))).message).toMatch(/\(env\.staging\) lists OPENCLAW_GATEWAY_TOKEN under vars/);
  });

  it("is refused by `moltlab verify` before any evidence test runs", async () => {
    const bad = join(temp(), "names.txt");
    writeFileSync(bad, "GOOD_TOKEN\nnot a name\n");
    const ran: string[] = [];
    const record = (what: string) => async () => {
      ran.push(what);
      return 0;
    };
    const runner = { test: record("test"), bench: record("bench") };
    await expect(verify(["--secrets", bad], runner)).rejects.toThrow(/line 2 is not a secret name/);
    expect(ran).toEqual([]);
  });

  it("writes all files or none: a failed write leaves the earlier folder and no temporary one", () => {
    const parent = temp();
    const dir = join(parent, "out");
    writeFilesAtomically(dir, { "a.txt": "one" });
    expect(() => writeFilesAtomically(dir, { "b.txt": "two", "missing/c.txt": "three" })).toThrow();
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(readdirSync(dir)).toEqual(["a.txt"]);
    writeFilesAtomically(dir, { "b.txt": "two" });
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(readdirSync(dir)).toEqual(["b.txt"]);
  });
});
