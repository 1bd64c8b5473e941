/**
 * The binding (and its one value) that marks moltlab's own loopback-only `wrangler dev`:
 * `npm run dev` writes it into the config it generates when wrangler listens on 127.0.0.1 only,
 * and the Worker honours DEV_MODE / E2E_TEST_MODE only where it is set.
 */
export const DEV_SERVER_BINDING = "MOLTLAB_DEV_SERVER";
export const LOOPBACK_DEV_SERVER = "loopback";
