/**
 * Telegram webhooks through the Worker (a kit extension: moltworker polls, so a sleeping
 * container misses messages until something wakes it). Telegram POSTs each update to the
 * Worker's TELEGRAM_WEBHOOK_ROUTE with the secret in TELEGRAM_SECRET_HEADER; the Worker wakes
 * the container and hands the update to OpenClaw's webhook listener, which the supervisor
 * configures on TELEGRAM_WEBHOOK_PORT at OPENCLAW_TELEGRAM_PATH.
 */

/** The Worker's public route for Telegram (authenticated by the secret header, not by Access). */
export const TELEGRAM_WEBHOOK_ROUTE = "/telegram/webhook";
/** OpenClaw's Telegram webhook listener in the container (its webhookPort; its default 8787 is wrangler dev's). */
export const TELEGRAM_WEBHOOK_PORT = 18791;
/** OpenClaw's webhookPath (its default). */
export const OPENCLAW_TELEGRAM_PATH = "/telegram-webhook";
/** The header Telegram sends setWebhook's secret_token in. */
export const TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";
/** setWebhook's secret_token: 1–256 of A-Z a-z 0-9 _ - (Telegram refuses others). */
export const TELEGRAM_SECRET_SHAPE = /^[A-Za-z0-9_-]{1,256}$/;
