#!/usr/bin/env node
// Entry point of the moltlab CLI. Plain JavaScript on purpose: it must parse on
// any Node so that running it on the wrong one gives a clear message instead of a
// syntax error. The CLI itself is TypeScript, run by Node 24's type stripping.

const MIN_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);

if (major < MIN_MAJOR) {
  process.stderr.write(
    `moltlab needs Node ${MIN_MAJOR} or newer, but this is Node ${process.versions.node} (${process.execPath}).\n` +
      "On Linux x64/arm64 `npm ci` installs Node 24 into node_modules/.bin, and npm scripts use it:\n" +
      "run moltlab through npm (`npm test`, `npm run setup`), not with the system `node`.\n" +
      "Elsewhere install Node 24 (e.g. with nvm or fnm) and run `npm ci` again.\n",
  );
  process.exit(1);
}

await import("../cli/main.ts");
