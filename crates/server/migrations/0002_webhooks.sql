-- Webhooks: endpoints (subscriptions), their deliveries fanned out from the `events`
-- outbox, and every attempt. Signing secrets are sealed with the server's master key
-- (ChaCha20-Poly1305, additional data = the endpoint id), never stored in clear.

CREATE TABLE webhook_endpoints (
    id                      TEXT PRIMARY KEY,
    org_id                  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url                     TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    -- JSON array of event types.
    events                  TEXT NOT NULL,
    sealed_secret           BLOB NOT NULL,
    -- The secret before the last rotation, still signing until it expires.
    sealed_previous_secret  BLOB,
    previous_expires_at     TEXT,
    enabled                 INTEGER NOT NULL DEFAULT 1,
    disabled_reason         TEXT,
    disabled_at             TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints(org_id);

-- One row per (endpoint, event) to send; a redelivery adds a row. Ordered per endpoint by
-- `id`, which follows the events' `seq` because fan-out inserts in `seq` order.
CREATE TABLE webhook_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id         TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_seq           INTEGER NOT NULL,
    event_id            TEXT NOT NULL,
    -- pending | delivered | failed
    state               TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    first_attempt_at    TEXT,
    next_attempt_at     TEXT NOT NULL,
    leased_until        TEXT,
    created_at          TEXT NOT NULL,
    finished_at         TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, id);

CREATE TABLE webhook_attempts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id         INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL,
    started_at          TEXT NOT NULL,
    status              INTEGER,
    latency_ms          INTEGER NOT NULL,
    -- The first 1 KB of the response body.
    response            TEXT NOT NULL,
    error_code          TEXT,
    error               TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id, id);

-- How far fan-out has read the `events` outbox (one row).
CREATE TABLE webhook_fanout (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq    INTEGER NOT NULL
);
-- Events written before webhooks existed are not sent to endpoints created later.
INSERT INTO webhook_fanout (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;
