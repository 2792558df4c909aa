// The toasts in the corner as a list, apart from React so that merging, counting and the cap
// are testable without a window: a message that comes again (the same failure from each of
// four fields, the same refusal on each Enter) is one toast with a count, not four copies.

export type ToastKind = "info" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  /** The sentence, for people. */
  text: string;
  /** The machine code (`unknown_record`), for a bug report: shown apart from the sentence. */
  code: string | null;
  /** How many times this message came while it was shown. */
  count: number;
}

/** At most this many toasts at once: they overlay a corner of the panes, which must stay usable at 960×600. */
export const MAX_TOASTS = 3;

/**
 * How long a toast stays. An error stays long enough to read a two-line sentence twice; it is
 * not kept until dismissed because a failure the user has already fixed would then go on
 * covering the preview's corner and reading as current. The timer does not run while the
 * pointer or the keyboard focus is on the toasts, and a repeat starts it again.
 */
export const TOAST_MS: Record<ToastKind, number> = { info: 4000, error: 15000 };

const TRAILING_CODE = /\s*\[([a-z0-9_]+)\]\s*$/;

/**
 * A message as a toast shows it: a trailing machine code (`… [unknown_record]`, as some callers
 * and the server's own answers write it) taken out of the sentence, and an error's sentence
 * starting with a capital letter when its first word is a plain word (`there is no …`), not a
 * name the user wrote (`fields.title step 2: …`, `status ← $.Location`), which keeps its case.
 */
export function toastWords(kind: ToastKind, line: string, code?: string | null): { text: string; code: string | null } {
  const trailing = TRAILING_CODE.exec(line);
  let text = trailing ? line.slice(0, trailing.index) : line;
  const codes = [code ?? null, trailing?.[1] ?? null].filter((c): c is string => c !== null && c !== "");
  if (kind === "error" && /^[a-z]+(\s|,|$)/.test(text)) {
    text = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return { text, code: codes.length > 0 ? [...new Set(codes)].join(" · ") : null };
}

/** Whether two toasts say the same thing (and so are one toast with a count). */
const same = (a: Pick<Toast, "kind" | "text" | "code">, b: Pick<Toast, "kind" | "text" | "code">) =>
  a.kind === b.kind && a.text === b.text && a.code === b.code;

/**
 * The list after a message arrives: a repeat of a shown toast counts up and moves to the
 * newest place (its timer starts again: `shown` is its id); otherwise a new toast, and past
 * `max` the oldest information goes first, then the oldest error (`dropped`, whose timers
 * can be cleared).
 */
export function addToast(
  list: readonly Toast[],
  message: Pick<Toast, "kind" | "text" | "code">,
  id: number,
  max: number = MAX_TOASTS,
): { list: Toast[]; shown: number; dropped: number[] } {
  const repeat = list.find((t) => same(t, message));
  if (repeat) {
    return {
      list: [...list.filter((t) => t.id !== repeat.id), { ...repeat, count: repeat.count + 1 }],
      shown: repeat.id,
      dropped: [],
    };
  }
  const next: Toast[] = [...list, { id, kind: message.kind, text: message.text, code: message.code, count: 1 }];
  const dropped: number[] = [];
  while (next.length > Math.max(max, 1)) {
    const info = next.findIndex((t) => t.kind === "info" && t.id !== id);
    for (const gone of next.splice(info >= 0 ? info : 0, 1)) {
      dropped.push(gone.id);
    }
  }
  return { list: next, shown: id, dropped };
}

/** The count as shown after the sentence (`×3`), none for a message that came once. */
export const countLabel = (count: number) => (count > 1 ? `×${count}` : null);
