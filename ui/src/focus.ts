// Focus in modal dialogs, apart from the components so that it is testable without a window:
// where Tab goes at the dialog's edges (it stays inside a dialog that is aria-modal), and
// where focus goes when a dialog closes.

/** What a dialog's Tab order holds: every control a key press can reach. */
export const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** A dialog's form controls: where typing goes (its buttons and links are not). */
export const FORM_CONTROL =
  'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled])';

/**
 * Where focus goes when a dialog opens: its first form control (`formControls`, in Tab
 * order), so that a form is typed into at once; in a dialog without one, its first control
 * (`controls`, in Tab order: the header's Close).
 */
export function focusOnOpen<T>(formControls: readonly T[], controls: readonly T[]): T | null {
  return formControls[0] ?? controls[0] ?? null;
}

/**
 * Where Tab (Shift+Tab when `back`) moves focus among a dialog's `items` (in Tab order), from
 * `current`: past the last item to the first, before the first to the last, and from outside
 * the dialog (focus fell out of it, or `current` is null) to the first (the last). Null when
 * the browser's own move stays inside the dialog.
 */
export function trappedTab<T>(items: readonly T[], current: T | null, back: boolean): T | null {
  if (items.length === 0) {
    return null;
  }
  const first = items[0] as T;
  const last = items[items.length - 1] as T;
  const at = current === null ? -1 : items.indexOf(current);
  if (at === -1) {
    return back ? last : first;
  }
  if (!back && at === items.length - 1) {
    return first;
  }
  if (back && at === 0) {
    return last;
  }
  return null;
}

/** The part of an element focus return needs. */
export interface Focusable {
  isConnected: boolean;
}

/**
 * Where focus goes when a dialog closes: back where it was when the dialog opened, when that
 * control is still there and was not the page itself (a dialog opened by a shortcut while
 * nothing had focus); otherwise the control that opens the dialog (`opener`), so focus never
 * ends on the page's body.
 */
export function focusAfterClose<T extends Focusable>(before: T | null, body: T | null, opener: T | null): T | null {
  if (before !== null && before !== body && before.isConnected) {
    return before;
  }
  return opener !== null && opener.isConnected ? opener : null;
}

/** A part of a dialog around a control that had focus: whether it is still there, and its controls. */
export interface FocusRegion<T> {
  isConnected: boolean;
  /** Its controls a key press can reach, in Tab order. */
  controls: readonly T[];
  /** Of those, the ones marked as where work goes on (`data-focus-next`: Push's note, a pull's button). */
  next: readonly T[];
}

/**
 * Where focus goes when the control it was on went away or was disabled (Save once saved,
 * Reconnect's form once Corrigo accepted, a pull's button while the pull runs): into the
 * nearest part of the dialog around it that is still there and has a control, to its marked
 * control, else its first. `regions` are the control's ancestors, nearest first, up to (not
 * including) the dialog. Null when none is left: the dialog itself takes focus.
 */
export function focusAfterLoss<T>(regions: readonly FocusRegion<T>[]): T | null {
  for (const region of regions) {
    if (!region.isConnected) {
      continue;
    }
    const found = region.next[0] ?? region.controls[0];
    if (found !== undefined) {
      return found;
    }
  }
  return null;
}
