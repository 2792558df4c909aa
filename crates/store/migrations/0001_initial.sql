-- Workspace schema, version 1. Forward-only: later changes go in new files.

-- A customer's Corrigo account. Non-secret settings only: the client secret lives in the
-- operating system's keyring, keyed by the connection's name, and never here.
CREATE TABLE connections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    company     TEXT NOT NULL,
    region      TEXT CHECK (region IN ('am', 'emea', 'apac')),
    base_url    TEXT,
    client_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK ((region IS NULL) <> (base_url IS NULL))
);

-- Records as the source sent them, one row per (connection, entity, source id).
-- A rowid table: records are kilobytes of JSON, and SQLite keeps large rows better in a
-- rowid b-tree than in a WITHOUT ROWID one (measured: crates/store/benches/insert.rs).
CREATE TABLE records (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity        TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    json          TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    UNIQUE (connection_id, entity, source_id)
);

-- One pull of one entity. `cursor` is where a resumed pull carries on; it and the page
-- and record counts change in the same transaction as each committed page.
CREATE TABLE pull_runs (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity        TEXT NOT NULL,
    since         TEXT,
    status        TEXT NOT NULL CHECK (status IN
                    ('running', 'completed', 'failed', 'cancelled', 'reauthorization_required')),
    cursor        TEXT,
    pages         INTEGER NOT NULL DEFAULT 0,
    records       INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX pull_runs_by_entity ON pull_runs (connection_id, entity, status);

CREATE TABLE mappings (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Every saved version of a mapping, canonical JSON text. Immutable: the triggers below
-- refuse updates and deletes, so history can be trusted for diffs and rollbacks.
CREATE TABLE mapping_versions (
    id          INTEGER PRIMARY KEY,
    mapping_id  INTEGER NOT NULL REFERENCES mappings(id),
    version     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    message     TEXT,
    saved_at    TEXT NOT NULL,
    UNIQUE (mapping_id, version)
);
CREATE TRIGGER mapping_versions_are_immutable_update BEFORE UPDATE ON mapping_versions
BEGIN SELECT RAISE(ABORT, 'mapping versions are immutable'); END;
CREATE TRIGGER mapping_versions_are_immutable_delete BEFORE DELETE ON mapping_versions
BEGIN SELECT RAISE(ABORT, 'mapping versions are immutable'); END;

-- A record and the unified output a mapping must give for it.
CREATE TABLE test_cases (
    id          INTEGER PRIMARY KEY,
    mapping_id  INTEGER NOT NULL REFERENCES mappings(id),
    name        TEXT NOT NULL,
    record      TEXT NOT NULL,
    expected    TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    UNIQUE (mapping_id, name)
);
