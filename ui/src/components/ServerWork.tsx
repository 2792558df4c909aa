// The server side of the studio, composed apart from App: the Servers and Push buttons (at
// the end of the status bar), Ctrl+Shift+P (⌘⇧P) for Push, Ctrl+Shift+K (⌘⇧K) for Servers,
// and their dialogs. The server connection chosen with "Preview through the server" is the one
// Push sends to.

import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import type { RecordSource } from "../bindings";
import type { Target } from "../hooks/useServers";
import { MAC } from "../hooks/useShortcuts";
import { isPushKey, isServersKey, pushKeyLabel, serversKeyLabel } from "../push-key";
import { sourceAfterRemoval, switchedBackText } from "../server-source";
import { PushDialog } from "./PushDialog";
import { ServersDialog } from "./ServersDialog";

export function ServerWork({
  text,
  recordId,
  source,
  onUse,
  unsaved,
  onSave,
}: {
  text: string;
  recordId: string | null;
  source: RecordSource;
  onUse: (source: RecordSource) => void;
  unsaved: boolean;
  onSave: () => void;
}) {
  const [dialog, setDialog] = useState<null | "servers" | "push">(null);
  const [target, setTarget] = useState<Target | null>(null);
  // Said in the Servers dialog after a removal switched the source back.
  const [notice, setNotice] = useState<string | null>(null);
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
      if (!e.defaultPrevented && isServersKey(e, MAC)) {
        e.preventDefault();
        setDialog("servers");
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
            <button
              type="button"
              data-testid="open-servers"
              title={`Servers (${serversKeyLabel(MAC)})`}
              onClick={() => setDialog("servers")}
            >
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
          notice={notice}
          onClose={() => {
            setNotice(null);
            setDialog(null);
          }}
          onRemoved={(server) => {
            setTarget((current) => (current?.server === server ? null : current));
            // Its records can no longer be refreshed or pushed from: back to the workspace's own.
            const back = sourceAfterRemoval(source, server);
            if (back && source.kind === "connection") {
              onUse(back);
              setNotice(switchedBackText(server, source.name));
            }
          }}
          onUse={(chosen) => {
            setNotice(null);
            setTarget(chosen);
            onUse(chosen.source);
            setDialog(null);
          }}
        />
      )}
      {dialog === "push" && target && (
        <PushDialog
          target={target}
          text={text}
          recordId={recordId}
          unsaved={unsaved}
          onSave={onSave}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
