// A server's recent webhook deliveries (event, endpoint, state, attempts), refreshed while open.

import { localTime } from "../format";
import { useEvents } from "../hooks/useEvents";

export function EventsPanel({ server }: { server: string }) {
  const { deliveries, error } = useEvents(server);
  if (error) {
    return (
      <p className="error" role="alert">
        {error.message}
      </p>
    );
  }
  if (deliveries === null) {
    return <p>Loading events…</p>;
  }
  if (deliveries.length === 0) {
    return (
      <p data-testid="events-empty">
        No webhook deliveries yet. Deliveries go to a webhook endpoint: add one on the server with{" "}
        <code>POST /api/webhooks</code> (a JSON body with the endpoint's <code>url</code> and the <code>events</code> to
        send, e.g. <code>sync.completed</code>), then its deliveries show here.
      </p>
    );
  }
  return (
    <table data-testid="events-panel">
      <thead>
        <tr>
          <th>When</th>
          <th>Event</th>
          <th>Endpoint</th>
          <th>State</th>
          <th>Attempts</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d, i) => (
          <tr key={`${d.createdAt}-${i}`}>
            <td title={d.createdAt}>{localTime(d.createdAt)}</td>
            <td>{d.eventType}</td>
            <td>{d.endpoint}</td>
            <td title={d.lastError ?? undefined}>
              {d.state}
              {d.lastStatus !== null && ` (${d.lastStatus})`}
            </td>
            <td>{d.attempts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
