import type { Toast } from "../hooks/useToasts";

export function Toasts({ toasts }: { toasts: Toast[] }) {
  return (
    <div className="toasts" aria-live="assertive">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast ${t.kind}`}
          role={t.kind === "error" ? "alert" : "status"}
          data-testid={`toast-${t.kind}`}
        >
          {t.text}
        </div>
      ))}
    </div>
  );
}
