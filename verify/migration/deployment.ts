/**
 * A moltworker deployment against the kit's Worker (worker/wrangler.jsonc): each part of the
 * deployment carries over as it is, needs a stated change, or has no counterpart in the kit.
 * The kit keeps moltworker's names (Worker `moltbot-sandbox`, DO class and binding `Sandbox`,
 * migration v1, bucket `moltbot-data` under MOLTBOT_BUCKET), so a stock deployment carries over.
 */
import { DEFAULT_BUCKET } from "../../contract/storage.ts";
import { INSTANCE_TYPE_NAMES } from "../../contract/instance-types.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";
import { VARIABLE_NAMES } from "../../worker/src/manifest.ts";
import type { Deployment, Migration, WranglerConfig } from "./wrangler-config.ts";

export const DEPLOYMENT_STATUSES = ["carries over", "needs a change", "no counterpart"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export interface DeploymentRow {
  part: string;
  theirs: string;
  kit: string;
  status: DeploymentStatus;
  /** Why it carries over, or the change to make, or why nothing is needed. */
  action: string;
}

/** Keys the rows below judge one by one; any other top-level key gets a row of its own. */
const JUDGED = new Set([
  "$schema",
  "name",
  "main",
  "compatibility_date",
  "compatibility_flags",
  "observability",
  "assets",
  "rules",
  "build",
  "containers",
  "durable_objects",
  "migrations",
  "r2_buckets",
  "browser",
  "vars",
  "env",
]);

/** Bindings the kit's Worker does not use: kept by name in the table. */
const OTHER_BINDINGS = new Set([
  "kv_namespaces",
  "d1_databases",
  "queues",
  "services",
  "ai",
  "vectorize",
  "hyperdrive",
  "analytics_engine_datasets",
  "send_email",
  "workflows",
  "dispatch_namespaces",
  "mtls_certificates",
  "images",
  "secrets_store_secrets",
  "version_metadata",
  "unsafe",
]);

const show = (value: unknown) => (value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value));

export function compareDeployment(deployment: Deployment, kit: WranglerConfig): DeploymentRow[] {
  const theirs = deployment.config;
  const rows: DeploymentRow[] = [];
  const row = (part: string, their: unknown, ours: unknown, status: DeploymentStatus, action: string) =>
    rows.push({ part, theirs: show(their), kit: show(ours), status, action });

  // The Worker's name: secrets, Durable Object storage and routes belong to it.
  if (theirs.name === kit.name)
    row("Worker name", theirs.name, kit.name, "carries over", "same Worker: its secrets, Durable Object storage and routes stay attached on deploy");
  else
    row(
      "Worker name",
      theirs.name,
      kit.name,
      "needs a change",
      `set "name": "${theirs.name ?? "…"}" in worker/wrangler.jsonc to deploy over your Worker (secrets and Durable Object storage belong to its name), or put every secret again under ${kit.name}`,
    );

  row(
    "main, build, rules",
    [theirs.main, theirs.build, theirs.rules].filter(Boolean),
    kit.main,
    "no counterpart",
    "your Worker's code and its vite build are replaced by the kit's Worker (worker/src); nothing to carry",
  );
  const extraFlags = (theirs.compatibility_flags ?? []).filter((flag) => !(kit.compatibility_flags ?? []).includes(flag));
  row(
    "compatibility_flags",
    theirs.compatibility_flags,
    kit.compatibility_flags,
    extraFlags.length ? "no counterpart" : "carries over",
    extraFlags.length ? `${extraFlags.join(", ")}: not needed by the kit's Worker` : "the kit's Worker runs with the same flags",
  );
  row(
    "compatibility_date",
    theirs.compatibility_date,
    kit.compatibility_date,
    "carries over",
    "the kit's date applies to the kit's code; yours described your code",
  );
  if (theirs.observability !== undefined) row("observability", theirs.observability, kit.observability, "carries over", "Workers Logs as before");
  if (theirs.assets !== undefined) {
    const binding = theirs.assets.binding;
    row(
      "assets",
      theirs.assets,
      kit.assets,
      binding === undefined || binding === kit.assets?.binding ? "carries over" : "no counterpart",
      `the admin page is the kit's (worker/public) under binding ${kit.assets?.binding}; your built dist/client is not needed`,
    );
  }

  durableObjectRows(theirs, kit, row);
  migrationRows(theirs.migrations ?? [], kit.migrations ?? [], row);
  containerRows(theirs, kit, row);
  bucketRows(theirs, kit, row);

  if (theirs.browser !== undefined) {
    const same = theirs.browser.binding === kit.browser?.binding;
    row(
      "browser",
      theirs.browser,
      kit.browser,
      same ? "carries over" : "needs a change",
      same
        ? "Browser Rendering for the CDP shim, same binding"
        : `rename the binding to ${kit.browser?.binding}: the kit's Worker reads env.${kit.browser?.binding}`,
    );
  }

  for (const [name, value] of Object.entries(theirs.vars ?? {})) {
    const known = (VARIABLE_NAMES as readonly string[]).includes(name);
    row(
      `var ${name}`,
      typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : "(an object)",
      known ? "read by the kit's Worker" : "—",
      known ? "carries over" : "no counterpart",
      known
        ? "add it to vars in worker/wrangler.jsonc (the kit sets none by default)"
        : "the kit's Worker does not read it; drop it, or pass it as a secret if the container needs it",
    );
  }
  for (const [name, value] of Object.entries(theirs.env ?? {})) {
    row(
      `env.${name}`,
      Object.keys((value as object) ?? {}),
      Object.keys(kit.env ?? {}),
      "needs a change",
      `copy what env.${name} overrides into worker/wrangler.jsonc's env.${name} (environments do not inherit bindings; the kit's env.local is for moltlab's local platform)`,
    );
  }
  for (const key of Object.keys(theirs).filter((key) => !JUDGED.has(key))) {
    if (OTHER_BINDINGS.has(key))
      row(key, theirs[key], "—", "no counterpart", "a binding the kit's Worker does not use: add it to worker/wrangler.jsonc only if code you add needs it");
    else if (key === "routes" || key === "route" || key === "workers_dev")
      row(
        key,
        theirs[key],
        kit[key],
        "needs a change",
        `add ${key} to worker/wrangler.jsonc as it is: routes and custom domains attach to the Worker (keep Access in front of them)`,
      );
    else if (key === "triggers")
      row(key, theirs[key], "—", "no counterpart", "the kit's Worker has no scheduled handler; OpenClaw's own cron runs in the container");
    else
      row(
        key,
        theirs[key],
        kit[key],
        "needs a change",
        `not judged by moltlab: compare with worker/wrangler.jsonc and copy it if your deployment relies on it`,
      );
  }

  if (deployment.dockerfile) rows.push(...dockerfileRows(deployment.dockerfile.text));
  return rows;
}

type Row = (part: string, their: unknown, ours: unknown, status: DeploymentStatus, action: string) => void;

function durableObjectRows(theirs: WranglerConfig, kit: WranglerConfig, row: Row): void {
  const kitBindings = kit.durable_objects?.bindings ?? [];
  for (const binding of theirs.durable_objects?.bindings ?? []) {
    const same = kitBindings.find((candidate) => candidate.name === binding.name && candidate.class_name === binding.class_name);
    if (same) {
      row(
        `Durable Object ${binding.name}`,
        binding,
        same,
        "carries over",
        "same binding and class: the container's Durable Object (and its SQLite storage) is the one you have",
      );
      continue;
    }
    const kitClass = kitBindings[0]?.class_name ?? "Sandbox";
    row(
      `Durable Object ${binding.name}`,
      binding,
      kitBindings,
      "needs a change",
      binding.class_name !== kitClass
        ? `the kit's class is ${kitClass}: add a migration { "tag": "<next>", "renamed_classes": [{ "from": "${binding.class_name}", "to": "${kitClass}" }] } to keep its storage, or accept a new, empty Durable Object`
        : `rename the binding to ${kitBindings[0]?.name}: the kit's Worker reads env.${kitBindings[0]?.name}`,
    );
  }
}

function migrationRows(theirs: Migration[], kit: Migration[], row: Row): void {
  theirs.forEach((migration, index) => {
    const ours = kit[index];
    const same = ours !== undefined && JSON.stringify(normalise(ours)) === JSON.stringify(normalise(migration));
    if (migration.new_classes?.length) {
      row(
        `migration ${migration.tag}`,
        migration,
        ours,
        "needs a change",
        `new_classes makes key-value Durable Objects; a container needs a SQLite-backed class (new_sqlite_classes): ${migration.new_classes.join(", ")} cannot host the kit's container — a new class and an empty Durable Object, state comes back from R2`,
      );
    } else if (same) {
      row(
        `migration ${migration.tag}`,
        migration,
        ours,
        "carries over",
        "already applied to your Worker; the kit declares the same, so deploy applies nothing new",
      );
    } else {
      row(
        `migration ${migration.tag}`,
        migration,
        ours,
        "needs a change",
        "Cloudflare refuses a deploy whose migrations differ from those applied: copy your migrations list into worker/wrangler.jsonc in full, in order, then add the kit's only if a class is missing",
      );
    }
  });
  if (!theirs.length)
    row("migrations", "—", kit, "needs a change", "none declared: the kit's v1 (new_sqlite_classes Sandbox) creates the Durable Object on first deploy");
}

function normalise(migration: Migration): Migration {
  return Object.fromEntries(Object.entries(migration).sort(([a], [b]) => a.localeCompare(b))) as unknown as Migration;
}

function containerRows(theirs: WranglerConfig, kit: WranglerConfig, row: Row): void {
  const ours = kit.containers?.[0];
  for (const container of theirs.containers ?? []) {
    const part = `container ${container.class_name}`;
    row(
      `${part}: class`,
      container.class_name,
      ours?.class_name,
      container.class_name === ours?.class_name ? "carries over" : "needs a change",
      container.class_name === ours?.class_name
        ? "same Durable Object class owns the container"
        : `the kit's container class is ${ours?.class_name} (see the Durable Object row)`,
    );
    const type = container.instance_type ?? "lite";
    if (typeof type === "string" && (INSTANCE_TYPE_NAMES as readonly string[]).includes(type)) {
      row(
        `${part}: instance_type`,
        type,
        ours?.instance_type,
        type === ours?.instance_type ? "carries over" : "needs a change",
        type === ours?.instance_type
          ? "same size; judge it here with `--instance-type`"
          : `set "instance_type": "${type}" in worker/wrangler.jsonc (and judge cost and the platform with \`npm run verify -- --instance-type ${type}\`)`,
      );
    } else {
      row(
        `${part}: instance_type`,
        type,
        ours?.instance_type,
        "needs a change",
        `a custom or unknown instance type: moltlab emulates ${INSTANCE_TYPE_NAMES.join(", ")}; pick the nearest for local runs and copy yours into worker/wrangler.jsonc`,
      );
    }
    const max = container.max_instances;
    row(
      `${part}: max_instances`,
      max,
      ours?.max_instances,
      max === ours?.max_instances ? "carries over" : "needs a change",
      max === ours?.max_instances
        ? "one instance, one user, as moltworker"
        : `the kit runs one container per Worker (single user); set max_instances to ${ours?.max_instances}`,
    );
    row(
      `${part}: image`,
      container.image,
      ours?.image,
      "needs a change",
      "the kit builds its own image (OpenClaw's + the supervisor); put what your Dockerfile adds into one and pass it as `--dockerfile PATH` (see the Dockerfile rows)",
    );
  }
}

function bucketRows(theirs: WranglerConfig, kit: WranglerConfig, row: Row): void {
  const ours = kit.r2_buckets?.[0];
  for (const bucket of theirs.r2_buckets ?? []) {
    const sameBinding = bucket.binding === ours?.binding;
    const sameName = bucket.bucket_name === ours?.bucket_name;
    row(
      `R2 ${bucket.binding}`,
      bucket,
      ours,
      sameBinding && sameName ? "carries over" : "needs a change",
      sameBinding && sameName
        ? "same bucket: the kit restores moltworker's openclaw/, workspace/, skills/ (and legacy clawdbot/) prefixes on first boot, then writes snapshots beside them"
        : `${sameName ? "" : `set bucket_name "${bucket.bucket_name}" in worker/wrangler.jsonc and R2_BUCKET_NAME=${bucket.bucket_name} (the container's S3 access defaults to ${DEFAULT_BUCKET}); `}${sameBinding ? "" : `the binding must be ${ours?.binding}: the kit's Worker reads env.${ours?.binding}`}`,
    );
  }
  if (!theirs.r2_buckets?.length)
    row(
      "R2 bucket",
      "—",
      ours,
      "needs a change",
      "none declared: create the kit's bucket (`npx wrangler r2 bucket create moltbot-data`); state starts empty unless imported",
    );
}

/** What a moltworker Dockerfile holds, against the kit's image. */
function dockerfileRows(text: string): DeploymentRow[] {
  const rows: DeploymentRow[] = [];
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const from = lines.filter((line) => /^FROM\s/i.test(line)).map((line) => line.split(/\s+/)[1] ?? "");
  const sandbox = from.find((image) => image.includes("cloudflare/sandbox"));
  rows.push({
    part: "Dockerfile: base image",
    theirs: from.join(", ") || "—",
    kit: `moltlab/openclaw:${OPENCLAW_VERSION} + supervisor`,
    status: sandbox ? "no counterpart" : "needs a change",
    action: sandbox
      ? "the Sandbox SDK's control plane is not used: the kit's Worker drives the container with @cloudflare/containers; your own additions go into a Dockerfile for `--dockerfile`"
      : "pass this Dockerfile with `--dockerfile PATH`: the kit layers its supervisor on top",
  });
  const pin = /openclaw@([0-9][\w.-]*)/.exec(text)?.[1];
  if (pin)
    rows.push({
      part: "Dockerfile: OpenClaw version",
      theirs: pin,
      kit: OPENCLAW_VERSION,
      status: pin === OPENCLAW_VERSION ? "carries over" : "needs a change",
      action:
        pin === OPENCLAW_VERSION
          ? "same release"
          : `the kit runs ${OPENCLAW_VERSION}: OpenClaw migrates the state written by ${pin} on first boot (\`moltlab image -- --openclaw ${pin}\` builds yours to compare)`,
    });
  const startScript = lines.find((line) => /^COPY\s.*start-(openclaw|moltbot)\.sh/i.test(line));
  if (startScript)
    rows.push({
      part: "Dockerfile: start script",
      theirs: startScript,
      kit: "container/supervisor (restore, config, gateway, backups)",
      status: "no counterpart",
      action:
        "the supervisor does what start-openclaw.sh did (restore from R2, patch openclaw.json, start the gateway) and replaces rclone's 30 s sync with snapshots and a final backup",
    });
  const skills = lines.find((line) => /^COPY\s.*skills/i.test(line));
  if (skills)
    rows.push({
      part: "Dockerfile: skills",
      theirs: skills,
      kit: "R2 skills/ prefix, or your --dockerfile",
      status: "carries over",
      action: "skills synced to R2's skills/ are restored by the kit; skills baked into the image need the same COPY in your --dockerfile",
    });
  return rows;
}
