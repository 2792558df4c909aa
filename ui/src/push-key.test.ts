import { describe, expect, it } from "vitest";
import { isPushKey, isServersKey, pushKeyLabel, serversKeyLabel } from "./push-key";

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

describe("the Servers shortcut", () => {
  it("is Ctrl+Shift+K, or Cmd+Shift+K on a Mac, and not Connections' Ctrl+K", () => {
    const k = (e: Partial<KeyboardEvent>) => key({ key: "K", ...e });
    expect(isServersKey(k({ ctrlKey: true, shiftKey: true }), false)).toBe(true);
    expect(isServersKey(k({ metaKey: true, shiftKey: true }), true)).toBe(true);
    expect(isServersKey(k({ ctrlKey: true }), false)).toBe(false);
    expect(isServersKey(k({ ctrlKey: true, shiftKey: true, altKey: true }), false)).toBe(false);
    expect(isServersKey(key({ ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(serversKeyLabel(false)).toBe("Ctrl+Shift+K");
    expect(serversKeyLabel(true)).toBe("⌘⇧K");
  });
});
