// "Latest request wins": when answers to overlapping requests can arrive out of order
// (a re-preview per keystroke), only the newest request's answer is used.

/** A stale answer: a newer request was made before this one's answer arrived. */
export const STALE: unique symbol = Symbol("stale");

/**
 * A gate for one stream of requests. `gate(promise)` resolves to the promise's value, or
 * to STALE when `gate` was called again before it settled. Rejections of stale requests
 * resolve to STALE too, so only the newest request reports an error.
 */
export function latestWins() {
  let newest = 0;
  return <T>(request: Promise<T>): Promise<T | typeof STALE> => {
    const mine = ++newest;
    return request.then(
      (value) => (mine === newest ? value : STALE),
      (error: unknown) => {
        if (mine !== newest) {
          return STALE;
        }
        throw error;
      },
    );
  };
}
