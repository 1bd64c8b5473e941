/** The OpenClaw gateway's port in the container: HTTP and WebSocket (moltworker's). */
export const GATEWAY_PORT = 18789;
/** The supervisor's control API in the container (`Authorization: Bearer <gateway token>`). */
export const CONTROL_PORT = 18790;
