import { describe, expect, it } from "vitest";
import { randomSecret } from "./secret.ts";

describe("randomSecret", () => {
  it("is bytes × 2 hex characters, different every time", () => {
    expect(randomSecret(24)).toMatch(/^[0-9a-f]{48}$/);
    expect(randomSecret(16)).not.toBe(randomSecret(16));
  });
});
