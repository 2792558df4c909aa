// The Push dialog's shortcut, apart from the component so that it is testable without a window.

export type KeyLike = Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">;

/** True for Ctrl+Shift+P (⌘⇧P on a Mac). */
export const isPushKey = (e: KeyLike, mac: boolean) =>
  e.shiftKey && !e.altKey && (mac ? e.metaKey : e.ctrlKey) && e.key.toLowerCase() === "p";

/** How the help overlay and the Push button's title write it. */
export const pushKeyLabel = (mac: boolean) => (mac ? "⌘⇧P" : "Ctrl+Shift+P");

/** True for Ctrl+Shift+K (⌘⇧K on a Mac): Servers, beside Ctrl+K for Connections. */
export const isServersKey = (e: KeyLike, mac: boolean) =>
  e.shiftKey && !e.altKey && (mac ? e.metaKey : e.ctrlKey) && e.key.toLowerCase() === "k";

export const serversKeyLabel = (mac: boolean) => (mac ? "⌘⇧K" : "Ctrl+Shift+K");
