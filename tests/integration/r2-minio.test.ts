import { afterEach, describe, expect, it, vi } from "vitest";
import { UserError } from "../../core/errors.ts";
import { startR2 } from "../../emulators/r2/index.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("R2 stand-in, MinIO backend", () => {
  it("refuses to start without the MinIO image, naming the fix, without pulling anything", async () => {
    vi.stubEnv("MOLTLAB_MINIO_IMAGE", "moltlab-test/no-such-minio:0");
    const error = await startR2({ backend: "minio", secretAccessKey: "never-in-messages-0123456789" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UserError);
    const { message, fix } = error as UserError;
    expect(message).toContain("MOLTLAB_R2_BACKEND=minio needs the image moltlab-test/no-such-minio:0");
    expect(fix).toContain("docker pull moltlab-test/no-such-minio:0");
    expect(fix).toContain("unset MOLTLAB_R2_BACKEND");
    expect(message + fix).not.toContain("never-in-messages");
  });
});
