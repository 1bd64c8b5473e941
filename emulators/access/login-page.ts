/**
 * The team domain's pages: plain HTML forms that work without JavaScript or external assets,
 * labelled for screen readers, errors announced with role="alert".
 */
import { escapeHtml } from "../../core/html.ts";

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  button, input { font: inherit; padding: 0.4rem 0.8rem; }
  ul { list-style: none; padding: 0; }
  li { margin: 0.4rem 0; }
  [role="alert"] { color: #a00; font-weight: bold; }
  .note { color: #555; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageOptions {
  identities: readonly string[];
  /** Carried through the forms; absent when the page was opened directly. */
  redirectUrl?: string;
  /** Shown as an alert next to the email field, with the typed value kept. */
  error?: string;
  typedEmail?: string;
}

export function loginPage(options: LoginPageOptions): string {
  const redirect = options.redirectUrl === undefined ? "" : `<input type="hidden" name="redirect_url" value="${escapeHtml(options.redirectUrl)}">`;
  const identities = options.identities.length
    ? `<section aria-labelledby="pick">
<h2 id="pick">Choose an identity</h2>
<form method="post">
${redirect}
<ul>
${options.identities.map((email) => `<li><button type="submit" name="email" value="${escapeHtml(email)}">Sign in as ${escapeHtml(email)}</button></li>`).join("\n")}
</ul>
</form>
</section>`
    : "";
  const error = options.error ? `<p role="alert" id="email-error">${escapeHtml(options.error)}</p>` : "";
  const invalid = options.error ? ` aria-invalid="true" aria-describedby="email-error"` : "";
  return layout(
    "Sign in · Cloudflare Access (moltlab)",
    `<h1>Sign in</h1>
<p class="note">moltlab's local stand-in for Cloudflare Access: no password, pick who you are.</p>
${identities}
<section aria-labelledby="other">
<h2 id="other">Or use another email</h2>
<form method="post">
${redirect}
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(options.typedEmail ?? "")}"${invalid}>
${error}
<button type="submit">Sign in</button>
</form>
</section>`,
  );
}

/** A short page with a heading and one paragraph (signed in, signed out, bad request). */
export function messagePage(title: string, message: string): string {
  return layout(`${title} · Cloudflare Access (moltlab)`, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
