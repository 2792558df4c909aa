// A mapping diff as people read it: each change down to its smallest part (a step, a
// step's argument, one value-map entry), with the full before and after of the field one
// click away. Used by History; meant for any "what will change" view (pushing, too).

import type { Change } from "../bindings";
import { refine } from "../diff";
import { short } from "../format";

const full = (v: Change["before"]) => (v === null ? "" : JSON.stringify(v, null, 2));

export function DiffView({ changes, testId = "diff" }: { changes: Change[]; testId?: string }) {
  if (changes.length === 0) {
    return <p className="muted">No differences.</p>;
  }
  return (
    <div className="diff-view" data-testid={testId}>
      {refine(changes).map(({ change, rows }) => (
        <section key={change.at} className="diff-change" aria-label={`${change.change}: ${change.at}`}>
          <table>
            <tbody>
              {rows.map((r) => (
                <tr key={r.at} className={r.kind} data-testid="diff-row" data-at={r.at}>
                  <td className="diff-kind">{r.kind}</td>
                  <td className="diff-path">
                    <code>{r.at}</code>
                  </td>
                  <td>
                    <code title={full(r.before)}>{r.before === null ? "" : short(r.before, 120)}</code>
                  </td>
                  <td>
                    <code title={full(r.after)}>{r.after === null ? "" : short(r.after, 120)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {change.change === "changed" && (
            <details className="diff-full">
              <summary>
                Full before and after of <code>{change.at}</code>
              </summary>
              <div className="diff-sides">
                <pre aria-label="Before" tabIndex={0}>
                  {full(change.before)}
                </pre>
                <pre aria-label="After" tabIndex={0}>
                  {full(change.after)}
                </pre>
              </div>
            </details>
          )}
        </section>
      ))}
    </div>
  );
}
