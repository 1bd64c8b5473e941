import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureImages } from "../../container/build/index.ts";
import { TOOLS, type ToolsFile } from "../../container/tools/manifest.ts";
import { inspectImage } from "../../core/docker.ts";
import { hostArch, unameMachine } from "../../core/host.ts";
import { LABEL_KIND, moltlabLabels } from "../../core/labels.ts";
import { StepRunner } from "../../core/ui.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../contract/openclaw.ts";
import { ARCHES } from "../../contract/arch.ts";
import { buildConfig } from "../../container/supervisor/config.ts";

/**
 * The OpenClaw image per platform: built by `moltlab image` if missing or stale
 * (minutes when cold, a no-op otherwise), then one container per platform runs
 * every probe of every tool the image says is installed, as the gateway's user (node),
 * who is the one running them for the agent. The default entrypoint starts the
 * supervisor, so the probes run under `tini -- sleep` instead; arm64 runs under QEMU,
 * which is fine for probes.
 */
/** /etc/ssl/certs as update-ca-certificates writes it, from the host arch's image (it runs first). */
let freshTrustStore: string[] | undefined;

describe.each([hostArch(), ...ARCHES.filter((arch) => arch !== hostArch())])("the OpenClaw image, linux/%s", (arch) => {
  const tag = openclawImage(OPENCLAW_VERSION, arch);
  let container: StartedTestContainer;
  let tools: ToolsFile;

  beforeAll(async () => {
    await ensureImages({ arches: [arch], openclawVersion: OPENCLAW_VERSION }, new StepRunner((line) => console.log(line)));
    container = await new GenericContainer(tag)
      .withPlatform(`linux/${arch}`)
      .withEntrypoint(["tini", "--", "sleep", "infinity"])
      .withLabels(moltlabLabels("test"))
      .start();
    const file = await container.exec(["cat", "/opt/moltlab/tools.json"]);
    expect(file.exitCode).toBe(0);
    tools = JSON.parse(file.output) as ToolsFile;
  });

  afterAll(async () => {
    await container?.stop({ timeout: 1 });
  });

  it("exists for the right platform, labelled as a moltlab image", async () => {
    const facts = await inspectImage(tag);
    expect(facts?.architecture).toBe(arch);
    expect(facts?.labels[LABEL_KIND]).toBe("image");
    expect((await container.exec(["uname", "-m"])).output.trim()).toBe(unameMachine(arch));
  });

  it("starts as root under tini, names node as the gateway's user, whose ~/.openclaw is writable, and keeps root's staging folder private", async () => {
    const root = await container.exec([
      "sh",
      "-c",
      'id -u; echo "$HOME"; echo "$MOLTLAB_GATEWAY_USER"; cat /proc/1/comm; stat -c "%U %a" /var/lib/moltlab/staging',
    ]);
    expect(root.output.trim().split("\n")).toEqual(["0", "/home/node", "node", "tini", "root 700"]);
    const node = await container.exec(
      ["sh", "-c", 'id -u; test -w "$HOME/.openclaw" && echo writable; ls /var/lib/moltlab/staging 2>&1 >/dev/null | grep -c "Permission denied"'],
      { user: "node" },
    );
    expect(node.output.trim().split("\n")).toEqual(["1000", "writable", "1"]);
  });

  // Before any test runs OpenClaw here: what /tmp holds is then the build's alone.
  it("carries OpenClaw's compile cache for node where the image was built on its own CPU, and nothing else of the run that wrote it", async () => {
    const tmp = await container.exec(["sh", "-c", "ls -A /tmp; stat -c %U /tmp/node-compile-cache 2>/dev/null || true"]);
    if (arch !== hostArch()) {
      // Built under QEMU: the warm-up is skipped (Node files the cache under the CPU it was made on).
      expect(tmp.output.trim()).toBe("");
      return;
    }
    expect(tmp.output.trim().split("\n")).toEqual(["node-compile-cache", "node"]);
    // OpenClaw's CLI as the gateway's user takes its modules from the cache: Node says so per module.
    const cli = await container.exec(["sh", "-c", "NODE_DEBUG_NATIVE=COMPILE_CACHE openclaw config get gateway.port 2>&1"], { user: "node" });
    const fromCache = cli.output.match(/V8 code cache for .* was accepted/g)?.length ?? 0;
    const compiled = cli.output.match(/V8 code cache for .* was not initialized/g)?.length ?? 0;
    expect(fromCache, `${fromCache} modules from the cache, ${compiled} compiled`).toBeGreaterThan(9 * compiled);
    expect(fromCache).toBeGreaterThan(100);
  });

  it("has Node ≥ 24.16 and the pinned OpenClaw", async () => {
    const node = (await container.exec(["node", "--version"])).output.trim();
    const [major, minor] = node.replace(/^v/, "").split(".").map(Number) as [number, number];
    expect(major > 24 || (major === 24 && minor >= 16), node).toBe(true);
    const openclaw = await container.exec(["openclaw", "--version"]);
    expect(openclaw.exitCode).toBe(0);
    expect(openclaw.output).toContain(`OpenClaw ${OPENCLAW_VERSION}`);
  });

  it("carries OpenClaw's Discord plugin, installed by OpenClaw and recorded, with the copy the supervisor restores it from", async () => {
    const listed = await container.exec(["sh", "-c", "openclaw plugins list --json 2>/dev/null"], { user: "node" });
    expect(listed.exitCode).toBe(0);
    expect(listed.output).toContain('"discord"');
    const files = await container.exec([
      "sh",
      "-c",
      "ls -d /home/node/.openclaw/npm/projects/*/node_modules/@openclaw/discord/openclaw.plugin.json /opt/moltlab/openclaw-plugins/openclaw.sqlite /opt/moltlab/openclaw-plugins/npm/projects/*/node_modules/@openclaw/discord | wc -l; stat -c %U /home/node/.openclaw/state/openclaw.sqlite",
    ]);
    expect(files.output.trim().split("\n")).toEqual(["3", "node"]);
  });

  it("ships tools.json describing every manifest tool, and the supervisor bundle", async () => {
    expect(tools.arch).toBe(arch);
    expect(tools.openclaw).toBe(OPENCLAW_VERSION);
    expect(tools.tools.map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
    for (const tool of tools.tools) expect(tool.installed || Boolean(tool.reason), `${tool.name} has a reason when not installed`).toBe(true);
    expect((await container.exec(["test", "-s", "/opt/moltlab/supervisor.mjs"])).exitCode).toBe(0);
  });

  it("passes the probe of every installed tool", async () => {
    const failures: string[] = [];
    const installed = tools.tools.filter((tool) => tool.installed);
    expect(installed.length).toBeGreaterThan(0);
    for (const tool of installed) {
      const result = await container.exec(["sh", "-c", `${tool.probe.command} 2>&1`], { user: "node" });
      if (result.exitCode !== 0 || !new RegExp(tool.probe.expect).test(result.output)) {
        failures.push(`${tool.name}: \`${tool.probe.command}\` exited ${result.exitCode}: ${result.output.trim().slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("reports babashka honestly: not installed where its release download is unreachable (as here), never faked", async () => {
    const babashka = tools.tools.find((tool) => tool.name === "babashka");
    const bb = await container.exec(["sh", "-c", "command -v bb"]);
    if (babashka?.installed) {
      expect(bb.exitCode).toBe(0); // and the probe test above ran `bb --version`
    } else {
      expect(babashka?.reason).toMatch(/not reachable|HTTP|checksum/);
      expect(bb.exitCode).not.toBe(0);
    }
  });

  it("has its Debian packages installed by dpkg, with the TLS trust store update-ca-certificates writes", async () => {
    // The build downloads the .debs natively and copies ca-certificates' trust store from that
    // stage (container/Dockerfile). On the host's arch this proves the copy equals what
    // update-ca-certificates writes; the other arch is compared with that (its own run under QEMU
    // writes the same files too, measured by hand, but costs 26 s here).
    const listing = 'cd /etc/ssl/certs && find . -printf "%p %l\\n" | sort | sha256sum && sha256sum ca-certificates.crt';
    const state = await container.exec([
      "sh",
      "-c",
      `dpkg --audit; dpkg-query -W -f '\${Status}\\n' tini ca-certificates | sort -u; dpkg-divert --list | grep update-ca-certificates | wc -l; ${listing}`,
    ]);
    expect(state.exitCode, state.output).toBe(0);
    const [installed, diversions, ...store] = state.output.trim().split("\n");
    expect([installed, diversions]).toEqual(["install ok installed", "0"]);
    if (arch !== hostArch() && freshTrustStore) {
      expect(store).toEqual(freshTrustStore);
      return;
    }
    const fresh = await container.exec(["sh", "-c", `update-ca-certificates --fresh >/dev/null 2>&1 && ${listing}`]);
    expect(fresh.exitCode, fresh.output).toBe(0);
    freshTrustStore = fresh.output.trim().split("\n");
    expect(store).toEqual(freshTrustStore);
  });

  it("does not ship binaries for tools it reports as not installed", async () => {
    const missing = tools.tools.filter((tool) => !tool.installed).map((tool) => tool.probe.command.split(" ")[0]!);
    for (const command of missing) expect((await container.exec(["sh", "-c", `command -v ${command}`])).exitCode, command).not.toBe(0);
  });
});

/**
 * What the supervisor writes is what the image's OpenClaw accepts: each openclaw.json it builds
 * (a full environment in production, and dev mode) passes `openclaw config validate`. A key OpenClaw
 * retired (as 2026.8.1 did gateway.controlUi.allowInsecureAuth) would otherwise make every boot's
 * config "invalid" and have OpenClaw migrate it away at start, only for the next boot to write it again.
 */
describe(`openclaw.json as the supervisor writes it, checked by OpenClaw ${OPENCLAW_VERSION} itself`, () => {
  const everything = {
    CF_AI_GATEWAY_ACCOUNT_ID: "acct123",
    CF_AI_GATEWAY_GATEWAY_ID: "gw1",
    CF_AI_GATEWAY_MODEL: "anthropic/claude-sonnet-4-5",
    CLOUDFLARE_AI_GATEWAY_API_KEY: "cf-aig-placeholder",
    OPENCLAW_GATEWAY_TOKEN: "gateway-token-placeholder",
    TELEGRAM_BOT_TOKEN: "123:telegram-placeholder",
    DISCORD_BOT_TOKEN: "discord-placeholder",
    SLACK_BOT_TOKEN: "xoxb-placeholder",
    SLACK_APP_TOKEN: "xapp-placeholder",
    WORKER_URL: "https://moltbot.example.workers.dev/",
    OPENCLAW_HOOKS_TOKEN: "hooks-token-placeholder",
  };
  let container: StartedTestContainer;

  beforeAll(async () => {
    const tag = openclawImage(OPENCLAW_VERSION, hostArch());
    await ensureImages({ arches: [hostArch()], openclawVersion: OPENCLAW_VERSION }, new StepRunner((line) => console.log(line)));
    container = await new GenericContainer(tag).withEntrypoint(["tini", "--", "sleep", "infinity"]).withLabels(moltlabLabels("test")).start();
  });

  afterAll(async () => {
    await container?.stop({ timeout: 1 });
  });

  it.each([
    ["production, every channel and hook", {}],
    ["dev mode", { OPENCLAW_DEV_MODE: "true" }],
  ])("%s: valid, with no warning", async (_name, extra) => {
    const env: Record<string, string> = { ...everything, ...extra };
    const built = buildConfig(null, env, { gatewayPort: 18789, openclawVersion: OPENCLAW_VERSION });
    if (!built.ok) throw new Error(built.problems.join("; "));
    const target = "/tmp/moltlab-config-check/openclaw.json";
    await container.copyContentToContainer([{ content: JSON.stringify(built.config, null, 2), target, mode: 0o644 }]);
    // The ${VAR}s it references are set, as the supervisor sets them for the gateway.
    const references = Object.fromEntries(built.references.map((name) => [name, env[name] ?? `${name.toLowerCase()}-placeholder`]));
    const result = await container.exec(["openclaw", "config", "validate", "--json"], {
      user: "node",
      env: { ...references, OPENCLAW_CONFIG_PATH: target },
    });
    const json = result.output.slice(result.output.indexOf("{"));
    expect(result.exitCode, result.output).toBe(0);
    expect(JSON.parse(json), result.output).toMatchObject({ valid: true, warnings: [] });
  });
});
