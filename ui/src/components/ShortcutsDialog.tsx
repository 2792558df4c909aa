import { pushKeyLabel, serversKeyLabel } from "../push-key";
import { keysLabel, SHORTCUTS } from "../shortcuts";
import { Modal } from "./Modal";

export function ShortcutsDialog({ onClose, mac }: { onClose: () => void; mac: boolean }) {
  return (
    <Modal
      title="Keyboard shortcuts"
      onClose={onClose}
      testId="shortcuts-dialog"
      opener="[data-testid=help], [data-testid=more-menu] summary"
    >
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.action}>
              <td>
                <kbd>{keysLabel(s.action, mac)}</kbd>
              </td>
              <td>{s.label}</td>
            </tr>
          ))}
          <tr>
            <td>
              <kbd>{pushKeyLabel(mac)}</kbd>
            </td>
            <td>Push to the server connection (opens Servers first when none is chosen)</td>
          </tr>
          <tr>
            <td>
              <kbd>{serversKeyLabel(mac)}</kbd>
            </td>
            <td>Servers: add one, its connections, preview through one, its events</td>
          </tr>
          <tr>
            <td>
              <kbd>Space</kbd> then arrows, <kbd>Space</kbd>
            </td>
            <td>
              Pick up the focused source node; the arrows move it from field to field, starting at the selected one;
              drop it
            </td>
          </tr>
          <tr>
            <td>
              <kbd>→</kbd> <kbd>←</kbd> in the source tree
            </td>
            <td>Expand a node or go to its first child; collapse it or go to its parent</td>
          </tr>
          <tr>
            <td>
              Arrows on a splitter (<kbd>Shift</kbd> for larger steps), <kbd>Home</kbd>, <kbd>End</kbd>
            </td>
            <td>Resize the panes (kept for this workspace)</td>
          </tr>
          <tr>
            <td>
              <kbd>Esc</kbd>
            </td>
            <td>Close a dialog, or put a picked-up source node back</td>
          </tr>
        </tbody>
      </table>
    </Modal>
  );
}
