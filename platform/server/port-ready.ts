/**
 * Readiness: a container is ready once every one of its ports answers HTTP, as with
 * Cloudflare's startAndWaitForPorts.
 */
import { setTimeout as delay } from "node:timers/promises";
import { PlatformError } from "../client/errors.ts";
import { logTail } from "./docker-logs.ts";
import { elapsed, type DockerExit, type Instance } from "./instance.ts";

const POLL_INTERVAL_MS = 100;
const ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * Waits until every port of a running instance answers HTTP, reporting each as it does.
 * Rejects with container_exited (and the app's last log lines) when the process exits first,
 * with port_timeout past the spec's bound (the container keeps running), and with the abort
 * reason when a stop or destroy arrives.
 */
export async function waitForPorts(instance: Instance, onPortReady: (port: number, hostUrl: string, ms: number) => void): Promise<void> {
  const { name, spec } = instance;
  const waiting = new AbortController();
  let exit: DockerExit | undefined;
  const exited = instance.exited!.then((info) => {
    exit = info;
    waiting.abort();
  });
  const signal = AbortSignal.any([waiting.signal, instance.abort.signal]);
  const ports = Promise.all(
    spec.ports.map(async (port) => {
      const hostUrl = instance.ports[String(port)]!;
      const portStarted = performance.now();
      try {
        await waitForHttp(hostUrl, { signal, timeoutMs: spec.portReadyTimeoutMs });
      } catch (error) {
        if (instance.abort.signal.aborted) throw instance.abort.signal.reason;
        if (waiting.signal.aborted) return; // the process exited: reported below
        throw new PlatformError(
          "port_timeout",
          `container ${name}: port ${port} did not answer HTTP within ${spec.portReadyTimeoutMs} ms (${(error as Error).message}); ` +
            `the container keeps running: check that the app listens on 0.0.0.0:${port}, or raise portReadyTimeoutMs`,
        );
      }
      if (!waiting.signal.aborted) onPortReady(port, hostUrl, elapsed(portStarted));
    }),
  );
  ports.catch(() => undefined); // settled through the race; a later rejection must not go unhandled
  await Promise.race([ports, exited]);
  if (exit && !instance.abort.signal.aborted) {
    const oom = exit.oomKilled ? ", killed by the OOM killer (raise instanceType)" : "";
    throw new PlatformError(
      "container_exited",
      `container ${name} exited with code ${exit.code ?? "unknown"}${oom} before its ports ${spec.ports.join(", ")} answered HTTP; ` +
        `fix the app or its command. Last log lines:\n${await logTail(instance.container!)}`,
    );
  }
  waiting.abort();
}

/**
 * Resolves once `url` answers HTTP with any status. A TCP connect is not enough: Docker's
 * userland proxy accepts on the published port before anything listens inside, then
 * drops the connection. Rejects with `signal.reason` when aborted, or "timeout" once
 * `timeoutMs` passed without an answer.
 */
async function waitForHttp(url: string, options: { signal: AbortSignal; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal.throwIfAborted();
    const left = deadline - Date.now();
    try {
      const response = await fetch(url, {
        redirect: "manual",
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)))]),
      });
      await response.body?.cancel();
      return;
    } catch {
      options.signal.throwIfAborted();
    }
    if (Date.now() >= deadline) throw new Error("timeout");
    await delay(POLL_INTERVAL_MS, undefined, { signal: options.signal });
  }
}
