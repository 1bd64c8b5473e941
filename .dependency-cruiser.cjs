/**
 * The layers and their one rule: imports only go down.
 *
 *   contract/ ← core/ ← setup/ ← platform/ · emulators/ · container/ · worker/ ← stack/ ← verify/ ← cli/
 *
 * contract: pure constants and types shared by Worker, supervisor, platform, tests and verify —
 *   imports nothing, not even Node built-ins (it is bundled into the Worker), so it is the bottom.
 * core: exec, Docker, errors, progress, labels, host facts, argument and option parsing.
 * The four middle folders share a layer and do not import each other, with two exceptions:
 *   the Worker bundles the platform's Node-free client (its local driver), and tests and test
 *   helpers (*.test.ts, testing/) may use the emulators (e.g. the supervisor's against R2).
 * The Worker (worker/src) bundles for workerd: it may use contract/ and the platform's Node-free
 * client only (besides npm packages and workerd's own `cloudflare:` modules). tests/ sit on top
 * and may use anything but cli/. Checked by `npm test` (moltlab test).
 */
const LAYERS = ["contract", "core", "setup", "platform|emulators|container|worker", "stack", "verify", "cli"];

const above = (index) => `^(${LAYERS.slice(index + 1).join("|")})/`;
const TEST_CODE = "\\.test\\.ts$|/testing/";
const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-import-from-${layer.split("|")[0]}`,
  comment: `${layer.replaceAll("|", ", ")} may not import a higher layer (${LAYERS.slice(index + 1)
    .join(", ")
    .replaceAll("|", ", ")})`,
  severity: "error",
  from: { path: `^(${layer})/`, pathNot: TEST_CODE },
  to: { path: above(index) },
}));

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "no import cycles, between files or folders", severity: "error", from: {}, to: { circular: true } },
    {
      name: "cli-is-a-leaf",
      comment: "cli/ holds commands only: nothing but bin/ and cli/ itself imports it",
      severity: "error",
      from: { pathNot: "^(cli|bin)/" },
      to: { path: "^cli/" },
    },
    ...layerRules,
    {
      name: "sibling-layers-stay-apart",
      comment: "platform/, emulators/, container/ and worker/ share one layer and do not import each other",
      severity: "error",
      from: { path: "^(platform|emulators|container|worker)/", pathNot: TEST_CODE },
      to: { path: "^(platform|emulators|container|worker)/", pathNot: "^$1/|^platform/client/" },
    },
    {
      name: "worker-bundles-contract-and-platform-client-only",
      comment:
        "the Worker runs in workerd: besides its own files, npm packages and workerd's cloudflare: modules it may import contract/ and platform/client/ only",
      severity: "error",
      from: { path: "^worker/src/" },
      to: { pathNot: "^(worker/src/|contract/|platform/client/|node_modules/|cloudflare:)", dependencyTypesNot: ["core"] },
    },
    {
      name: "contract-is-pure",
      comment: "contract/ has no Node built-ins: the Worker bundles it",
      severity: "error",
      from: { path: "^contract/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "platform-client-is-node-free",
      comment: "platform/client/ is bundled into the Worker: no Node built-ins, nothing of the server",
      severity: "error",
      from: { path: "^platform/client/" },
      to: { path: "^platform/(?!client/)|^(core|setup)/" },
    },
    {
      name: "platform-client-no-node",
      severity: "error",
      from: { path: "^platform/client/" },
      to: { dependencyTypes: ["core"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|reports)/" },
    // TypeScript 7 (tsgo) has no JS API, which dependency-cruiser needs; swc parses our TS instead.
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Package subpaths such as `hono/cookie` exist only in their package's `exports` map.
    enhancedResolveOptions: {
      extensions: [".ts", ".mjs", ".cjs", ".js"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
    // A git worktree may link node_modules to another checkout's; packages still count as node_modules/.
    preserveSymlinks: true,
  },
};
