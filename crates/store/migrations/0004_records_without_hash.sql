-- Schema version 4: records lose `content_hash`. Whether a pulled record changed is found by
-- comparing its text with the cached text (exact, and no SHA-256 of every record a pull
-- receives: that hash was 7% of a pull's CPU). Nothing else read the hash.
ALTER TABLE records DROP COLUMN content_hash;
