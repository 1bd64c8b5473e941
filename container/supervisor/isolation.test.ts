/**
 * The supervisor against a hostile agent, as a real process: the gateway (and so every shell
 * command the agent runs) as a user of its own that cannot read the R2 credentials, and a
 * shutdown that ends everything the gateway started before the final backup reads.
 * The separate-user cases need root (the image starts the supervisor as root; CI runs as root).
 */
import { execFile } from "node:child_process";
import { chown, mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayReady, gatewayUrl, startSupervisor, supervisorEnv, supervisorSuite, tcpSwitch, waitFor } from "./testing/harness.ts";

const IS_ROOT = process.getuid?.() === 0;
/** A uid no other process on the machine uses: the supervisor kills every process of it on shutdown. */
const AGENT = { uid: 54321, gid: 54321 };

const suite = supervisorSuite("isolation");
const { temp } = suite;

/** A home whose state folders belong to the agent's user, as the image's /home/node does. */
async function agentHome(): Promise<string> {
  const home = await temp("agent-home");
  for (const dir of [".openclaw/workspace/skills", ".config/openclaw"]) await mkdir(join(home, dir), { recursive: true });
  for (const dir of [".", ".openclaw", ".openclaw/workspace", ".openclaw/workspace/skills", ".config", ".config/openclaw"])
    await chown(join(home, dir), AGENT.uid, AGENT.gid);
  return home;
}

async function separatedEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = await agentHome();
  return supervisorEnv(home, suite.r2, suite.prefix(), {
    MOLTLAB_GATEWAY_USER: `${AGENT.uid}:${AGENT.gid}`,
    MOLTLAB_STAGING_DIR: await temp("staging"),
    MOLTLAB_BACKUP_INTERVAL: "600",
    ...extra,
  });
}

async function uidOf(pid: number): Promise<number> {
  return Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/** Alive and not a zombie. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat !== null && !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!);
}

/**
 * What a shell of the agent's user can find: every /proc/<pid>/environ and cmdline it may read,
 * and every file under `roots`, searched for the given values (handed over on stdin, so the
 * probe's own environment and command line hold none of them).
 */
const PROBE = `
const fs = require("node:fs");
const values = JSON.parse(fs.readFileSync(0, "utf8"));
const found = [], denied = [];
let environsRead = 0;
const search = (where, text) => { for (const [name, value] of Object.entries(values)) if (text.includes(value)) found.push(name + " in " + where); };
for (const pid of fs.readdirSync("/proc").filter((name) => /^\\d+$/.test(name) && Number(name) !== process.pid)) {
  for (const file of ["environ", "cmdline"]) {
    try { search("/proc/" + pid + "/" + file, fs.readFileSync("/proc/" + pid + "/" + file, "latin1")); if (file === "environ") environsRead++; }
    catch (error) { if (file === "environ" && error.code === "EACCES") denied.push(Number(pid)); }
  }
}
const walk = (dir) => {
  let names; try { names = fs.readdirSync(dir); } catch { return; }
  for (const name of names) {
    const path = dir + "/" + name;
    let stats; try { stats = fs.lstatSync(path); } catch { continue; }
    if (stats.isDirectory()) walk(path);
    else if (stats.isFile()) { try { search(path, fs.readFileSync(path, "latin1")); } catch {} }
  }
};
for (const root of process.argv.slice(1)) walk(root);
process.stdout.write(JSON.stringify({ found, denied, environsRead }));
`;

function probeAs(
  user: { uid: number; gid: number },
  values: Record<string, string>,
  roots: string[],
): Promise<{ found: string[]; denied: number[]; environsRead: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["-e", PROBE, ...roots], { ...user, env: { PATH: "/usr/bin:/bin" } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`probe failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { found: string[]; denied: number[]; environsRead: number });
    });
    child.stdin!.end(JSON.stringify(values));
  });
}

describe.runIf(IS_ROOT)("the gateway as a user of its own (needs root)", { timeout: 60_000 }, () => {
  it("runs the gateway and what it spawns as MOLTLAB_GATEWAY_USER, where no R2 credential can be read", async () => {
    const env = await separatedEnv();
    const s = startSupervisor(env);
    await gatewayReady(s);
    const health = (await (await s.control("/health")).json()) as { gateway: { pid: number } };
    const gateway = health.gateway.pid;
    expect(await uidOf(gateway)).toBe(AGENT.uid);
    const writer = (await (
      await fetch(gatewayUrl(s, `/fake/writer?file=${encodeURIComponent(join(env.HOME!, ".openclaw", "workspace", "job.out"))}`), { method: "POST" })
    ).json()) as { pid: number };
    expect(await uidOf(writer.pid)).toBe(AGENT.uid);
    // The control API's openclaw CLI runs as the agent's user too (it reads the same state).
    expect((await s.control("/devices")).status).toBe(200);
    expect(s.logs).toContainEqual(expect.objectContaining({ msg: "gateway started", uid: AGENT.uid }));

    const secrets = {
      R2_ACCESS_KEY_ID: env.R2_ACCESS_KEY_ID!,
      R2_SECRET_ACCESS_KEY: env.R2_SECRET_ACCESS_KEY!,
      OPENCLAW_GATEWAY_TOKEN: env.OPENCLAW_GATEWAY_TOKEN!,
    };
    const seen = await probeAs(AGENT, secrets, [env.HOME!, env.MOLTLAB_STAGING_DIR!]);
    // The probe does read what it may: the gateway's own environment, with the token the gateway needs.
    expect(seen.environsRead).toBeGreaterThan(0);
    expect(seen.found).toContain(`OPENCLAW_GATEWAY_TOKEN in /proc/${gateway}/environ`);
    // …and nothing holds the R2 credentials where the agent's user can read them.
    expect(seen.found.filter((hit) => hit.startsWith("R2_"))).toEqual([]);
    expect(seen.denied).toContain(s.child.pid);

    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  it("on SIGTERM ends everything the gateway started, in its process group or not, before the final backup", async () => {
    const env = await separatedEnv();
    const s = startSupervisor(env);
    await gatewayReady(s);
    const workspace = join(env.HOME!, ".openclaw", "workspace");
    const start = async (name: string, setsid: boolean) => {
      const url = gatewayUrl(s, `/fake/writer?file=${encodeURIComponent(join(workspace, name))}${setsid ? "&setsid=1" : ""}`);
      return ((await (await fetch(url, { method: "POST" })).json()) as { pid: number }).pid;
    };
    const pids = [await start("in-group.out", false), await start("own-session.out", true)];
    await waitFor("both writers writing", async () => (await readdir(workspace)).filter((name) => name.endsWith(".out")).length === 2);

    expect(await s.stop()).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(await isRunning(pid), `writer ${pid} still running`).toBe(false);
    expect(s.logs).toContainEqual(expect.objectContaining({ msg: "killed what the gateway left running", pids: expect.arrayContaining(pids) }));

    // What is on disk now is what the final backup saw: nothing was written after it.
    const onDisk = await Promise.all(["in-group.out", "own-session.out"].map((name) => readFile(join(workspace, name), "utf8")));
    const next = startSupervisor(await supervisorEnv(await temp("restored"), suite.r2, env.MOLTLAB_R2_PREFIX!, { MOLTLAB_BACKUP_INTERVAL: "600" }));
    await gatewayReady(next);
    const restored = await Promise.all(
      ["in-group.out", "own-session.out"].map((name) => readFile(join(next.env.HOME!, ".openclaw", "workspace", name), "utf8")),
    );
    expect(restored).toEqual(onDisk);
    expect(await next.stop()).toEqual({ code: 0, signal: null });
  });
});

describe("shutdown", { timeout: 60_000 }, () => {
  it("ends the gateway's children before the final backup, as the same user too", async () => {
    const home = await temp("same-user");
    const env = await supervisorEnv(home, suite.r2, suite.prefix(), { MOLTLAB_BACKUP_INTERVAL: "600", MOLTLAB_GATEWAY_USER: "" });
    const s = startSupervisor(env);
    await gatewayReady(s);
    const file = join(home, ".openclaw", "workspace", "job.out");
    const { pid } = (await (await fetch(gatewayUrl(s, `/fake/writer?file=${encodeURIComponent(file)}`), { method: "POST" })).json()) as { pid: number };
    await waitFor("the writer writing", async () => (await readFile(file, "utf8").catch(() => "")).length > 0);
    expect(await s.stop()).toEqual({ code: 0, signal: null });
    expect(await isRunning(pid)).toBe(false);
    const onDisk = await readFile(file, "utf8");

    const next = startSupervisor(await supervisorEnv(await temp("same-user-restored"), suite.r2, env.MOLTLAB_R2_PREFIX!, { MOLTLAB_BACKUP_INTERVAL: "600" }));
    await gatewayReady(next);
    expect(await readFile(join(next.env.HOME!, ".openclaw", "workspace", "job.out"), "utf8")).toBe(onDisk);
    expect(await next.stop()).toEqual({ code: 0, signal: null });
  });

  it("bounds the final backup: with R2 hanging, SIGTERM exits 1 after MOLTLAB_FINAL_BACKUP_TIMEOUT and says what is not in R2", async () => {
    const line = await tcpSwitch(suite.r2.port);
    try {
      const endpoint = suite.r2.endpoint.replace(`:${suite.r2.port}/`, `:${line.port}/`);
      const home = await temp("stalled");
      const env = await supervisorEnv(home, suite.r2, suite.prefix(), {
        R2_ENDPOINT: endpoint,
        MOLTLAB_BACKUP_INTERVAL: "600",
        MOLTLAB_FINAL_BACKUP_TIMEOUT: "1",
      });
      const s = startSupervisor(env);
      await gatewayReady(s);
      // R2 now accepts connections and never answers: the final backup's uploads hang.
      line.stall();
      expect(await s.stop()).toEqual({ code: 1, signal: null });
      expect(s.logs).toContainEqual(
        expect.objectContaining({
          level: "error",
          phase: "shutdown",
          msg: expect.stringMatching(
            /^final backup did not finish within 1 s \(MOLTLAB_FINAL_BACKUP_TIMEOUT\): changes made since the (restore|backup of .*) are not in R2$/,
          ),
          // What is missing is named: the fake gateway's files, never backed up.
          notInR2: expect.arrayContaining(["workspace/AGENTS.md"]),
          notInR2Count: expect.any(Number),
        }),
      );
    } finally {
      await line.close();
    }
  });
});
