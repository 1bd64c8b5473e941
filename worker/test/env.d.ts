// Types `exports` and `env` from "cloudflare:workers" after the test entry (the Worker with a fake container).
type MoltlabWorkerEnv = import("../src/types.ts").Env;
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./entry.ts");
  }
  interface Env extends MoltlabWorkerEnv {}
}
