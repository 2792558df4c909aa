import { describe, expect, it } from "vitest";
import { pushLabel } from "./push-button";

describe("the Push button says what a push does", () => {
  it("names the version it makes and the one it replaces", () => {
    expect(pushLabel(3)).toBe("Push as version 4 (replaces 3)");
    expect(pushLabel(0)).toBe("Push as version 1 (replaces 0)");
  });
});
