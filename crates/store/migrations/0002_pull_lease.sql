-- A pull run has an owner (the store handle pulling it) and a lease (renewed at every
-- committed page), so two pulls of one connection cannot both resume the same run.
ALTER TABLE pull_runs ADD COLUMN owner TEXT;
ALTER TABLE pull_runs ADD COLUMN lease_until TEXT;
