import { describe, expect, it } from "vitest";
import { focusAfterClose, focusAfterLoss, focusOnOpen, trappedTab } from "./focus";

describe("trappedTab", () => {
  const items = ["close", "name", "url", "add"];
  it("wraps Tab from the last control to the first", () => {
    expect(trappedTab(items, "add", false)).toBe("close");
  });
  it("wraps Shift+Tab from the first control to the last", () => {
    expect(trappedTab(items, "close", true)).toBe("add");
  });
  it("leaves moves inside the dialog to the browser", () => {
    expect(trappedTab(items, "name", false)).toBeNull();
    expect(trappedTab(items, "url", true)).toBeNull();
    expect(trappedTab(items, "close", false)).toBeNull();
    expect(trappedTab(items, "add", true)).toBeNull();
  });
  it("brings focus that fell out of the dialog back into it", () => {
    expect(trappedTab(items, "body", false)).toBe("close");
    expect(trappedTab(items, "body", true)).toBe("add");
    expect(trappedTab(items, null, false)).toBe("close");
  });
  it("has nowhere to go in a dialog without controls", () => {
    expect(trappedTab([], "body", false)).toBeNull();
  });
  it("keeps a one-control dialog's focus on that control", () => {
    expect(trappedTab(["close"], "close", false)).toBe("close");
    expect(trappedTab(["close"], "close", true)).toBe("close");
  });
});

describe("focusAfterClose", () => {
  const el = (name: string, isConnected = true) => ({ name, isConnected });
  const body = el("body");
  const opener = el("open-push");
  it("returns focus where it was", () => {
    const before = el("record-search");
    expect(focusAfterClose(before, body, opener)).toBe(before);
  });
  it("goes to the opener when the dialog opened from the page's body (a shortcut)", () => {
    expect(focusAfterClose(body, body, opener)).toBe(opener);
    expect(focusAfterClose(null, body, opener)).toBe(opener);
  });
  it("goes to the opener when the control it came from is gone", () => {
    expect(focusAfterClose(el("removed server's Remove", false), body, opener)).toBe(opener);
  });
  it("has nothing to focus without an opener", () => {
    expect(focusAfterClose(body, body, null)).toBeNull();
    expect(focusAfterClose(body, body, el("gone", false))).toBeNull();
  });
});

describe("focusOnOpen", () => {
  it("goes to the dialog's first form control, not its Close button", () => {
    expect(focusOnOpen(["server-name", "server-url"], ["close", "server-name", "server-url", "add"])).toBe(
      "server-name",
    );
  });
  it("goes to Close in a dialog without a form control", () => {
    expect(focusOnOpen([], ["close", "restore"])).toBe("close");
  });
  it("has nothing to focus in an empty dialog", () => {
    expect(focusOnOpen([], [])).toBeNull();
  });
});

describe("focusAfterLoss", () => {
  const region = (isConnected: boolean, controls: string[], next: string[] = []) => ({ isConnected, controls, next });
  it("after Save in Push (its banner gone), goes to the note, the control marked as where the push goes on", () => {
    // Save's paragraph is gone; the preview around it holds the diff's panes, the note and Push.
    const regions = [region(false, []), region(true, ["before", "after", "push-note", "push-send"], ["push-note"])];
    expect(focusAfterLoss(regions)).toBe("push-note");
  });
  it("after Reconnect (its form gone once Corrigo accepted), goes to the connection's next control", () => {
    const regions = [region(false, []), region(true, ["preview-through-server"]), region(true, ["connections"])];
    expect(focusAfterLoss(regions)).toBe("preview-through-server");
  });
  it("while a pull runs, goes to its Cancel, and after it to its button again, not to a neighbour", () => {
    expect(focusAfterLoss([region(true, ["test", "cancel-pull", "use"], ["cancel-pull"])])).toBe("cancel-pull");
    expect(focusAfterLoss([region(true, ["test", "pull", "use"], ["pull"])])).toBe("pull");
  });
  it("passes over a part left without controls to the one around it", () => {
    expect(focusAfterLoss([region(true, []), region(true, ["other"])])).toBe("other");
  });
  it("leaves focus to the dialog when nothing around the control is left", () => {
    expect(focusAfterLoss([region(false, ["x"], ["x"]), region(false, [])])).toBeNull();
    expect(focusAfterLoss([])).toBeNull();
  });
});
