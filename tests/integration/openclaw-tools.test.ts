import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolsFile } from "../../container/tools/manifest.ts";
import { fingerprint, startAiGateway, type StartedAiGateway } from "../../emulators/ai-gateway/index.ts";
import { INSTANCE_TYPE, OpenclawContainer } from "./openclaw-harness.ts";
import { excerpt } from "../../verify/evidence.ts";
import { markdownTable, writeReport } from "./openclaw-reports.ts";
import { EVIDENCE_FILES, type ToolsMatrixFile, type ToolCell } from "../../verify/evidence-files.ts";
import { ARCHES, type Arch } from "../../contract/arch.ts";
import { holdHostPorts } from "../shared/host-ports.ts";

// OpenClaw on the host's network: ports 18789/18790 are the machine's, one such file at a time.
holdHostPorts();

/**
 * Phase 0-2 and 0-4: every tool of the image doing its real job, per architecture (amd64
 * natively, arm64 under QEMU), in a container under Cloudflare's run profile on the host's
 * network (the fakes listen on 127.0.0.1). Tools the image reports as not installed appear
 * in the matrix as such, with the manifest's reason, and their binary must be absent; their
 * job check still exists and runs wherever they are installed.
 *
 * Output: reports/tools-matrix.json and .md (tool, version, amd64, arm64, evidence).
 */
type Outcome = ToolCell;
type Check = (box: OpenclawContainer) => Promise<Outcome>;

const FIXTURES = join(import.meta.dirname, "fixtures/tools");
const GRAFANA_TOKEN = "glsa_moltlab_fake_service_account_token_4c1e";
const OPENAI_KEY = "sk-moltlab-fake-codex-key-9b7d";
const CODEX_REPLY = "Hello from the AI Gateway emulator, via the Responses API.";

const results = new Map<string, Partial<Record<Arch, Outcome>>>();
const versions = new Map<string, string>();
let grafana: { url: string; requests: { path: string; auth: string }[]; server: Server };
let aiGateway: StartedAiGateway;

/** A tiny fake Grafana: the HTTP API routes mcp-grafana's dashboard tools call; Bearer token required. */
async function startFakeGrafana(): Promise<typeof grafana> {
  const requests: { path: string; auth: string }[] = [];
  const dashboards = [
    {
      id: 1,
      uid: "moltlab-node",
      title: "moltlab node exporter",
      uri: "db/moltlab-node",
      url: "/d/moltlab-node/moltlab-node-exporter",
      type: "dash-db",
      tags: ["moltlab"],
      isStarred: false,
    },
    {
      id: 2,
      uid: "moltlab-openclaw",
      title: "moltlab OpenClaw gateway",
      uri: "db/moltlab-openclaw",
      url: "/d/moltlab-openclaw/moltlab-openclaw-gateway",
      type: "dash-db",
      tags: ["moltlab", "openclaw"],
      isStarred: true,
    },
  ];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://grafana");
    const auth = request.headers.authorization ?? "";
    requests.push({
      path: `${request.method} ${url.pathname}${url.search}`,
      auth: auth.startsWith("Bearer ") ? `Bearer ${fingerprint(auth.slice(7))}` : auth ? "other" : "none",
    });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/api/health") return json(200, { database: "ok", version: "11.3.0", commit: "moltlab" });
    if (auth !== `Bearer ${GRAFANA_TOKEN}`) return json(401, { message: "Unauthorized" });
    if (url.pathname === "/api/search") {
      const query = (url.searchParams.get("query") ?? "").toLowerCase();
      return json(
        200,
        dashboards.filter((dashboard) => dashboard.title.toLowerCase().includes(query)),
      );
    }
    if (url.pathname === "/api/user") return json(200, { id: 1, login: "sa-moltlab", name: "moltlab", isGrafanaAdmin: false });
    if (url.pathname === "/api/frontend/settings") return json(200, { buildInfo: { version: "11.3.0" } });
    return json(404, { message: "Not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

/** `command` exits 0 and its output matches `expect`. */
function commandCheck(command: string, expect: RegExp, env: Record<string, string> = {}): Check {
  return async (box) => {
    const result = await box.sh(`${command} 2>&1`, env);
    const ok = result.exitCode === 0 && expect.test(result.stdout);
    return { status: ok ? "ok" : "failed", evidence: `\`${command}\` → exit ${result.exitCode}: ${excerpt(result.stdout)}` };
  };
}

/** Each tool's real job. Keys are the manifest's tool names. */
const CHECKS: Record<string, Check> = {
  openclaw: commandCheck("openclaw --version", /OpenClaw \d{4}\.\d+\.\d+/),
  git: commandCheck(
    'cd "$(mktemp -d)" && git init -q -b main && git -c user.email=t@moltlab.test -c user.name=t commit -q --allow-empty -m probe && git log --format=%s && git --version',
    /^probe\ngit version \d/,
  ),
  gh: commandCheck("gh --version", /gh version \d+\.\d+/),
  jq: commandCheck(`echo '{"tool":{"name":"jq"}}' | jq -r .tool.name`, /^jq$/m),
  claude: commandCheck("claude --version", /\d+\.\d+\.\d+ \(Claude Code\)/),
  docker: async (box) => {
    // Client only: the version prints, and the missing engine is reported.
    const result = await box.sh("docker version --format '{{.Client.Version}}' 2>&1");
    const version = /^\d+\.\d+\.\d+/m.test(result.stdout);
    const engineMissing = /Cannot connect to the Docker daemon|docker daemon running|connect: no such file/i.test(result.stdout);
    return {
      status: version && engineMissing && result.exitCode !== 0 ? "ok" : "failed",
      evidence: `client-only: \`docker version --format '{{.Client.Version}}'\` → exit ${result.exitCode}: ${excerpt(result.stdout, 200)}`,
    };
  },
  "mcp-grafana": async (box) => {
    const client = readFileSync(join(FIXTURES, "mcp-stdio-client.mjs"), "utf8");
    const before = grafana.requests.length;
    const result = await box.exec(["node", "--input-type=module", "-e", client, "mcp-grafana", "search_dashboards", JSON.stringify({ query: "openclaw" })], {
      GRAFANA_URL: grafana.url,
      GRAFANA_SERVICE_ACCOUNT_TOKEN: GRAFANA_TOKEN,
      GRAFANA_API_KEY: GRAFANA_TOKEN,
    });
    const seen = grafana.requests.slice(before);
    let parsed: {
      tools?: { result?: { tools?: { name: string }[] } };
      call?: { result?: { content?: { text?: string }[]; isError?: boolean } };
      error?: string;
    };
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      return { status: "failed", evidence: `MCP client printed no JSON (exit ${result.exitCode}): ${excerpt(result.output, 300)}` };
    }
    const names = parsed.tools?.result?.tools?.map((tool) => tool.name) ?? [];
    const text = parsed.call?.result?.content?.map((part) => part.text ?? "").join("") ?? "";
    const searched = seen.find((request) => request.path.startsWith("GET /api/search"));
    const ok =
      names.includes("search_dashboards") &&
      text.includes("moltlab-openclaw") &&
      !text.includes("moltlab-node") &&
      parsed.call?.result?.isError !== true &&
      searched?.auth === `Bearer ${fingerprint(GRAFANA_TOKEN)}`;
    return {
      status: ok ? "ok" : "failed",
      evidence:
        `MCP over stdio: tools/list → ${names.length} tools (search_dashboards ${names.includes("search_dashboards") ? "listed" : "missing"}); ` +
        `search_dashboards{query:"openclaw"} → ${excerpt(text || parsed.error || JSON.stringify(parsed.call ?? {}), 140)}; fake Grafana saw ${seen.map((request) => request.path).join(", ") || "nothing"}`,
    };
  },
  codex: async (box) => {
    const before = aiGateway.log.all({ provider: "openai" }).length;
    // The provider config holds no secret: the key stays in OPENAI_API_KEY (env_key).
    const config = [
      'model = "gpt-5-codex"',
      'model_provider = "moltlab"',
      "[model_providers.moltlab]",
      'name = "moltlab AI Gateway emulator"',
      `base_url = "${aiGateway.baseUrl("openai")}"`,
      'env_key = "OPENAI_API_KEY"',
      'wire_api = "responses"',
    ].join("\n");
    await box.shOk(`mkdir -p ~/.codex && cat > ~/.codex/config.toml <<'EOF'\n${config}\nEOF`);
    const result = await box.sh(
      "cd \"$(mktemp -d)\" && timeout 120 codex exec --skip-git-repo-check --ephemeral --sandbox read-only --color never 'Say hello to moltlab.' 2>&1",
      { OPENAI_API_KEY: OPENAI_KEY },
    );
    const calls = aiGateway.log.all({ provider: "openai" }).slice(before);
    const call = calls.find((entry) => entry.path.endsWith("/openai/responses"));
    const ok = result.exitCode === 0 && result.stdout.includes(CODEX_REPLY) && call?.headers.authorization === `Bearer ***${fingerprint(OPENAI_KEY)}`;
    return {
      status: ok ? "ok" : "failed",
      evidence:
        `\`codex exec\` → exit ${result.exitCode}, printed the emulator's reply: ${result.stdout.includes(CODEX_REPLY) ? "yes" : "no"}; ` +
        `emulator saw ${calls.map((entry) => `${entry.method} …${entry.path.slice(-22)} ${entry.status}${entry.stream ? " (stream)" : ""}`).join(", ") || "nothing"}` +
        (ok ? "" : `; output: ${excerpt(result.stdout, 300)}`),
    };
  },
  ghq: async (box) => {
    // A clone over git:// from a git daemon inside the container, into ghq's root.
    const script = `
      set -e
      src="$(mktemp -d)"; git init -q --bare "$src/moltlab/demo.git"
      work="$(mktemp -d)"; git -C "$work" init -q -b main; git -C "$work" -c user.email=t@m -c user.name=t commit -q --allow-empty -m from-daemon
      git -C "$work" push -q "$src/moltlab/demo.git" main
      git daemon --base-path="$src" --export-all --listen=127.0.0.1 --port=19418 --reuseaddr --detach --pid-file="$src/pid"
      trap 'kill "$(cat "$src/pid")"' EXIT
      for i in $(seq 100); do git ls-remote git://127.0.0.1:19418/moltlab/demo.git >/dev/null 2>&1 && break; sleep 0.1; done
      export GHQ_ROOT="$(mktemp -d)"
      ghq get git://127.0.0.1:19418/moltlab/demo.git
      ghq list; git -C "$(ghq list -p | head -1)" log --format=%s; ghq --version`;
    const result = await box.sh(script);
    return {
      status: result.exitCode === 0 && /from-daemon/.test(result.stdout) ? "ok" : "failed",
      evidence: `ghq get git://127.0.0.1 (git daemon) → exit ${result.exitCode}: ${excerpt(result.output, 200)}`,
    };
  },
  gwq: commandCheck(
    'cd "$(mktemp -d)" && git init -q -b main && git -c user.email=t@m -c user.name=t commit -q --allow-empty -m base && gwq add -b moltlab-probe && gwq list && gwq --version',
    /moltlab-probe/,
  ),
  babashka: commandCheck("bb -e '(str \"bb:\" (+ 1 2))'", /bb:3/),
};

describe.each(ARCHES)("the tools in the OpenClaw image, linux/%s", (arch) => {
  let box: OpenclawContainer;
  let tools: ToolsFile;

  beforeAll(async () => {
    grafana ??= await startFakeGrafana();
    aiGateway ??= await startAiGateway({ host: "127.0.0.1" });
    aiGateway.load([{ name: "codex", match: { provider: "openai" }, reply: { text: CODEX_REPLY } }]);
    const started = Date.now();
    box = await OpenclawContainer.start({ arch, env: {}, entrypoint: ["tini", "--", "sleep", "infinity"] });
    tools = JSON.parse(await box.shOk("cat /opt/moltlab/tools.json")) as ToolsFile;
    console.log(`[${arch}] tools container (${INSTANCE_TYPE}) up in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await box?.dispose();
  });

  it("has a job check for every tool of the manifest", () => {
    expect(tools.tools.map((tool) => tool.name).filter((name) => !CHECKS[name])).toEqual([]);
  });

  it("runs each installed tool's job; tools not installed are reported with the manifest's reason and are absent", async () => {
    const failures: string[] = [];
    for (const tool of tools.tools) {
      versions.set(tool.name, tool.version);
      const started = Date.now();
      let outcome: Outcome;
      if (tool.installed) {
        outcome = await CHECKS[tool.name]!(box);
      } else {
        const command = tool.probe.command.split(" ")[0]!;
        const present = (await box.sh(`command -v ${command}`)).exitCode === 0;
        outcome = {
          status: "not installed",
          evidence: `not installed: ${tool.reason ?? "(no reason given)"}${present ? ` — but \`${command}\` IS on PATH` : ""}`,
        };
        if (present || !tool.reason) failures.push(`${tool.name}: reported not installed, reason ${JSON.stringify(tool.reason)}, binary present: ${present}`);
      }
      console.log(`[${arch}] ${tool.name}: ${outcome.status} (${Date.now() - started} ms) — ${outcome.evidence}`);
      results.set(tool.name, { ...results.get(tool.name), [arch]: outcome });
      if (outcome.status === "failed") failures.push(`${tool.name}: ${outcome.evidence}`);
    }
    expect(failures).toEqual([]);
  });
});

describe("the tools matrix report", () => {
  it("covers every tool on both architectures and is written to reports/tools-matrix.{json,md}", async () => {
    const rows = [...results].map(([tool, byArch]) => ({ tool, version: versions.get(tool) ?? "", amd64: byArch.amd64 ?? null, arm64: byArch.arm64 ?? null }));
    const cell = (outcome: Outcome | null) => (outcome ? (outcome.status === "not installed" ? "not installed" : outcome.status) : "not run");
    const evidence = (row: (typeof rows)[number]) =>
      row.amd64 && row.arm64 && row.amd64.status === row.arm64.status && row.amd64.evidence === row.arm64.evidence
        ? `${ARCHES.join(" and ")} alike: ${row.amd64.evidence}`
        : ARCHES.map((arch) => `${arch}: ${row[arch]?.evidence ?? "not run"}`).join(" · ");
    const json: ToolsMatrixFile = {
      generatedAt: new Date().toISOString(),
      instanceType: INSTANCE_TYPE,
      arm64: "QEMU user emulation on an amd64 host",
      tools: rows,
    };
    const markdown = [
      "# Tools matrix",
      "",
      `Generated by \`tests/integration/openclaw-tools.test.ts\` (\`npm test\`) at ${json.generatedAt}: each tool doing its job in the OpenClaw image, ` +
        `in a container with Cloudflare's ${INSTANCE_TYPE} profile; arm64 runs under QEMU on the amd64 host.`,
      "",
      markdownTable(
        ["tool", "version", "amd64", "arm64", "evidence"],
        rows.map((row) => [row.tool, row.version, cell(row.amd64), cell(row.arm64), evidence(row)]),
      ),
    ].join("\n");
    const paths = await writeReport(EVIDENCE_FILES.toolsMatrix, json, markdown);
    console.log(`tools matrix written: ${paths.join(", ")}\n${markdown}`);
    expect(rows.map((row) => row.tool).sort()).toEqual([...versions.keys()].sort());
    for (const row of rows) for (const arch of ARCHES) expect(row[arch], `${row.tool} on ${arch}`).not.toBeNull();
  });

  afterAll(async () => {
    await aiGateway?.stop();
    await new Promise((resolve) => grafana?.server.close(resolve));
  });
});
