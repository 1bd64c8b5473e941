/**
 * One request per expressible route through the AI Gateway emulator, with the official
 * SDK a client of that endpoint would use (Anthropic SDK for `anthropic`, OpenAI SDK for
 * `openai`, `compat` and `workers-ai`), against an authenticated gateway. The emulator
 * checks the wire format, the gateway token and the provider key header as the real
 * gateway does; the fake model answers with a line naming the route.
 */
import { randomBytes } from "node:crypto";
import { startAiGateway } from "../../emulators/ai-gateway/index.ts";
import type { Provider } from "../../emulators/ai-gateway/types.ts";
import type { RouteMapping } from "./mapping.ts";

export interface ProbeResult {
  modelName: string;
  ok: boolean;
  /** e.g. "POST /v1/moltlab-account/moltlab-gateway/compat/chat/completions → 200" */
  request: string;
  /** The model id the gateway saw. */
  model: string | null;
  reply: string | null;
  sdk: string;
  error?: string;
}

interface Sdks {
  Anthropic: typeof import("@anthropic-ai/sdk").default;
  OpenAI: typeof import("openai").default;
}

/** The SDKs are devDependencies: loaded only when verify probes, so the rest of the CLI never needs them. */
async function loadSdks(): Promise<Sdks> {
  const [anthropic, openai] = await Promise.all([import("@anthropic-ai/sdk"), import("openai")]);
  return { Anthropic: anthropic.default, OpenAI: openai.default };
}

const expectedReply = (mapping: RouteMapping) => `moltlab verify: ${mapping.route.modelName} answered through ${mapping.endpoint}`;

export async function probeRoutes(mappings: readonly RouteMapping[]): Promise<ProbeResult[]> {
  const probeable = mappings.filter(
    (mapping): mapping is RouteMapping & { emulated: Provider; gatewayModel: string } =>
      mapping.status === "expressible" && !!mapping.emulated && !!mapping.gatewayModel,
  );
  if (probeable.length === 0) return [];
  const { Anthropic, OpenAI } = await loadSdks();
  // Fake credentials, fresh per run: the emulator accepts any provider key; the gateway token it checks.
  const gatewayToken = randomBytes(16).toString("hex");
  const gateway = await startAiGateway({ host: "127.0.0.1", authToken: gatewayToken });
  const headers = { "cf-aig-authorization": `Bearer ${gatewayToken}` };
  const results: ProbeResult[] = [];
  try {
    gateway.load(
      probeable.map((mapping) => ({
        name: mapping.route.modelName,
        match: { provider: mapping.emulated, model: mapping.gatewayModel },
        reply: { text: expectedReply(mapping) },
      })),
    );
    for (const mapping of probeable) {
      const apiKey = `sk-moltlab-verify-${mapping.route.modelName}`;
      const prompt = `Say hello from ${mapping.route.modelName}.`;
      const before = gateway.log.count();
      let reply: string | null = null;
      let sdk: string;
      let error: string | undefined;
      try {
        if (mapping.emulated === "anthropic") {
          sdk = "@anthropic-ai/sdk messages.create";
          const client = new Anthropic({ apiKey, baseURL: gateway.baseUrl("anthropic"), defaultHeaders: headers, maxRetries: 0 });
          const message = await client.messages.create({ model: mapping.gatewayModel, max_tokens: 64, messages: [{ role: "user", content: prompt }] });
          reply = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
        } else {
          sdk = "openai chat.completions.create";
          // Workers AI's OpenAI-compatible endpoint lives under /v1 of its provider path.
          const baseURL = mapping.emulated === "workers-ai" ? `${gateway.baseUrl("workers-ai")}/v1` : gateway.baseUrl(mapping.emulated);
          const client = new OpenAI({ apiKey, baseURL, defaultHeaders: headers, maxRetries: 0 });
          const completion = await client.chat.completions.create({ model: mapping.gatewayModel, messages: [{ role: "user", content: prompt }] });
          reply = completion.choices[0]?.message.content ?? null;
        }
      } catch (caught) {
        sdk = mapping.emulated === "anthropic" ? "@anthropic-ai/sdk" : "openai";
        error = caught instanceof Error ? caught.message : String(caught);
      }
      const entry = gateway.log.count() > before ? gateway.log.last() : undefined;
      const ok = !error && reply === expectedReply(mapping) && entry?.status === 200 && entry.model === mapping.gatewayModel;
      results.push({
        modelName: mapping.route.modelName,
        ok,
        request: entry ? `${entry.method} ${entry.path} → ${entry.status ?? "no status"}` : "no request reached the gateway",
        model: entry?.model ?? null,
        reply,
        sdk,
        ...(error ? { error } : {}),
      });
    }
  } finally {
    await gateway.stop();
  }
  return results;
}
