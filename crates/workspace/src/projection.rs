//! What a pull asks Corrigo for: exactly what the workspace's mappings read.
//!
//! Corrigo's default projection (`*`) leaves collections out and gives references as
//! just their Id, so a pull that asked for `*` caches work orders without `Items` and
//! employees without `ContactAddresses`, and coverage on those records is worse than on
//! the bundled samples. The engine lists every member path a mapping reads; the pull's
//! PropertySet names exactly those, and each run records it, so the studio can say when
//! a mapping saved since then reads something the cached records were pulled without.

use crate::{Result, Workspace};
use std::path::{Path, PathBuf};
use unifield_corrigo_client::{property_set, property_set_covers, pull_property_set};
use unifield_engine::{Mapping, MemberRead};
use unifield_store::StoreError;

/// A member path a mapping reads that some cached records were pulled without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpulledRead {
    /// The mapping that reads it (`work_order`).
    pub mapping: String,
    /// As Corrigo's PropertySet names it (`Items.*`, `Priority.DisplayAs`).
    pub property: String,
}

/// Where the studio keeps the unsaved edit of mapping `name` in the workspace at `dir`
/// (written within half a second of each edit, so it survives a crash).
pub fn draft_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("drafts").join(format!("{name}.json"))
}

impl Workspace {
    /// The mappings of Corrigo `entity` a pull serves: each one's saved (or default)
    /// version, and its unsaved studio draft when there is one that loads, so an edit
    /// that reads a new collection is fetched by the next pull, saved or not.
    fn mappings_pulled_for(&self, entity: &str) -> Result<Vec<(String, Mapping)>> {
        let dir = self.store.path().parent().unwrap_or(Path::new("."));
        let mut mappings = self.mappings_of(entity)?;
        let drafts: Vec<(String, Mapping)> = mappings
            .iter()
            .filter_map(|(name, _)| {
                let text = std::fs::read_to_string(draft_path(dir, name)).ok()?;
                Some((name.clone(), unifield_engine::load(&text, None).ok()?))
            })
            .collect();
        mappings.extend(drafts);
        Ok(mappings)
    }

    /// The workspace's mappings of Corrigo `entity`, by name: each bundled default's
    /// latest saved version, or the default itself when none is saved (or the saved text
    /// no longer loads, which the studio reports where it is edited).
    pub fn mappings_of(&self, entity: &str) -> Result<Vec<(String, Mapping)>> {
        let mut mappings = Vec::new();
        for bundled in unifield_bundle::MAPPINGS
            .iter()
            .filter(|m| m.source_entity.eq_ignore_ascii_case(entity))
        {
            let name = bundled.file.strip_suffix(".json").unwrap_or(bundled.file);
            let saved = match self.store.mapping_history(name) {
                Ok(versions) => versions.into_iter().next().map(|v| v.text),
                Err(StoreError::UnknownMapping(_)) => None,
                Err(e) => return Err(e.into()),
            };
            let loaded = match saved.and_then(|text| unifield_engine::load(&text, None).ok()) {
                Some(mapping) => mapping,
                None => unifield_engine::load(bundled.text, None)
                    .expect("bundled mappings load (the bundle's tests load each)"),
            };
            mappings.push((name.to_string(), loaded));
        }
        Ok(mappings)
    }

    /// The PropertySet a pull of `entity` asks for: `*` (every scalar and each
    /// reference's Id, so the studio's source tree shows what there is to map) plus
    /// exactly the member paths the workspace's mappings (saved, and unsaved drafts)
    /// read that `*` leaves out:
    /// collections (`Items.*`) and members of references or value objects
    /// (`MainAsset.TypeId`, `Info.TagId`).
    pub fn pull_properties(&self, entity: &str) -> Result<Vec<String>> {
        let mut reads: Vec<MemberRead> = Vec::new();
        for (_, mapping) in self.mappings_pulled_for(entity)? {
            // A mapping whose paths can reach anywhere (`$..Id`) gets `*` and the
            // others' reads: there is no projection that names "anywhere".
            reads.extend(mapping.member_reads().unwrap_or_default());
        }
        Ok(pull_property_set(
            reads.iter().map(|r| (r.names.as_slice(), r.whole)),
        ))
    }

    /// What the workspace's mappings of `entity` (saved, and unsaved drafts) read that some
    /// of the connection's cached records were pulled without (a mapping edited since
    /// reads a new collection or member): a new pull fetches it. Empty when nothing is cached or nothing is missing.
    pub fn unpulled_reads(&self, connection: &str, entity: &str) -> Result<Vec<UnpulledRead>> {
        let pulled = self.store.cached_properties(connection, entity)?;
        let mut missing = Vec::new();
        for (name, mapping) in self.mappings_pulled_for(entity)? {
            for read in mapping.member_reads().unwrap_or_default() {
                if pulled
                    .iter()
                    .any(|set| !property_set_covers(set, &read.names, read.whole))
                {
                    let property = property_set([(read.names.as_slice(), read.whole)]);
                    let read = UnpulledRead {
                        mapping: name.clone(),
                        property: property.into_iter().next().unwrap_or_default(),
                    };
                    if !missing.contains(&read) {
                        missing.push(read);
                    }
                }
            }
        }
        Ok(missing)
    }
}
