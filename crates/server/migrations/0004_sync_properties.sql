-- The Corrigo PropertySet every cached record of the entity holds (a JSON array of
-- strings: `*`, `Items.*`, `MainAsset.TypeId`, …): an incremental sync only re-fetches
-- changed records, so after a sync asking for more the older records still hold less.
-- NULL: cached before this column (read as `*`, what every sync asked for at least).
ALTER TABLE sync_watermarks ADD COLUMN properties TEXT;
