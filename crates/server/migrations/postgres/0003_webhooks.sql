-- Webhooks on PostgreSQL: the same tables, columns and meanings as ../0002_webhooks.sql
-- (SQLite), plus what several nodes on one database need:
-- - `claimed_by`: the node holding a delivery's lease (with `leased_until`), so that a
--   late finish from a node whose lease expired and passed to another node changes
--   nothing but its own attempt row;
-- - `fanned_out` with a unique index: fan-out inserts at most one delivery per (endpoint,
--   event) even if two nodes fanned out the same events (the cursor row is also locked);
--   redeliveries are rows with `fanned_out = false`, as many as asked for.
-- Signing secrets are sealed with the server's master key, never stored in clear.

CREATE TABLE webhook_endpoints (
    id                      TEXT PRIMARY KEY,
    org_id                  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url                     TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    -- JSON array of event types.
    events                  TEXT NOT NULL,
    sealed_secret           BYTEA NOT NULL,
    -- The secret before the last rotation, still signing until it expires.
    sealed_previous_secret  BYTEA,
    previous_expires_at     TEXT,
    enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason         TEXT,
    disabled_at             TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints(org_id);

-- One row per (endpoint, event) to send; a redelivery adds a row. Ordered per endpoint by
-- `id`, which follows the events' `seq` because fan-out (one node at a time) inserts in
-- `seq` order.
CREATE TABLE webhook_deliveries (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id         TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_seq           BIGINT NOT NULL,
    event_id            TEXT NOT NULL,
    fanned_out          BOOLEAN NOT NULL DEFAULT FALSE,
    -- pending | delivered | failed
    state               TEXT NOT NULL,
    attempts            BIGINT NOT NULL DEFAULT 0,
    first_attempt_at    TEXT,
    next_attempt_at     TEXT NOT NULL,
    leased_until        TEXT,
    claimed_by          TEXT,
    created_at          TEXT NOT NULL,
    finished_at         TEXT
);
CREATE UNIQUE INDEX webhook_deliveries_fanned_out_once
    ON webhook_deliveries(endpoint_id, event_seq) WHERE fanned_out;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE state != 'pending';

CREATE TABLE webhook_attempts (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id         BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt             BIGINT NOT NULL,
    started_at          TEXT NOT NULL,
    status              BIGINT,
    latency_ms          BIGINT NOT NULL,
    -- The first 1 KB of the response body.
    response            TEXT NOT NULL,
    error_code          TEXT,
    error               TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id, id);

-- How far fan-out has read the `events` outbox (one row, locked by the node fanning out).
CREATE TABLE webhook_fanout (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq    BIGINT NOT NULL
);
-- Events written before webhooks existed are not sent to endpoints created later.
INSERT INTO webhook_fanout (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;
