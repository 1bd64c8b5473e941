/**
 * 0-1 structure: what a moltworker-style deployment consists of, read from this
 * repository's executable answer (worker/ and container/) rather than from prose: the
 * wrangler config, the Worker's routes and environment (its manifest, which the Worker's own
 * tests and typecheck keep true), the image and its supervisor.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseJson5 } from "../../core/json5.ts";
import { TOOLS } from "../../container/tools/manifest.ts";
import { BINDING_NAMES, ROUTES, VARIABLE_NAMES, type WorkerRoute } from "../../worker/src/manifest.ts";
import type { ItemResult, VerifyContext } from "../types.ts";

interface Wrangler {
  name?: string;
  main?: string;
  compatibility_date?: string;
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  migrations?: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  containers?: { class_name: string; image: string; instance_type?: string; max_instances?: number }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  browser?: { binding: string };
  assets?: { directory: string; binding?: string };
}

export interface Structure {
  wrangler: Wrangler;
  routes: readonly WorkerRoute[];
  /** Env's bindings, variables and secrets. */
  envNames: readonly string[];
  dockerfile: { from: string[]; expose: string[]; entrypoint: string | null; user: string | null };
  supervisorModules: { file: string; purpose: string }[];
  usesSandboxSdk: boolean;
}

const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");

/** The first sentence of a module's doc comment: what the file says it is for. */
function purposeOf(text: string): string {
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
  const flat = comment
    .split("\n")
    .map((line) => line.replace(/^\s*\*\s?/, "").trim())
    .filter(Boolean)
    .join(" ");
  const sentence = /^(.*?\.)(\s|$)/.exec(flat)?.[1] ?? flat;
  return sentence.length > 140 ? `${sentence.slice(0, 139)}…` : sentence;
}

export function readStructure(root: string): Structure {
  const wrangler = parseJson5(read(root, "worker/wrangler.jsonc")) as Wrangler;
  const srcDir = join(root, "worker/src");
  const files = (readdirSync(srcDir, { recursive: true }) as string[]).filter((name) => name.endsWith(".ts"));
  const sources = Object.fromEntries(files.map((name) => [`worker/src/${name}`, read(root, `worker/src/${name}`)]));
  const dockerText = read(root, "container/Dockerfile");
  const lines = dockerText.split("\n").filter((line) => !line.trim().startsWith("#"));
  const instruction = (name: string) =>
    lines.filter((line) => new RegExp(`^${name}\\s`, "i").test(line.trim())).map((line) => line.trim().slice(name.length).trim());
  const supervisorDir = join(root, "container/supervisor");
  const supervisorModules = readdirSync(supervisorDir)
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .map((name) => ({ file: `container/supervisor/${name}`, purpose: purposeOf(readFileSync(join(supervisorDir, name), "utf8")) }));
  return {
    wrangler,
    routes: ROUTES,
    envNames: [...BINDING_NAMES, ...VARIABLE_NAMES],
    dockerfile: {
      from: instruction("FROM"),
      expose: instruction("EXPOSE").flatMap((value) => value.split(/\s+/)),
      entrypoint: instruction("ENTRYPOINT")[0] ?? null,
      user: instruction("USER").at(-1) ?? null,
    },
    supervisorModules,
    usesSandboxSdk: Object.values(sources).some((text) => text.includes("@cloudflare/sandbox")),
  };
}

/** The pieces a moltworker-compatible deployment must have, each checked against the files. */
export function structureChecks(s: Structure): { piece: string; ok: boolean; found: string }[] {
  const container = s.wrangler.containers?.[0];
  const doBinding = s.wrangler.durable_objects?.bindings?.find((binding) => binding.class_name === container?.class_name);
  const has = (path: string) => s.routes.some((route) => route.path === path);
  const health = s.routes.find((route) => route.path === "/sandbox-health");
  const catchAll = s.routes.find((route) => route.method === "ALL" && route.path === "/*");
  const required = [
    "MOLTBOT_GATEWAY_TOKEN",
    "CF_ACCESS_TEAM_DOMAIN",
    "CF_ACCESS_AUD",
    "CLOUDFLARE_AI_GATEWAY_API_KEY",
    "CF_AI_GATEWAY_ACCOUNT_ID",
    "CF_AI_GATEWAY_GATEWAY_ID",
    "R2_ACCESS_KEY_ID",
    "R2_SECRET_ACCESS_KEY",
    "CF_ACCOUNT_ID",
  ];
  const missingEnv = required.filter((name) => !s.envNames.includes(name));
  return [
    {
      piece: "a Durable Object class that owns the container",
      ok: !!doBinding,
      found: doBinding ? `binding ${doBinding.name} → class ${doBinding.class_name}` : "no DO binding for the containers class",
    },
    { piece: "a container image built from a Dockerfile", ok: !!container?.image, found: container ? `${container.image}` : "no containers entry" },
    {
      piece: "instance type and one instance",
      ok: !!container?.instance_type && container.max_instances === 1,
      found: container ? `${container.instance_type ?? "default"}, max_instances ${container.max_instances ?? "unset"}` : "—",
    },
    {
      piece: "an R2 bucket",
      ok: !!s.wrangler.r2_buckets?.length,
      found: s.wrangler.r2_buckets?.map((bucket) => `${bucket.binding} → ${bucket.bucket_name}`).join(", ") || "none",
    },
    { piece: "Browser Rendering binding", ok: !!s.wrangler.browser, found: s.wrangler.browser ? s.wrangler.browser.binding : "none" },
    { piece: "the gateway port 18789 exposed", ok: s.dockerfile.expose.includes("18789"), found: `EXPOSE ${s.dockerfile.expose.join(" ") || "(none)"}` },
    {
      piece: "a static health route outside Access",
      ok: health?.auth === "none",
      found: health ? `${health.method} ${health.path}${health.auth === "none" ? "" : ` (auth: ${health.auth})`}` : "missing",
    },
    {
      piece: "container status, admin API and admin UI",
      ok: has("/api/status") && s.routes.some((route) => route.path.startsWith("/api/admin/")) && has("/_admin/*"),
      found: s.routes
        .filter((route) => /^\/(api|_admin)/.test(route.path))
        .map((route) => `${route.method} ${route.path}`)
        .join(", "),
    },
    {
      piece: "everything else proxied to the gateway",
      ok: !!catchAll,
      found: catchAll ? `${catchAll.method} ${catchAll.path} → gateway proxy` : "no catch-all",
    },
    {
      piece: "moltworker's secret names",
      ok: missingEnv.length === 0,
      found: missingEnv.length ? `missing: ${missingEnv.join(", ")}` : `${s.envNames.length} names in worker/src/manifest.ts`,
    },
  ];
}

export function structureItem(ctx: VerifyContext): ItemResult {
  const base = {
    id: "0-1",
    title: "Structure",
    question: "What does a moltworker-style deployment consist of?",
    criterion: "Structure understood: worker/ and container/ are the executable answer",
  };
  const sources = ["worker/wrangler.jsonc", "worker/src/*.ts", "container/Dockerfile", "container/tools/manifest.ts", "container/supervisor/*.ts"].map(
    (path) => ({ path, generatedAt: null, origin: "static" as const }),
  );
  if (!existsSync(join(ctx.root, "worker/wrangler.jsonc"))) {
    return {
      ...base,
      verdict: "unverified",
      summary: "worker/wrangler.jsonc not found",
      evidence: [],
      wouldChange: ["run verify from a moltlab checkout"],
      sources,
    };
  }
  const s = readStructure(ctx.root);
  const checks = structureChecks(s);
  const missing = checks.filter((check) => !check.ok);
  const container = s.wrangler.containers?.[0];
  return {
    ...base,
    verdict: missing.length ? "NG" : "OK",
    summary: missing.length
      ? `missing: ${missing.map((check) => check.piece).join("; ")}`
      : `Worker ${s.wrangler.name} (${s.routes.length} routes) + DO ${container?.class_name} owning one ${container?.instance_type} container; ${TOOLS.length} tools, supervisor of ${s.supervisorModules.length} modules`,
    evidence: [
      `Read worker/wrangler.jsonc: Worker "${s.wrangler.name}", entry ${s.wrangler.main}, compatibility_date ${s.wrangler.compatibility_date}; migrations ${s.wrangler.migrations?.map((m) => `${m.tag} (${[...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])].join(", ")})`).join(", ") ?? "none"}.`,
      `Container: class ${container?.class_name}, image ${container?.image}, ${container?.instance_type}, max_instances ${container?.max_instances}; driven ${s.usesSandboxSdk ? "through @cloudflare/sandbox" : "directly through ctx.container by worker/src/container/sandbox.ts (no Sandbox SDK, no control-plane server in the image)"}.`,
      `Image (container/Dockerfile): FROM ${s.dockerfile.from.join(" → ")}; USER ${s.dockerfile.user}; EXPOSE ${s.dockerfile.expose.join(" ")}; ENTRYPOINT ${s.dockerfile.entrypoint}.`,
      `Tools manifest: ${TOOLS.map((tool) => `${tool.name} (${tool.source})`).join(", ")}.`,
      `Worker environment: ${s.envNames.length} bindings, variables and secrets in worker/src/manifest.ts.`,
      `${checks.length - missing.length} of ${checks.length} pieces of a moltworker-compatible deployment found in the files.`,
    ],
    notes: s.routes.some((route) => route.path.startsWith("/cdp"))
      ? []
      : ["Not present: upstream's /cdp routes (the Chrome DevTools shim over Browser Rendering); the BROWSER binding is declared but no route uses it yet."],
    wouldChange: missing.length
      ? missing.map((check) => `add ${check.piece}`)
      : ["a change to worker/ or container/ that drops one of the pieces in the table"],
    sources,
    tables: [
      {
        caption: "Pieces of the deployment, checked in the files",
        header: ["piece", "found", "ok"],
        rows: checks.map((check) => [check.piece, check.found, check.ok ? "yes" : "no"]),
      },
      {
        caption: "Worker routes (worker/src/manifest.ts)",
        header: ["method", "path", "auth", "what"],
        rows: s.routes.map((route) => [route.method, route.path, route.auth, route.purpose]),
      },
      {
        caption: "Container supervisor (container/supervisor)",
        header: ["module", "what it says it does"],
        rows: s.supervisorModules.map((module) => [module.file, module.purpose]),
      },
    ],
  };
}
