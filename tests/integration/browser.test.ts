/**
 * What a person sees, in a real browser: the machine's Chromium (never a downloaded one), driven
 * by playwright-core, against the sandbox as `moltlab dev` starts it, on the bridge network as on
 * Docker Desktop (the container has ports of its own, so this file runs beside the files that
 * hold the host's; the gateway sees the Worker as a remote client, as on Cloudflare). Access login →
 * the loading page while OpenClaw cold-starts → the OpenClaw Control UI through the Worker →
 * (device pairing in /_admin if the gateway asks) → a chat answered by the AI Gateway
 * emulator's script → a restart from /_admin → the conversation, restored from R2, in a fresh
 * browser profile. Every stage is saved as a PNG in reports/screenshots/.
 */
import { mkdirSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../core/host.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { chromiumExecutable } from "../../setup/browser.ts";
import { StepRunner } from "../../core/ui.ts";
import { waitFor } from "../shared/wait.ts";
import { SandboxWatch } from "./sandbox-watch.ts";

const MINUTES = 60_000;
const SCREENSHOTS = join(ROOT, "reports", "screenshots");
/** Quiet, offline, and able to run as root in a VM without a GPU. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const VIEWPORT = { width: 1280, height: 800 };
const MESSAGE = "moltlab-browser-probe: say hello";
const REPLY = "Hello from the AI Gateway emulator's script, through the Worker and OpenClaw.";
/** The Control UI's root element in OpenClaw's index.html (dist/control-ui, 2026.9.6). */
const CONTROL_UI_ELEMENT = "openclaw-app";
const LOADING_TITLE = "Starting OpenClaw…";

describe("browser: Access login → loading page → OpenClaw Control UI → chat → restart from /_admin → restored", () => {
  let sandbox: StartedSandbox;
  let stateDir: string;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  let page: Page;
  let admin: Page;
  let identity: string;
  /** The Control UI's device id, from its `connect` frame. */
  let deviceId: string | undefined;
  let chatUrl: string;
  let shots = 0;

  /** Admin pages are taken whole: their devices list and status message sit below the fold. */
  const shot = async (target: Page, name: string, fullPage = false) => {
    const file = join(SCREENSHOTS, `${String(++shots).padStart(2, "0")}-${name}.png`);
    await target.screenshot({ path: file, fullPage });
    console.log(`screenshot: ${file}`);
  };

  /** A browser with its own fresh profile, as a new user would have it. */
  async function openBrowser(): Promise<BrowserContext> {
    const profile = await mkdtemp(join(tmpdir(), "moltlab-browser-profile-"));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumExecutable(),
      args: CHROMIUM_FLAGS,
      viewport: VIEWPORT,
    });
    contexts.push(context);
    context.setDefaultTimeout(MINUTES);
    return context;
  }

  /** Opens `url`, lands on the Access emulator's login page, and signs in as `identity`. */
  async function signIn(target: Page, url: string, name: string): Promise<void> {
    await target.goto(url);
    expect(target.url()).toContain(`${sandbox.access.teamDomain}/cdn-cgi/access/login/`);
    await target.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot(target, name);
    await target.getByRole("button", { name: `Sign in as ${identity}` }).click();
    await target.waitForURL((current) => current.href.startsWith(sandbox.url), { timeout: MINUTES });
  }

  /** Polls the page (which reloads itself) until it is the Control UI, not the loading page. */
  async function untilControlUi(target: Page): Promise<void> {
    await waitFor(
      "the loading page to become the OpenClaw Control UI",
      async () => {
        // The app's own element, not the title: OpenClaw renames the tab as soon as it renders
        // ("Chat — OpenClaw", "(Disconnected) …"), so the HTML's title is there only for a moment.
        if ((await target.locator(CONTROL_UI_ELEMENT).count()) > 0) return true;
        const title = await target.title();
        const status = await target
          .locator("#status")
          .textContent({ timeout: 1000 })
          .catch(() => null);
        throw new Error(`page "${title}"${status ? `, ${status}` : ""}`);
      },
      10 * MINUTES,
      1000,
    );
  }

  /** What each page's WebSockets did (opened, refused by the gateway, closed), for a failure's message. */
  const socketEvents = new WeakMap<Page, string[]>();
  function recordSockets(target: Page): void {
    const events: string[] = [];
    socketEvents.set(target, events);
    const note = (line: string) => {
      events.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
      if (events.length > 30) events.shift();
    };
    target.on("websocket", (socket) => {
      note(`opened ${new URL(socket.url()).pathname}`);
      socket.on("framereceived", (frame) => {
        // The gateway's refusals (pairing, scopes, auth); a successful hello carries a device token, never logged.
        if (typeof frame.payload === "string" && frame.payload.includes('"ok":false')) note(`refused: ${frame.payload.slice(0, 300)}`);
      });
      socket.on("socketerror", (error) => note(`socket error: ${error}`));
      socket.on("close", () => note("closed"));
    });
  }

  /** What a page that never settled shows, what its sockets did, and the container's last lines. */
  async function whyUnsettled(target: Page, name: string): Promise<string> {
    await shot(target, `${name}-unsettled`).catch(() => undefined);
    const shown = await target
      .getByText(/pair|connect|error|unauthori|token|scope|offline/i)
      .allInnerTexts()
      .catch(() => []);
    const lines = (await new SandboxWatch(sandbox).containerLogs().catch(() => "")).trim().split("\n").slice(-25).join("\n");
    return [
      `the page shows: ${shown.map((text) => text.replace(/\s+/g, " ").slice(0, 120)).join(" | ") || "nothing about its connection"}`,
      `its WebSockets: ${socketEvents.get(target)?.join("; ") || "none"}`,
      `the container's last lines:\n${lines || "(no running container)"}`,
    ].join("\n");
  }

  const connected = (target: Page) => target.getByText("Connected", { exact: true });
  /** Connected, and the agent's settings loaded (until then the UI shows placeholders). */
  async function untilSettled(target: Page, name: string): Promise<void> {
    try {
      await connected(target).waitFor({ timeout: 5 * MINUTES });
      await target
        .getByText("Default (Full Access)")
        .first()
        .waitFor({ timeout: 2 * MINUTES });
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await whyUnsettled(target, name)}`, { cause: error });
    }
  }

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-browser-state-"));
    sandbox = await startSandbox({
      arch: "amd64",
      network: "bridge",
      containerPrefix: "moltlab-browser-",
      port: 0,
      persistTo: stateDir,
      // Matched by provider: OpenClaw appends its runtime context to the user's text.
      scenarios: [{ name: "browser-chat", match: { provider: "anthropic" }, reply: { text: REPLY } }],
      steps: new StepRunner((line) => console.log(line)),
    });
    identity = sandbox.access.identities[0]!;
    const context = await openBrowser();
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => console.log(`Control UI page error: ${error.message}`));
    recordSockets(page);
    page.on("websocket", (socket) => {
      socket.on("framesent", (frame) => {
        if (deviceId || typeof frame.payload !== "string" || !frame.payload.includes('"connect"')) return;
        try {
          const request = JSON.parse(frame.payload) as { method?: string; params?: { device?: { id?: string } } };
          if (request.method === "connect") deviceId = request.params?.device?.id;
        } catch {
          // Not JSON: not the connect request.
        }
      });
    });
  }, 10 * MINUTES);

  afterAll(async () => {
    for (const context of contexts.splice(0)) await context.close().catch((error: unknown) => console.log(`closing the browser: ${String(error)}`));
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    for (const dir of [stateDir, ...profiles]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it("sends the browser to the Access login page, back to the Worker after picking an identity, and shows the loading page while OpenClaw cold-starts", async () => {
    await signIn(page, `${sandbox.url}/`, "access-login");
    expect(page.url()).toBe(`${sandbox.url}/`);
    // The first request wakes the container: the Worker answers with its loading page.
    await page.getByRole("heading", { name: LOADING_TITLE }).waitFor();
    // It polls /api/status and says how long the start has taken so far.
    await page
      .locator("#status")
      .getByText(/^Status: starting — [1-9]\d* s/)
      .waitFor();
    await shot(page, "loading-page");
  });

  it("turns into the OpenClaw Control UI, served and connected through the Worker (pairing approved in /_admin if asked)", async () => {
    await untilControlUi(page);
    expect(page.url().startsWith(sandbox.url)).toBe(true);
    const pairing = page.getByText(/pairing required/i).first();
    await connected(page)
      .or(pairing)
      .first()
      .waitFor({ timeout: 5 * MINUTES });
    admin = await page.context().newPage();
    await admin.goto(`${sandbox.url}/_admin/`);
    await admin.getByRole("heading", { name: "OpenClaw admin" }).waitFor();
    if (await pairing.isVisible()) {
      await shot(page, "pairing-required");
      await admin.getByRole("button", { name: "Load devices" }).click();
      const approve = admin.locator("#pending").getByRole("button", { name: "Approve" }).first();
      await approve.waitFor();
      await shot(admin, "admin-pairing-pending", true);
      await approve.click();
      await admin.getByText("Approved.").waitFor();
    }
    await untilSettled(page, "control-ui");
    await page.getByRole("textbox", { name: "Chat composer" }).waitFor();
    await shot(page, "control-ui");

    // The browser's device is paired, whether the gateway approved it itself or /_admin did.
    expect(deviceId, "the Control UI's connect request carries a device identity").toBeTruthy();
    await admin.getByRole("button", { name: "Load devices" }).click();
    await admin.getByText("Devices loaded.").waitFor();
    await admin.locator("#paired").getByText(deviceId!).waitFor();
    await shot(admin, "admin-devices", true);
  });

  it("sends a chat message and shows the AI Gateway emulator's scripted reply", async () => {
    const composer = page.getByRole("textbox", { name: "Chat composer" });
    await composer.fill(MESSAGE);
    await composer.press("Enter");
    await page
      .getByText(REPLY)
      .first()
      .waitFor({ timeout: 5 * MINUTES });
    await page.getByText(MESSAGE, { exact: true }).first().waitFor();
    expect(sandbox.aiGateway!.log.all({ provider: "anthropic" }).some((entry) => entry.scenario === "browser-chat")).toBe(true);
    chatUrl = page.url();
    expect(chatUrl).toMatch(new RegExp(`^${sandbox.url}/chat/`));
    await shot(page, "chat-reply");
  });

  it("restarts the container from /_admin; the open Control UI reconnects, and a fresh browser sees the conversation restored from R2", async () => {
    const containerState = admin.locator("#container");
    await admin.bringToFront();
    await admin.getByRole("button", { name: "Restart gateway" }).click();
    await admin.getByText(/^Restarting: /).waitFor({ timeout: 5 * MINUTES });
    await shot(admin, "admin-restarting", true);
    // The admin page refreshes its state every 5 s: poll what it shows, not the API.
    await waitFor(
      "/_admin to show the container running again after its second start",
      async () => {
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText (the text as rendered, line breaks included), not the DOM property
        const text = await containerState.innerText();
        if (/Status\s+running/.test(text) && /Starts \/ crashes\s+2 \/ 0/.test(text)) return true;
        throw new Error(text.replace(/\s+/g, " ").slice(0, 200));
      },
      10 * MINUTES,
      1000,
    );
    await shot(admin, "admin-restarted", true);

    // The tab that stayed open reconnects by itself.
    await page.bringToFront();
    await untilSettled(page, "control-ui-reconnected");
    await page.getByText(REPLY).first().waitFor();
    await shot(page, "control-ui-reconnected");

    // A new profile has no cached transcript: what it shows came from the restored container.
    const fresh = await openBrowser();
    const second = fresh.pages()[0] ?? (await fresh.newPage());
    recordSockets(second);
    await signIn(second, chatUrl, "access-login-fresh-profile");
    await untilControlUi(second);
    await untilSettled(second, "fresh-profile");
    await second
      .getByText(MESSAGE, { exact: true })
      .first()
      .waitFor({ timeout: 2 * MINUTES });
    await second.getByText(REPLY).first().waitFor();
    await shot(second, "conversation-restored");
  });
});
