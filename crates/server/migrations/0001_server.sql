-- The connection server's schema. Forward-only; PRAGMA user_version counts applied files.
-- Secrets never appear here in clear: a connection's client secret is sealed with the
-- server's master key (ChaCha20-Poly1305), API keys and connection tokens are SHA-256 hashes.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- The first characters of the key, so a person can tell keys apart in a list.
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE connections (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    company         TEXT NOT NULL,
    region          TEXT,
    base_url        TEXT,
    client_id       TEXT NOT NULL,
    -- nonce (12 bytes) || ciphertext+tag, additional data = the connection id.
    sealed_secret   BLOB NOT NULL,
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

-- Append-only: the active version of an entity's mapping is its highest version.
CREATE TABLE mapping_versions (
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    body            TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    key_name        TEXT,
    note            TEXT,
    rolled_back_to  INTEGER,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (connection_id, entity, version)
) WITHOUT ROWID;

-- Raw Corrigo records, one row per (connection, entity, source id). `id` orders the raw
-- paging endpoint and survives updates (upsert in place).
CREATE TABLE raw_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    -- running | completed | failed | reauthorization_required
    status          TEXT NOT NULL,
    records         INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    reason          TEXT
);
CREATE INDEX sync_runs_by_connection ON sync_runs(connection_id, id);

-- Where the next incremental sync of an entity starts: the highest LastActionDateUtc
-- seen by the last completed sync (NULL: the entity has no such member, pull it whole).
CREATE TABLE sync_watermarks (
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    since           TEXT,
    PRIMARY KEY (connection_id, entity)
) WITHOUT ROWID;

-- The event outbox (see the webhooks contract): written in the same transaction as the
-- change it describes.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    org_id          TEXT NOT NULL,
    connection_id   TEXT,
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
