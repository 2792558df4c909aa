-- The connection server's schema on PostgreSQL: the same tables, columns and meanings as
-- ../0001_server.sql (SQLite). Times stay RFC 3339 UTC text so that both backends compare
-- and return them alike. Forward-only; schema_migrations records applied files.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_keys_by_org ON api_keys(org_id);

CREATE TABLE connections (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    company         TEXT NOT NULL,
    region          TEXT,
    base_url        TEXT,
    client_id       TEXT NOT NULL,
    -- nonce (12 bytes) || ciphertext+tag, additional data = the connection id.
    sealed_secret   BYTEA NOT NULL,
    status          TEXT NOT NULL,
    status_reason   TEXT,
    next_sync_at    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX connections_by_org ON connections(org_id);

CREATE TABLE connection_tokens (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    hash            TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX connection_tokens_by_connection ON connection_tokens(connection_id);

CREATE TABLE mapping_versions (
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    version         BIGINT NOT NULL,
    body            TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    key_name        TEXT,
    note            TEXT,
    rolled_back_to  BIGINT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (connection_id, entity, version)
);

CREATE TABLE raw_records (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    body            TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (connection_id, entity, source_id)
);
CREATE INDEX raw_records_by_entity ON raw_records(connection_id, entity, id);

CREATE TABLE sync_runs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL,
    records         BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    reason          TEXT
);
CREATE INDEX sync_runs_by_connection ON sync_runs(connection_id, id);

CREATE TABLE sync_watermarks (
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    since           TEXT,
    PRIMARY KEY (connection_id, entity)
);

-- The event outbox. `seq` is creation order within one writer; with several writers a
-- sequence value is taken before commit, so readers of `seq` must not assume that a
-- committed row's seq is above every row they will see later (fan-out on PostgreSQL
-- accounts for that; see postgres.rs).
CREATE TABLE events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    org_id          TEXT NOT NULL,
    connection_id   TEXT,
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
