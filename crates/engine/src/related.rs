//! Related records supplied beside the input, for `lookup` steps (priorities, employees…).

use crate::path::Selector;
use crate::transform::key_text;
use serde_json::Value;
use std::collections::HashMap;

/// Records of other entities, indexed by key.
#[derive(Debug, Default, Clone)]
pub struct Related {
    entities: HashMap<String, HashMap<String, Value>>,
}

impl Related {
    /// Adds `records` of `entity`, indexed by the text of the value at `key`.
    /// Records with no key are skipped; a later record with the same key wins.
    pub fn add(&mut self, entity: &str, key: &Selector, records: impl IntoIterator<Item = Value>) {
        let index = self.entities.entry(entity.to_string()).or_default();
        for record in records {
            if let Some(text) = key.get(&record).and_then(key_text) {
                index.insert(text, record);
            }
        }
    }

    pub fn entity(&self, name: &str) -> Option<&HashMap<String, Value>> {
        self.entities.get(name)
    }

    pub fn entity_names(&self) -> impl Iterator<Item = &str> {
        self.entities.keys().map(String::as_str)
    }
}
