-- Each (connection, entity)'s number of cached records, kept by triggers on raw_records in
-- the transaction that inserts or deletes them: a unified list's total is one row read
-- instead of a COUNT(*) over the entity's index on every request. Triggers rather than
-- the server's code, so that every writer keeps it (an upsert that updates counts nothing,
-- a connection's deletion cascades, a hand-run DELETE or TRUNCATE is seen too) and two
-- nodes committing pages at once add under the count row's lock, never from a stale read.
CREATE TABLE raw_record_counts (
    connection_id   TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    records         BIGINT NOT NULL,
    PRIMARY KEY (connection_id, entity)
);

-- Statement-level with a transition table: one count update per statement, whatever its
-- row count. For INSERT … ON CONFLICT DO UPDATE the NEW TABLE holds only the rows actually
-- inserted (updated ones go to UPDATE triggers), so an unchanged or updated record adds 0.
CREATE FUNCTION raw_records_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO raw_record_counts (connection_id, entity, records)
        SELECT connection_id, entity, COUNT(*) FROM inserted GROUP BY connection_id, entity
    ON CONFLICT (connection_id, entity)
        DO UPDATE SET records = raw_record_counts.records + excluded.records;
    RETURN NULL;
END
$$;

CREATE FUNCTION raw_records_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE raw_record_counts AS c SET records = c.records - d.n
        FROM (SELECT connection_id, entity, COUNT(*) AS n FROM deleted
              GROUP BY connection_id, entity) AS d
        WHERE c.connection_id = d.connection_id AND c.entity = d.entity;
    RETURN NULL;
END
$$;

CREATE FUNCTION raw_records_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM raw_record_counts;
    RETURN NULL;
END
$$;

-- No writer may insert or delete between the count below and this migration's commit
-- (writers wait; the triggers count whatever they write after it).
LOCK TABLE raw_records IN SHARE MODE;

CREATE TRIGGER raw_records_counted_on_insert AFTER INSERT ON raw_records
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION raw_records_count_inserted();
CREATE TRIGGER raw_records_counted_on_delete AFTER DELETE ON raw_records
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT
    EXECUTE FUNCTION raw_records_count_deleted();
CREATE TRIGGER raw_records_counted_on_truncate AFTER TRUNCATE ON raw_records
    FOR EACH STATEMENT EXECUTE FUNCTION raw_records_count_truncated();

INSERT INTO raw_record_counts (connection_id, entity, records)
    SELECT connection_id, entity, COUNT(*) FROM raw_records GROUP BY connection_id, entity;
