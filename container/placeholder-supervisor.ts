/**
 * Stand-in for the supervisor (container/supervisor/main.ts) until it exists:
 * `moltlab image` bundles this file as /opt/moltlab/supervisor.mjs only while
 * the real entry is missing. It does the least a usable image needs: seed the
 * default config when there is none, start `openclaw gateway` on 18789, forward
 * signals, and exit with the gateway's status. The gateway token comes from
 * OPENCLAW_GATEWAY_TOKEN in the environment, never from the command line.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const DEFAULT_CONFIG = "/opt/moltlab/openclaw.default.json";
const stateDir = process.env.OPENCLAW_STATE_DIR || join(homedir(), ".openclaw");
const configPath = process.env.OPENCLAW_CONFIG_PATH || join(stateDir, "openclaw.json");

if (!existsSync(configPath) && existsSync(DEFAULT_CONFIG)) {
  mkdirSync(dirname(configPath), { recursive: true });
  copyFileSync(DEFAULT_CONFIG, configPath);
}

console.log("moltlab placeholder supervisor: starting openclaw gateway (the real supervisor is not bundled yet)");
const gateway = spawn("openclaw", ["gateway", "--port", "18789", "--bind", "lan"], { stdio: "inherit" });
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"] as const) {
  process.on(signal, () => gateway.kill(signal));
}
gateway.on("error", (error) => {
  console.error(`moltlab placeholder supervisor: cannot start openclaw: ${error.message}`);
  process.exit(127);
});
gateway.on("exit", (code, signal) => {
  process.exit(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1));
});
