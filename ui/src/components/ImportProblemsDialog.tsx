// Every problem of a mapping file the import refused, each with its line and field; it
// stays until it is closed (a toast held only the first error, and went away). Each problem
// reads as a sentence with its code apart, as the other panels say theirs (CodedMessage).

import { fileName, problemPlace, type ImportProblems } from "../import-problems";
import { CodedMessage } from "./CodedMessage";
import { Modal } from "./Modal";

export function ImportProblemsDialog({ found, onClose }: { found: ImportProblems; onClose: () => void }) {
  const name = fileName(found.file);
  return (
    <Modal
      title={`${name} was not imported`}
      onClose={onClose}
      testId="import-problems"
      opener="[data-testid=import], [data-testid=more-menu] summary"
    >
      <p className="import-problems-file">
        <span title={found.file}>{found.file}</span>: nothing changed. Fix these in the file and import it again.
      </p>
      <table className="import-problems">
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Field</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {found.problems.map((p, i) => {
            const place = problemPlace(p);
            return (
              <tr key={i} data-severity={p.severity} data-testid="import-problem">
                <td>{place.line}</td>
                <td>{place.field}</td>
                <td>
                  {p.severity === "warning" && <strong>Warning: </strong>}
                  <CodedMessage message={p.message} code={p.code} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
