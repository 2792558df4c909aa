//! Webhook endpoints, deliveries and attempts on PostgreSQL: the operations of
//! ../webhooks.rs (SQLite), same meanings, for several nodes on one database.
//!
//! What several nodes need beyond what one process on one file needs:
//! - Claims lock the heads of line they lease with `FOR UPDATE SKIP LOCKED` and record the
//!   node (`claimed_by`) and the lease's end (`leased_until`): two nodes claiming at once
//!   never lease one delivery twice, and neither waits for the other. A node that dies
//!   leaves leases that expire; another node's next claim takes those rows over.
//! - A finish changes a delivery only while this node still holds it: a node whose lease
//!   expired and passed to another node records its attempt and nothing else, so it cannot
//!   release the new holder's lease (which would let a third node send it at once too).
//! - Fan-out locks the cursor row (`FOR UPDATE SKIP LOCKED`: one node at a time, the others
//!   skip the pass instead of waiting), and its inserts meet a unique index on (endpoint,
//!   event) with `ON CONFLICT DO NOTHING`, so an event is queued once per endpoint.
//! - Events commit in `seq` order (writers hold an advisory lock from insert to commit, see
//!   `append_events`), so a cursor that advanced past a `seq` never misses an event below it.

use super::super::webhooks::{
    ping_target, subscribed, ClaimedWebhookDelivery, WebhookAttemptRow, WebhookDeliveryRow,
    WebhookEndpointChange, WebhookEndpointRow, WebhookNext, ENDPOINT_COLUMNS,
};
use super::super::Result;
use super::{append_events, pg, Postgres, DATABASE_NOW};
use deadpool_postgres::GenericClient;
use std::collections::HashMap;
use tokio_postgres::Row;

fn endpoint_row(r: &Row) -> WebhookEndpointRow {
    WebhookEndpointRow {
        id: r.get(0),
        org_id: r.get(1),
        url: r.get(2),
        description: r.get(3),
        events: r.get(4),
        sealed_secret: r.get(5),
        sealed_previous_secret: r.get(6),
        previous_expires_at: r.get(7),
        enabled: r.get(8),
        disabled_reason: r.get(9),
        disabled_at: r.get(10),
        created_at: r.get(11),
        updated_at: r.get(12),
    }
}

/// Leases to `node`, until `lease_until`, up to `limit` due heads of line (of one endpoint,
/// or of all): each enabled endpoint's oldest pending delivery, when due at `now` and not
/// leased. Rows another node is claiming right now are skipped, not waited for.
async fn claim_heads(
    tx: &impl GenericClient,
    node: &str,
    endpoint: Option<&str>,
    now: &str,
    lease_until: &str,
    limit: usize,
) -> Result<Vec<ClaimedWebhookDelivery>> {
    // Leases are taken and checked, and whether a delivery is due decided, on the
    // database's clock (`now` .. `lease_until` give the lease's length only), as due times
    // are set on it (fan-out, retries, redeliveries): a node whose clock runs ahead can
    // neither take a delivery another node still holds nor send a retry early, and one
    // whose clock runs behind does not leave due deliveries waiting. A rotated secret's
    // grace (set on that clock too, see `rotate_webhook_secret`) is checked on it as well.
    let (lease_now, lease_until) =
        super::database_times(tx, super::lease_length(now, lease_until)).await?;
    // The conditions on `d` itself (pending, due, lease free) are repeated outside the
    // head subquery: when a row changed after this statement's snapshot, PostgreSQL
    // re-checks them against the committed row before locking it.
    let rows = tx
        .query(
            "SELECT d.id, d.endpoint_id, e.url, e.sealed_secret,
                    CASE WHEN e.previous_expires_at > $1 THEN e.sealed_previous_secret END,
                    d.event_id, ev.payload, d.attempts, d.first_attempt_at
             FROM webhook_endpoints e
             JOIN webhook_deliveries d ON d.id = (
                 SELECT MIN(h.id) FROM webhook_deliveries h
                 WHERE h.endpoint_id = e.id AND h.state = 'pending')
             JOIN events ev ON ev.seq = d.event_seq
             WHERE e.enabled AND ($3::text IS NULL OR e.id = $3)
               AND d.state = 'pending' AND d.next_attempt_at <= $1
               AND (d.leased_until IS NULL OR d.leased_until <= $4)
             ORDER BY d.id LIMIT $2
             FOR UPDATE OF d SKIP LOCKED",
            &[&lease_now, &(limit as i64), &endpoint, &lease_now],
        )
        .await
        .map_err(pg)?;
    let claimed: Vec<ClaimedWebhookDelivery> = rows
        .iter()
        .map(|r| ClaimedWebhookDelivery {
            delivery_id: r.get(0),
            endpoint_id: r.get(1),
            url: r.get(2),
            sealed_secret: r.get(3),
            sealed_previous_secret: r.get(4),
            event_id: r.get(5),
            payload: r.get(6),
            attempts: r.get(7),
            first_attempt_at: r.get(8),
            claimed_at: lease_now.clone(),
        })
        .collect();
    if !claimed.is_empty() {
        let ids: Vec<i64> = claimed.iter().map(|c| c.delivery_id).collect();
        tx.execute(
            "UPDATE webhook_deliveries SET leased_until = $2, claimed_by = $3 WHERE id = ANY($1)",
            &[&ids, &lease_until, &node],
        )
        .await
        .map_err(pg)?;
    }
    Ok(claimed)
}

impl Postgres {
    pub(crate) fn add_webhook_endpoint(&self, row: &WebhookEndpointRow) -> Result<()> {
        self.block(async {
            let client = self.client().await?;
            insert_webhook_endpoint(&client, row).await
        })
    }

    /// Counted and written with the organization's row locked (as connections and tokens
    /// are): creations at once on any node take exactly the places left under `cap`.
    pub(crate) fn add_webhook_endpoint_within(
        &self,
        row: &WebhookEndpointRow,
        cap: usize,
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let held = "SELECT count(*) FROM webhook_endpoints WHERE org_id = $1";
            if !super::has_room(&tx, &row.org_id, held, cap).await? {
                return Ok(false);
            }
            insert_webhook_endpoint(&tx, row).await?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }

    pub(crate) fn webhook_endpoints(&self, org_id: &str) -> Result<Vec<WebhookEndpointRow>> {
        self.block(async {
            let rows = self
                .query(
                    &format!(
                        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id"
                    ),
                    &[&org_id],
                )
                .await?;
            Ok(rows.iter().map(endpoint_row).collect())
        })
    }

    pub(crate) fn webhook_endpoint(
        &self,
        org_id: &str,
        id: &str,
    ) -> Result<Option<WebhookEndpointRow>> {
        self.block(async {
            let row = self
                .query_opt(
                    &format!(
                        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2"
                    ),
                    &[&org_id, &id],
                )
                .await?;
            Ok(row.as_ref().map(endpoint_row))
        })
    }

    pub(crate) fn webhook_endpoint_org(&self, id: &str) -> Result<Option<String>> {
        self.block(async {
            let row = self
                .query_opt("SELECT org_id FROM webhook_endpoints WHERE id = $1", &[&id])
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    pub(crate) fn update_webhook_endpoint(
        &self,
        org_id: &str,
        id: &str,
        change: &WebhookEndpointChange,
        now: &str,
    ) -> Result<bool> {
        self.block(async {
            let updated = self
                .execute(
                    "UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, enabled = $6,
                         disabled_reason = CASE WHEN $6 THEN NULL ELSE disabled_reason END,
                         disabled_at = CASE WHEN $6 THEN NULL ELSE disabled_at END,
                         updated_at = $7
                     WHERE org_id = $1 AND id = $2",
                    &[
                        &org_id,
                        &id,
                        &change.url,
                        &change.description,
                        &change.events,
                        &change.enabled,
                        &now,
                    ],
                )
                .await?;
            Ok(updated == 1)
        })
    }

    /// As on SQLite; the replaced secret is kept `previous_kept_for` after the database's
    /// time now (the clock claims check it on), not the node's.
    pub(crate) fn rotate_webhook_secret(
        &self,
        org_id: &str,
        id: &str,
        sealed_secret: &[u8],
        previous_kept_for: std::time::Duration,
        now: &str,
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let (_, previous_expires_at) =
                super::database_times(&tx, super::millis(previous_kept_for)).await?;
            let updated = tx
                .execute(
                    "UPDATE webhook_endpoints SET sealed_previous_secret = sealed_secret,
                         previous_expires_at = $4, sealed_secret = $3, updated_at = $5
                     WHERE org_id = $1 AND id = $2",
                    &[&org_id, &id, &sealed_secret, &previous_expires_at, &now],
                )
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(updated == 1)
        })
    }

    pub(crate) fn delete_webhook_endpoint(&self, org_id: &str, id: &str) -> Result<bool> {
        self.block(async {
            let deleted = self
                .execute(
                    "DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2",
                    &[&org_id, &id],
                )
                .await?;
            Ok(deleted == 1)
        })
    }

    /// As on SQLite. One node at a time: the cursor row is locked for the pass, and a node
    /// that finds it locked returns 0 at once (the other node is fanning those events out).
    /// New deliveries are due at the database's time now, not the node's `now`.
    pub(crate) fn fan_out_webhook_events(&self, limit: usize, _now: &str) -> Result<usize> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let Some(cursor) = tx
                .query_opt(
                    "SELECT last_seq FROM webhook_fanout WHERE id = 1 FOR UPDATE SKIP LOCKED",
                    &[],
                )
                .await
                .map_err(pg)?
            else {
                return Ok(0);
            };
            let cursor: i64 = cursor.get(0);
            let events = tx
                .query(
                    "SELECT seq, id, org_id, type, payload, created_at FROM events
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&cursor, &(limit as i64)],
                )
                .await
                .map_err(pg)?;
            let Some(last) = events.last().map(|e| e.get::<_, i64>(0)) else {
                return Ok(0);
            };
            // The enabled endpoints of every organization in the batch, in one query.
            let mut orgs: Vec<String> = events.iter().map(|e| e.get(2)).collect();
            orgs.sort();
            orgs.dedup();
            let mut endpoints: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
            for row in tx
                .query(
                    "SELECT org_id, id, events, created_at FROM webhook_endpoints
                     WHERE org_id = ANY($1) AND enabled ORDER BY id",
                    &[&orgs],
                )
                .await
                .map_err(pg)?
            {
                endpoints
                    .entry(row.get(0))
                    .or_default()
                    .push((row.get(1), row.get(2), row.get(3)));
            }
            let (mut to, mut seqs, mut ids) = (Vec::new(), Vec::new(), Vec::new());
            for event in &events {
                let seq: i64 = event.get(0);
                let event_id: &str = event.get(1);
                let org_id: &str = event.get(2);
                let kind: &str = event.get(3);
                let payload: &str = event.get(4);
                let created_at: &str = event.get(5);
                let ping_for = (kind == "ping").then(|| ping_target(payload)).flatten();
                for (endpoint_id, subscribed_to, endpoint_created) in
                    endpoints.get(org_id).into_iter().flatten()
                {
                    // Only endpoints that existed when the event was made.
                    if endpoint_created.as_str() > created_at {
                        continue;
                    }
                    let wanted = match &ping_for {
                        Some(target) => target == endpoint_id,
                        None => kind != "ping" && subscribed(subscribed_to, kind),
                    };
                    if wanted {
                        to.push(endpoint_id.as_str());
                        seqs.push(seq);
                        ids.push(event_id);
                    }
                }
            }
            if !to.is_empty() {
                let (now, _) = super::database_times(&tx, 0).await?;
                // In `seq` order (WITH ORDINALITY), so delivery ids follow the events.
                tx.execute(
                    "INSERT INTO webhook_deliveries
                         (endpoint_id, event_seq, event_id, fanned_out, state, next_attempt_at, created_at)
                     SELECT endpoint_id, event_seq, event_id, TRUE, 'pending', $4, $4
                     FROM UNNEST($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY
                          AS queued(endpoint_id, event_seq, event_id, n)
                     ORDER BY n
                     ON CONFLICT DO NOTHING",
                    &[&to, &seqs, &ids, &now],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute("UPDATE webhook_fanout SET last_seq = $1 WHERE id = 1", &[&last])
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(events.len())
        })
    }

    /// Leases to `node`, until `lease_until`, up to `limit` due heads of line (see
    /// `claim_heads`), in one transaction.
    pub(crate) fn claim_webhook_deliveries(
        &self,
        node: &str,
        now: &str,
        lease_until: &str,
        limit: usize,
    ) -> Result<Vec<ClaimedWebhookDelivery>> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let claimed = claim_heads(&tx, node, None, now, lease_until, limit).await?;
            tx.commit().await.map_err(pg)?;
            Ok(claimed)
        })
    }

    /// As on SQLite, except that the delivery changes only while `node` holds it; with
    /// `claim_next` the endpoint's next due delivery is leased to `node` in the same
    /// transaction.
    pub(crate) fn finish_webhook_attempt(
        &self,
        node: &str,
        attempt: &WebhookAttemptRow,
        next: &WebhookNext,
        now: &str,
        claim_next: Option<(&str, &str)>,
    ) -> Result<Option<ClaimedWebhookDelivery>> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            if matches!(next, WebhookNext::GiveUp { .. }) {
                // Giving up updates the endpoint after the delivery; deleting an endpoint
                // locks it before its deliveries. Locking the endpoint first here keeps
                // one order, so the two never deadlock.
                tx.execute(
                    "SELECT 1 FROM webhook_endpoints
                     WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)
                     FOR NO KEY UPDATE",
                    &[&attempt.delivery_id],
                )
                .await
                .map_err(pg)?;
            }
            // The attempt's start is kept on the database's clock (as long before its now
            // as the attempt started before this node's `now`), and so are the delivery's
            // end and an endpoint's disabling: attempts made by nodes whose clocks disagree
            // then read in the order they were made, the first attempt's age (from which a
            // node decides when to give up) is the same on every node, and pruning finished
            // deliveries (on that clock too) keeps each as long as it should.
            let (database_now, started_on_database) =
                super::database_times(&tx, -super::lease_length(&attempt.started_at, now))
                    .await?;
            tx.execute(
                "INSERT INTO webhook_attempts
                     (delivery_id, attempt, started_at, status, latency_ms, response, error_code, error)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &attempt.delivery_id,
                    &attempt.attempt,
                    &started_on_database,
                    &attempt.status,
                    &attempt.latency_ms,
                    &attempt.response,
                    &attempt.error_code,
                    &attempt.error,
                ],
            )
            .await
            .map_err(pg)?;
            // Only a pending delivery this node still holds changes: a late finish from a
            // node whose lease ran out and passed on records its attempt and nothing else.
            let held = "attempts = GREATEST(attempts, $2), leased_until = NULL, claimed_by = NULL,
                        first_attempt_at = COALESCE(first_attempt_at, $3)";
            let mine = "WHERE id = $1 AND state = 'pending' AND claimed_by = $5";
            let mut disabled_event = None;
            match next {
                WebhookNext::Delivered => {
                    tx.execute(
                        &format!("UPDATE webhook_deliveries SET {held}, state = 'delivered', finished_at = $4 {mine}"),
                        &[&attempt.delivery_id, &attempt.attempt, &started_on_database, &database_now, &node],
                    )
                    .await
                    .map_err(pg)?;
                }
                WebhookNext::RetryAfter(delay) => {
                    // Due `delay` after the database's time now: every node reads it on
                    // that clock (see `claim_heads`).
                    let (_, at) = super::database_times(&tx, super::millis(*delay)).await?;
                    tx.execute(
                        &format!("UPDATE webhook_deliveries SET {held}, next_attempt_at = $4 {mine}"),
                        &[&attempt.delivery_id, &attempt.attempt, &started_on_database, &at, &node],
                    )
                    .await
                    .map_err(pg)?;
                }
                WebhookNext::GiveUp { reason, event } => {
                    let changed = tx
                        .execute(
                            &format!("UPDATE webhook_deliveries SET {held}, state = 'failed', finished_at = $4 {mine}"),
                            &[&attempt.delivery_id, &attempt.attempt, &started_on_database, &database_now, &node],
                        )
                        .await
                        .map_err(pg)?;
                    if changed == 1 {
                        tx.execute(
                            "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $2, disabled_at = $3, updated_at = $3
                             WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)",
                            &[&attempt.delivery_id, reason, &database_now],
                        )
                        .await
                        .map_err(pg)?;
                        disabled_event = Some(event);
                    }
                }
            }
            let handed_over = match claim_next {
                Some((at, lease_until)) => {
                    let endpoint: String = tx
                        .query_one(
                            "SELECT endpoint_id FROM webhook_deliveries WHERE id = $1",
                            &[&attempt.delivery_id],
                        )
                        .await
                        .map_err(pg)?
                        .get(0);
                    claim_heads(&tx, node, Some(&endpoint), at, lease_until, 1)
                        .await?
                        .pop()
                }
                None => None,
            };
            // Events last: their advisory lock is then held only for the commit.
            if let Some(event) = disabled_event {
                append_events(&tx, std::slice::from_ref(event)).await?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(handed_over)
        })
    }

    pub(crate) fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: usize,
    ) -> Result<Vec<(WebhookDeliveryRow, Vec<WebhookAttemptRow>)>> {
        self.block(async {
            let client = self.client().await?;
            let deliveries: Vec<WebhookDeliveryRow> = client
                .query(
                    "SELECT d.id, d.endpoint_id, d.event_seq, d.event_id, COALESCE(ev.type, ''), d.state,
                            d.attempts, d.first_attempt_at, d.next_attempt_at, d.created_at, d.finished_at
                     FROM webhook_deliveries d LEFT JOIN events ev ON ev.seq = d.event_seq
                     WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT $2",
                    &[&endpoint_id, &(limit as i64)],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| WebhookDeliveryRow {
                    id: r.get(0),
                    endpoint_id: r.get(1),
                    event_seq: r.get(2),
                    event_id: r.get(3),
                    event_type: r.get(4),
                    state: r.get(5),
                    attempts: r.get(6),
                    first_attempt_at: r.get(7),
                    next_attempt_at: r.get(8),
                    created_at: r.get(9),
                    finished_at: r.get(10),
                })
                .collect();
            // Every listed delivery's attempts (the first 100 of each) in one query.
            let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
            let mut attempts: HashMap<i64, Vec<WebhookAttemptRow>> = HashMap::new();
            for r in client
                .query(
                    "SELECT delivery_id, attempt, started_at, status, latency_ms, response, error_code, error
                     FROM (SELECT *, row_number() OVER (PARTITION BY delivery_id ORDER BY id) AS n
                           FROM webhook_attempts WHERE delivery_id = ANY($1)) numbered
                     WHERE n <= 100 ORDER BY delivery_id, id",
                    &[&ids],
                )
                .await
                .map_err(pg)?
            {
                let row = WebhookAttemptRow {
                    delivery_id: r.get(0),
                    attempt: r.get(1),
                    started_at: r.get(2),
                    status: r.get(3),
                    latency_ms: r.get(4),
                    response: r.get(5),
                    error_code: r.get(6),
                    error: r.get(7),
                };
                attempts.entry(row.delivery_id).or_default().push(row);
            }
            Ok(deliveries
                .into_iter()
                .map(|d| {
                    let made = attempts.remove(&d.id).unwrap_or_default();
                    (d, made)
                })
                .collect())
        })
    }

    /// As on SQLite; the new delivery is due at the database's time now, not the node's.
    pub(crate) fn redeliver_webhook(
        &self,
        endpoint_id: &str,
        delivery_id: i64,
        _now: &str,
    ) -> Result<Option<i64>> {
        self.block(async {
            let row = self
                .query_opt(
                    &format!(
                        "INSERT INTO webhook_deliveries
                             (endpoint_id, event_seq, event_id, state, next_attempt_at, created_at)
                         SELECT endpoint_id, event_seq, event_id, 'pending', {DATABASE_NOW}, {DATABASE_NOW}
                         FROM webhook_deliveries WHERE id = $2 AND endpoint_id = $1
                         RETURNING id"
                    ),
                    &[&endpoint_id, &delivery_id],
                )
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// Drops the leases `node` holds. Only its own: other nodes on this database may be
    /// attempting theirs right now; a dead node's leases expire and are taken over.
    pub(crate) fn release_webhook_leases(&self, node: &str) -> Result<usize> {
        self.block(async {
            let released = self
                .execute(
                    "UPDATE webhook_deliveries SET leased_until = NULL, claimed_by = NULL
                     WHERE state = 'pending' AND claimed_by = $1",
                    &[&node],
                )
                .await?;
            Ok(released as usize)
        })
    }

    /// As on SQLite, but `kept_for` is counted back from the database's time now, not the
    /// node's `now`: deliveries finish on that clock (see `finish_webhook_attempt`), so a
    /// node whose clock runs ahead does not prune them early.
    pub(crate) fn prune_webhook_deliveries(
        &self,
        kept_for: std::time::Duration,
        _now: &str,
        limit: usize,
    ) -> Result<usize> {
        self.block(async {
            let client = self.client().await?;
            let (_, finished_before) =
                super::database_times(&client, -super::millis(kept_for)).await?;
            let deleted = client
                .execute(
                    "DELETE FROM webhook_deliveries WHERE id IN (
                         SELECT id FROM webhook_deliveries
                         WHERE state != 'pending' AND finished_at < $1 ORDER BY id LIMIT $2)",
                    &[&finished_before, &(limit as i64)],
                )
                .await
                .map_err(pg)?;
            Ok(deleted as usize)
        })
    }

    pub(crate) fn pending_webhook_deliveries(&self) -> Result<i64> {
        self.block(async {
            let row = self
                .query_one(
                    "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
                    &[],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    /// As on SQLite, at the database's time now (the clock due times and leases are on,
    /// see `claim_heads`); a delivery another node holds a live lease on is not work for
    /// this one, so idle nodes do not claim in vain every poll while one node is sending.
    pub(crate) fn webhook_work_waiting(&self, _now: &str) -> Result<bool> {
        self.block(async {
            let row = self
                .query_one(
                    &format!(
                        "SELECT EXISTS(SELECT 1 FROM events WHERE seq > (SELECT last_seq FROM webhook_fanout WHERE id = 1))
                             OR EXISTS(SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= {DATABASE_NOW}
                                       AND (leased_until IS NULL OR leased_until <= {DATABASE_NOW}))"
                    ),
                    &[],
                )
                .await?;
            Ok(row.get(0))
        })
    }
}

/// Created (and last updated) at the database's time now, not the node's `created_at`:
/// fanning out compares it with events' times, which are on that clock (see
/// `append_events`).
async fn insert_webhook_endpoint(db: &impl GenericClient, row: &WebhookEndpointRow) -> Result<()> {
    db.execute(
        &format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, {DATABASE_NOW}, {DATABASE_NOW})"
        ),
        &[
            &row.id,
            &row.org_id,
            &row.url,
            &row.description,
            &row.events,
            &row.sealed_secret,
            &row.sealed_previous_secret,
            &row.previous_expires_at,
            &row.enabled,
            &row.disabled_reason,
            &row.disabled_at,
        ],
    )
    .await
    .map_err(pg)?;
    Ok(())
}
