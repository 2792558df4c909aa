//! Webhook endpoints, deliveries and attempts (the SQL side of `crate::webhooks`).
//!
//! Fan-out reads the `events` outbox after a cursor and, in the same transaction as the
//! cursor's advance, queues one delivery per matching endpoint: an event is fanned out once
//! even across crashes. Claims lease the head of each endpoint's queue, so one endpoint's
//! events go out one at a time, in `seq` order.

use super::events::{append_events, NewEvent};
use super::{Result, Sqlite};
use rusqlite::{params, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub description: String,
    /// JSON array of event types.
    pub events: String,
    pub sealed_secret: Vec<u8>,
    pub sealed_previous_secret: Option<Vec<u8>>,
    pub previous_expires_at: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<String>,
    /// Kept on SQLite; on PostgreSQL the database's time at the insert is kept instead
    /// (for `updated_at` too), the clock events are made on: fanning out compares them.
    pub created_at: String,
    pub updated_at: String,
}

pub(super) const ENDPOINT_COLUMNS: &str = "id, org_id, url, description, events, sealed_secret, \
    sealed_previous_secret, previous_expires_at, enabled, disabled_reason, disabled_at, \
    created_at, updated_at";

fn endpoint_row(r: &Row<'_>) -> rusqlite::Result<WebhookEndpointRow> {
    Ok(WebhookEndpointRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        url: r.get(2)?,
        description: r.get(3)?,
        events: r.get(4)?,
        sealed_secret: r.get(5)?,
        sealed_previous_secret: r.get(6)?,
        previous_expires_at: r.get(7)?,
        enabled: r.get(8)?,
        disabled_reason: r.get(9)?,
        disabled_at: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

/// The editable part of an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpointChange {
    pub url: String,
    pub description: String,
    pub events: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDeliveryRow {
    pub id: i64,
    pub endpoint_id: String,
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i64,
    pub first_attempt_at: Option<String>,
    pub next_attempt_at: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookAttemptRow {
    pub delivery_id: i64,
    pub attempt: i64,
    pub started_at: String,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub response: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
}

/// A leased delivery with what sending it needs (secrets still sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedWebhookDelivery {
    pub delivery_id: i64,
    pub endpoint_id: String,
    pub url: String,
    pub sealed_secret: Vec<u8>,
    /// The secret a rotation replaced, while it still signs at the claim (the endpoint's
    /// `previous_expires_at` not reached on the storage's clock, see `claimed_at`); None
    /// after. Decided here, not by the node, whose clock may be skewed.
    pub sealed_previous_secret: Option<Vec<u8>>,
    pub event_id: String,
    pub payload: String,
    pub attempts: i64,
    /// When the first attempt started, on the storage's clock (see `claimed_at`).
    pub first_attempt_at: Option<String>,
    /// The storage's clock at the claim (SQLite: the `now` given; PostgreSQL: the
    /// database's), so `first_attempt_at`, kept on that clock, reads as an age on any node.
    pub claimed_at: String,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookNext {
    Delivered,
    /// Attempted again this long after the attempt is recorded: on SQLite after the `now`
    /// given (one process, its clock), on PostgreSQL after the database's clock, so that
    /// nodes whose clocks disagree still agree on when a retry is due (a length, not a
    /// time of the node's clock).
    RetryAfter(std::time::Duration),
    /// The delivery failed for good; the endpoint is disabled with `reason`, and `event`
    /// (saying so) is appended to the outbox in the same transaction.
    GiveUp {
        reason: String,
        event: NewEvent,
    },
}

/// Whether an endpoint subscribed to `event_type`: its list names it, or `*`.
pub(super) fn subscribed(events_json: &str, event_type: &str) -> bool {
    serde_json::from_str::<Vec<String>>(events_json)
        .map(|events| events.iter().any(|e| e == event_type || e == "*"))
        .unwrap_or(false)
}

/// The endpoint a `ping` event is for (`data.endpoint_id`).
pub(super) fn ping_target(payload: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    value["data"]["endpoint_id"].as_str().map(str::to_owned)
}

/// Leases due heads of line (of one endpoint, or of all): each enabled endpoint's oldest
/// pending delivery, when due at `now` and not leased.
fn claim_heads(
    tx: &rusqlite::Transaction<'_>,
    endpoint: Option<&str>,
    now: &str,
    lease_until: &str,
    limit: usize,
) -> Result<Vec<ClaimedWebhookDelivery>> {
    let claimed: Vec<ClaimedWebhookDelivery> = {
        let mut statement = tx.prepare_cached(
            "SELECT d.id, d.endpoint_id, e.url, e.sealed_secret,
                    CASE WHEN e.previous_expires_at > ?1 THEN e.sealed_previous_secret END,
                    d.event_id, ev.payload, d.attempts, d.first_attempt_at
             FROM webhook_endpoints e
             JOIN webhook_deliveries d ON d.id = (
                 SELECT MIN(h.id) FROM webhook_deliveries h
                 WHERE h.endpoint_id = e.id AND h.state = 'pending')
             JOIN events ev ON ev.seq = d.event_seq
             WHERE e.enabled = 1 AND (?3 IS NULL OR e.id = ?3) AND d.next_attempt_at <= ?1
               AND (d.leased_until IS NULL OR d.leased_until <= ?1)
             ORDER BY d.id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![now, limit as i64, endpoint], |r| {
            Ok(ClaimedWebhookDelivery {
                delivery_id: r.get(0)?,
                endpoint_id: r.get(1)?,
                url: r.get(2)?,
                sealed_secret: r.get(3)?,
                sealed_previous_secret: r.get(4)?,
                event_id: r.get(5)?,
                payload: r.get(6)?,
                attempts: r.get(7)?,
                first_attempt_at: r.get(8)?,
                claimed_at: now.to_string(),
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut lease =
        tx.prepare_cached("UPDATE webhook_deliveries SET leased_until = ?2 WHERE id = ?1")?;
    for delivery in &claimed {
        lease.execute(params![delivery.delivery_id, lease_until])?;
    }
    Ok(claimed)
}

impl Sqlite {
    pub fn add_webhook_endpoint(&self, row: &WebhookEndpointRow) -> Result<()> {
        insert_webhook_endpoint(&self.write(), row)
    }

    /// [`Sqlite::add_webhook_endpoint`] unless the organization already has `cap`
    /// endpoints (false then, nothing written): counted and written in one transaction on
    /// the one write connection, so creations at once cannot both take the last place.
    pub fn add_webhook_endpoint_within(
        &self,
        row: &WebhookEndpointRow,
        cap: usize,
    ) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let held = "SELECT count(*) FROM webhook_endpoints WHERE org_id = ?1";
        if !super::has_room(&tx, &row.org_id, held, cap)? {
            return Ok(false);
        }
        insert_webhook_endpoint(&tx, row)?;
        tx.commit()?;
        Ok(true)
    }
}

fn insert_webhook_endpoint(db: &rusqlite::Connection, row: &WebhookEndpointRow) -> Result<()> {
    db.execute(
        &format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ),
        params![
            row.id,
            row.org_id,
            row.url,
            row.description,
            row.events,
            row.sealed_secret,
            row.sealed_previous_secret,
            row.previous_expires_at,
            row.enabled,
            row.disabled_reason,
            row.disabled_at,
            row.created_at,
            row.updated_at
        ],
    )?;
    Ok(())
}

impl Sqlite {
    pub fn webhook_endpoints(&self, org_id: &str) -> Result<Vec<WebhookEndpointRow>> {
        let db = self.read();
        let mut statement = db.prepare(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = ?1 ORDER BY created_at, id"
        ))?;
        let rows = statement.query_map([org_id], endpoint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn webhook_endpoint(&self, org_id: &str, id: &str) -> Result<Option<WebhookEndpointRow>> {
        Ok(self
            .read()
            .query_row(
                &format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2"
                ),
                params![org_id, id],
                endpoint_row,
            )
            .optional()?)
    }

    /// The organization an endpoint belongs to.
    pub fn webhook_endpoint_org(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .read()
            .query_row(
                "SELECT org_id FROM webhook_endpoints WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Applies an edit; enabling clears the disabled reason. `false` when there is no such
    /// endpoint in the organization.
    pub fn update_webhook_endpoint(
        &self,
        org_id: &str,
        id: &str,
        change: &WebhookEndpointChange,
        now: &str,
    ) -> Result<bool> {
        let updated = self.write().execute(
            "UPDATE webhook_endpoints SET url = ?3, description = ?4, events = ?5, enabled = ?6,
                 disabled_reason = CASE WHEN ?6 THEN NULL ELSE disabled_reason END,
                 disabled_at = CASE WHEN ?6 THEN NULL ELSE disabled_at END,
                 updated_at = ?7
             WHERE org_id = ?1 AND id = ?2",
            params![
                org_id,
                id,
                change.url,
                change.description,
                change.events,
                change.enabled,
                now
            ],
        )?;
        Ok(updated == 1)
    }

    /// Makes `sealed_secret` current and keeps the one it replaces for `previous_kept_for`
    /// after `now` (this process's clock, which is the database's).
    pub fn rotate_webhook_secret(
        &self,
        org_id: &str,
        id: &str,
        sealed_secret: &[u8],
        previous_kept_for: std::time::Duration,
        now: &str,
    ) -> Result<bool> {
        let previous_expires_at = super::after(now, previous_kept_for);
        let updated = self.write().execute(
            "UPDATE webhook_endpoints SET sealed_previous_secret = sealed_secret,
                 previous_expires_at = ?4, sealed_secret = ?3, updated_at = ?5
             WHERE org_id = ?1 AND id = ?2",
            params![org_id, id, sealed_secret, previous_expires_at, now],
        )?;
        Ok(updated == 1)
    }

    /// Deletes an endpoint with its deliveries and attempts.
    pub fn delete_webhook_endpoint(&self, org_id: &str, id: &str) -> Result<bool> {
        let deleted = self.write().execute(
            "DELETE FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2",
            params![org_id, id],
        )?;
        Ok(deleted == 1)
    }

    /// Queues deliveries for up to `limit` events after the fan-out cursor: to every enabled
    /// endpoint of the event's organization that subscribed to its type and existed when
    /// the event was made (a `ping` goes to the one endpoint it names). Returns how many
    /// events were read.
    pub fn fan_out_webhook_events(&self, limit: usize, now: &str) -> Result<usize> {
        let mut db = self.write();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cursor: i64 = tx.query_row(
            "SELECT last_seq FROM webhook_fanout WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        let events: Vec<(i64, String, String, String, String, String)> = {
            let mut statement = tx.prepare_cached(
                "SELECT seq, id, org_id, type, payload, created_at FROM events
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = statement.query_map(params![cursor, limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = events.last().map(|e| e.0) else {
            return Ok(0);
        };
        {
            let mut endpoints = tx.prepare_cached(
                "SELECT id, events FROM webhook_endpoints
                 WHERE org_id = ?1 AND enabled = 1 AND created_at <= ?2 ORDER BY id",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO webhook_deliveries
                     (endpoint_id, event_seq, event_id, state, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
            )?;
            for (seq, event_id, org_id, kind, payload, created_at) in &events {
                let ping_for = (kind == "ping").then(|| ping_target(payload)).flatten();
                let targets: Vec<(String, String)> = endpoints
                    .query_map(params![org_id, created_at], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (endpoint_id, subscribed_to) in targets {
                    let wanted = match &ping_for {
                        Some(target) => *target == endpoint_id,
                        None => kind != "ping" && subscribed(&subscribed_to, kind),
                    };
                    if wanted {
                        insert.execute(params![endpoint_id, seq, event_id, now])?;
                    }
                }
            }
        }
        tx.execute(
            "UPDATE webhook_fanout SET last_seq = ?1 WHERE id = 1",
            [last],
        )?;
        tx.commit()?;
        Ok(events.len())
    }

    /// Leases, until `lease_until`, up to `limit` due heads of line: each enabled endpoint's
    /// oldest pending delivery, when due at `now` and not leased. `node` is not recorded:
    /// one process serves a SQLite file (PostgreSQL records it; several nodes share that).
    pub fn claim_webhook_deliveries(
        &self,
        _node: &str,
        now: &str,
        lease_until: &str,
        limit: usize,
    ) -> Result<Vec<ClaimedWebhookDelivery>> {
        let mut db = self.write();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let claimed = claim_heads(&tx, None, now, lease_until, limit)?;
        tx.commit()?;
        Ok(claimed)
    }

    /// Records an attempt and applies what follows, in one transaction; with
    /// `claim_next = Some((now, lease_until))` also leases and returns the endpoint's next
    /// due delivery.
    pub fn finish_webhook_attempt(
        &self,
        _node: &str,
        attempt: &WebhookAttemptRow,
        next: &WebhookNext,
        now: &str,
        claim_next: Option<(&str, &str)>,
    ) -> Result<Option<ClaimedWebhookDelivery>> {
        let mut db = self.write();
        let tx = db.transaction()?;
        tx.execute(
            "INSERT INTO webhook_attempts
                 (delivery_id, attempt, started_at, status, latency_ms, response, error_code, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                attempt.delivery_id,
                attempt.attempt,
                attempt.started_at,
                attempt.status,
                attempt.latency_ms,
                attempt.response,
                attempt.error_code,
                attempt.error
            ],
        )?;
        // Only a pending delivery changes: a late finish from a worker whose lease ran out
        // after another worker delivered it records its attempt and nothing else.
        let pending = "attempts = MAX(attempts, ?2), leased_until = NULL,
                       first_attempt_at = COALESCE(first_attempt_at, ?3)";
        match next {
            WebhookNext::Delivered => {
                tx.execute(
                    &format!("UPDATE webhook_deliveries SET {pending}, state = 'delivered', finished_at = ?4 WHERE id = ?1 AND state = 'pending'"),
                    params![attempt.delivery_id, attempt.attempt, attempt.started_at, now],
                )?;
            }
            WebhookNext::RetryAfter(delay) => {
                tx.execute(
                    &format!("UPDATE webhook_deliveries SET {pending}, next_attempt_at = ?4 WHERE id = ?1 AND state = 'pending'"),
                    params![attempt.delivery_id, attempt.attempt, attempt.started_at, super::after(now, *delay)],
                )?;
            }
            WebhookNext::GiveUp { reason, event } => {
                let changed = tx.execute(
                    &format!("UPDATE webhook_deliveries SET {pending}, state = 'failed', finished_at = ?4 WHERE id = ?1 AND state = 'pending'"),
                    params![attempt.delivery_id, attempt.attempt, attempt.started_at, now],
                )?;
                if changed == 1 {
                    tx.execute(
                        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, updated_at = ?3
                         WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?1)",
                        params![attempt.delivery_id, reason, now],
                    )?;
                    append_events(&tx, std::slice::from_ref(event))?;
                }
            }
        }
        let handed_over = match claim_next {
            Some((at, lease_until)) => {
                let endpoint: String = tx.query_row(
                    "SELECT endpoint_id FROM webhook_deliveries WHERE id = ?1",
                    [attempt.delivery_id],
                    |r| r.get(0),
                )?;
                claim_heads(&tx, Some(&endpoint), at, lease_until, 1)?.pop()
            }
            None => None,
        };
        tx.commit()?;
        Ok(handed_over)
    }

    /// An endpoint's deliveries, newest first, with their attempts (oldest first).
    pub fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: usize,
    ) -> Result<Vec<(WebhookDeliveryRow, Vec<WebhookAttemptRow>)>> {
        let db = self.read();
        let deliveries: Vec<WebhookDeliveryRow> = {
            let mut statement = db.prepare_cached(
                "SELECT d.id, d.endpoint_id, d.event_seq, d.event_id, COALESCE(ev.type, ''), d.state,
                        d.attempts, d.first_attempt_at, d.next_attempt_at, d.created_at, d.finished_at
                 FROM webhook_deliveries d LEFT JOIN events ev ON ev.seq = d.event_seq
                 WHERE d.endpoint_id = ?1 ORDER BY d.id DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![endpoint_id, limit as i64], |r| {
                Ok(WebhookDeliveryRow {
                    id: r.get(0)?,
                    endpoint_id: r.get(1)?,
                    event_seq: r.get(2)?,
                    event_id: r.get(3)?,
                    event_type: r.get(4)?,
                    state: r.get(5)?,
                    attempts: r.get(6)?,
                    first_attempt_at: r.get(7)?,
                    next_attempt_at: r.get(8)?,
                    created_at: r.get(9)?,
                    finished_at: r.get(10)?,
                })
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut attempts = db.prepare_cached(
            "SELECT delivery_id, attempt, started_at, status, latency_ms, response, error_code, error
             FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY id LIMIT 100",
        )?;
        let mut out = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let rows = attempts.query_map([delivery.id], |r| {
                Ok(WebhookAttemptRow {
                    delivery_id: r.get(0)?,
                    attempt: r.get(1)?,
                    started_at: r.get(2)?,
                    status: r.get(3)?,
                    latency_ms: r.get(4)?,
                    response: r.get(5)?,
                    error_code: r.get(6)?,
                    error: r.get(7)?,
                })
            })?;
            out.push((delivery, rows.collect::<rusqlite::Result<_>>()?));
        }
        Ok(out)
    }

    /// Queues the event of delivery `delivery_id` again for its endpoint, behind what is
    /// already queued; the new delivery's id, or `None` when there is no such delivery.
    pub fn redeliver_webhook(
        &self,
        endpoint_id: &str,
        delivery_id: i64,
        now: &str,
    ) -> Result<Option<i64>> {
        let db = self.write();
        let inserted = db.execute(
            "INSERT INTO webhook_deliveries
                 (endpoint_id, event_seq, event_id, state, next_attempt_at, created_at)
             SELECT endpoint_id, event_seq, event_id, 'pending', ?3, ?3
             FROM webhook_deliveries WHERE id = ?2 AND endpoint_id = ?1",
            params![endpoint_id, delivery_id, now],
        )?;
        Ok((inserted == 1).then(|| db.last_insert_rowid()))
    }

    /// Drops every delivery lease. For a server starting on its own SQLite file: the leases
    /// there were held by its previous process, which is gone (killed mid-attempt), and
    /// waiting for them to expire would only delay those deliveries. Every lease, whatever
    /// `node` asks: this process is the only one on the file.
    pub fn release_webhook_leases(&self, _node: &str) -> Result<usize> {
        Ok(self.write().execute(
            "UPDATE webhook_deliveries SET leased_until = NULL
             WHERE state = 'pending' AND leased_until IS NOT NULL",
            [],
        )?)
    }

    /// Deletes up to `limit` finished (delivered or failed) deliveries that finished more
    /// than `kept_for` before `now` (this process's clock, which is the database's: one
    /// process per SQLite file), with their attempts; pending ones are never touched.
    pub fn prune_webhook_deliveries(
        &self,
        kept_for: std::time::Duration,
        now: &str,
        limit: usize,
    ) -> Result<usize> {
        // Kept that long from before any time there is: nothing is old enough.
        let Some(finished_before) = super::before(now, kept_for) else {
            return Ok(0);
        };
        Ok(self.write().execute(
            "DELETE FROM webhook_deliveries WHERE id IN (
                 SELECT id FROM webhook_deliveries
                 WHERE state != 'pending' AND finished_at < ?1 ORDER BY id LIMIT ?2)",
            params![finished_before, limit as i64],
        )?)
    }

    /// Deliveries still pending (all endpoints), for tests and the status of the outbox.
    pub fn pending_webhook_deliveries(&self) -> Result<i64> {
        Ok(self.read().query_row(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Whether the worker has anything to look at: events not yet fanned out, or a pending
    /// delivery due by `now`. A read, so an idle worker never takes the write lock.
    pub fn webhook_work_waiting(&self, now: &str) -> Result<bool> {
        Ok(self.read().query_row(
            "SELECT EXISTS(SELECT 1 FROM events WHERE seq > (SELECT last_seq FROM webhook_fanout WHERE id = 1))
                 OR EXISTS(SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?1)",
            [now],
            |r| r.get(0),
        )?)
    }
}
