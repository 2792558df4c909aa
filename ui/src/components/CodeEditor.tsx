// CodeMirror 6 in React: one editor for the mapping JSON (with problems as lint marks)
// and a single-line variant for JSONPath. A new `value` from outside (undo, a drop)
// replaces the editor's text; the user's typing flows out through `onChange`.
//
// Each editor lives in a shadow root. CodeMirror injects its styles at run time; in a
// document it does so with <style> elements, which the studio's Content-Security-Policy
// (style-src 'self') blocks, while in a shadow root it uses constructed style sheets,
// which the policy allows. Colours come in through the theme's CSS variables, which
// cross the shadow boundary.

import { useEffect, useRef } from "react";
import { Compartment, EditorState, StateEffect, Transaction } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers, placeholder as ph } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { bracketMatching, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { type Diagnostic, linter, lintGutter } from "@codemirror/lint";
import type { ProblemInfo } from "../bindings";
import { toastWords } from "../toast-list";

interface Props {
  value: string;
  onChange: (text: string) => void;
  /** One line: newlines are refused. */
  singleLine?: boolean;
  problems?: ProblemInfo[];
  placeholder?: string;
  label: string;
  testId?: string;
}

const studioTheme = EditorView.theme({
  "&": { backgroundColor: "var(--panel)", color: "var(--text)", height: "100%" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, "JetBrains Mono", "DejaVu Sans Mono", monospace',
    fontSize: "12px",
    overflow: "auto",
  },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--hover)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--hover)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": { backgroundColor: "var(--selected)" },
  ".cm-placeholder": { color: "var(--muted)" },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--text)", border: "1px solid var(--border)" },
  // The page's scrollbars (styles.css, ::-webkit-scrollbar), which its rules cannot reach in
  // the shadow root: WebKitGTK's overlay scrollbars paint over everything, open dialogs too.
  ".cm-scroller::-webkit-scrollbar": { width: "10px", height: "10px", background: "transparent" },
  ".cm-scroller::-webkit-scrollbar-thumb": {
    border: "2px solid transparent",
    borderRadius: "5px",
    background: "color-mix(in srgb, var(--muted) 45%, transparent) padding-box",
  },
  ".cm-scroller::-webkit-scrollbar-thumb:hover": {
    background: "color-mix(in srgb, var(--muted) 75%, transparent) padding-box",
  },
  ".cm-scroller::-webkit-scrollbar-corner": { background: "transparent" },
});

/** JSON colours from the theme's variables, so they follow light and dark. */
const studioHighlight = HighlightStyle.define([
  { tag: tags.propertyName, color: "var(--syntax-key)" },
  { tag: tags.string, color: "var(--syntax-string)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--syntax-literal)" },
  { tag: [tags.brace, tags.squareBracket, tags.separator, tags.punctuation], color: "var(--muted)" },
]);

function diagnostics(problems: ProblemInfo[], view: EditorView): Diagnostic[] {
  return problems
    .filter((p) => p.line !== null)
    .map((p) => {
      const line = view.state.doc.line(Math.min(Math.max(p.line ?? 1, 1), view.state.doc.lines));
      const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
      // The sentence as the toasts write it; the code as the diagnostic's source, which
      // CodeMirror shows apart from the message, small and faded.
      const words = toastWords("error", p.message, p.code);
      return {
        from,
        to: line.to,
        severity: p.severity === "error" ? "error" : "warning",
        message: words.text,
        source: words.code ?? undefined,
      };
    });
}

export function CodeEditor({ value, onChange, singleLine, problems, placeholder, label, testId }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lint = useRef(new Compartment());
  const change = useRef(onChange);
  useEffect(() => {
    change.current = onChange;
  }, [onChange]);

  useEffect(() => {
    const outer = host.current;
    if (!outer) {
      return;
    }
    const shadow = outer.shadowRoot ?? outer.attachShadow({ mode: "open" });
    const parent = document.createElement("div");
    parent.style.height = "100%";
    shadow.replaceChildren(parent);
    const extensions = [
      studioTheme,
      history(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.updateListener.of((u) => {
        const byUser = u.transactions.some((t) => t.annotation(Transaction.userEvent) !== undefined);
        if (u.docChanged && byUser) {
          change.current(u.state.doc.toString());
        }
      }),
      EditorView.contentAttributes.of({ "aria-label": label }),
      syntaxHighlighting(studioHighlight),
      lint.current.of([]),
    ];
    if (placeholder) {
      extensions.push(ph(placeholder));
    }
    if (singleLine) {
      extensions.push(EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr)));
    } else {
      extensions.push(lineNumbers(), highlightActiveLine(), bracketMatching(), json(), lintGutter());
    }
    const editor = new EditorView({
      state: EditorState.create({ doc: value, extensions }),
      parent,
      root: shadow,
    });
    // The JSON editor's scroller is a tab stop of its own, so a long text scrolls from the
    // keyboard too. A single line scrolls with its caret: one Tab stop, its text (CodeMirror
    // leaves the scroller at tabIndex -1).
    if (!singleLine) {
      editor.scrollDOM.tabIndex = 0;
      editor.scrollDOM.setAttribute("aria-label", `${label}, scroll`);
    }
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Created once per mode; value and problems are pushed in by the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [singleLine]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || singleLine) {
      return;
    }
    const list = problems ?? [];
    const effect: StateEffect<unknown> = lint.current.reconfigure(linter((v) => diagnostics(list, v), { delay: 0 }));
    editor.dispatch({ effects: effect });
  }, [problems, singleLine]);

  return <div className={singleLine ? "code-input" : "code-editor"} ref={host} data-testid={testId} />;
}
