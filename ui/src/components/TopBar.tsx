// The bar across the top: the record source, the mappings, and the actions with their
// shortcuts in their tooltips.

import { useEffect, useRef, useState } from "react";
import type { MappingSummary, RecordSource, WorkspaceInfo } from "../bindings";
import { MAC } from "../hooks/useShortcuts";
import type { MappingText } from "../hooks/useMappingText";
import type { Theme } from "../hooks/useTheme";
import { rovingTarget } from "../roving";
import { keysLabel, type Action } from "../shortcuts";
import { scrollToShow, sidewaysScroll } from "../tab-strip";
import { sourceKey, sourceLabel, unlisted } from "../source-label";

interface Props {
  info: WorkspaceInfo | null;
  source: RecordSource;
  onSource: (source: RecordSource) => void;
  mapping: MappingText;
  onMapping: (name: string) => void;
  theme: Theme;
  run: (action: Action) => void;
}

const title = (action: Action, label: string) => `${label} (${keysLabel(action, MAC)})`;

function mappingTitle(m: MappingSummary) {
  return `${m.title}: Corrigo ${m.sourceEntity} → ${m.targetEntity}${m.version !== null ? `, v${m.version}` : ""}${m.hasDraft ? ", unsaved draft" : ""}`;
}

/**
 * The actions that move into the "More" menu when the window is too narrow for them all
 * (styles.css decides when; both copies are rendered, one of them hidden).
 */
const SECONDARY: { action: Action; label: string; testId: string }[] = [
  { action: "history", label: "History", testId: "open-history" },
  { action: "export", label: "Export", testId: "export" },
  { action: "import", label: "Import", testId: "import" },
  { action: "connections", label: "Connections", testId: "open-connections" },
];

/**
 * Which ends of a scrolling strip hide tabs ("start", "end", both or none), kept up to date
 * as it scrolls and resizes: the strip fades there, so a cut-off tab reads as "more this way".
 */
function useHiddenEnds(count: number) {
  const strip = useRef<HTMLElement>(null);
  const [ends, setEnds] = useState("");
  useEffect(() => {
    const e = strip.current;
    if (!e) {
      return;
    }
    const measure = () =>
      setEnds(
        [e.scrollLeft > 1 ? "start" : "", e.scrollLeft + e.clientWidth < e.scrollWidth - 1 ? "end" : ""]
          .filter(Boolean)
          .join(" "),
      );
    measure();
    const resized = new ResizeObserver(measure);
    resized.observe(e);
    e.addEventListener("scroll", measure, { passive: true });
    const wheel = (event: WheelEvent) => {
      const by = sidewaysScroll(event.deltaX, event.deltaY, e.scrollWidth, e.clientWidth);
      if (by !== null) {
        e.scrollLeft += by;
        event.preventDefault();
      }
    };
    e.addEventListener("wheel", wheel, { passive: false });
    return () => {
      resized.disconnect();
      e.removeEventListener("scroll", measure);
      e.removeEventListener("wheel", wheel);
    };
  }, [count]);
  return { strip, ends };
}

/** How wide the strip's fade at a cut-off end is (styles.css, `.topbar .mappings[data-hidden]`). */
const FADE_PX = 32;

/**
 * Keeps the active tab in view: when the mapping changes (from the More menu, a shortcut or
 * an undo) and when the strip's width changes, the strip scrolls just enough to show it
 * whole, clear of the fade. The strip alone scrolls (scrollIntoView would also move the
 * bar and the page, which clip rather than scroll).
 */
function useActiveTabInView(strip: React.RefObject<HTMLElement | null>, active: string, count: number) {
  useEffect(() => {
    const e = strip.current;
    if (!e) {
      return;
    }
    const show = () => {
      const tab = e.querySelector<HTMLElement>(".tab.active");
      if (!tab) {
        return;
      }
      const left = tab.getBoundingClientRect().left - e.getBoundingClientRect().left + e.scrollLeft;
      const to = scrollToShow(left, tab.offsetWidth, e.scrollLeft, e.clientWidth, e.scrollWidth, FADE_PX);
      if (to !== null) {
        e.scrollLeft = to;
      }
    };
    const resized = new ResizeObserver(show);
    resized.observe(e);
    return () => resized.disconnect();
  }, [strip, active, count]);
}

/** The items of the More menu, in order (the arrow keys move among them). */
const MENU_ITEMS = "[role=menuitem], [role=menuitemradio]";

/**
 * The More menu as a menu button: ArrowDown or ArrowUp on its button opens it at its first
 * or last item, the arrow keys (and Home, End) move among its items, Escape closes it and
 * focus goes back to its button, and a click or focus outside it closes it.
 */
function useMoreMenu() {
  const details = useRef<HTMLDetailsElement>(null);
  const [open, setOpen] = useState(false);
  const close = (refocus: boolean) => {
    const d = details.current;
    d?.removeAttribute("open");
    if (refocus) {
      d?.querySelector("summary")?.focus();
    }
  };
  useEffect(() => {
    if (!open) {
      return;
    }
    const outside = (e: Event) => {
      const d = details.current;
      if (d && e.target instanceof Node && !d.contains(e.target)) {
        d.removeAttribute("open");
      }
    };
    // Escape wherever focus is (a click on the button leaves it on the page in some engines).
    const escape = (e: KeyboardEvent) => {
      if (e.key === "Escape" && details.current?.open) {
        e.preventDefault();
        e.stopPropagation();
        close(true);
      }
    };
    document.addEventListener("pointerdown", outside, true);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("pointerdown", outside, true);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);
  const items = () => [...(details.current?.querySelectorAll<HTMLElement>(MENU_ITEMS) ?? [])];
  return {
    details,
    onToggle: (e: React.SyntheticEvent<HTMLDetailsElement>) => setOpen(e.currentTarget.open),
    // Focus that leaves the menu for another control (Tab, Shift+Tab) closes it; focus that
    // goes nowhere (a click on the menu's own padding) does not.
    onBlur: (e: React.FocusEvent<HTMLDetailsElement>) => {
      if (e.relatedTarget instanceof Node && !e.currentTarget.contains(e.relatedTarget)) {
        close(false);
      }
    },
    onSummaryKeyDown: (e: React.KeyboardEvent<HTMLElement>) => {
      if ((e.key !== "ArrowDown" && e.key !== "ArrowUp") || e.altKey || e.ctrlKey || e.metaKey) {
        return;
      }
      e.preventDefault();
      details.current?.setAttribute("open", "");
      const all = items();
      (e.key === "ArrowDown" ? all[0] : all[all.length - 1])?.focus();
    },
    onItemKeyDown: (e: React.KeyboardEvent<HTMLElement>) => {
      const next = rovingTarget(e, MENU_ITEMS, ".more-menu");
      if (next) {
        e.preventDefault();
        next.focus();
      }
    },
    /** An item was chosen: the menu closes and focus goes to its button, where a dialog returns it. */
    chosen: () => close(true),
  };
}

export function TopBar({ info, source, onSource, mapping, onMapping, theme, run }: Props) {
  const tabs = useHiddenEnds(info?.mappings.length ?? 0);
  useActiveTabInView(tabs.strip, mapping.name, info?.mappings.length ?? 0);
  const more = useMoreMenu();
  const label = sourceLabel(info?.sources ?? [], source);
  const button = (action: Action, label: string, testId?: string, text = label) => (
    <button
      key={action}
      type="button"
      className="secondary"
      title={title(action, label)}
      onClick={() => run(action)}
      data-testid={testId}
    >
      {text}
    </button>
  );
  const menu = (
    <details className="more" data-testid="more-menu" ref={more.details} onToggle={more.onToggle} onBlur={more.onBlur}>
      <summary aria-label="More actions" title="More actions" aria-haspopup="menu" onKeyDown={more.onSummaryKeyDown}>
        More ▾
      </summary>
      <div className="more-menu" role="menu">
        {[
          ...SECONDARY,
          { action: "theme" as const, label: theme === "dark" ? "Light theme" : "Dark theme", testId: "theme" },
          { action: "help" as const, label: "Keyboard shortcuts", testId: "help" },
        ].map((a) => (
          <button
            key={a.action}
            type="button"
            role="menuitem"
            data-testid={`menu-${a.testId}`}
            data-action={a.action}
            title={title(a.action, a.label)}
            onKeyDown={more.onItemKeyDown}
            onClick={() => {
              more.chosen();
              run(a.action);
            }}
          >
            {a.label} <kbd>{keysLabel(a.action, MAC)}</kbd>
          </button>
        ))}
        {/* Every mapping, also those whose tabs the narrow window's tab strip cuts off. */}
        <div role="group" aria-label="Mappings" className="more-mappings">
          {info?.mappings.map((m) => (
            <button
              key={m.name}
              type="button"
              role="menuitemradio"
              aria-checked={m.name === mapping.name}
              data-testid={`menu-mapping-${m.name}`}
              title={mappingTitle(m)}
              onKeyDown={more.onItemKeyDown}
              onClick={() => {
                more.chosen();
                onMapping(m.name);
              }}
            >
              {m.name === mapping.name ? "● " : ""}
              {m.targetEntity}
              {m.hasDraft && m.name !== mapping.name ? " •" : ""}
            </button>
          ))}
        </div>
      </div>
    </details>
  );
  return (
    <header className="topbar">
      <span className="brand">Unifield</span>
      {/* The select keeps to a width whatever the source's name (a long one pushed the entity
          tabs out of view). WebKit draws no ellipsis in a select, so its own text is hidden and
          the label over it is cut with one (styles.css); the title has the whole name. */}
      <span className="source-pick">
        <select
          aria-label="Record source"
          data-testid="source-select"
          title={label}
          value={sourceKey(source)}
          onChange={(e) =>
            onSource(e.target.value === "" ? { kind: "samples" } : { kind: "connection", name: e.target.value })
          }
        >
          {info?.sources.map((s) => (
            <option key={sourceKey(s.source)} value={sourceKey(s.source)}>
              {s.label}
            </option>
          ))}
          {/* A source chosen since the workspace was read (through a server) shows as itself,
              not as the first option. */}
          {info && unlisted(info.sources, source) && (
            <option value={sourceKey(source)}>{sourceLabel(info.sources, source)}</option>
          )}
        </select>
        <span className="source-pick-label" aria-hidden="true">
          {label}
        </span>
      </span>
      <nav className="mappings" aria-label="Mappings" ref={tabs.strip} data-hidden={tabs.ends}>
        {info?.mappings.map((m) => (
          <button
            key={m.name}
            type="button"
            className={m.name === mapping.name ? "tab active" : "tab"}
            aria-pressed={m.name === mapping.name}
            data-testid={`mapping-${m.name}`}
            title={mappingTitle(m)}
            onClick={() => onMapping(m.name)}
          >
            {m.targetEntity}
            {m.hasDraft && m.name !== mapping.name ? " •" : ""}
          </button>
        ))}
      </nav>
      <span className="grow" />
      <button
        type="button"
        title={title("undo", "Undo")}
        disabled={!mapping.canUndo}
        onClick={() => run("undo")}
        data-testid="undo"
      >
        Undo
      </button>
      <button type="button" title={title("redo", "Redo")} disabled={!mapping.canRedo} onClick={() => run("redo")}>
        Redo
      </button>
      <input
        className="message"
        placeholder="Version note"
        aria-label="Version note"
        value={mapping.message}
        onChange={(e) => mapping.setMessage(e.target.value)}
      />
      {/* The primary colour says there is something to save. */}
      <button
        type="button"
        className={mapping.unsaved ? "primary" : undefined}
        title={title("save", "Save a new version")}
        onClick={() => run("save")}
        data-testid="save"
      >
        Save
      </button>
      {SECONDARY.map((a) => button(a.action, a.label, a.testId))}
      <button
        type="button"
        className="secondary"
        title={title("theme", "Theme")}
        onClick={() => run("theme")}
        aria-label="Toggle theme"
        data-testid="theme"
      >
        {theme === "dark" ? "☀" : "☾"}
      </button>
      <button
        type="button"
        className="secondary"
        title={title("help", "Keyboard shortcuts")}
        onClick={() => run("help")}
        aria-label="Keyboard shortcuts"
        data-testid="help"
      >
        ?
      </button>
      {menu}
    </header>
  );
}
