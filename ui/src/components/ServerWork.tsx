// The server side of the studio, composed apart from App: the Servers and Push buttons (at
// the end of the status bar), Ctrl+Shift+P (⌘⇧P) for Push, and their dialogs. The server connection chosen with
// "Preview through the server" is the one Push sends to.

import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import type { RecordSource } from "../bindings";
import type { Target } from "../hooks/useServers";
import { MAC } from "../hooks/useShortcuts";
import { isPushKey, pushKeyLabel } from "../push-key";
import { PushDialog } from "./PushDialog";
import { ServersDialog } from "./ServersDialog";

export function ServerWork({
  text,
  recordId,
  onUse,
}: {
  text: string;
  recordId: string | null;
  onUse: (source: RecordSource) => void;
}) {
  const [dialog, setDialog] = useState<null | "servers" | "push">(null);
  const [target, setTarget] = useState<Target | null>(null);
  // The buttons sit at the end of the status bar (App renders it; it exists once mounted).
  const [bar, setBar] = useState<Element | null>(null);
  useEffect(() => {
    const found = document.querySelector(".statusbar");
    queueMicrotask(() => setBar(found));
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.defaultPrevented && isPushKey(e, MAC)) {
        e.preventDefault();
        setDialog(target ? "push" : "servers");
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [target]);

  return (
    <>
      {bar &&
        createPortal(
          <span className="server-actions">
            <button type="button" data-testid="open-servers" onClick={() => setDialog("servers")}>
              Servers
            </button>{" "}
            <button
              type="button"
              data-testid="open-push"
              title={`Push to the server connection (${pushKeyLabel(MAC)})`}
              onClick={() => setDialog(target ? "push" : "servers")}
            >
              Push{target ? ` → ${target.connectionName}` : "…"}
            </button>
          </span>,
          bar,
        )}
      {dialog === "servers" && (
        <ServersDialog
          onClose={() => setDialog(null)}
          onRemoved={(server) => setTarget((current) => (current?.server === server ? null : current))}
          onUse={(chosen) => {
            setTarget(chosen);
            onUse(chosen.source);
            setDialog(null);
          }}
        />
      )}
      {dialog === "push" && target && (
        <PushDialog target={target} text={text} recordId={recordId} onClose={() => setDialog(null)} />
      )}
    </>
  );
}
