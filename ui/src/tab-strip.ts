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

/**
 * Where to scroll a strip (its new scrollLeft) so that a tab shows whole, `fade` px clear
 * of an end the strip fades at: the tab's left edge and width are in the strip's content
 * (scrolled) coordinates. Null when it shows already. A tab wider than the view shows its
 * start. The answer stays within 0 and the furthest the strip scrolls.
 */
export function scrollToShow(
  tabLeft: number,
  tabWidth: number,
  scrollLeft: number,
  clientWidth: number,
  scrollWidth: number,
  fade = 0,
): number | null {
  const furthest = Math.max(scrollWidth - clientWidth, 0);
  const clamp = (x: number) => Math.min(Math.max(x, 0), furthest);
  // The fade is only there while the strip hides tabs at that end.
  const startFade = scrollLeft > 1 ? fade : 0;
  const endFade = scrollLeft < furthest - 1 ? fade : 0;
  const tabRight = tabLeft + tabWidth;
  if (tabLeft >= scrollLeft + startFade - 0.5 && tabRight <= scrollLeft + clientWidth - endFade + 0.5) {
    return null;
  }
  const to =
    tabLeft < scrollLeft + startFade || tabWidth > clientWidth - 2 * fade
      ? clamp(tabLeft - fade)
      : clamp(tabRight + fade - clientWidth);
  return Math.abs(to - scrollLeft) < 0.5 ? null : to;
}
