/**
 * How far a wheel turn moves the tab strip sideways: a vertical turn scrolls an overflowing
 * strip (it has no scrollbar: WebKitGTK's overlay one lay over the tabs and took their
 * clicks); a sideways turn, or a strip that fits, is left to the browser (null).
 */
export function sidewaysScroll(deltaX: number, deltaY: number, scrollWidth: number, clientWidth: number) {
  if (scrollWidth <= clientWidth || Math.abs(deltaX) >= Math.abs(deltaY)) {
    return null;
  }
  return deltaY;
}
