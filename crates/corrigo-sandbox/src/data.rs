//! The sandbox's records: a generated Corrigo company (see unifield-corrigo-seed) plus
//! Corrigo's default work-order priorities, indexed by entity and id.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use unifield_corrigo_seed::{Company, Scale};

/// Records by entity (canonical name), each list ordered by Id.
pub struct Data {
    entities: BTreeMap<&'static str, Vec<Value>>,
}

/// The entities the sandbox serves, spelled as Corrigo spells them.
pub const ENTITIES: [&str; 10] = [
    "WorkZone",
    "Location",
    "Employee",
    "Customer",
    "Product",
    "WorkOrder",
    "WoPriority",
    "Model",
    "Task",
    "Contact",
];

impl Data {
    pub fn generate(seed: u64, work_orders: usize) -> Data {
        let company = Company::generate(
            seed,
            Scale {
                work_orders,
                ..Scale::SAMPLES
            },
        );
        let mut entities = BTreeMap::new();
        // Every served entity the generator makes; WoPriority is added below.
        for entity in ENTITIES {
            if let Some(mut records) = company.records(entity) {
                records.sort_by_key(|r| r["Id"].as_i64());
                entities.insert(entity, records);
            }
        }
        // Corrigo's default priorities, as the published WoPriority query returns them.
        let priorities = [
            ("Emergency (30 Min Response)", true, 30, 120, 240),
            ("Urgent (2 Hr Response)", false, 120, 360, 1440),
            ("Normal (2 Day Response)", false, 1440, 2880, 7200),
            ("Routine (5 Day Response)", false, 7200, 9000, 28800),
            ("Scheduled", false, 10800, 13800, 43200),
            ("Project", false, 2880, 25200, 43200),
        ];
        let priorities = priorities
            .iter()
            .enumerate()
            .map(|(i, (name, emergency, ack, respond, due))| {
                json!({"DisplayAs": name, "IsEmergency": emergency, "AcknowledgeInMinutes": ack,
                       "RespondInMinutes": respond, "DueInMinutes": due, "Id": i + 1})
            })
            .collect();
        entities.insert("WoPriority", priorities);
        Data { entities }
    }

    /// The canonical spelling of an entity name given in any case.
    pub fn entity(name: &str) -> Option<&'static str> {
        ENTITIES
            .iter()
            .find(|e| e.eq_ignore_ascii_case(name))
            .copied()
    }

    pub fn records(&self, entity: &str) -> &[Value] {
        self.entities.get(entity).map_or(&[], Vec::as_slice)
    }

    pub fn get(&self, entity: &str, id: i64) -> Option<&Value> {
        let records = self.records(entity);
        records
            .binary_search_by_key(&Some(id), |r| r["Id"].as_i64())
            .ok()
            .map(|i| &records[i])
    }
}

impl Data {
    pub fn get_mut(&mut self, entity: &str, id: i64) -> Option<&mut Value> {
        let records = self.entities.get_mut(entity)?;
        let at = records
            .binary_search_by_key(&Some(id), |r| r["Id"].as_i64())
            .ok()?;
        records.get_mut(at)
    }

    /// Adds a record with the next Id (records stay in Id order) and returns that Id.
    pub fn insert(&mut self, entity: &'static str, mut record: Value) -> i64 {
        let records = self.entities.entry(entity).or_default();
        let id = records.last().and_then(|r| r["Id"].as_i64()).unwrap_or(0) + 1;
        record["Id"] = Value::from(id);
        records.push(record);
        id
    }

    /// Whether `entity` declares a property named `name` (any case), as Corrigo checks
    /// property names: against the entity's type (see schema.rs), not the records held,
    /// so a property no stored record has a value for (a work order's `Items` while none
    /// has items) is still asked for without a refusal.
    pub fn exposes(&self, entity: &str, name: &str) -> bool {
        crate::schema::declares(entity, name)
    }
}
