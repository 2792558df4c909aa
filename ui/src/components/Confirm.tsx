// An inline confirmation for an action that cannot be taken back with one more click
// (removing a server deletes its API key, which the server showed only once; a rollback
// changes the live version at once). Focus starts on Cancel so a stray Enter does nothing;
// Escape cancels without closing the dialog around it; focus returns to what opened it.

import { useEffect, useRef } from "react";

export function Confirm({
  message,
  action,
  onConfirm,
  onCancel,
  testId,
}: {
  message: string;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    cancel.current?.focus();
    return () => {
      if (before?.isConnected) {
        before.focus();
      }
    };
  }, []);
  return (
    <span
      className="confirm"
      role="group"
      aria-label={message}
      data-testid={testId}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      {message}{" "}
      <button type="button" data-testid={`${testId}-yes`} onClick={onConfirm}>
        {action}
      </button>{" "}
      <button type="button" ref={cancel} data-testid={`${testId}-cancel`} onClick={onCancel}>
        Cancel
      </button>
    </span>
  );
}
