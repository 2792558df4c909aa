import { pushKeyLabel } from "../push-key";
import { keysLabel, SHORTCUTS } from "../shortcuts";
import { Modal } from "./Modal";

export function ShortcutsDialog({ onClose, mac }: { onClose: () => void; mac: boolean }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} testId="shortcuts-dialog">
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
              <kbd>Space</kbd> then arrows, <kbd>Space</kbd>
            </td>
            <td>Pick up the focused source node, move it onto a field with the arrow keys, drop it</td>
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
