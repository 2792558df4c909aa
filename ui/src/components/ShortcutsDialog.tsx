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
              <kbd>Space</kbd> then arrows, <kbd>Space</kbd>
            </td>
            <td>Drag the focused source node with the keyboard (dnd-kit), drop on a field</td>
          </tr>
          <tr>
            <td>
              <kbd>Esc</kbd>
            </td>
            <td>Close a dialog</td>
          </tr>
        </tbody>
      </table>
    </Modal>
  );
}
