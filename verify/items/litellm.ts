/**
 * 0-5 LiteLLM → AI Gateway: every model_list route mapped to an AI Gateway endpoint for
 * OpenClaw, one real request per emulated route through the AI Gateway emulator with the
 * official SDK, and the LiteLLM features AI Gateway cannot express, each with its line.
 */
import { relative } from "node:path";
import { readLitellmConfig } from "../litellm/config.ts";
import { DEFAULT_LITELLM_CONFIG } from "../options.ts";
import { fallbacksOf, findFeatures, mapRoute, openclawConfigFor } from "../litellm/mapping.ts";
import { probeRoutes } from "../litellm/probe.ts";
import type { Judgement, Verdict, VerifyContext } from "../types.ts";

export async function judgeLitellmItem(ctx: VerifyContext): Promise<Judgement> {
  const config = readLitellmConfig(ctx.options.litellm);
  const shown = relative(ctx.root, config.path).startsWith("..") ? config.path : relative(ctx.root, config.path);
  const mappings = config.routes.map(mapRoute);
  ctx.progress(`sending ${mappings.filter((mapping) => mapping.emulated).length} requests through the AI Gateway emulator`);
  const probes = await probeRoutes(mappings);
  const features = findFeatures(config);
  const openclaw = openclawConfigFor(mappings, fallbacksOf(config));

  const count = (status: string) => mappings.filter((mapping) => mapping.status === status).length;
  const expressible = count("expressible");
  const notEmulated = count("expressible, not emulated");
  const impossible = mappings.filter((mapping) => mapping.status === "not expressible");
  const failedProbes = probes.filter((probe) => !probe.ok);
  const lost = features.filter((feature) => feature.support === "lost");
  const partial = features.filter((feature) => feature.support === "partial");

  let verdict: Verdict;
  if (failedProbes.length || impossible.length > mappings.length / 2) verdict = "NG";
  else if (impossible.length || notEmulated || lost.length || partial.length) verdict = "OK with constraints";
  else verdict = "OK";

  const evidence = [
    `Read ${shown}: ${config.routes.length} routes in model_list, ${config.keys.length} settings.`,
    `${expressible} routes map to an AI Gateway endpoint the emulator serves; ${notEmulated} map to endpoints it does not emulate; ${impossible.length} cannot go through AI Gateway${impossible.length ? ` (${impossible.map((mapping) => `${mapping.route.modelName}: line ${mapping.route.line}`).join(", ")})` : ""}.`,
    `Sent one request per emulated route through the AI Gateway emulator (authenticated gateway, fake keys) with the official SDKs: ${probes.length - failedProbes.length} of ${probes.length} answered with the route's scripted reply${failedProbes.length ? `; failed: ${failedProbes.map((probe) => `${probe.modelName} (${probe.error ?? probe.request})`).join(", ")}` : ""}.`,
    `${lost.length} LiteLLM features are lost, ${partial.length} only partly expressible (table below, with the config lines).`,
  ];
  return {
    verdict,
    summary: `${ctx.options.litellm === DEFAULT_LITELLM_CONFIG ? "sample config: " : ""}${expressible + notEmulated}/${mappings.length} routes expressible (${probes.length - failedProbes.length} sent through the emulator OK)${impossible.length ? `, ${impossible.map((mapping) => mapping.route.modelName).join(", ")} not` : ""}; lost: ${lost.map((feature) => feature.feature).join(", ") || "nothing"}`,
    evidence,
    wouldChange: [
      ...(ctx.options.litellm === DEFAULT_LITELLM_CONFIG
        ? ["your own config (`npm run verify -- --litellm PATH`): this run read the sample verify/samples/litellm.config.yaml"]
        : []),
      ...(impossible.length
        ? [
            "a public HTTPS endpoint for the local model (e.g. a Cloudflare Tunnel with Access, then an AI Gateway custom provider), or keeping that route outside AI Gateway",
          ]
        : []),
      ...(notEmulated ? ["a request through the real AI Gateway for the routes the emulator does not serve (custom providers, Bedrock, …)"] : []),
      "budgets and fallbacks expressed as an AI Gateway dynamic route and tried against the real service (the emulator has no dynamic routing)",
      "OpenClaw marking its Anthropic prompts with cache_control itself (would make prompt-cache injection unnecessary; not verified here)",
    ],
    sources: [
      { path: shown, generatedAt: null, origin: "static" },
      { path: "AI Gateway emulator, in-process (emulators/ai-gateway)", generatedAt: new Date().toISOString(), origin: "this run" },
      {
        path: "AI Gateway features (dynamic routing, custom providers, caching, rate limits): developers.cloudflare.com/ai-gateway, read 2026-11-25",
        generatedAt: null,
        origin: "desk research",
      },
    ],
    tables: [
      {
        caption: "model_list routes → AI Gateway",
        header: ["line", "model_name", "LiteLLM model", "AI Gateway endpoint", "model sent", "OpenClaw api", "status", "request through the emulator"],
        rows: mappings.map((mapping) => {
          const probe = probes.find((candidate) => candidate.modelName === mapping.route.modelName);
          return [
            String(mapping.route.line),
            mapping.route.modelName,
            mapping.route.model,
            mapping.endpoint ? `…/${mapping.endpoint}` : "—",
            mapping.gatewayModel ?? "—",
            mapping.openclawApi ?? "—",
            `${mapping.status}: ${mapping.how}`,
            probe ? `${probe.ok ? "ok" : "FAILED"}: ${probe.sdk}, ${probe.request}${probe.error ? ` (${probe.error})` : ""}` : "not sent",
          ];
        }),
      },
      {
        caption: "LiteLLM features and what AI Gateway offers instead",
        header: ["feature", "support", "config lines", "instead"],
        rows: features.map((feature) => [
          feature.feature,
          feature.support,
          feature.lines.map((line) => `${line.line}: ${line.text}`).join("; "),
          feature.instead,
        ]),
      },
    ],
    code: [
      {
        caption:
          "openclaw.json fragment for these routes through AI Gateway (keys and gateway ids by ${VAR} reference; the cf-aig-authorization header only for an authenticated gateway)",
        text: JSON.stringify(openclaw, null, 2),
      },
    ],
  };
}
