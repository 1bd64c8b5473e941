import os from "node:os";
import { startAccess } from "../emulators/access/index.ts";
import { startCloudflareApi } from "../emulators/cloudflare-api/index.ts";
import { startAiGateway, type ReplayOptions } from "../emulators/ai-gateway/index.ts";
import { startR2 } from "../emulators/r2/index.ts";
import { startTelegram } from "../emulators/telegram/index.ts";
import { startDiscord } from "../emulators/discord/index.ts";
import type { ServeOptions } from "../core/serve.ts";
import { UserError } from "../core/errors.ts";
import { parseCommandArgs } from "../core/args.ts";
import { cloudflareApiDataDir } from "../stack/cloudflare-deployment.ts";
import { CASSETTE_USAGE, cassetteOptions, replayOptions } from "./cassette-args.ts";

interface Running {
  url: string;
  /** What a person needs to point a client at it. Emulator credentials are random per run and meant to be copied. */
  details: string[];
  stop(): Promise<void>;
}

/** A started emulator with what to tell about it. */
const running = (server: { url: string; stop(): Promise<void> }, details: string[]): Running => ({ url: server.url, details, stop: () => server.stop() });

/** What `emulate` passes on: where to listen and, for ai-gateway, a cassette to answer from. */
export interface EmulateOptions extends ServeOptions {
  cassette?: ReplayOptions;
}

/** The lines that tell a person where the AI Gateway's providers are (shared with `record`). */
export function aiGatewayDetails(gateway: { baseUrl(provider: "anthropic" | "openai" | "compat" | "workers-ai"): string; controlUrl: string }): string[] {
  const providers = ["anthropic", "openai", "compat", "workers-ai"] as const;
  return [...providers.map((provider) => `${provider} base URL: ${gateway.baseUrl(provider)}`), `control API: ${gateway.controlUrl}`];
}

const EMULATORS: Record<string, (options: EmulateOptions) => Promise<Running>> = {
  "ai-gateway": async (options) => {
    const gateway = await startAiGateway(options);
    const replay = options.cassette;
    const tape = replay
      ? [
          `cassette: ${replay.file} (${replay.timing ?? "as-recorded"}${replay.timingScale ? ` ×${replay.timingScale}` : ""}, strict${replay.recordOnMiss ? `; a miss is recorded from ${replay.upstream}` : ""})`,
        ]
      : [];
    return running(gateway, [...aiGatewayDetails(gateway), ...tape]);
  },
  r2: async ({ cassette: _, ...options }) => {
    const r2 = await startR2(options);
    return running(r2, [
      `backend: ${r2.backend}`,
      `S3 endpoint: ${r2.endpoint}`,
      `bucket: ${r2.bucket}`,
      `region: ${r2.region}`,
      `access key id: ${r2.accessKeyId}`,
      `secret access key: ${r2.secretAccessKey}`,
    ]);
  },
  access: async ({ cassette: _, ...options }) => {
    const access = await startAccess(options);
    return running(access, [
      `team domain (CF_ACCESS_TEAM_DOMAIN): ${access.teamDomain}`,
      `audience (CF_ACCESS_AUD): ${access.audience}`,
      `certs: ${access.certsUrl}`,
      `login: ${access.loginUrl()}`,
      `service token: CF-Access-Client-Id ${access.serviceToken.clientId}, CF-Access-Client-Secret ${access.serviceToken.clientSecret}`,
    ]);
  },
  telegram: async ({ cassette: _, ...options }) => {
    const telegram = await startTelegram(options);
    return running(telegram, [
      `bot: @${telegram.bot.user.username} (id ${telegram.bot.user.id})`,
      `token (TELEGRAM_BOT_TOKEN): ${telegram.token}`,
      `API root (TELEGRAM_API_ROOT, OpenClaw's channels.telegram.apiRoot): ${telegram.apiRoot}`,
      `write as a person: POST ${telegram.controlUrl}/bots/${telegram.bot.user.id}/messages {"from":{"id":1001},"text":"hi"}`,
      `what the bot sent: GET ${telegram.controlUrl}/bots/${telegram.bot.user.id}/actions`,
    ]);
  },
  discord: async ({ cassette: _, ...options }) => {
    const discord = await startDiscord(options);
    const id = discord.bot.user.id;
    return running(discord, [
      `bot: ${discord.bot.user.username} (id ${id}), guild ${discord.guildId}, #general ${discord.channels.general}`,
      `token (DISCORD_BOT_TOKEN): ${discord.token}`,
      `API URL (DISCORD_API_URL): ${discord.apiUrl}`,
      `gateway (what GET /gateway/bot answers): ${discord.gatewayUrl}`,
      `write as a person: POST ${discord.controlUrl}/bots/${id}/messages {"from":{"username":"alice"},"text":"hi"}`,
      `write to the bot directly: the same with "dm":true`,
      `what the bot did: GET ${discord.controlUrl}/bots/${id}/actions`,
      `gateway sessions: GET ${discord.controlUrl}/bots/${id}/sessions; POST …/sessions/drop cuts them (clients resume)`,
    ]);
  },
  "cloudflare-api": async ({ cassette: _, ...options }) => {
    // The account outlives the process (Terraform's state refers to its ids): kept in the kit's cache folder.
    const api = await startCloudflareApi({ ...options, dataDir: cloudflareApiDataDir() });
    const zone = api.zones()[0]!;
    return running(api, [
      `base URL (CLOUDFLARE_BASE_URL, the provider's base_url): ${api.baseUrl}`,
      `API token (CLOUDFLARE_API_TOKEN): ${api.token}`,
      `account id (CLOUDFLARE_ACCOUNT_ID): ${api.accountId}`,
      `zone: ${zone.name} (id ${zone.id})`,
      `Access team domain: ${api.teamDomain}`,
      `state: ${api.stateFile} (delete it to start from an empty account)`,
      "after a Terraform apply here, `npm run dev -- --from-cloudflare-api` runs the sandbox with its bucket, Access AUD and team",
    ]);
  },
  containers: async ({ cassette: _, ...options }) => {
    // Loaded on demand: it brings dockerode, which no other command needs.
    const { describeInstanceTypes, startContainersPlatform, TOKEN_ENV } = await import("../platform/index.ts");
    const platform = await startContainersPlatform(options);
    const { removed, kept } = platform.leftovers;
    return running(platform, [
      `API: ${platform.url}/v1/containers/:name (PUT starts, GET state, POST …/signal, POST …/stop, DELETE, GET …/events)`,
      `token: ${platform.token ? `required (${TOKEN_ENV})` : `none (set ${TOKEN_ENV} to require one)`}`,
      `instance types: ${describeInstanceTypes()}`,
      ...removed.map((item) => `removed leftover ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
      ...kept.map((item) => `kept ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
    ]);
  },
};
const NAMES = Object.keys(EMULATORS);

/**
 * `all` is the services that need nothing but Node (Cloudflare's, Telegram's and Discord's). The Containers platform
 * needs a Docker engine (and `npm run setup`), so it runs only when named.
 */
const ALL = ["ai-gateway", "r2", "access", "telegram", "discord", "cloudflare-api"];

export interface EmulateArgs {
  names: string[];
  options: EmulateOptions;
}

const USAGE =
  "emulate takes a name, --port N (0 = any free port) and --host H (default 127.0.0.1), e.g. `npm run emulate -- r2 --port 9000`; " +
  `ai-gateway also takes ${CASSETTE_USAGE}`;

export function parseEmulateArgs(args: readonly string[]): EmulateArgs {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      port: {
        type: "string",
        parse: (raw) => {
          if (/^\d+$/.test(raw) && Number(raw) < 65536) return Number(raw);
          throw new UserError(`--port ${raw} is not a port number`, USAGE);
        },
      },
      host: { type: "string", parse: (raw) => raw },
      ...cassetteOptions(USAGE),
    },
    { usage: USAGE, positionals: 1 },
  );
  const target = positionals[0];
  if (!target || (target !== "all" && !EMULATORS[target])) {
    throw new UserError(
      `emulate needs one of ${[...NAMES, "all"].join(", ")}${target ? `, not "${target}"` : ""}`,
      "run e.g. `npm run emulate -- r2 --port 9000`",
    );
  }
  const options: EmulateOptions = {};
  if (values.port !== undefined) options.port = values.port;
  if (values.host !== undefined) options.host = values.host;
  const cassette = replayOptions(values, USAGE);
  if (cassette) {
    if (target !== "ai-gateway")
      throw new UserError(`--cassette is an ai-gateway option, not one of ${target}`, "run `npm run emulate -- ai-gateway --cassette FILE`");
    options.cassette = cassette;
  }
  return { names: target === "all" ? ALL : [target], options };
}

/**
 * Runs emulators in the foreground until SIGINT/SIGTERM. The first stdout line is
 * `listening on <url>`, so scripts can wait for it; with `all`, each emulator's block
 * starts with such a line, followed by its name.
 */
export async function emulate(args: readonly string[]): Promise<number> {
  const { names, options } = parseEmulateArgs(args);
  const running: Running[] = [];
  const stopAll = () => Promise.all(running.map((emulator) => emulator.stop()));
  try {
    for (const [index, name] of names.entries()) {
      // With `all`, --port N gives N, N+1, N+2 in the order listed; 0 means any free port for each.
      const port = options.port ? options.port + index : options.port;
      running.push(await EMULATORS[name]!({ ...options, ...(port !== undefined ? { port } : {}) }));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const lines = names.flatMap((name, index) => {
    const emulator = running[index]!;
    return [`listening on ${emulator.url}${names.length > 1 ? ` (${name})` : ""}`, ...emulator.details.map((detail) => `  ${detail}`)];
  });
  process.stdout.write(`${lines.join("\n")}\nCtrl-C stops ${names.length > 1 ? "them" : "it"}.\n`);
  // Stopped by a signal, exit like any Unix program stopped by one: 128 + its number
  // (130 for Ctrl-C, 143 for SIGTERM). Miniflare (behind r2) installs its own handler
  // that disposes workerd and exits with exactly that status; ours stops the others.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGINT", resolve);
    process.on("SIGTERM", resolve);
  });
  await stopAll();
  return 128 + os.constants.signals[signal];
}
