/**
 * Webhook delivery as Telegram does it: each pending update POSTed as JSON to the bot's URL,
 * oldest first, with the secret in X-Telegram-Bot-Api-Secret-Token; a 2xx answer confirms it,
 * anything else (a status, a refused connection, no answer in time) keeps it pending, is shown
 * in getWebhookInfo's last_error_* and is retried later with a growing delay. Nothing is lost
 * while the receiver is down, only delayed — which is what a sleeping container needs.
 */
import { TELEGRAM_SECRET_HEADER } from "../../contract/telegram.ts";
import { type EmulatedBot, now } from "./bot.ts";

export const SECRET_HEADER = TELEGRAM_SECRET_HEADER;

export interface DeliveryOptions {
  /** How long a webhook may take to answer before the attempt counts as failed (default 60 s). */
  timeoutMs?: number;
  /** Delay before retry `attempt` (1, 2, …) after a failure. Default 1 s doubling up to 60 s. */
  retryDelayMs?: (attempt: number) => number;
}

const defaultRetry = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 60_000);

export class WebhookDelivery {
  private running = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: (attempt: number) => number;
  /** Attempts per update id, for tests and the control API. */
  readonly attempts = new Map<number, number>();

  private readonly bot: EmulatedBot;

  constructor(bot: EmulatedBot, options: DeliveryOptions = {}) {
    this.bot = bot;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetry;
    bot.events.on("update", () => this.kick());
  }

  /** Delivers what is pending now, or cuts a retry's wait short (a new setWebhook, a new update). */
  kick(): void {
    if (this.stopped || !this.bot.webhook) return;
    if (this.running) {
      this.wake?.();
      return;
    }
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const hook = this.bot.webhook;
      const update = hook && this.bot.pendingUpdates()[0];
      if (!hook || !update) return;
      this.attempts.set(update.update_id, (this.attempts.get(update.update_id) ?? 0) + 1);
      const error = await this.post(hook.url, hook.secretToken, update);
      if (!error) {
        // Taken, even when setWebhook changed the settings meanwhile (OpenClaw calls it at every boot).
        this.bot.confirmBelow(update.update_id + 1);
        this.bot.events.emit("delivered", update);
        failures = 0;
        continue;
      }
      // Refused under settings that have changed since: try the new ones at once.
      if (this.bot.webhook !== hook) continue;
      failures++;
      hook.lastErrorDate = now();
      hook.lastErrorMessage = error;
      this.bot.events.emit("delivery-failed", { update, error });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.retryDelayMs(failures));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** One attempt; the error as getWebhookInfo's last_error_message words it, or undefined. */
  private async post(url: string, secret: string | undefined, update: unknown): Promise<string | undefined> {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(secret ? { [SECRET_HEADER]: secret } : {}) },
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return undefined;
      return `Wrong response from the webhook: ${response.status} ${response.statusText}`.trim();
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") return "Read timeout expired";
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return cause === "ECONNREFUSED" ? "Connection refused" : `Connection failed: ${cause ?? (error instanceof Error ? error.message : String(error))}`;
    }
  }
}
