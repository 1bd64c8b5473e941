/** moltworker's R2 bucket: R2_BUCKET_NAME's default, the Worker's MOLTBOT_BUCKET, the emulators'. */
export const DEFAULT_BUCKET = "moltbot-data";
