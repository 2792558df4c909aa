//! What each pull asked the source for (its Corrigo PropertySet), so the studio can say
//! when cached records predate a mapping that now reads more (migration 0003).

use crate::{Result, Store, StoreError};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Records the PropertySet a pull asks the source for.
    pub fn set_pull_properties(&self, run_id: i64, properties: &[String]) -> Result<()> {
        let text = serde_json::to_string(properties).expect("strings serialize");
        let changed = self.db.execute(
            "UPDATE pull_runs SET properties = ?2 WHERE id = ?1",
            params![run_id, text],
        )?;
        if changed == 0 {
            return Err(StoreError::PullNotRunning(run_id));
        }
        Ok(())
    }

    /// The PropertySet a run asked for; `None` for a run from before they were kept.
    pub fn run_properties(&self, run_id: i64) -> Result<Option<Vec<String>>> {
        let text: Option<String> = self
            .db
            .query_row(
                "SELECT properties FROM pull_runs WHERE id = ?1",
                [run_id],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(StoreError::PullNotRunning(run_id))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The PropertySet of each pull whose records may still be in the cache for `entity`:
    /// every run that committed a page, back to the latest completed full pull (one with
    /// no `since`), which refreshed every record before it. A run from before properties
    /// were kept counts as `["*"]`, which is what it asked for. Empty when nothing was
    /// pulled.
    pub fn cached_properties(&self, connection: &str, entity: &str) -> Result<Vec<Vec<String>>> {
        let connection_id = self.connection(connection)?.id;
        let mut statement = self.db.prepare(
            "SELECT properties FROM pull_runs WHERE connection_id = ?1 AND entity = ?2 AND pages > 0
               AND id >= COALESCE((SELECT MAX(id) FROM pull_runs WHERE connection_id = ?1 AND entity = ?2
                                     AND status = 'completed' AND since IS NULL AND pages > 0), 0)
             ORDER BY id DESC",
        )?;
        let rows = statement.query_map(params![connection_id, entity], |row| {
            row.get::<_, Option<String>>(0)
        })?;
        let mut sets = Vec::new();
        for text in rows {
            let set = match text? {
                None => vec!["*".to_string()],
                // Written by `set_pull_properties`; anything else reads as the old default.
                Some(text) => serde_json::from_str(&text).unwrap_or_else(|_| vec!["*".to_string()]),
            };
            sets.push(set);
        }
        Ok(sets)
    }
}
