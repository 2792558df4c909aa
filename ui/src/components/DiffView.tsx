// A mapping diff as people read it: one table, one row per smallest part that changed (a
// step, a step's argument, one value-map entry), under a header that names what each side
// is (History: the two versions compared; Push: the active version and this push), with the
// full before and after of a changed field one click away, under the same names. One table
// (a row group per change) so the columns line up from change to change.

import { Fragment } from "react";
import type { Change } from "../bindings";
import { type DiffSide, diffTable, fullText } from "../diff-table";

/** A side that does not exist: a dash to the eye, "none" to a screen reader. */
function SideCell({ side }: { side: DiffSide | null }) {
  if (side === null) {
    return (
      <td className="diff-value diff-absent">
        <span aria-hidden="true">—</span>
        <span className="diff-absent-label">none</span>
      </td>
    );
  }
  return (
    <td className="diff-value">
      <code title={side.title}>{side.text}</code>
    </td>
  );
}

export function DiffView({
  changes,
  testId = "diff",
  beforeLabel,
  afterLabel,
}: {
  changes: Change[];
  testId?: string;
  /**
   * What the before column holds, e.g. "Version 3 (active)" or "v2": each caller names its
   * sides (a bare "Before" left the reader to work out which version that was).
   */
  beforeLabel: string;
  afterLabel: string;
}) {
  if (changes.length === 0) {
    return <p className="muted">No differences.</p>;
  }
  return (
    <div className="diff-view" data-testid={testId}>
      <table>
        <colgroup>
          <col className="diff-col-kind" />
          <col className="diff-col-path" />
          <col />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Change</th>
            <th scope="col">Field</th>
            <th scope="col">{beforeLabel}</th>
            <th scope="col">{afterLabel}</th>
          </tr>
        </thead>
        {diffTable(changes).map(({ change, rows }) => (
          <tbody key={change.at} className="diff-change" aria-label={`${change.change}: ${change.at}`}>
            {rows.map((r) => (
              <tr key={r.at} className={r.kind} data-testid="diff-row" data-at={r.at}>
                <td className="diff-kind">{r.kind}</td>
                <td className="diff-path">
                  <code title={r.at}>
                    {r.atParts.map((part, i) => (
                      <Fragment key={i}>
                        {i > 0 && <wbr />}
                        {part}
                      </Fragment>
                    ))}
                  </code>
                </td>
                <SideCell side={r.before} />
                <SideCell side={r.after} />
              </tr>
            ))}
            {change.change === "changed" && (
              <tr className="diff-full-row">
                <td colSpan={4}>
                  <details className="diff-full">
                    <summary>
                      Full before and after of <code>{change.at}</code>
                    </summary>
                    <div className="diff-sides">
                      <figure className="diff-side">
                        <figcaption>{beforeLabel}</figcaption>
                        <pre aria-label={beforeLabel} tabIndex={0}>
                          {fullText(change.before)}
                        </pre>
                      </figure>
                      <figure className="diff-side">
                        <figcaption>{afterLabel}</figcaption>
                        <pre aria-label={afterLabel} tabIndex={0}>
                          {fullText(change.after)}
                        </pre>
                      </figure>
                    </div>
                  </details>
                </td>
              </tr>
            )}
          </tbody>
        ))}
      </table>
    </div>
  );
}
