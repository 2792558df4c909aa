// Undo and redo over the mapping's text. Typing in one place within a short time is one
// step (so undo does not walk back a path character by character).

export interface History {
  past: string[];
  present: string;
  future: string[];
  /** The edit group of the last change, and when it happened (ms). */
  group: string | null;
  at: number;
}

export const COALESCE_MS = 800;
/** Undo keeps at most this many steps… */
const LIMIT = 500;
/**
 * …and at most this many characters of earlier texts (the newest step always): 500 steps
 * of a large mapping would otherwise keep tens of MB in the page.
 */
export const PAST_CHARS = 2_000_000;

/** The newest steps of `past` within LIMIT and PAST_CHARS. */
function capped(past: string[]): string[] {
  const kept = past.length > LIMIT ? past.slice(-LIMIT) : past;
  let chars = 0;
  for (let i = kept.length - 1; i >= 0; i--) {
    chars += kept[i]?.length ?? 0;
    if (chars > PAST_CHARS && i < kept.length - 1) {
      return kept.slice(i + 1);
    }
  }
  return kept;
}

export function start(text: string): History {
  return { past: [], present: text, future: [], group: null, at: 0 };
}

/**
 * Records a new text. Changes with the same `group` (such as typing in one field's path)
 * within COALESCE_MS replace the last step instead of adding one.
 */
export function record(h: History, text: string, group: string | null = null, now = Date.now()): History {
  if (text === h.present) {
    return h;
  }
  const coalesce = group !== null && group === h.group && now - h.at < COALESCE_MS;
  const past = coalesce ? h.past : capped([...h.past, h.present]);
  return { past, present: text, future: [], group, at: now };
}

export function undo(h: History): History {
  const previous = h.past[h.past.length - 1];
  if (previous === undefined) {
    return h;
  }
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future], group: null, at: 0 };
}

export function redo(h: History): History {
  const [next, ...rest] = h.future;
  if (next === undefined) {
    return h;
  }
  return { past: [...h.past, h.present], present: next, future: rest, group: null, at: 0 };
}

export const canUndo = (h: History) => h.past.length > 0;
export const canRedo = (h: History) => h.future.length > 0;

/**
 * Replaces the present text without adding a step: for a rewrite of the edit just made
 * (its canonical form), not for a new edit.
 */
export function replacePresent(h: History, text: string): History {
  return text === h.present ? h : { ...h, present: text };
}
