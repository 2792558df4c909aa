//! Pulling a connection's records into the workspace: page by page, each page committed
//! with the run's cursor in one transaction, so an interrupted pull resumes where its last
//! committed page ended, and nothing is lost or duplicated.

use crate::{Result, Workspace, WorkspaceError};
use chrono::Utc;
use serde_json::Value;
use std::sync::Arc;
use unifield_corrigo_client::{Cancellation, ClientError, Filter, Operator, QueryExpression};
use unifield_store::{PageOutcome, PullStatus};

#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Only records whose LastActionDateUtc is at or after this time (incremental pull).
    pub since: Option<String>,
    /// Stop after this many records.
    pub limit: Option<usize>,
    /// Continue the entity's unfinished pull from its cursor instead of starting anew.
    pub resume: bool,
    pub page_size: usize,
    /// Pages fetched at once.
    pub concurrency: usize,
    /// Stops the pull at once, even mid-request or while waiting to retry: the run ends
    /// `cancelled` with the pages committed so far (a later `resume` carries on).
    pub cancel: Option<Cancellation>,
}

impl Default for PullOptions {
    fn default() -> PullOptions {
        PullOptions {
            since: None,
            limit: None,
            resume: false,
            page_size: 500,
            concurrency: 4,
            cancel: None,
        }
    }
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq)]
pub struct PullSummary {
    pub run_id: i64,
    pub resumed: bool,
    pub pages: u64,
    pub records: u64,
    pub outcome: PageOutcome,
    pub status: PullStatus,
}

impl Workspace {
    /// Pulls `entity` from the named connection. `progress(pages, records)` is called after
    /// each committed page and returns false to cancel: the run then ends as `cancelled`
    /// after that page (a later pull with `resume` carries on from it). A failure ends the
    /// run (as `reauthorization_required` when the credentials were refused) and is
    /// returned; committed pages stay.
    pub async fn pull(
        &mut self,
        connection: &str,
        entity: &str,
        options: &PullOptions,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<PullSummary> {
        let mut client = self.client(connection)?;
        if let Some(cancel) = &options.cancel {
            client = client.with_cancellation(cancel.clone());
        }
        let client = Arc::new(client);
        let properties = self.pull_properties(entity)?;
        let unfinished = if options.resume {
            self.store.unfinished_pull(connection, entity)?
        } else {
            None
        };
        // A run that asked for other properties is not resumed: its pages and the rest
        // would hold different members. A fresh run fetches everything again. (A run
        // that recorded none, from before runs kept them, is resumed as it always was.)
        let unfinished = match unfinished {
            Some(run)
                if self
                    .store
                    .run_properties(run.id)?
                    .is_some_and(|asked| asked != properties) =>
            {
                None
            }
            other => other,
        };
        let resumed = unfinished.is_some();
        let run = match unfinished {
            // Cancelled or interrupted: this pull becomes its owner, or is refused while
            // another live pull (the studio, the CLI) holds it.
            Some(run) => self.store.claim_pull(run.id, Utc::now())?,
            None => {
                self.store
                    .begin_pull(connection, entity, options.since.as_deref(), Utc::now())?
            }
        };
        let mut criteria = Filter::and();
        if let Some(since) = run.since.as_deref() {
            criteria = criteria.condition("LastActionDateUtc", Operator::GreaterOrEqual, &[since]);
        }
        if let Some(cursor) = run.cursor.as_deref() {
            criteria = criteria.condition("Id", Operator::GreaterThan, &[cursor]);
        }
        self.store.set_pull_properties(run.id, &properties)?;
        let expression = QueryExpression {
            properties,
            ..QueryExpression::default()
        }
        .criteria(criteria);
        let mut summary = PullSummary {
            run_id: run.id,
            resumed,
            pages: 0,
            records: 0,
            outcome: PageOutcome::default(),
            status: PullStatus::Running,
        };
        let mut commit_error = None;
        let mut cancelled = false;
        let store = &mut self.store;
        let pulled = client
            .pull_text(
                entity,
                expression,
                options.page_size,
                options.concurrency,
                |_, mut records| {
                    if let Some(limit) = options.limit {
                        records.truncate(limit.saturating_sub(summary.records as usize));
                    }
                    if records.is_empty() {
                        return false;
                    }
                    // Stored as the text Corrigo sent: no record is parsed into a value.
                    let page: Vec<(String, String)> = records
                        .into_iter()
                        .map(|r| (source_id(&r.id), r.json))
                        .collect();
                    let cursor = page.last().map(|(id, _)| id.clone());
                    match store.commit_page_text(run.id, &page, cursor.as_deref(), Utc::now()) {
                        Ok(outcome) => {
                            summary.pages += 1;
                            summary.records += page.len() as u64;
                            summary.outcome.inserted += outcome.inserted;
                            summary.outcome.updated += outcome.updated;
                            summary.outcome.unchanged += outcome.unchanged;
                            if !progress(summary.pages, summary.records) {
                                cancelled = true;
                                return false;
                            }
                            options
                                .limit
                                .is_none_or(|limit| (summary.records as usize) < limit)
                        }
                        Err(error) => {
                            commit_error = Some(error);
                            false
                        }
                    }
                },
            )
            .await;
        if let Some(error) = commit_error {
            self.store.finish_pull(
                run.id,
                PullStatus::Failed,
                Some(&error.to_string()),
                Utc::now(),
            )?;
            return Err(error.into());
        }
        match pulled {
            // Cancelled mid-request: what was committed stays, and the run can resume.
            Ok(()) | Err(ClientError::Cancelled) => {
                cancelled |= pulled.is_err();
                summary.status = if cancelled {
                    PullStatus::Cancelled
                } else {
                    PullStatus::Completed
                };
                self.store
                    .finish_pull(run.id, summary.status, None, Utc::now())?;
                Ok(summary)
            }
            Err(error) => {
                let status = match &error {
                    ClientError::ReauthorizationRequired(_) => PullStatus::ReauthorizationRequired,
                    _ => PullStatus::Failed,
                };
                self.store
                    .finish_pull(run.id, status, Some(&error.to_string()), Utc::now())?;
                Err(WorkspaceError::Corrigo(error))
            }
        }
    }
}

/// A record's id as text: Corrigo's numeric `Id` (null when the record has none).
fn source_id(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
