-- Schema version 3: what each pull asked the source for.
-- A JSON array of Corrigo PropertySet entries (`["Id","Items.*",…]`), from the mappings the
-- workspace held when the pull started. NULL for pulls made before version 3, which asked
-- for `*` (no collections). The studio compares it with what its mappings read now, to say
-- when cached records predate a mapping that reads more.
ALTER TABLE pull_runs ADD COLUMN properties TEXT;
