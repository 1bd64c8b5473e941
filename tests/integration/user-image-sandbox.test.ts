/**
 * `npm run dev -- --dockerfile`, end to end (the same startSandbox): a user's Dockerfile built
 * on the real OpenClaw image (a local base: there is no registry here), with a file of its own
 * baked into the home and without the compile cache moltlab's image carries (as the images
 * OpenClaw publishes have none), runs in the sandbox with the supervisor layered on top, boots
 * through the Worker, finds the compile cache the layer made, and answers a chat from the AI
 * Gateway emulator. On the bridge network (the container has ports of its own), so it runs beside
 * the files that hold the host's ports.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layeredImageTag, userImageTag } from "../../container/build/user-image.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";
import { tryRun } from "../../core/exec.ts";
import { StepRunner } from "../../core/ui.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { execInContainer } from "../shared/container-exec.ts";

const MINUTES = 60_000;
const REPLY = "Pong from your own image, through the Worker.";
const BAKED = "/home/node/.config/moltlab-byo/note.txt";

describe("your own Dockerfile in the sandbox: built, layered with the supervisor, chatting through the Worker", () => {
  let sandbox: StartedSandbox;
  let dir: string;
  const docker = new Docker();
  const buildLines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "moltlab-byo-"));
    await writeFile(
      join(dir, "Dockerfile"),
      [
        "ARG TARGETARCH",
        `FROM moltlab/openclaw:${OPENCLAW_VERSION}-\${TARGETARCH}`,
        `RUN mkdir -p ${BAKED.replace(/\/[^/]+$/, "")} && echo baked-by-your-image > ${BAKED} && chown -R node:node /home/node/.config/moltlab-byo`,
        // Like the images OpenClaw publishes: no compile cache, so the one the sandbox finds is the layer's.
        "RUN rm -rf /tmp/node-compile-cache",
        "USER node",
        "",
      ].join("\n"),
    );
    const stateDir = join(dir, "state");
    sandbox = await startSandbox({
      arch: "amd64",
      network: "bridge",
      containerPrefix: "moltlab-own-image-",
      port: 0,
      dockerfile: join(dir, "Dockerfile"),
      persistTo: stateDir,
      steps: new StepRunner((line) => {
        console.log(line);
        buildLines.push(line);
      }),
    });
  }, 15 * MINUTES);

  afterAll(async () => {
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    if (dir) await rm(dir, { recursive: true, force: true });
    await tryRun("docker", ["image", "rm", "-f", layeredImageTag("amd64"), userImageTag("amd64")]);
  }, 5 * MINUTES);

  it("runs the layered image of your Dockerfile and OpenClaw answers a chat", async () => {
    expect(sandbox.image).toBe(layeredImageTag("amd64"));
    const auth = { "CF-Access-JWT-Assertion": sandbox.access.mint() };
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${sandbox.url}${path}`, {
        ...init,
        headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(5 * MINUTES),
      });
    expect((await api("/", { headers: { accept: "text/html" } })).status).toBe(503);
    await waitForSandboxRunning(
      async () => (await (await api("/api/status")).json()) as { status: string; container: { status: string; lastError: string | null } },
      8 * MINUTES,
    );

    const state = sandbox.platform.containers.states().find((item) => item.status === "running");
    const container = docker.getContainer(state!.containerId!);
    expect((await container.inspect()).Config.Image).toBe(layeredImageTag("amd64"));
    const { output } = await execInContainer(
      container,
      ["sh", "-c", `cat ${BAKED}; for p in /proc/[0-9]*; do stat -c %U "$p"; done 2>/dev/null | sort -u`],
      "root",
    );
    expect(output).toContain("baked-by-your-image");
    // The supervisor (root) and the gateway (your image's USER, node): the owners of the container's processes (no ps in the image).
    expect(output.split("\n").map((line) => line.trim())).toEqual(expect.arrayContaining(["root", "node"]));
    // The layer booted your OpenClaw once as node for its compile cache (or reused that layer), and the
    // supervisor, as it starts the gateway, finds it made for this machine.
    expect(buildLines.filter((line) => line.includes("OpenClaw compile cache:")).join("\n")).toMatch(
      /OpenClaw compile cache: (\d+ modules|as in the previous build)/,
    );
    const logs = await tryRun("docker", ["logs", state!.containerId!]);
    expect(`${logs.stdout}${logs.stderr}`).toContain("compile cache fits this machine");

    sandbox.aiGateway!.load([{ name: "byo", match: { provider: "anthropic" }, reply: { text: REPLY } }]);
    const chat = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sandbox.gatewayToken}` },
      body: JSON.stringify({ model: "openclaw", user: "moltlab-byo", messages: [{ role: "user", content: "byo: say pong" }] }),
    });
    const body = await chat.text();
    expect(chat.status, body.slice(0, 500)).toBe(200);
    expect((JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain(REPLY);
  });
});
