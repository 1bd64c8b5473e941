import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildConfig, OWNED_KEYS, readExistingConfig, validateUserKeys, writeConfig, getPath } from "./config.ts";
import { loadSettings } from "./env.ts";
import { gatewayEnv } from "./gateway-process.ts";
import { createLogger, MASK, secretValues } from "./log.ts";

const port = { gatewayPort: 18789 };
const aiGateway = {
  CF_AI_GATEWAY_ACCOUNT_ID: "acct123",
  CF_AI_GATEWAY_GATEWAY_ID: "gw1",
  CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
  CLOUDFLARE_AI_GATEWAY_API_KEY: "cf-aig-secret-value",
  OPENCLAW_GATEWAY_TOKEN: "gateway-token-value",
};

function built(existing: Record<string, unknown> | null, env: Record<string, string>) {
  const result = buildConfig(existing, env, port);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.problems.join("; ")}`);
  return result;
}

describe("openclaw.json from the environment", () => {
  it("turns OpenClaw's inbound webhooks on with OPENCLAW_HOOKS_TOKEN, keeping the user's hooks, and off again without it", () => {
    const on = built({ hooks: { mappings: [{ match: { path: "gmail" } }], path: "/mine" } }, { ...aiGateway, OPENCLAW_HOOKS_TOKEN: "hooks-token-value" });
    expect(on.config.hooks).toEqual({ mappings: [{ match: { path: "gmail" } }], path: "/mine", enabled: true, token: "${OPENCLAW_HOOKS_TOKEN}" });
    expect(on.references).toContain("OPENCLAW_HOOKS_TOKEN");
    expect(JSON.stringify(on.config)).not.toContain("hooks-token-value");
    expect(built(null, { ...aiGateway, OPENCLAW_HOOKS_TOKEN: "hooks-token-value" }).config.hooks).toEqual({
      enabled: true,
      token: "${OPENCLAW_HOOKS_TOKEN}",
      path: "/hooks",
    });

    // Restored after the variable was removed: the reference would refuse the boot, so hooks go off.
    const off = built(on.config as Record<string, unknown>, aiGateway);
    expect(off.config.hooks).toEqual({ mappings: [{ match: { path: "gmail" } }], path: "/mine", enabled: false });
    expect(off.notes).toContain("switched hooks off (OPENCLAW_HOOKS_TOKEN is no longer set)");
    // A user's own hooks without the variable are theirs.
    expect(built({ hooks: { enabled: true, token: "${MY_HOOKS}" } }, { ...aiGateway, MY_HOOKS: "x" }).config.hooks).toEqual({
      enabled: true,
      token: "${MY_HOOKS}",
    });
  });

  it("refuses OPENCLAW_HOOKS_TOKEN equal to the gateway token", () => {
    const result = buildConfig(null, { ...aiGateway, OPENCLAW_HOOKS_TOKEN: aiGateway.OPENCLAW_GATEWAY_TOKEN }, port);
    expect(result).toEqual({ ok: false, problems: [expect.stringContaining("OPENCLAW_HOOKS_TOKEN must differ from the gateway token")] });
  });

  it("adds the AI Gateway provider with the base-URL override, and makes its model primary", () => {
    const { config } = built(null, { ...aiGateway, CF_AI_GATEWAY_BASE_URL: "http://127.0.0.1:9999/" });
    expect(config.models).toMatchObject({
      providers: {
        "cf-ai-gw-anthropic": {
          baseUrl: "http://127.0.0.1:9999/v1/acct123/gw1/anthropic",
          api: "anthropic-messages",
          apiKey: "${MOLTWORKER_AI_GATEWAY_KEY}",
          models: [{ id: "claude-sonnet-4-5", name: "claude-sonnet-4-5", contextWindow: 200000, maxTokens: 8192 }],
        },
      },
    });
    expect((config.agents as { defaults: { model: { primary: string } } }).defaults.model.primary).toBe("cf-ai-gw-anthropic/claude-sonnet-4-5");

    const openai = built(null, { ...aiGateway, CF_AI_GATEWAY_MODEL: "openai/gpt-5" }).config;
    const provider = (openai.models as { providers: Record<string, { baseUrl: string; api: string }> }).providers["cf-ai-gw-openai"]!;
    expect(provider).toMatchObject({ baseUrl: "https://gateway.ai.cloudflare.com/v1/acct123/gw1/openai", api: "openai-completions" });
  });

  it("writes the gateway, offline and chat-completions keys, and no secret value", () => {
    const { config, references } = built(null, { ...aiGateway, OPENCLAW_DEV_MODE: "true" });
    expect(config.gateway).toEqual({
      mode: "local",
      port: 18789,
      bind: "lan",
      auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    });
    expect(config).toMatchObject({ models: { catalogRefresh: { enabled: false } }, update: { checkOnStart: false }, cron: { enabled: false } });
    expect((config.agents as { defaults: { heartbeat: unknown } }).defaults.heartbeat).toEqual({ every: "0m" });
    const text = JSON.stringify(config);
    expect(text).not.toContain("cf-aig-secret-value");
    expect(text).not.toContain("gateway-token-value");
    expect(references).toEqual(["MOLTWORKER_AI_GATEWAY_KEY", "OPENCLAW_GATEWAY_TOKEN"]);
  });

  it("turns the insecure Control UI login on only in dev mode on an OpenClaw that still has it, and never writes the retired key", () => {
    const gatewayOf = (result: { config: Record<string, unknown> }) => result.config.gateway as { controlUi?: Record<string, unknown> };
    const dev = { ...aiGateway, OPENCLAW_DEV_MODE: "true" };
    const old = buildConfig(null, dev, { ...port, openclawVersion: "2026.7.35" });
    if (!old.ok) throw new Error(old.problems.join("; "));
    expect(gatewayOf(old).controlUi).toEqual({ allowInsecureAuth: true });

    // 2026.8.1 retired it: written, even as false, every boot's config is "invalid" and migrated.
    for (const openclawVersion of ["2026.9.6", "OpenClaw 2026.8.1 (abc1234)", undefined]) {
      const current = buildConfig(null, dev, { ...port, openclawVersion });
      if (!current.ok) throw new Error(current.problems.join("; "));
      expect(gatewayOf(current).controlUi).toBeUndefined();
      expect(current.notes).toContainEqual(
        expect.stringMatching(/^dev mode: no insecure Control UI login, since OpenClaw .* has none \(retired in 2026\.8\.1\)/),
      );
    }
    const prod = built(null, aiGateway);
    expect(gatewayOf(prod).controlUi).toBeUndefined();
    expect(prod.notes.join("\n")).not.toMatch(/insecure/);

    // A restored config cannot leave it on: removed (the user's other Control UI keys stay), and the log says so.
    const restored = buildConfig({ gateway: { controlUi: { allowInsecureAuth: true, basePath: "/ui" } } }, aiGateway, {
      ...port,
      openclawVersion: "2026.7.35",
    });
    if (!restored.ok) throw new Error(restored.problems.join("; "));
    expect(gatewayOf(restored).controlUi).toEqual({ basePath: "/ui" });
    expect(restored.conflicts).toContainEqual(expect.objectContaining({ path: "gateway.controlUi.allowInsecureAuth", theirs: "true", ours: "(removed)" }));
  });

  it("passes the AI Gateway key under a name that does not make OpenClaw install its plugin", () => {
    // The user's own provider with the key moves to the alias too (a note says so) …
    const existing = {
      models: { providers: { mine: { baseUrl: "http://x", api: "openai-completions", apiKey: "${CLOUDFLARE_AI_GATEWAY_API_KEY}", models: [] } } },
    };
    const result = built(existing, aiGateway);
    expect(result.aliasAiGatewayKey).toBe(true);
    expect(JSON.stringify(result.config)).not.toContain("${CLOUDFLARE_AI_GATEWAY_API_KEY}");
    expect(result.notes.join("\n")).toContain("models.providers.mine.apiKey now reads ${MOLTWORKER_AI_GATEWAY_KEY}");
    expect(gatewayEnv(aiGateway, {}, { aliasAiGatewayKey: true })).toMatchObject({ MOLTWORKER_AI_GATEWAY_KEY: "cf-aig-secret-value" });
    expect(gatewayEnv(aiGateway, {}, { aliasAiGatewayKey: true })).not.toHaveProperty("CLOUDFLARE_AI_GATEWAY_API_KEY");

    // … unless the config selects OpenClaw's own cloudflare-ai-gateway provider, which needs the plugin.
    const officialProvider = { baseUrl: "https://gateway.ai.cloudflare.com/v1/a/g/anthropic", api: "anthropic-messages", models: [] };
    const official = built({ models: { providers: { "cloudflare-ai-gateway": officialProvider } } }, aiGateway);
    expect(official.aliasAiGatewayKey).toBe(false);
    expect(gatewayEnv(aiGateway, {}, { aliasAiGatewayKey: false })).toMatchObject({ CLOUDFLARE_AI_GATEWAY_API_KEY: "cf-aig-secret-value" });

    // An unset key is named as the user knows it.
    const missing = buildConfig(existing, { OPENCLAW_GATEWAY_TOKEN: "t" }, port);
    expect(missing.ok ? [] : missing.problems).toContain("openclaw.json references ${MOLTWORKER_AI_GATEWAY_KEY} but CLOUDFLARE_AI_GATEWAY_API_KEY is not set");
  });

  it("keeps the user's cron and heartbeat settings and unrelated keys", () => {
    const existing = {
      cron: { enabled: true },
      agents: { defaults: { heartbeat: { every: "30m" }, sandbox: { mode: "off" } } },
      tools: { exec: { security: "allowlist" } },
    };
    const { config } = built(existing, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value" });
    expect(config.cron).toEqual({ enabled: true });
    expect(config.agents).toEqual({ defaults: { heartbeat: { every: "30m" }, sandbox: { mode: "off" } } });
    expect(config.tools).toEqual({ exec: { security: "allowlist" } });
  });

  it("replaces channel objects wholesale and forwards TELEGRAM_DM_ALLOW_FROM", () => {
    const existing = {
      channels: {
        telegram: { botToken: "old", dmPolicy: "pairing", staleKeyFromOldVersion: true },
        discord: { token: "old", dm: { policy: "open", groupPolicy: "x" } },
        whatsapp: { enabled: true },
      },
    };
    const { config } = built(existing, {
      OPENCLAW_GATEWAY_TOKEN: "t0ken-value",
      TELEGRAM_BOT_TOKEN: "tg-secret",
      TELEGRAM_DM_POLICY: "allowlist",
      TELEGRAM_DM_ALLOW_FROM: "111, 222",
      DISCORD_BOT_TOKEN: "dc-secret",
      DISCORD_DM_POLICY: "open",
      SLACK_BOT_TOKEN: "xoxb-secret",
      SLACK_APP_TOKEN: "xapp-secret",
    });
    expect(config.channels).toEqual({
      telegram: { enabled: true, botToken: "${TELEGRAM_BOT_TOKEN}", dmPolicy: "allowlist", allowFrom: ["111", "222"] },
      discord: { enabled: true, token: "${DISCORD_BOT_TOKEN}", dmPolicy: "open", allowFrom: ["*"] },
      slack: { enabled: true, botToken: "${SLACK_BOT_TOKEN}", appToken: "${SLACK_APP_TOKEN}" },
      whatsapp: { enabled: true },
    });
    // Discord is a plugin in OpenClaw 2026.9.6, not part of it: switched on with its channel.
    expect(getPath(config, "plugins.entries.discord.enabled")).toBe(true);
  });

  it("writes Discord in OpenClaw 2026.9.6's keys: the allow-list, and guild channels answered without a mention by the same people", () => {
    const { config } = built(null, {
      OPENCLAW_GATEWAY_TOKEN: "t0ken-value",
      DISCORD_BOT_TOKEN: "dc-secret",
      DISCORD_DM_POLICY: "allowlist",
      DISCORD_DM_ALLOW_FROM: "222222222222222222",
      DISCORD_GUILD_CHANNELS: "333333333333333333/444444444444444444, 333333333333333333/555555555555555555",
    });
    expect(config.channels).toEqual({
      discord: {
        enabled: true,
        token: "${DISCORD_BOT_TOKEN}",
        dmPolicy: "allowlist",
        allowFrom: ["222222222222222222"],
        groupPolicy: "allowlist",
        guilds: {
          "333333333333333333": {
            requireMention: false,
            users: ["222222222222222222"],
            channels: {
              "444444444444444444": { enabled: true, requireMention: false },
              "555555555555555555": { enabled: true, requireMention: false },
            },
          },
        },
      },
    });
  });

  it("refuses DISCORD_GUILD_CHANNELS that are not guild/channel id pairs", () => {
    const result = buildConfig(null, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value", DISCORD_BOT_TOKEN: "dc", DISCORD_GUILD_CHANNELS: "moltlab/general" }, port);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toContainEqual(expect.stringContaining("DISCORD_GUILD_CHANNELS takes <guild id>/<channel id> pairs"));
  });

  it("switches Telegram to webhooks through the Worker with TELEGRAM_WEBHOOK_SECRET, the secret as a ${VAR}, never its value", () => {
    const { config } = built(null, {
      OPENCLAW_GATEWAY_TOKEN: "t0ken-value",
      TELEGRAM_BOT_TOKEN: "123:tg-secret",
      TELEGRAM_API_ROOT: "http://127.0.0.1:9000",
      TELEGRAM_WEBHOOK_SECRET: "hook_secret-1",
      WORKER_URL: "https://moltbot.example.workers.dev/",
    });
    expect((config.channels as { telegram: object }).telegram).toEqual({
      enabled: true,
      botToken: "${TELEGRAM_BOT_TOKEN}",
      dmPolicy: "pairing",
      apiRoot: "http://127.0.0.1:9000",
      webhookUrl: "https://moltbot.example.workers.dev/telegram/webhook",
      webhookSecret: "${TELEGRAM_WEBHOOK_SECRET}",
      webhookHost: "0.0.0.0",
      webhookPort: 18791,
      webhookPath: "/telegram-webhook",
    });
    expect(JSON.stringify(config)).not.toContain("hook_secret-1");

    const problems = (env: Record<string, string>) =>
      (buildConfig(null, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value", TELEGRAM_BOT_TOKEN: "123:tg", ...env }, port) as { problems?: string[] }).problems;
    expect(problems({ TELEGRAM_WEBHOOK_SECRET: "hook" })).toEqual([expect.stringContaining("TELEGRAM_WEBHOOK_SECRET needs WORKER_URL")]);
    expect(problems({ TELEGRAM_WEBHOOK_SECRET: "has space", WORKER_URL: "https://w.example" })).toEqual([
      expect.stringContaining("TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -"),
    ]);
  });

  it("drops known-stale keys and what an earlier boot wrote for variables that are gone", () => {
    const first = built(null, { ...aiGateway, TELEGRAM_BOT_TOKEN: "tg-secret" }).config;
    (first.gateway as Record<string, unknown>).token = "plaintext";
    const again = built(first, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value" });
    expect(again.config.gateway).not.toHaveProperty("token");
    expect(again.config).not.toHaveProperty("channels");
    expect((again.config.models as { providers: object }).providers).toEqual({});
    expect((again.config.agents as { defaults: { model: object } }).defaults.model).toEqual({});
    expect(again.notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining("gateway.token"),
        expect.stringContaining("cf-ai-gw-anthropic"),
        expect.stringContaining("channels.telegram"),
      ]),
    );
  });

  it("lists every problem: partial AI Gateway, half a Slack app, a bad DM policy, a malformed model, unset ${VAR}", () => {
    const result = buildConfig(
      { models: { providers: { mine: { baseUrl: "${MY_PROXY_URL}" } } } },
      {
        OPENCLAW_GATEWAY_TOKEN: "t0ken-value",
        CF_AI_GATEWAY_MODEL: "anthropic/x",
        SLACK_BOT_TOKEN: "xoxb",
        TELEGRAM_BOT_TOKEN: "tg",
        TELEGRAM_DM_POLICY: "everyone",
      },
      port,
    );
    expect(result.ok).toBe(false);
    const problems = (result as { problems: string[] }).problems.join("\n");
    expect(problems).toContain("missing CF_AI_GATEWAY_ACCOUNT_ID, CF_AI_GATEWAY_GATEWAY_ID, CLOUDFLARE_AI_GATEWAY_API_KEY");
    expect(problems).toContain("missing SLACK_APP_TOKEN");
    expect(problems).toContain('TELEGRAM_DM_POLICY must be one of pairing, allowlist, open, disabled, got "everyone"');

    const model = buildConfig(null, { ...aiGateway, CF_AI_GATEWAY_MODEL: "no-slash" }, port);
    expect(model).toEqual({ ok: false, problems: [expect.stringContaining("CF_AI_GATEWAY_MODEL must be provider/model")] });

    const unset = buildConfig({ models: { providers: { mine: { baseUrl: "${MY_PROXY_URL}" } } } }, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value" }, port);
    expect(unset).toEqual({ ok: false, problems: ["openclaw.json references ${MY_PROXY_URL} but MY_PROXY_URL is not set"] });
  });

  it("accepts MOLTBOT_GATEWAY_TOKEN and lists missing or partial settings", () => {
    expect(loadSettings({ MOLTBOT_GATEWAY_TOKEN: "legacy-token", HOME: "/home/x" })).toMatchObject({
      ok: true,
      settings: { gatewayToken: "legacy-token", r2: null },
    });
    const result = loadSettings({ HOME: "/home/x", R2_ACCESS_KEY_ID: "id", MOLTLAB_BACKUP_INTERVAL: "soon" });
    expect(result.ok).toBe(false);
    const problems = (result as { problems: string[] }).problems.join("\n");
    expect(problems).toContain("OPENCLAW_GATEWAY_TOKEN (or MOLTBOT_GATEWAY_TOKEN) is missing");
    expect(problems).toContain("missing R2_SECRET_ACCESS_KEY, CF_ACCOUNT_ID (or R2_ENDPOINT)");
    expect(problems).toContain("MOLTLAB_BACKUP_INTERVAL must be a number");
    const ok = loadSettings({ HOME: "/home/x", OPENCLAW_GATEWAY_TOKEN: "tok-1", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "s3cr3t", CF_ACCOUNT_ID: "abc" });
    expect(ok).toMatchObject({
      ok: true,
      settings: {
        backupQuietMs: 500,
        backupMaxWaitMs: 1000,
        backupIntervalMs: 500,
        backupRescanMs: 300_000,
        r2: { endpoint: "https://abc.r2.cloudflarestorage.com", bucket: "moltbot-data", prefix: "" },
      },
    });
  });
});

describe("the user's openclaw.json against the keys the supervisor owns", () => {
  const everything = {
    ...aiGateway,
    ANTHROPIC_BASE_URL: "https://gateway.example/anthropic",
    TELEGRAM_BOT_TOKEN: "tg-secret",
    DISCORD_BOT_TOKEN: "dc-secret",
    SLACK_BOT_TOKEN: "xoxb-secret",
    SLACK_APP_TOKEN: "xapp-secret",
    WORKER_URL: "https://moltbot.example.workers.dev/",
    OPENCLAW_HOOKS_TOKEN: "hooks-secret",
  };

  it("adds WORKER_URL's origin to the Control UI's allowed origins, keeping the user's, once", () => {
    const mine = { gateway: { controlUi: { allowedOrigins: ["https://board.example"] } } };
    const once = built(mine, { ...aiGateway, WORKER_URL: "http://127.0.0.1:8787/some/path" }).config;
    expect(getPath(once, "gateway.controlUi.allowedOrigins")).toEqual(["https://board.example", "http://127.0.0.1:8787"]);
    const twice = built(once, { ...aiGateway, WORKER_URL: "http://127.0.0.1:8787" }).config;
    expect(getPath(twice, "gateway.controlUi.allowedOrigins")).toEqual(["https://board.example", "http://127.0.0.1:8787"]);
    expect(getPath(built(null, aiGateway).config, "gateway.controlUi.allowedOrigins")).toBeUndefined();
    const wrong = buildConfig(null, { ...aiGateway, WORKER_URL: "not a url" }, { gatewayPort: 18789 });
    expect(wrong.ok ? [] : wrong.problems).toEqual([expect.stringMatching(/WORKER_URL is not a URL/)]);
  });

  it("lists every key it writes: each owned key is in the config built from a full environment", () => {
    // Dev mode on an OpenClaw from before 2026.8.1, the only one that still gets the insecure Control UI login.
    const result = buildConfig(null, { ...everything, OPENCLAW_DEV_MODE: "true" }, { ...port, openclawVersion: "2026.7.35" });
    if (!result.ok) throw new Error(result.problems.join("; "));
    const { config } = result;
    for (const { path } of OWNED_KEYS) expect(getPath(config, path.replace("<provider>", "anthropic")), path).toBeDefined();
    expect(new Set(OWNED_KEYS.map((key) => key.path)).size).toBe(OWNED_KEYS.length);
  });

  it("reports each value of the user's it replaces, literal secrets hidden, and keeps what it does not own", () => {
    const existing = {
      gateway: {
        port: 3000,
        bind: "loopback",
        auth: { mode: "password", password: "hunter2-literal" },
        token: "old-literal-token",
        trustedProxies: ["10.0.0.1"],
      },
      update: { checkOnStart: true },
      cron: { enabled: true },
      agents: { defaults: { heartbeat: { every: "30m" }, model: { primary: "openai/gpt-5", fallbacks: ["anthropic/claude"] } } },
      channels: { telegram: { botToken: "123:literal-bot-token", dmPolicy: "open", groups: { "*": { requireMention: true } } } },
    };
    const result = built(existing, { ...aiGateway, TELEGRAM_BOT_TOKEN: "tg-secret" });
    const byPath = Object.fromEntries(result.conflicts.map((c) => [c.path, c]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        "agents.defaults.model.primary",
        "channels.telegram.botToken",
        "channels.telegram.dmPolicy",
        "channels.telegram.groups",
        "gateway.auth.mode",
        "gateway.auth.password",
        "gateway.bind",
        "gateway.port",
        "gateway.token",
        "update.checkOnStart",
      ].sort(),
    );
    expect(byPath["gateway.port"]).toMatchObject({ theirs: "3000", ours: "18789" });
    expect(byPath["gateway.auth.password"]).toMatchObject({ theirs: '"(a literal secret, not shown)"', ours: "(removed)" });
    expect(byPath["channels.telegram.groups"]).toMatchObject({ ours: "(removed)", why: expect.stringContaining("wholesale") });
    expect(byPath["agents.defaults.model.primary"]).toMatchObject({ theirs: '"openai/gpt-5"', ours: '"cf-ai-gw-anthropic/claude-sonnet-4-5"' });
    const text = JSON.stringify(result.conflicts);
    for (const literal of ["hunter2-literal", "old-literal-token", "123:literal-bot-token"]) expect(text).not.toContain(literal);
    // Not owned, or owned only when absent: kept, no conflict.
    expect(result.config.cron).toEqual({ enabled: true });
    expect(getPath(result.config, "agents.defaults.heartbeat")).toEqual({ every: "30m" });
    expect(getPath(result.config, "agents.defaults.model.fallbacks")).toEqual(["anthropic/claude"]);
    expect(getPath(result.config, "gateway.trustedProxies")).toEqual(["10.0.0.1"]);
  });

  it("reports nothing on a second boot with the same environment, and a non-object where its keys go", () => {
    const first = built({ gateway: "legacy" }, everything);
    expect(first.conflicts).toEqual([expect.objectContaining({ path: "gateway", theirs: '"legacy"', ours: "an object" })]);
    expect(built(first.config, everything).conflicts).toEqual([]);
    expect(built(null, everything).conflicts).toEqual([]);
  });

  it("refuses a config OpenClaw would reject at keys it keeps, naming each; wrong types at owned keys are replaced instead", () => {
    const existing = {
      cron: { enabled: "yes" },
      channels: { whatsapp: "on", telegram: { enabled: "true" } },
      models: { providers: { mine: { baseUrl: 42, models: {} } } },
      agents: { defaults: { model: { fallbacks: "anthropic/claude" } } },
      gateway: { port: "eighteen" },
    };
    const result = buildConfig(existing, { OPENCLAW_GATEWAY_TOKEN: "t0ken-value" }, port);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    for (const path of [
      "cron.enabled",
      "channels.whatsapp",
      "channels.telegram.enabled",
      "models.providers.mine.baseUrl",
      "models.providers.mine.models",
      "agents.defaults.model.fallbacks",
    ]) {
      expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^your openclaw.json's ${path.replaceAll(".", "\\.")} must be .*fix it in the file$`)));
    }
    expect(problems.join("\n")).not.toContain("gateway.port");
    // With TELEGRAM_BOT_TOKEN set the channel is the supervisor's: replaced, so not an error.
    expect(validateUserKeys(existing, new Set(["channels.telegram"]))).not.toContainEqual(expect.stringContaining("channels.telegram"));
    expect(validateUserKeys({ channels: "x", agents: { defaults: { workspace: 3 } } })).toEqual([
      expect.stringContaining("channels must be an object, found a string"),
      expect.stringContaining("agents.defaults.workspace must be a string, found number 3"),
    ]);
  });
});

describe("reading a restored openclaw.json", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("reads JSON5 (comments, trailing commas, unquoted keys) and reports a broken file without touching it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moltlab-config-"));
    dirs.push(dir);
    const path = join(dir, "openclaw.json");
    await writeFile(path, "// mine\n{ gateway: { port: 1, }, 'agents': { defaults: { workspace: \"/w\" } }, /* end */ }\n");
    expect(await readExistingConfig(path)).toEqual({ ok: true, config: { gateway: { port: 1 }, agents: { defaults: { workspace: "/w" } } } });
    const broken = '{ "gateway": { "port": 1 ';
    await writeFile(path, broken);
    const result = await readExistingConfig(path);
    expect(result).toEqual({ ok: false, problem: expect.stringMatching(/openclaw\.json is not valid JSON5 .*left untouched/) });
    expect(await readFile(path, "utf8")).toBe(broken);
    expect(await readExistingConfig(join(dir, "absent.json"))).toEqual({ ok: true, config: null });
  });

  // The supervisor may run as root: a link in the state (restored, or left by the agent) must not aim its reads or writes.
  it("refuses to read through a symbolic link, and writes through none: not the config's, not a planted temp name's", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moltlab-config-"));
    dirs.push(dir);
    const outside = join(dir, "outside-secret");
    await writeFile(outside, "ROOT_ONLY=1");
    const path = join(dir, "openclaw.json");
    await symlink(outside, path);
    expect(await readExistingConfig(path)).toEqual({ ok: false, problem: expect.stringContaining("openclaw.json is a symbolic link; refusing to follow it") });

    await rm(path);
    await symlink(outside, `${path}.moltlab-tmp`);
    await writeConfig(path, { gateway: { port: 1 } });
    expect(await readFile(outside, "utf8")).toBe("ROOT_ONLY=1");
    expect((await lstat(path)).isFile()).toBe(true);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ gateway: { port: 1 } });
  });
});

describe("the gateway's bind (OPENCLAW_BIND)", () => {
  it("is lan by default; loopback binds the gateway and the control API to 127.0.0.1 (host networking)", () => {
    const lan = loadSettings({ OPENCLAW_GATEWAY_TOKEN: "t0ken-value", HOME: "/home/node" });
    const loopback = loadSettings({ OPENCLAW_GATEWAY_TOKEN: "t0ken-value", HOME: "/home/node", OPENCLAW_BIND: "loopback" });
    if (!lan.ok || !loopback.ok) throw new Error("expected valid settings");
    expect([lan.settings.gatewayBind, lan.settings.controlHost]).toEqual(["lan", "0.0.0.0"]);
    expect([loopback.settings.gatewayBind, loopback.settings.controlHost]).toEqual(["loopback", "127.0.0.1"]);
    const explicit = loadSettings({ OPENCLAW_GATEWAY_TOKEN: "t0ken-value", OPENCLAW_BIND: "loopback", MOLTLAB_CONTROL_HOST: "0.0.0.0" });
    expect(explicit.ok && explicit.settings.controlHost).toBe("0.0.0.0");
    const result = buildConfig(null, aiGateway, { ...port, gatewayBind: "loopback" });
    expect(result.ok && (result.config.gateway as { bind: string }).bind).toBe("loopback");
  });

  it("refuses anything else, naming the accepted values", () => {
    expect(loadSettings({ OPENCLAW_GATEWAY_TOKEN: "t0ken-value", OPENCLAW_BIND: "tailnet" })).toEqual({
      ok: false,
      problems: [expect.stringContaining("OPENCLAW_BIND must be one of lan, loopback")],
    });
  });
});

describe("logs", () => {
  it("mask every value of a *TOKEN, *KEY, *SECRET, *PASSWORD variable, in messages and fields", () => {
    const secrets = secretValues({
      A_TOKEN: "tok-abcdef",
      B_API_KEY: 'key"with"quotes',
      R2_SECRET_ACCESS_KEY: "s3cr3t-value",
      DB_PASSWORD: "hunter22",
      SHORT_KEY: "1",
      HOME: "/root",
    });
    const lines: string[] = [];
    const log = createLogger({ secrets, write: (line) => lines.push(line) });
    log.info("test", "token tok-abcdef and s3cr3t-value", {
      nested: { value: 'key"with"quotes', list: ["hunter22"] },
      error: new Error("failed with tok-abcdef"),
    });
    const text = lines.join("");
    for (const value of ["tok-abcdef", "s3cr3t-value", "hunter22", 'key\\"with\\"quotes', "quotes"]) expect(text).not.toContain(value);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      level: "info",
      phase: "test",
      msg: `token ${MASK} and ${MASK}`,
      nested: { value: MASK, list: [MASK] },
      error: { message: `failed with ${MASK}` },
    });
    expect(typeof record.time).toBe("string");
    expect(secrets).not.toContain("/root");
  });
});
