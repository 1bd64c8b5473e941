import { describe, expect, it } from "vitest";
import { UserError } from "../../core/errors.ts";
import { DEFAULT_LITELLM_CONFIG } from "../options.ts";
import { parseLitellmConfig, quoteLine, readLitellmConfig } from "./config.ts";
import { fallbacksOf, findFeatures, isPrivateBase, mapRoute, openclawConfigFor } from "./mapping.ts";
import { probeRoutes } from "./probe.ts";

const route = (model: string, extra: { apiBase?: string } = {}) => ({
  modelName: model.split("/").pop()!,
  model,
  apiKeyLiteral: false,
  extraParams: [],
  line: 1,
  ...extra,
});

describe("LiteLLM routes → AI Gateway", () => {
  it("maps each provider prefix to its gateway endpoint, model id and OpenClaw adapter", () => {
    expect(mapRoute(route("anthropic/claude-sonnet-4-5"))).toMatchObject({
      status: "expressible",
      endpoint: "anthropic",
      gatewayModel: "claude-sonnet-4-5",
      openclawApi: "anthropic-messages",
      emulated: "anthropic",
    });
    expect(mapRoute(route("openai/gpt-5"))).toMatchObject({
      status: "expressible",
      endpoint: "openai",
      gatewayModel: "gpt-5",
      openclawApi: "openai-completions",
    });
    expect(mapRoute(route("gemini/gemini-2.5-pro"))).toMatchObject({
      status: "expressible",
      endpoint: "compat",
      gatewayModel: "google-ai-studio/gemini-2.5-pro",
      upstream: "google-ai-studio",
    });
    expect(mapRoute(route("xai/grok-4"))).toMatchObject({ status: "expressible", endpoint: "compat", gatewayModel: "grok/grok-4" });
    expect(mapRoute(route("cloudflare/@cf/meta/llama-3.1-8b-instruct"))).toMatchObject({
      status: "expressible",
      endpoint: "workers-ai",
      gatewayModel: "@cf/meta/llama-3.1-8b-instruct",
    });
    expect(mapRoute(route("claude-3-5-haiku-latest"))).toMatchObject({ status: "expressible", endpoint: "anthropic", gatewayModel: "claude-3-5-haiku-latest" });
  });

  it("marks providers the gateway serves but the emulator does not as not emulated, and local servers as not expressible", () => {
    expect(mapRoute(route("bedrock/anthropic.claude-3-sonnet"))).toMatchObject({ status: "expressible, not emulated", upstream: "aws-bedrock" });
    expect(mapRoute(route("openai/glm-4.6", { apiBase: "https://api.z.ai/api/paas/v4" }))).toMatchObject({
      status: "expressible, not emulated",
      upstream: "custom",
    });
    expect(mapRoute(route("ollama/qwen2.5-coder:7b", { apiBase: "http://192.168.1.20:11434" })).status).toBe("not expressible");
    expect(mapRoute(route("ollama/llama3")).status).toBe("not expressible");
    expect(mapRoute(route("openai/local", { apiBase: "https://gpu.lan/v1" })).status).toBe("not expressible");
    expect(mapRoute(route("madeup/model")).how).toContain('unknown LiteLLM provider "madeup"');
  });

  it("tells private and plain-HTTP API bases from public HTTPS ones", () => {
    for (const base of [
      "http://api.example.com",
      "https://localhost:8000",
      "https://10.0.0.5",
      "https://172.20.1.1",
      "https://[::1]:8000",
      "https://gpu",
      "https://box.local",
      "not a url",
    ])
      expect(isPrivateBase(base), base).toBe(true);
    for (const base of ["https://api.z.ai/api/paas/v4", "https://172.32.0.1", "https://api.openai.com/v1"]) expect(isPrivateBase(base), base).toBe(false);
  });
});

describe("the sample config (verify/samples/litellm.config.yaml)", () => {
  const config = readLitellmConfig(DEFAULT_LITELLM_CONFIG);

  it("has a home setup's routes, with keys by environment variable only", () => {
    expect(config.routes.map((r) => r.modelName)).toEqual(["claude-sonnet", "claude-opus", "gpt", "gemini", "grok", "glm", "local-coder"]);
    expect(config.routes.every((r) => !r.apiKeyLiteral)).toBe(true);
    expect(config.routes[0]).toMatchObject({ model: "anthropic/claude-sonnet-4-6", apiKeyEnv: "ANTHROPIC_API_KEY", line: 6 });
  });

  it("finds what AI Gateway cannot express, each with its line", () => {
    const features = findFeatures(config);
    const byName = Object.fromEntries(features.map((f) => [f.feature, f]));
    expect(byName["prompt-cache injection"]).toMatchObject({ support: "lost", lines: [{ line: 10, text: "cache_control_injection_points:" }] });
    expect(byName["fallbacks between model groups"]).toMatchObject({ support: "partial", lines: [{ text: "fallbacks:" }] });
    expect(byName["spend budget"]!.lines.map((l) => l.text)).toEqual(["max_budget: 50", "budget_duration: 30d"]);
    expect(byName["rate limits"]!.lines.map((l) => l.text)).toEqual(["rpm: 20"]);
    expect(byName["virtual keys and per-key spend tracking"]!.support).toBe("lost");
    expect(byName["proxy master key"]!.support).toBe("equivalent");
    expect(features[0]!.support).toBe("lost");
  });

  it("turns the routes and fallbacks into OpenClaw providers through the gateway, keys by reference", () => {
    const mappings = config.routes.map(mapRoute);
    const openclaw = openclawConfigFor(mappings, fallbacksOf(config)) as {
      models: { providers: Record<string, { baseUrl: string; api: string; apiKey: string; models: { id: string }[] }> };
      agents: { defaults: { model: { primary: string; fallbacks: string[] } } };
    };
    expect(Object.keys(openclaw.models.providers).sort()).toEqual(["cf-ai-gw-anthropic", "cf-ai-gw-google-ai-studio", "cf-ai-gw-grok", "cf-ai-gw-openai"]);
    expect(openclaw.models.providers["cf-ai-gw-google-ai-studio"]).toMatchObject({
      baseUrl: expect.stringMatching(/\/compat$/),
      api: "openai-completions",
      apiKey: "${GEMINI_API_KEY}",
    });
    expect(openclaw.models.providers["cf-ai-gw-anthropic"]!.models.map((m) => m.id)).toEqual(["claude-sonnet-4-6", "claude-opus-4-7"]);
    expect(openclaw.agents.defaults.model).toEqual({
      primary: "cf-ai-gw-anthropic/claude-sonnet-4-6",
      fallbacks: ["cf-ai-gw-openai/gpt-5", "cf-ai-gw-google-ai-studio/google-ai-studio/gemini-2.5-pro"],
    });
  });

  it("sends one request per emulated route through the AI Gateway emulator with the official SDKs", async () => {
    const results = await probeRoutes(config.routes.map(mapRoute));
    expect(results.map((r) => r.modelName)).toEqual(["claude-sonnet", "claude-opus", "gpt", "gemini", "grok"]);
    for (const result of results)
      expect(result, result.modelName).toMatchObject({
        ok: true,
        reply: `moltlab verify: ${result.modelName} answered through ${result.request.includes("/compat/") ? "compat" : result.request.includes("/anthropic/") ? "anthropic" : "openai"}`,
      });
    expect(results.find((r) => r.modelName === "gemini")).toMatchObject({
      model: "google-ai-studio/gemini-2.5-pro",
      request: "POST /v1/moltlab-account/moltlab-gateway/compat/chat/completions → 200",
      sdk: "openai chat.completions.create",
    });
    expect(results[0]).toMatchObject({
      request: "POST /v1/moltlab-account/moltlab-gateway/anthropic/v1/messages → 200",
      sdk: "@anthropic-ai/sdk messages.create",
    });
  });
});

describe("config reading", () => {
  it("names the line of a YAML error and the fix", () => {
    let error: unknown;
    try {
      parseLitellmConfig("model_list:\n  - model_name: a\n    litellm_params: {model: anthropic/x\n", "broken.yaml");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^broken\.yaml is not valid YAML \(line \d+, column \d+\)/);
  });

  it("refuses a file without model_list and masks literal keys when quoting a line", () => {
    expect(() => parseLitellmConfig("general_settings: {}\n")).toThrow(/has no model_list/);
    const config = parseLitellmConfig(
      "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/gpt-5\n      api_key: sk-live-123\ngeneral_settings:\n  master_key: sk-master\n",
    );
    expect(config.routes[0]).toMatchObject({ apiKeyLiteral: true });
    expect(config.routes[0]).not.toHaveProperty("apiKeyEnv");
    expect(quoteLine(config, 5)).toBe("api_key: ***");
    expect(quoteLine(config, 7)).toBe("master_key: ***");
    expect(JSON.stringify(findFeatures(config))).not.toContain("sk-");
  });
});
