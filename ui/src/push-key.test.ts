import { describe, expect, it } from "vitest";
import { isPushKey, pushKeyLabel } from "./push-key";

const key = (k: Partial<KeyboardEvent>) => ({
  key: "P",
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...k,
});

describe("the push shortcut", () => {
  it("is Ctrl+Shift+P, or Cmd+Shift+P on a Mac", () => {
    expect(isPushKey(key({ ctrlKey: true, shiftKey: true }), false)).toBe(true);
    expect(isPushKey(key({ metaKey: true, shiftKey: true }), true)).toBe(true);
    expect(isPushKey(key({ ctrlKey: true, shiftKey: true }), true)).toBe(false);
    expect(isPushKey(key({ ctrlKey: true }), false)).toBe(false);
    expect(isPushKey(key({ ctrlKey: true, shiftKey: true, altKey: true }), false)).toBe(false);
  });
});

describe("pushKeyLabel", () => {
  it("writes the chord as the help overlay shows it", () => {
    expect(pushKeyLabel(false)).toBe("Ctrl+Shift+P");
    expect(pushKeyLabel(true)).toBe("⌘⇧P");
  });
});
