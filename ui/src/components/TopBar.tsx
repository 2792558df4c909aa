// The bar across the top: the record source, the mappings, and the actions with their
// shortcuts in their tooltips.

import { useEffect, useRef, useState } from "react";
import type { MappingSummary, RecordSource, WorkspaceInfo } from "../bindings";
import { MAC } from "../hooks/useShortcuts";
import type { MappingText } from "../hooks/useMappingText";
import type { Theme } from "../hooks/useTheme";
import { keysLabel, type Action } from "../shortcuts";
import { sidewaysScroll } from "../tab-strip";

interface Props {
  info: WorkspaceInfo | null;
  source: RecordSource;
  onSource: (source: RecordSource) => void;
  mapping: MappingText;
  onMapping: (name: string) => void;
  theme: Theme;
  run: (action: Action) => void;
}

const sourceKey = (source: RecordSource) => (source.kind === "samples" ? "" : source.name);
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

export function TopBar({ info, source, onSource, mapping, onMapping, theme, run }: Props) {
  const tabs = useHiddenEnds(info?.mappings.length ?? 0);
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
    <details className="more" data-testid="more-menu">
      <summary aria-label="More actions" title="More actions">
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
            onClick={(e) => {
              // The menu closes; focus goes to its button, where a dialog returns it.
              const details = e.currentTarget.closest("details");
              details?.removeAttribute("open");
              details?.querySelector("summary")?.focus();
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
              onClick={(e) => {
                const details = e.currentTarget.closest("details");
                details?.removeAttribute("open");
                details?.querySelector("summary")?.focus();
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
      <select
        aria-label="Record source"
        data-testid="source-select"
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
        {info && !info.sources.some((s) => sourceKey(s.source) === sourceKey(source)) && (
          <option value={sourceKey(source)}>
            {source.kind === "connection" ? `Connection ${source.name}` : "Bundled samples"}
          </option>
        )}
      </select>
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
      <button
        type="button"
        className="primary"
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
