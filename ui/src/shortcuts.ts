// Every action the studio offers, with its keyboard shortcut. The help overlay, the
// buttons' titles and the key handler all read this one table.

export type Action =
  | "save"
  | "undo"
  | "redo"
  | "export"
  | "import"
  | "search"
  | "nextRecord"
  | "previousRecord"
  | "nextField"
  | "previousField"
  | "bindSelected"
  | "addStep"
  | "coverage"
  | "history"
  | "connections"
  | "theme"
  | "help"
  | "rawJson";

export interface Shortcut {
  action: Action;
  keys: string;
  /** A second chord people expect from other tools (Ctrl+Y for redo). */
  also?: string;
  label: string;
}

export const SHORTCUTS: Shortcut[] = [
  { action: "save", keys: "Mod+S", label: "Save a new version" },
  { action: "undo", keys: "Mod+Z", label: "Undo" },
  { action: "redo", keys: "Mod+Shift+Z", also: "Mod+Y", label: "Redo" },
  { action: "export", keys: "Mod+E", label: "Export the mapping to a file" },
  { action: "import", keys: "Mod+O", label: "Import a mapping file" },
  { action: "search", keys: "Mod+F", label: "Search records" },
  { action: "nextRecord", keys: "Alt+ArrowDown", label: "Next record" },
  { action: "previousRecord", keys: "Alt+ArrowUp", label: "Previous record" },
  { action: "nextField", keys: "Alt+ArrowRight", label: "Next target field" },
  { action: "previousField", keys: "Alt+ArrowLeft", label: "Previous target field" },
  { action: "bindSelected", keys: "Mod+B", label: "Bind the selected source node to the selected field" },
  { action: "addStep", keys: "Mod+Shift+A", label: "Add a transform step to the selected field" },
  { action: "coverage", keys: "Mod+R", label: "Run coverage over every record" },
  { action: "history", keys: "Mod+H", label: "Version history" },
  { action: "connections", keys: "Mod+K", label: "Connections" },
  { action: "theme", keys: "Mod+Shift+L", label: "Light / dark theme" },
  { action: "rawJson", keys: "Mod+J", label: "Canvas / mapping JSON" },
  { action: "help", keys: "F1", label: "Keyboard shortcuts" },
];

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** `Mod` is Ctrl, or ⌘ on macOS. */
export function matches(keys: string, e: KeyPress, mac = false): boolean {
  const parts = keys.split("+");
  const key = parts[parts.length - 1] ?? "";
  const want = new Set(parts.slice(0, -1));
  const mod = mac ? e.metaKey : e.ctrlKey;
  if (want.has("Mod") !== mod || want.has("Shift") !== e.shiftKey || want.has("Alt") !== e.altKey) {
    return false;
  }
  if (!mac && e.metaKey) {
    return false;
  }
  return e.key.length === 1 ? e.key.toLowerCase() === key.toLowerCase() : e.key === key;
}

export function actionFor(e: KeyPress, mac = false): Action | null {
  return (
    SHORTCUTS.find((s) => matches(s.keys, e, mac) || (s.also !== undefined && matches(s.also, e, mac)))?.action ?? null
  );
}

export function keysLabel(action: Action, mac = false): string {
  const shortcut = SHORTCUTS.find((s) => s.action === action);
  const label = (keys: string) => keys.replace("Mod", mac ? "⌘" : "Ctrl");
  if (!shortcut) {
    return "";
  }
  return shortcut.also ? `${label(shortcut.keys)} or ${label(shortcut.also)}` : label(shortcut.keys);
}
