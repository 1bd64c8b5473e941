// Types `exports` from "cloudflare:workers" after the Worker's main module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../src/index.ts");
  }
}
