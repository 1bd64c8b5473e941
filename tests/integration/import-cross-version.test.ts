/**
 * Bring your own state, across OpenClaw versions: an older release from npm (OLD_VERSION, run on
 * the host with the project's Node 24) holds real conversations with the AI Gateway emulator;
 * its state folder, tarred as a volume backup would be, goes through `moltlab import` (the CLI
 * itself, into the bucket `npm run dev` uses, here under a temp cache dir); the local sandbox
 * (startSandbox, as `npm run dev` runs it) boots the current image on it, and the old
 * conversation is read back through the Worker over OpenClaw's WebSocket (chat.history). After
 * the sandbox stops (final backup), `moltlab import --changes` says what the current OpenClaw's
 * own migration did to the old state; it is printed, and the test asserts it ran.
 *
 * The sandbox is on the bridge network (ports of its own, so the file runs beside the files that
 * hold the host's); its WebSocket client is a paired device. The old release's install (~30 s) is cached.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir, ROOT } from "../../core/host.ts";
import { StepRunner } from "../../core/ui.ts";
import { startAiGateway, type Scenario, type StartedAiGateway } from "../../emulators/ai-gateway/index.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { GatewaySocket, messageText, newDevice } from "./openclaw-ws.ts";
import { installOpenclaw, oldChat, startOldGateway } from "./old-openclaw.ts";
import { execInContainer } from "../shared/container-exec.ts";

const MINUTES = 60_000;
/** Two months before the image's OpenClaw: sessions as JSONL files then, in SQLite now. */
const OLD_VERSION = "2026.7.35";
const QUESTION = "What is the capital of Freedonia? (asked under the old release)";
const ANSWER = "Freedonia's capital is Fredville, said the old release.";
/** The OpenAI-compatible endpoint's session for `user: "alice"` (as the old release names it). */
const SESSION = "agent:main:openai-user:alice";
const MEMORY = "- Freedonia's capital is Fredville (remembered under the old release)\n";

const execFileAsync = promisify(execFile);

/** The CLI, as a user runs it (`npm run import -- …`), with the dev state under `cache`. */
async function moltlab(args: string[], cache: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(process.execPath, [join(ROOT, "bin/moltlab.mjs"), ...args], {
    env: { ...process.env, MOLTLAB_CACHE_DIR: cache },
    timeout: 5 * MINUTES,
  });
  return stdout + stderr;
}

describe(`import: state made by OpenClaw ${OLD_VERSION}, booted under ${OPENCLAW_VERSION}, read through the Worker`, () => {
  let work: string;
  let cache: string;
  let aiGateway: StartedAiGateway;
  let sandbox: StartedSandbox | undefined;
  let importOutput = "";

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "moltlab-import-xv-"));
    cache = join(work, "cache");
    aiGateway = await startAiGateway({ host: "127.0.0.1" });
  }, MINUTES);

  afterAll(async () => {
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await aiGateway?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 5 * MINUTES);

  it(
    `makes real conversations with OpenClaw ${OLD_VERSION} from npm`,
    async () => {
      const bin = await installOpenclaw(OLD_VERSION, join(cacheDir(), "openclaw-releases", OLD_VERSION));
      const token = "old-release-token-0123456789abcdef";
      const stateDir = join(work, "volume", ".openclaw");
      const gateway = await startOldGateway(bin, stateDir, aiGateway, token);
      try {
        const scenario: Scenario[] = [{ name: "old-release", match: { provider: "anthropic" }, reply: { text: ANSWER } }];
        aiGateway.load(scenario);
        expect(await oldChat(gateway, token, QUESTION, "alice")).toContain(ANSWER);
        expect(await oldChat(gateway, token, "And how far is it from the sea?", "alice")).toContain(ANSWER);
      } finally {
        await gateway.stop();
      }
      await writeFile(join(stateDir, "workspace", "MEMORY.md"), MEMORY);
    },
    10 * MINUTES,
  );

  it(
    "imports the volume's tar with `moltlab import` into the bucket `npm run dev` restores from",
    async () => {
      const archive = join(work, "volume.tar.gz");
      // The volume is mounted at ~/.openclaw: its backup holds the state folder's contents.
      await execFileAsync("tar", ["-czf", archive, "-C", join(work, "volume", ".openclaw"), "."]);
      importOutput = await moltlab(["import", archive], cache);
      console.log(importOutput);
      expect(importOutput).toMatch(/a tar of an OpenClaw state folder/);
      expect(importOutput).toMatch(/main: 1 session\(s\), 1 transcript file\(s\)/);
      expect(importOutput).toMatch(/memory files {2}1 \(workspace\/MEMORY\.md\)/);
      expect(importOutput).toMatch(/imported as snapshot \S+ into the local sandbox's bucket moltbot-data/);
    },
    5 * MINUTES,
  );

  it(
    `boots ${OPENCLAW_VERSION} on it and serves the old conversation through the Worker`,
    async () => {
      sandbox = await startSandbox({
        arch: "amd64",
        network: "bridge",
        containerPrefix: "moltlab-import-",
        port: 0,
        persistTo: join(cache, "dev", "state"),
        steps: new StepRunner((line) => console.log(line)),
      });
      const auth = { "CF-Access-JWT-Assertion": sandbox.access.mint() };
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${sandbox!.url}${path}`, { ...init, headers: auth, signal: AbortSignal.timeout(5 * MINUTES) });
      await api("/", { headers: { accept: "text/html" } });
      await waitForSandboxRunning(
        async () => (await api("/api/status")).json() as Promise<{ status: string; container: { status: string; lastError: string | null } }>,
        8 * MINUTES,
      );
      const storage = (await (await api("/api/admin/storage")).json()) as { lastRestore: { source?: string; id?: string } | null };
      const imported = /imported as snapshot (\S+)/.exec(importOutput)![1];
      expect(storage.lastRestore).toMatchObject({ source: "snapshot", id: imported });

      // On the bridge network the Worker is not on OpenClaw's loopback: a device, paired on first use.
      const device = newDevice();
      const connect = () => GatewaySocket.connect({ url: sandbox!.url, headers: auth, device, userAgent: "moltlab-import/0.1.0", timeoutMs: 2 * MINUTES });
      const { socket } = await connect().catch(async (error: unknown) => {
        if (!/pair/i.test(String(error))) throw error;
        expect((await api("/api/admin/devices/approve-all", { method: "POST" })).status).toBe(200);
        return connect();
      });
      try {
        const history = (await socket.request("chat.history", { sessionKey: SESSION, limit: 50 })) as { messages?: unknown[] };
        const texts = (history.messages ?? []).map(messageText);
        console.log(`chat.history of ${SESSION} through the Worker: ${texts.length} message(s)`);
        expect(texts.some((text) => text.includes(QUESTION))).toBe(true);
        expect(texts.some((text) => text.includes(ANSWER))).toBe(true);
      } finally {
        socket.close();
      }

      // OpenClaw's own read-only health checks on the migrated state, for the report (printed, not judged).
      const running = sandbox.platform.containers.states().find((state) => state.status === "running");
      if (running?.containerId) {
        const { output } = await execInContainer(
          new Docker().getContainer(running.containerId),
          ["timeout", "120", "openclaw", "doctor", "--lint", "--json"],
          "node",
        );
        console.log(`openclaw doctor --lint --json on the imported state:\n${output.slice(0, 4000)}`);
      }
    },
    15 * MINUTES,
  );

  it(
    "says what the current OpenClaw's migration changed, from the bucket after the final backup",
    async () => {
      await sandbox!.stop(new StepRunner((line) => console.log(line)));
      sandbox = undefined;
      const changes = await moltlab(["import", "--changes"], cache);
      console.log(changes);
      const counts = Object.fromEntries([...changes.matchAll(/^ {2}(added|changed|removed)\s+(\d+)$/gm)].map((match) => [match[1], Number(match[2])]));
      expect(changes).toMatch(/what OpenClaw changed after booting on the import \(snapshot \S+ → \S+\)/);
      expect(counts.added! + counts.changed! + counts.removed!).toBeGreaterThan(0);
      // 2026.9 moves the JSONL sessions of 2026.7 into the agent's SQLite database (measured on the host too).
      expect(changes).toMatch(/^ {4}openclaw\/agents\/main\/agent\/openclaw-agent\.sqlite$/m);
    },
    5 * MINUTES,
  );
});
