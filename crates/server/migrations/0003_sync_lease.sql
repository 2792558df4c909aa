-- Which node syncs a connection, until when (RFC 3339 UTC). A node takes the lease when
-- it is free, expired or its own, and renews it after every page; a dead node's lease
-- expires and another node takes the connection over (issue 13: several nodes).
ALTER TABLE connections ADD COLUMN sync_node TEXT;
ALTER TABLE connections ADD COLUMN sync_lease_until TEXT;
