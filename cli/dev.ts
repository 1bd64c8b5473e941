/**
 * `moltlab dev [--platform amd64|arm64] [--instance-type T] [--port N] [--reset] [--dev-mode]
 * [--dockerfile PATH]`: the local sandbox in the foreground (see sandbox.ts) until Ctrl-C or
 * SIGTERM, which stop it in order and leave nothing running. State (the R2 bucket, the Durable
 * Object) is kept across runs in the cache dir; `--reset` starts from an empty one. `--dev-mode`
 * sets the Worker's DEV_MODE: no Access login (the Worker listens on 127.0.0.1 only).
 * `--dockerfile` runs the user's own image with the supervisor layered on top
 * (container/build/user-image.ts) instead of the bundled one. `--cassette FILE` (with
 * emulate's timing options): the AI Gateway answers from a cassette, offline and strict;
 * `--record-to FILE [--upstream URL]`: it records the session's model traffic instead.
 * `--telegram`: OpenClaw's Telegram channel against the Telegram emulator, by webhook through
 * the Worker, with user TELEGRAM_DEV_USER on its allow-list. `--discord`: OpenClaw's Discord
 * channel (the image's @openclaw/discord plugin) against the Discord emulator, with person
 * DISCORD_DEV_USER on its allow-list for DMs and #general answered without a mention. Discord
 * holds a Gateway WebSocket: while the container sleeps it hears nothing (messages sent then are
 * never delivered), so dev keeps the Worker's default SANDBOX_SLEEP_AFTER=never.
 * `--hooks`: OpenClaw's inbound webhooks (`POST /hooks/agent`, `/hooks/wake`) on with a token made
 * for the session (OPENCLAW_HOOKS_TOKEN), printed with a curl line that calls them through the Worker.
 * `--from-cloudflare-api [--bucket NAME] [--access-app NAME|ID|DOMAIN]`: the R2 bucket and the
 * Access application's AUD a Terraform apply made in the Cloudflare API emulator
 * (`npm run emulate -- cloudflare-api`), read from its state (stack/cloudflare-deployment.ts).
 */
import { parseWebServices, WEB_SERVICES_VAR, type WebService, WebServicesError } from "../contract/web-services.ts";
import os from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { parseDockerfile } from "../container/build/dockerfile-parse.ts";
import { parseCommandArgs, type OptionSpec } from "../core/args.ts";
import { cacheDir } from "../core/host.ts";
import { describeInstanceTypes, isInstanceType, type InstanceType } from "../contract/instance-types.ts";
import { UserError } from "../core/errors.ts";
import { describeRealProvider, providerFromEnv, type Provider } from "../stack/provider.ts";
import { type CloudflareDeployment, type DeploymentChoice, readCloudflareDeployment, sandboxSettings } from "../stack/cloudflare-deployment.ts";
import { startSandbox, type StartedSandbox } from "../stack/sandbox.ts";
import { setup } from "../setup/index.ts";
import { formatSeconds, StepRunner } from "../core/ui.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import { readCassette, type RecordOptions, type ReplayOptions } from "../emulators/ai-gateway/index.ts";
import { startTelegram, type StartedTelegram } from "../emulators/telegram/index.ts";
import { startDiscord, type StartedDiscord } from "../emulators/discord/index.ts";
import { randomSecret } from "../core/secret.ts";
import { CASSETTE_USAGE, cassetteOptions, replayOptions, type CassetteValues } from "./cassette-args.ts";

export const DEFAULT_DEV_PORT = 8787;

export interface DevArgs {
  arch: Arch;
  /** undefined: worker/wrangler.jsonc's instance_type. */
  instanceType?: InstanceType;
  port: number;
  reset: boolean;
  /** DEV_MODE=true for the Worker: Access skipped. */
  devMode: boolean;
  /** The user's own Dockerfile (absolute): run their image with the supervisor on top. */
  dockerfile?: string;
  /** The AI Gateway answers from this cassette (file absolute). */
  cassette?: ReplayOptions;
  /** The AI Gateway records the session into this cassette (file absolute). */
  record?: RecordOptions;
  /** OpenClaw's Telegram channel against the Telegram emulator. */
  telegram: boolean;
  /** Run with what a Terraform apply made in the Cloudflare API emulator; `--bucket`/`--access-app` choose among several. */
  fromCloudflareApi?: Pick<DeploymentChoice, "bucket" | "accessApp">;
  /** OpenClaw's Discord channel against the Discord emulator. */
  discord: boolean;
  /** --web-services "board.localhost=8080,…": your own web services, each on its hostname (SANDBOX_WEB_SERVICES). */
  webServices?: WebService[];
  /** OpenClaw's inbound webhooks on, with a token made for the session (OPENCLAW_HOOKS_TOKEN). */
  hooks: boolean;
}

/** The person `--telegram` lets write to the bot (its allow-list); anyone else is ignored, as OpenClaw's allowlist policy does. */
export const TELEGRAM_DEV_USER = 1001;
/** The person (a Discord user id) `--discord` lets write to the bot, in DMs and in #general. */
export const DISCORD_DEV_USER = "222222222222222222";

const DEV_USAGE =
  "usage: moltlab dev [--platform amd64|arm64] [--instance-type T] [--port N] [--reset] [--dev-mode] [--dockerfile PATH] [--telegram] [--discord] [--hooks] [--web-services HOST=PORT,…] " +
  "[--from-cloudflare-api [--bucket NAME] [--access-app NAME|ID|DOMAIN]] " +
  `[${CASSETTE_USAGE} | --record-to FILE [--upstream URL]]`;

/** npm runs scripts in the package root; the caller's directory is INIT_CWD. */
function callerPath(path: string): string {
  return isAbsolute(path) ? path : join(process.env.INIT_CWD ?? process.cwd(), path);
}

const DEV_OPTIONS = {
  platform: {
    type: "string",
    parse: (raw: string): Arch => {
      const platform = raw.replace(/^linux\//, "");
      if (!(ARCHES as readonly string[]).includes(platform))
        throw new UserError(
          `--platform ${platform || "(missing)"} is not amd64 or arm64`,
          "use `npm run dev -- --platform amd64` (Cloudflare's) or `--platform arm64`",
        );
      return platform as Arch;
    },
  },
  "instance-type": {
    type: "string",
    parse: (type: string): InstanceType => {
      if (!isInstanceType(type)) throw new UserError(`--instance-type ${type || "(missing)"} is not an instance type`, `use one of ${describeInstanceTypes()}`);
      return type;
    },
  },
  port: {
    type: "string",
    parse: (port: string): number => {
      if (!/^\d+$/.test(port) || Number(port) > 65535)
        throw new UserError(
          `--port ${port || "(missing)"} is not a port number`,
          `use e.g. \`npm run dev -- --port ${DEFAULT_DEV_PORT}\` (0 picks a free port)`,
        );
      return Number(port);
    },
  },
  reset: { type: "boolean" },
  "from-cloudflare-api": { type: "boolean" },
  bucket: {
    type: "string",
    parse: (name: string): string => {
      if (!name) throw new UserError("--bucket needs a name", "name one of the R2 buckets your Terraform made, e.g. `--bucket moltbot-data`");
      return name;
    },
  },
  "access-app": {
    type: "string",
    parse: (app: string): string => {
      if (!app)
        throw new UserError("--access-app needs a value", "name the Access application by its name, id or domain, e.g. `--access-app moltbot.example.com`");
      return app;
    },
  },
  "dev-mode": { type: "boolean" },
  "web-services": {
    type: "string",
    parse: (value: string): WebService[] => {
      try {
        return parseWebServices(value);
      } catch (error) {
        if (error instanceof WebServicesError) throw new UserError(`--web-services: ${error.message}`, error.fix.replace(WEB_SERVICES_VAR, "--web-services"));
        throw error;
      }
    },
  },
  telegram: { type: "boolean" },
  discord: { type: "boolean" },
  hooks: { type: "boolean" },
  dockerfile: {
    type: "string",
    parse: (path: string): string => {
      if (!path) throw new UserError("--dockerfile needs a path", "pass your Dockerfile, e.g. `npm run dev -- --dockerfile ../my-openclaw/Dockerfile`");
      return callerPath(path);
    },
  },
  ...cassetteOptions(DEV_USAGE),
  "record-to": {
    type: "string",
    parse: (path: string): string => {
      if (!path) throw new UserError("--record-to needs a file", "e.g. `npm run dev -- --record-to tapes/session.json`");
      return callerPath(path);
    },
  },
} satisfies Record<string, OptionSpec<unknown>>;

export function parseDevArgs(args: readonly string[]): DevArgs {
  const { values } = parseCommandArgs(args, DEV_OPTIONS, { usage: DEV_USAGE });
  return {
    arch: values.platform ?? "amd64",
    ...(values["instance-type"] ? { instanceType: values["instance-type"] } : {}),
    port: values.port ?? DEFAULT_DEV_PORT,
    reset: values.reset ?? false,
    devMode: values["dev-mode"] ?? false,
    telegram: values.telegram ?? false,
    discord: values.discord ?? false,
    hooks: values.hooks ?? false,
    ...(values["web-services"]?.length ? { webServices: values["web-services"] } : {}),
    ...(values.dockerfile ? { dockerfile: values.dockerfile } : {}),
    ...tapeArgs(values),
    ...deploymentArgs(values),
  };
}

/** --from-cloudflare-api, and what chooses among several buckets or applications (only with it: they choose from its state). */
function deploymentArgs(values: { "from-cloudflare-api"?: boolean; bucket?: string; "access-app"?: string }): Pick<DevArgs, "fromCloudflareApi"> {
  const choice = {
    ...(values.bucket !== undefined ? { bucket: values.bucket } : {}),
    ...(values["access-app"] !== undefined ? { accessApp: values["access-app"] } : {}),
  };
  if (values["from-cloudflare-api"]) return { fromCloudflareApi: choice };
  const given =
    values.bucket !== undefined ? `--bucket ${values.bucket}` : values["access-app"] !== undefined ? `--access-app ${values["access-app"]}` : undefined;
  if (given)
    throw new UserError(
      `${given.split(" ")[0]} chooses among what --from-cloudflare-api reads from the Cloudflare API emulator's state`,
      `add it: \`npm run dev -- --from-cloudflare-api ${given}\``,
    );
  return {};
}

/** --cassette (replay) or --record-to (record): one or neither; --upstream belongs to recording, or to --record-on-miss. */
function tapeArgs(values: CassetteValues & { "record-to"?: string }): Pick<DevArgs, "cassette" | "record"> {
  const recordTo = values["record-to"];
  if (recordTo !== undefined && values.cassette !== undefined) {
    throw new UserError(
      "--cassette replays a cassette and --record-to records one: give one of them",
      "to extend a cassette while replaying it, use --cassette FILE --record-on-miss --upstream URL",
    );
  }
  const cassette = replayOptions(values, DEV_USAGE, { upstreamElsewhere: true });
  if (cassette) return { cassette: { ...cassette, file: callerPath(cassette.file) } };
  if (recordTo !== undefined) return { record: { to: recordTo, ...(values.upstream !== undefined ? { upstream: values.upstream } : {}) } };
  if (values.upstream !== undefined) throw new UserError("--upstream only goes with --record-to FILE or --cassette FILE --record-on-miss", DEV_USAGE);
  return {};
}

/** A missing or unparsable Dockerfile stops `dev` before anything starts (the error names the line and the fix). */
export function checkDockerfile(path: string): void {
  if (!existsSync(path)) throw new UserError(`the Dockerfile ${path} does not exist`, "pass the path of your Dockerfile with `--dockerfile PATH`");
  parseDockerfile(readFileSync(path, "utf8"), path);
}

/** Where `moltlab dev` keeps wrangler's state (the R2 bucket, the Sandbox Durable Object). */
export function devStateDir(): string {
  return join(cacheDir(), "dev", "state");
}

function describeProvider(provider: Provider, sandbox: StartedSandbox, options: DevArgs): string {
  const via = provider.kind === "ai-gateway" ? ` (your AI Gateway's account, gateway, model${options.record ? " and key" : ""})` : "";
  if (options.cassette) return `the cassette ${options.cassette.file}${via}, strict: a request it does not hold is refused (404 naming the first difference)`;
  if (options.record)
    return `recording to ${options.record.to}${via} from ${options.record.upstream ?? "https://gateway.ai.cloudflare.com"}; each exchange is written when its answer ends`;
  if (provider.kind !== "emulator") return describeRealProvider(provider);
  return `the AI Gateway emulator (fake replies; scenarios: POST ${sandbox.aiGateway!.controlUrl}/scenarios)`;
}

/** Where the Terraform apply's values went: the bucket, the application's AUD, and who stands in for the team domain. */
function deploymentLines(deployment: CloudflareDeployment, sandbox: StartedSandbox): string[] {
  const { access } = deployment;
  return [
    `  terraform    values from ${deployment.source}`,
    `    R2 bucket    ${sandbox.bucket} (the Worker's MOLTBOT_BUCKET binding and R2_BUCKET_NAME)`,
    access
      ? `    Access       application "${access.app.name}" (${access.app.domain}): its AUD is CF_ACCESS_AUD; team ${access.teamDomain} is stood in for by ${sandbox.access.teamDomain}`
      : "    Access       no application in the state (--dev-mode skips Access)",
  ];
}

/** How to play the person writing to the bot, and where to see what the bot answered. */
function telegramLines(telegram: StartedTelegram): string[] {
  const bot = `${telegram.controlUrl}/bots/${telegram.bot.user.id}`;
  return [
    `  telegram     bot @${telegram.bot.user.username} on the emulator (${telegram.apiRoot}); updates by webhook through the Worker; user ${TELEGRAM_DEV_USER} is allowed`,
    `    write:  curl -H 'content-type: application/json' -d '{"from":{"id":${TELEGRAM_DEV_USER},"first_name":"You"},"text":"hello"}' ${bot}/messages`,
    `    read:   curl ${bot}/actions?chat_id=${TELEGRAM_DEV_USER}`,
  ];
}

/** How to play the person writing to the Discord bot, and where to see what it answered. */
function discordLines(discord: StartedDiscord): string[] {
  const bot = `${discord.controlUrl}/bots/${discord.bot.user.id}`;
  const you = `{"id":"${DISCORD_DEV_USER}","username":"you"}`;
  return [
    `  discord      bot ${discord.bot.user.username} on the emulator (${discord.apiUrl}); person ${DISCORD_DEV_USER} is allowed, in DMs and #general (no mention needed); it hears nothing while the container sleeps`,
    `    write:  curl -H 'content-type: application/json' -d '{"from":${you},"dm":true,"text":"hello"}' ${bot}/messages`,
    `    read:   curl ${bot}/actions`,
  ];
}

export async function dev(args: readonly string[]): Promise<number> {
  const options = parseDevArgs(args);
  if (options.dockerfile) checkDockerfile(options.dockerfile);
  // A cassette that is missing or unreadable stops dev before the image build and the rest (file, line, fix).
  if (options.cassette) await readCassette(options.cassette.file);
  // No state, no bucket, or a choice to make stops dev before anything starts (the error names the option).
  const deployment = options.fromCloudflareApi ? readCloudflareDeployment({ ...options.fromCloudflareApi, needsAccess: !options.devMode }) : undefined;
  const provider = providerFromEnv();
  // Installed first: a Ctrl-C during startup stops what has started instead of leaving it behind.
  const abort = new AbortController();
  let signals = 0;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        // The platform removes the container on its next start; wrangler's group dies with us.
        console.error("moltlab dev: stopping at once; the next `npm run dev` removes what is left");
        process.exit(128 + os.constants.signals[signal]);
      }
      console.log(`\nmoltlab dev: ${signal}, stopping (press Ctrl-C again to stop at once)`);
      abort.abort();
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  if (process.env.MOLTLAB_AUTO_SETUP !== "0") await setup(new StepRunner());
  if (abort.signal.aborted) return 128 + os.constants.signals[await stopRequested];

  const started = performance.now();
  const steps = new StepRunner();
  const stateDir = devStateDir();
  console.log(`\nmoltlab dev: starting the local sandbox (linux/${options.arch})`);
  if (options.reset) {
    await steps.step("reset state", async () => {
      await rm(stateDir, { recursive: true, force: true });
      return { status: "done", detail: `removed ${stateDir}` };
    });
  }
  let sandbox: StartedSandbox;
  let telegram: StartedTelegram | undefined;
  let discord: StartedDiscord | undefined;
  const hooksToken = options.hooks ? randomSecret(24) : undefined;
  try {
    if (options.discord) {
      await steps.step("Discord emulator", async () => {
        discord = await startDiscord();
        return { status: "done", detail: `${discord.apiUrl}, bot ${discord.bot.user.username}` };
      });
    }
    if (options.telegram) {
      await steps.step("Telegram emulator", async () => {
        telegram = await startTelegram();
        return { status: "done", detail: `${telegram.apiRoot}, bot @${telegram.bot.user.username}` };
      });
    }
    sandbox = await startSandbox({
      arch: options.arch,
      port: options.port,
      ...(options.instanceType ? { instanceType: options.instanceType } : {}),
      devMode: options.devMode,
      ...(options.webServices ? { webServices: options.webServices } : {}),
      ...(hooksToken ? { hooksToken } : {}),
      ...(deployment ? sandboxSettings(deployment) : {}),
      ...(options.dockerfile ? { dockerfile: options.dockerfile } : {}),
      ...(options.cassette ? { cassette: options.cassette } : {}),
      ...(options.record ? { record: options.record } : {}),
      ...(telegram
        ? {
            telegram: {
              botToken: telegram.token,
              apiRoot: telegram.apiRoot,
              dmPolicy: "allowlist" as const,
              allowFrom: [TELEGRAM_DEV_USER],
              webhookSecret: randomSecret(24),
            },
          }
        : {}),
      ...(discord
        ? {
            discord: {
              botToken: discord.token,
              apiUrl: discord.apiUrl,
              dmPolicy: "allowlist" as const,
              allowFrom: [DISCORD_DEV_USER],
              guildChannels: [{ guildId: discord.guildId, channelId: discord.channels.general! }],
            },
          }
        : {}),
      persistTo: stateDir,
      provider,
      steps,
      signal: abort.signal,
      onWorkerLine: (line) => process.stdout.write(`  [worker] ${line}\n`),
    });
  } catch (error) {
    await telegram?.stop();
    await discord?.stop();
    if (abort.signal.aborted) return 128 + os.constants.signals[await stopRequested];
    throw error;
  }

  const identity = sandbox.access.identities[0]!;
  const serviceJwt = sandbox.access.mintServiceToken();
  const hostOnly = sandbox.network === "host" ? "on this machine's loopback only (host networking)" : "on the Docker bridge, published on 127.0.0.1";
  process.stdout.write(
    [
      "",
      `moltlab dev is ready (${formatSeconds((performance.now() - started) / 1000)}); OpenClaw starts on the first request (about a minute).`,
      `  open         ${sandbox.url}/`,
      options.devMode
        ? "  log in       not needed: --dev-mode skips Cloudflare Access (anyone on this machine can use it; responses say X-Moltlab-Dev-Mode)"
        : `  log in as    ${identity} (the Access login page lets you pick it, or type another email)`,
      `  admin        ${sandbox.url}/_admin/`,
      `  model        ${describeProvider(provider, sandbox, options)}`,
      `  gateway      ${hostOnly}; image ${sandbox.image}`,
      `  state        ${stateDir} (npm run dev -- --reset starts empty)`,
      ...(deployment ? deploymentLines(deployment, sandbox) : []),
      ...(telegram ? telegramLines(telegram) : []),
      ...(discord ? discordLines(discord) : []),
      ...(hooksToken ? hooksLines(sandbox.url, hooksToken, options.devMode ? null : serviceJwt) : []),
      `  service token (Access JWT for ${sandbox.access.serviceToken.clientId}, valid 24 h):`,
      `    curl -H "CF-Access-JWT-Assertion: ${serviceJwt}" ${sandbox.url}/api/status`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );

  const signal = await Promise.race([
    stopRequested,
    sandbox.wrangler.exited.then(({ code, signal: ended }) => {
      if (abort.signal.aborted) return null; // our own stop ended it
      console.error(`moltlab dev: wrangler dev exited on its own (${ended ?? `code ${code}`}); stopping the rest`);
      return null;
    }),
  ]);
  console.log("moltlab dev: stopping");
  const stopping = new StepRunner();
  // A failed step (above all the final backup) is printed by its step; the rest still stops.
  const failed = await sandbox.stop(stopping).then(
    () => false,
    () => true,
  );
  if (telegram) {
    const emulator = telegram;
    await stopping.step("stop the Telegram emulator", async () => {
      await emulator.stop();
      return { status: "done", detail: emulator.url };
    });
  }
  if (discord) {
    const emulator = discord;
    await stopping.step("stop the Discord emulator", async () => {
      await emulator.stop();
      return { status: "done", detail: emulator.url };
    });
  }
  if (failed) {
    console.error("moltlab dev: stopped, nothing left running, but a step above failed");
    return 1;
  }
  console.log("moltlab dev: stopped; nothing left running");
  return signal ? 128 + os.constants.signals[signal] : 1;
}

/** How to call OpenClaw's webhooks through the Worker: the hook token, and Access's service token unless --dev-mode. */
export function hooksLines(url: string, token: string, serviceJwt: string | null): string[] {
  const access = serviceJwt ? ` -H "CF-Access-JWT-Assertion: ${serviceJwt}"` : "";
  return [
    "  webhooks     OpenClaw's inbound webhooks (OPENCLAW_HOOKS_TOKEN); a call wakes a sleeping container and waits for it:",
    `    curl -X POST${access} -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" \\`,
    `      -d '{"message":"Summarize the day","deliver":false}' ${url}/hooks/agent`,
  ];
}
