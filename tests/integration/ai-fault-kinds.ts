/**
 * The AI Gateway fault kinds the fault table sends through OpenClaw behind the Worker
 * (ai-faults.test.ts), one line each: a new kind of the emulator (emulators/ai-gateway/README.md,
 * "Faults") joins the table by one more line here. Every fault is injected for every request
 * (`times: "always"`): the SDK's and OpenClaw's own retries meet it too, so what the user sees is
 * what a lasting failure looks like, not a blip a retry hides.
 *
 * `expect`: what the person chatting should get — `error`, a clear error in the chat within the
 * test's bound (not a hang), or `reply`, the answer (a slow first byte is slow, not broken) — or,
 * for a known gap, `no answer`: what OpenClaw does today, recorded so that the test fails (and the
 * line gets `error`) the day it changes. `boundMs` shortens the wait where the outcome is known.
 */
import type { Fault } from "../../emulators/ai-gateway/index.ts";

export interface FaultKind {
  /** The row's name in the table. */
  kind: string;
  fault: Fault;
  expect: "error" | "reply" | "no answer";
  /** How long the chat may take before it counts as no answer (default: the test's bound). */
  boundMs?: number;
}

export const FAULT_KINDS: readonly FaultKind[] = [
  { kind: "status 500", fault: { kind: "status", status: 500 }, expect: "error" },
  { kind: "status 529 (overloaded)", fault: { kind: "status", status: 529 }, expect: "error" },
  { kind: "status 429", fault: { kind: "status", status: 429, retryAfter: 1 }, expect: "error" },
  { kind: "slow-first-byte 5 s", fault: { kind: "slow-first-byte", delayMs: 5000 }, expect: "reply" },
  // A known gap: with the emulator on the loopback, OpenClaw 2026.9.6 waited more than 6 minutes on a
  // stalled stream (one request, no retry) without ending the turn. Its documented model idle
  // watchdog (docs/concepts/agent-loop.md: 120 s for cloud providers) did not end it here; 150 s
  // is past that watchdog. In one run of two the WebSocket through the Worker dropped (1006) 57 s in
  // instead: no error in the chat either way.
  { kind: "stall after the first event", fault: { kind: "stall", afterChunks: 1 }, expect: "no answer", boundMs: 150_000 },
  { kind: "cut after two events", fault: { kind: "cut", afterChunks: 2 }, expect: "error" },
  { kind: "malformed second event", fault: { kind: "malformed", afterChunks: 2 }, expect: "error" },
  { kind: "reset before any byte", fault: { kind: "reset" }, expect: "error" },
];
