//! Everything the studio's UI can ask for, with no Tauri in sight: the Tauri shell's
//! commands are a few lines each that call these, and the tests call them directly.
//!
//! One [`Studio`] per open workspace. Records are read into memory per source and entity
//! the first time they are needed (the bundled samples, or a connection's cache), so that
//! re-previewing and coverage never wait on disk.

mod bounded_file;
mod connections;
mod error;
pub mod layout;
mod mappings;
mod records;
mod results;
pub mod servers;
pub mod types;
mod typescript;

pub use connections::{test_connection, KeyringWork, PullJob};
pub use error::{Location, Result, ServiceError};
pub use mappings::diff_documents;
pub use records::RecordSet;
pub use results::CoverageRun;
pub use typescript::typescript;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use types::{
    EntityCount, EnumValueInfo, MappingSummary, ParamInfo, RecordList, RecordPage, RecordSource,
    RecordSourceInfo, RecordTree, TargetEntity, TargetField, TransformInfo, WorkspaceInfo,
};
use unifield_model::FieldType;
use unifield_workspace::{Cancellation, SecretStore, Workspace};

/// The canonical text of a mapping (model fields in model order, tables sorted, as
/// `unifield fmt` writes it): what saving stores. The UI puts it in the editor before
/// saving, so that saving never changes the text under the user.
pub fn canonical_text(text: &str) -> Result<String> {
    Ok(mappings::checked(text, None)?.doc.to_canonical_json())
}

/// Set by the UI's Cancel. Coverage checks it between chunks; a pull hands it to the
/// Corrigo client, where it ends the request in flight or the wait before a retry.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Cancellation);

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// The client-side signal this cancel sets.
    pub fn cancellation(&self) -> Cancellation {
        self.0.clone()
    }
}

pub struct Studio {
    workspace: Workspace,
    dir: PathBuf,
    sets: HashMap<(RecordSource, String), Arc<RecordSet>>,
    /// Related records for `lookup` steps, by source and entity list.
    related: HashMap<(RecordSource, String), Arc<unifield_engine::Related>>,
    /// Bumped whenever held records are forgotten: a set read before then is stale.
    generation: u64,
    /// The keyring, for connection servers' API keys (see `servers`).
    secrets: Arc<dyn SecretStore>,
}

impl Studio {
    /// Opens (creating if needed) the workspace in `dir`. A new workspace is the bundled
    /// offline one: the samples and the default mappings, with no account and no network.
    pub fn open(dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Studio> {
        let workspace = Workspace::open(dir, Arc::clone(&secrets))?;
        mappings::tighten_drafts(dir)?;
        Ok(Studio {
            workspace,
            dir: dir.to_path_buf(),
            sets: HashMap::new(),
            related: HashMap::new(),
            generation: 0,
            secrets,
        })
    }

    pub fn info(&self) -> Result<WorkspaceInfo> {
        let mut sources = vec![RecordSourceInfo {
            source: RecordSource::Samples,
            label: "Bundled samples (offline)".into(),
            counts: unifield_bundle::SAMPLES
                .iter()
                .map(|(entity, text)| EntityCount {
                    entity: entity.to_string(),
                    records: text.lines().filter(|l| !l.trim().is_empty()).count() as u32,
                })
                .collect(),
        }];
        for connection in self.connections()? {
            sources.push(RecordSourceInfo {
                source: RecordSource::Connection {
                    name: connection.name.clone(),
                },
                label: format!("{} ({})", connection.name, connection.company),
                counts: connection.counts,
            });
        }
        let mappings = mappings::bundled()
            .iter()
            .map(|b| {
                let state = self.mapping(b.name)?;
                Ok(MappingSummary {
                    name: b.name.to_string(),
                    title: b.title.clone(),
                    source_entity: b.source_entity.to_string(),
                    target_entity: b.target_entity.to_string(),
                    version: state.version,
                    has_draft: state.draft.is_some(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(WorkspaceInfo {
            dir: self.dir.display().to_string(),
            sources,
            mappings,
            model: model_info(),
            transforms: transforms_info(),
        })
    }

    /// The records of `entity` (a Corrigo entity such as `WorkOrder`) from `source`.
    pub fn records(&mut self, source: &RecordSource, entity: &str) -> Result<Arc<RecordSet>> {
        if let Some(set) = self.sets.get(&(source.clone(), entity.to_string())) {
            return Ok(Arc::clone(set));
        }
        let set = read_records(&self.workspace, source, entity)?;
        Ok(self.hold(source, entity, self.generation, set))
    }

    /// Whether the records of `entity` from `source` are in memory already.
    pub fn holds(&self, source: &RecordSource, entity: &str) -> bool {
        self.sets
            .contains_key(&(source.clone(), entity.to_string()))
    }

    /// A reader of records that works without the studio (its own connection to the
    /// workspace): read with it, then [`Studio::hold`] what it read. A caller that keeps the
    /// studio behind a lock so never holds that lock while records come off the disk.
    pub fn record_reader(&self) -> Result<RecordReader> {
        Ok(RecordReader {
            workspace: self.workspace.reopen()?,
            generation: self.generation,
        })
    }

    /// Keeps a set a [`RecordReader`] read. The first set held for a source and entity
    /// wins; a set read before the records were forgotten (a pull changed them) is
    /// returned for this use but not kept.
    pub fn hold(
        &mut self,
        source: &RecordSource,
        entity: &str,
        generation: u64,
        set: RecordSet,
    ) -> Arc<RecordSet> {
        let set = Arc::new(set);
        if generation != self.generation {
            return set;
        }
        Arc::clone(
            self.sets
                .entry((source.clone(), entity.to_string()))
                .or_insert(set),
        )
    }

    /// Forgets the records held for a connection (after a pull changed its cache).
    pub fn forget(&mut self, connection: &str) {
        let other = |source: &RecordSource| !matches!(source, RecordSource::Connection { name } if name == connection);
        self.sets.retain(|(source, _), _| other(source));
        self.related.retain(|(source, _), _| other(source));
        self.generation += 1;
    }

    pub fn list_records(
        &mut self,
        source: &RecordSource,
        entity: &str,
        query: &str,
    ) -> Result<RecordList> {
        let set = self.records(source, entity)?;
        Ok(RecordList {
            total: set.len() as u32,
            rows: set.search(query),
        })
    }

    /// One window of the records that match `query` ([`RecordSet::search_page`]).
    pub fn record_page(
        &mut self,
        source: &RecordSource,
        entity: &str,
        query: &str,
        window: (usize, usize),
        selected: Option<&str>,
    ) -> Result<RecordPage> {
        let (offset, limit) = window;
        Ok(self
            .records(source, entity)?
            .search_page(query, offset, limit, selected))
    }

    pub fn record_tree(
        &mut self,
        source: &RecordSource,
        entity: &str,
        id: &str,
    ) -> Result<RecordTree> {
        self.records(source, entity)?
            .tree(id)
            .ok_or_else(|| unknown_record(entity, id))
    }

    pub fn record(
        &mut self,
        source: &RecordSource,
        entity: &str,
        id: &str,
    ) -> Result<serde_json::Value> {
        self.records(source, entity)?
            .find(id)
            .ok_or_else(|| unknown_record(entity, id))
    }
}

/// Reads records for [`Studio::records`] and [`RecordReader::read`]: the bundled samples
/// from memory, a connection's cache from the workspace's SQLite file.
fn read_records(workspace: &Workspace, source: &RecordSource, entity: &str) -> Result<RecordSet> {
    let records: Vec<Box<str>> = match source {
        RecordSource::Samples => {
            let text = unifield_bundle::samples(entity).ok_or_else(|| {
                ServiceError::new(
                    "unknown_entity",
                    format!("the bundled samples have no `{entity}` records"),
                )
            })?;
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(Box::from)
                .collect()
        }
        RecordSource::Connection { name } => {
            let mut records = Vec::new();
            workspace
                .store
                .for_each_record_text(name, entity, |_, json| {
                    records.push(Box::from(json));
                    true
                })?;
            records
        }
    };
    RecordSet::new(records).map_err(|(at, error)| {
        ServiceError::new(
            "unreadable_record",
            format!(
                "{entity} record {} of {source:?} is not a JSON record: {error}",
                at + 1
            ),
        )
    })
}

/// Reads records without the studio; see [`Studio::record_reader`].
pub struct RecordReader {
    workspace: Workspace,
    generation: u64,
}

impl RecordReader {
    /// The records of `entity` from `source`, and the generation to pass to [`Studio::hold`].
    pub fn read(&self, source: &RecordSource, entity: &str) -> Result<(u64, RecordSet)> {
        Ok((
            self.generation,
            read_records(&self.workspace, source, entity)?,
        ))
    }
}

/// The source entities a mapping's text reads records of: its own, then those its
/// `lookup` steps read. Empty when the text does not load.
pub fn entities_read(text: &str) -> Vec<String> {
    match unifield_engine::load(text, None) {
        Ok(mapping) => std::iter::once(mapping.doc.source.entity.clone())
            .chain(mapping.related_entities().into_iter().map(str::to_string))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn unknown_record(entity: &str, id: &str) -> ServiceError {
    ServiceError::new(
        "unknown_record",
        format!("there is no {entity} record with id `{id}` in this source"),
    )
}

fn model_info() -> Vec<TargetEntity> {
    unifield_model::model()
        .entities
        .iter()
        .map(|entity| TargetEntity {
            name: entity.name.into(),
            description: entity.description.into(),
            fields: entity
                .fields
                .iter()
                .map(|f| TargetField {
                    name: f.name.into(),
                    kind: f.ty.name().into(),
                    ty: f.ty.describe(),
                    required: f.required,
                    description: f.description.into(),
                    enum_values: match &f.ty {
                        FieldType::Enum(values) => values
                            .iter()
                            .map(|v| EnumValueInfo {
                                name: v.name.into(),
                                description: v.description.into(),
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
        })
        .collect()
}

fn transforms_info() -> Vec<TransformInfo> {
    unifield_engine::transform::registry()
        .iter()
        .map(|t| TransformInfo {
            name: t.name.into(),
            doc: t.doc.into(),
            accepts: t.accepts.describe(),
            example: t.example.into(),
            params: t
                .params
                .iter()
                .map(|p| ParamInfo {
                    name: p.name.into(),
                    kind: p.kind.name().into(),
                    required: p.required,
                    doc: p.doc.into(),
                })
                .collect(),
        })
        .collect()
}
