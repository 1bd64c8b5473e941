// The healthcheck of every moltlab service in docker-compose.yml: plain JavaScript, so it
// starts in a few milliseconds (the CLI would load all of moltlab every few seconds).
//   node healthcheck.mjs <url>               healthy when the URL answers 2xx
//   node healthcheck.mjs <url> --any-status  healthy when it answers at all
const [url, mode] = process.argv.slice(2);
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await response.body?.cancel();
  process.exit(response.ok || mode === "--any-status" ? 0 : 1);
} catch {
  process.exit(1);
}
