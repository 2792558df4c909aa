// The events panel: the organization's recent webhook deliveries on a server, refreshed
// every few seconds while the panel is open.

import { useEffect, useState } from "react";
import { api, asServiceError } from "../api";
import type { DeliveryInfo, ServiceError } from "../bindings";

const REFRESH_MS = 5000;

export function useEvents(server: string) {
  const [deliveries, setDeliveries] = useState<DeliveryInfo[] | null>(null);
  const [error, setError] = useState<ServiceError | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      api.recentDeliveries(server, 50).then(
        (d) => live && (setDeliveries(d), setError(null)),
        (e: unknown) => live && setError(asServiceError(e)),
      );
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [server]);
  return { deliveries, error };
}
