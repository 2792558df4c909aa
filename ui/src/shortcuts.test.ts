import { describe, expect, it } from "vitest";
import { actionFor, keysLabel, SHORTCUTS } from "./shortcuts";

const press = (key: string, mods: Partial<{ ctrl: boolean; meta: boolean; shift: boolean; alt: boolean }> = {}) => ({
  key,
  ctrlKey: mods.ctrl ?? false,
  metaKey: mods.meta ?? false,
  shiftKey: mods.shift ?? false,
  altKey: mods.alt ?? false,
});

describe("shortcuts", () => {
  it("maps key presses to actions, modifiers exactly", () => {
    expect(actionFor(press("s", { ctrl: true }))).toBe("save");
    expect(actionFor(press("Z", { ctrl: true, shift: true }))).toBe("redo");
    expect(actionFor(press("z", { ctrl: true }))).toBe("undo");
    expect(actionFor(press("y", { ctrl: true }))).toBe("redo");
    expect(keysLabel("redo")).toBe("Ctrl+Shift+Z or Ctrl+Y");
    expect(actionFor(press("ArrowDown", { alt: true }))).toBe("nextRecord");
    expect(actionFor(press("s"))).toBeNull();
    expect(actionFor(press("s", { ctrl: true, alt: true }))).toBeNull();
    expect(actionFor(press("F1"))).toBe("help");
  });

  it("uses ⌘ on macOS", () => {
    expect(actionFor(press("s", { meta: true }), true)).toBe("save");
    expect(actionFor(press("s", { ctrl: true }), true)).toBeNull();
    expect(keysLabel("save", true)).toBe("⌘+S");
    expect(keysLabel("save")).toBe("Ctrl+S");
  });

  it("gives every action one distinct chord", () => {
    const keys = SHORTCUTS.flatMap((s) => (s.also ? [s.keys, s.also] : [s.keys]));
    expect(new Set(keys).size).toBe(keys.length);
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
  });
});
