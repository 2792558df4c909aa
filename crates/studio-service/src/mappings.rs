//! The workspace's mappings: the bundled defaults, saved versions (append-only history),
//! drafts that survive a crash, diffs between versions, import and export.

use crate::error::{Result, ServiceError};
use crate::types::{Change, Exported, ImportedMapping, MappingDiff, MappingState, VersionInfo};
use crate::Studio;
use chrono::Utc;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use unifield_bundle::MAPPINGS;
use unifield_store::files::{self, Readers};

/// One bundled default mapping with what the studio shows of it, read once.
pub(crate) struct Bundled {
    /// `work_order`: the file stem, the mapping's name in the workspace.
    pub name: &'static str,
    pub title: String,
    pub source_entity: &'static str,
    pub target_entity: &'static str,
    pub text: &'static str,
}

/// The bundled defaults, in bundle order. (The bundle's own tests load every one.)
pub(crate) fn bundled() -> &'static [Bundled] {
    static BUNDLED: OnceLock<Vec<Bundled>> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        MAPPINGS
            .iter()
            .map(|m| {
                let loaded = unifield_engine::load(m.text, None).expect("bundled mappings load");
                Bundled {
                    name: m.file.strip_suffix(".json").unwrap_or(m.file),
                    title: loaded.doc.name.clone(),
                    source_entity: m.source_entity,
                    target_entity: loaded.entity.name,
                    text: m.text,
                }
            })
            .collect()
    })
}

/// The bundled default behind a mapping name (`work_order`).
pub(crate) fn default_mapping(name: &str) -> Result<&'static Bundled> {
    bundled().iter().find(|m| m.name == name).ok_or_else(|| {
        ServiceError::new(
            "unknown_mapping",
            format!("there is no mapping named `{name}` in this workspace"),
        )
    })
}

/// Loads `text`, refusing it (with every located error) when it cannot be used.
pub(crate) fn checked(text: &str, file: Option<&str>) -> Result<unifield_engine::Mapping> {
    unifield_engine::load(text, file).map_err(|e| ServiceError::invalid_mapping(&e.problems))
}

/// The largest mapping file the studio reads or keeps as a draft. The default mappings are
/// a few KiB; a file far larger is a mistake or an attack, and is refused before it is read.
pub const MAX_MAPPING_BYTES: u64 = 4 << 20;

/// Writes through a fresh temporary file beside `path` and a rename, synced (see
/// `unifield_store::files`): a crash leaves the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str, readers: Readers) -> Result<()> {
    files::write_atomically(path, text.as_bytes(), readers).map_err(|e| {
        ServiceError::new(
            "write_failed",
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// Reads a text file of at most [`MAX_MAPPING_BYTES`], refusing a larger one unread (its
/// size in the `Err`), through the same bounded reader as the studio's other files: a FIFO
/// or a device at the path is refused instead of blocking or being read without end.
fn read_bounded(path: &Path) -> std::io::Result<std::result::Result<String, u64>> {
    use crate::bounded_file::{read_regular_file, BoundedReadError};
    use std::io::{Error, ErrorKind};
    match read_regular_file(path, MAX_MAPPING_BYTES) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Ok)
            .map_err(|_| Error::new(ErrorKind::InvalidData, "stream did not contain valid UTF-8")),
        Err(BoundedReadError::TooLarge { bytes, .. }) => Ok(Err(bytes)),
        Err(BoundedReadError::Io(e)) => Err(e),
        Err(other @ BoundedReadError::NotFound) => {
            Err(Error::new(ErrorKind::NotFound, other.to_string()))
        }
        Err(other @ BoundedReadError::NotAFile(_)) => {
            Err(Error::new(ErrorKind::InvalidInput, other.to_string()))
        }
    }
}

/// Makes the drafts of a workspace made before drafts were private 0700/0600.
pub(crate) fn tighten_drafts(dir: &Path) -> Result<()> {
    let drafts = dir.join("drafts");
    let fail = |e: std::io::Error| {
        ServiceError::new(
            "write_failed",
            format!("cannot make {} private: {e}", drafts.display()),
        )
    };
    let Ok(entries) = std::fs::read_dir(&drafts) else {
        return Ok(());
    };
    files::restrict(&drafts, 0o700).map_err(fail)?;
    for entry in entries.flatten() {
        files::restrict(&entry.path(), 0o600).map_err(fail)?;
    }
    Ok(())
}

impl Studio {
    fn draft_path(&self, name: &str) -> PathBuf {
        // The pull reads drafts too (what an edit reads is fetched before it is saved).
        unifield_workspace::draft_path(&self.dir, name)
    }

    /// The draft's text; a draft too large to be one (the studio never writes one) is
    /// ignored rather than loaded.
    pub(crate) fn draft(&self, name: &str) -> Option<String> {
        read_bounded(&self.draft_path(name)).ok()?.ok()
    }

    /// The latest saved text and version, or the bundled default (no version).
    fn saved(&self, name: &str) -> Result<(String, Option<u32>)> {
        let default = default_mapping(name)?;
        match self.workspace.store.mapping_history(name) {
            Ok(versions) => {
                let latest = &versions[0];
                Ok((latest.text.clone(), Some(latest.version)))
            }
            Err(unifield_workspace::StoreError::UnknownMapping(_)) => {
                Ok((default.text.to_string(), None))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn mapping(&self, name: &str) -> Result<MappingState> {
        let (saved_text, version) = self.saved(name)?;
        let draft = self.draft(name).filter(|d| *d != saved_text);
        Ok(MappingState {
            name: name.to_string(),
            saved_text,
            version,
            draft,
        })
    }

    /// Keeps unsaved work on disk. A draft equal to the saved text is removed.
    pub fn save_draft(&self, name: &str, text: &str) -> Result<()> {
        let (saved, _) = self.saved(name)?;
        if text == saved {
            return self.discard_draft(name);
        }
        if text.len() as u64 > MAX_MAPPING_BYTES {
            return Err(too_large("the draft", text.len() as u64));
        }
        let path = self.draft_path(name);
        // Drafts are workspace data: a private folder, private files.
        files::create_private_dir(path.parent().expect("drafts dir")).map_err(|e| {
            ServiceError::new(
                "write_failed",
                format!("cannot create the drafts folder: {e}"),
            )
        })?;
        write_atomically(&path, text, Readers::Owner)
    }

    pub fn discard_draft(&self, name: &str) -> Result<()> {
        default_mapping(name)?;
        match std::fs::remove_file(self.draft_path(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ServiceError::new(
                "write_failed",
                format!("cannot remove the draft of `{name}`: {e}"),
            )),
            _ => Ok(()),
        }
    }

    /// Saves `text` (canonicalised) as the mapping's next version and drops its draft.
    /// A mapping that does not load is refused and nothing changes.
    pub fn save_mapping(
        &mut self,
        name: &str,
        text: &str,
        message: Option<&str>,
    ) -> Result<VersionInfo> {
        default_mapping(name)?;
        // History is append-only: an oversized version would stay in the workspace forever.
        if text.len() as u64 > MAX_MAPPING_BYTES {
            return Err(too_large("the mapping", text.len() as u64));
        }
        let mapping = checked(text, None)?;
        let canonical = mapping.doc.to_canonical_json();
        let message = message.map(str::trim).filter(|m| !m.is_empty());
        let saved = self
            .workspace
            .store
            .save_mapping(name, &canonical, message, Utc::now())?;
        self.discard_draft(name)?;
        Ok(version_info(&saved))
    }

    /// Every saved version, newest first (empty while only the default exists).
    pub fn history(&self, name: &str) -> Result<Vec<VersionInfo>> {
        default_mapping(name)?;
        match self.workspace.store.mapping_history(name) {
            Ok(versions) => Ok(versions.iter().map(version_info).collect()),
            Err(unifield_workspace::StoreError::UnknownMapping(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    pub fn version_text(&self, name: &str, version: u32) -> Result<String> {
        default_mapping(name)?;
        Ok(self.workspace.store.mapping_version(name, version)?.text)
    }

    /// A saved version's text, where version 0 is the bundled default.
    fn text_at(&self, name: &str, version: u32) -> Result<String> {
        match version {
            0 => Ok(default_mapping(name)?.text.to_string()),
            v => self.version_text(name, v),
        }
    }

    /// Field-by-field changes from version `from` to version `to` (0 is the bundled default).
    pub fn diff(&self, name: &str, from: u32, to: u32) -> Result<MappingDiff> {
        let text = |version: u32| -> Result<Value> {
            serde_json::from_str(&self.text_at(name, version)?).map_err(|e| {
                ServiceError::new("corrupt_version", format!("version {version}: {e}"))
            })
        };
        Ok(MappingDiff {
            from,
            to,
            changes: diff_documents(&text(from)?, &text(to)?),
        })
    }

    /// Makes an old version the newest again (history stays append-only).
    pub fn restore(&mut self, name: &str, version: u32) -> Result<VersionInfo> {
        let text = self.text_at(name, version)?;
        let message = format!("restored version {version}");
        self.save_mapping(name, &text, Some(&message))
    }

    /// Writes the mapping's canonical JSON to `path`. An invalid mapping is refused.
    pub fn export_mapping(&self, text: &str, path: &Path) -> Result<Exported> {
        let canonical = checked(text, None)?.doc.to_canonical_json();
        // An export is meant to be shared: readable as any new file of the user's.
        write_atomically(path, &canonical, Readers::Anyone)?;
        Ok(Exported {
            path: path.display().to_string(),
            bytes: canonical.len() as u32,
        })
    }

    /// Reads and checks a mapping file. Nothing in the workspace changes: the caller puts
    /// the text in the editor, where it can be undone, and saves it like any edit.
    pub fn import_mapping(&self, path: &Path) -> Result<ImportedMapping> {
        let file = path.display().to_string();
        let located = |error: ServiceError| {
            error.at(crate::error::Location {
                file: Some(file.clone()),
                ..Default::default()
            })
        };
        let text = read_bounded(path)
            .map_err(|e| {
                located(ServiceError::new(
                    "unreadable_file",
                    format!("cannot read {file}: {e}"),
                ))
            })?
            .map_err(|size| located(too_large(&file, size)))?;
        let mapping = checked(&text, Some(&file))?;
        let target = mapping.entity.name;
        let name = bundled()
            .iter()
            .find(|b| b.target_entity == target)
            .map(|b| b.name)
            .ok_or_else(|| {
                ServiceError::new(
                    "no_matching_mapping",
                    format!("{file} maps to `{target}`, which no mapping of this workspace fills"),
                )
            })?;
        Ok(ImportedMapping {
            name: name.to_string(),
            text: mapping.doc.to_canonical_json(),
        })
    }
}

fn too_large(what: &str, size: u64) -> ServiceError {
    ServiceError::new(
        "file_too_large",
        format!(
            "{what} is {:.1} MiB; a mapping file may be at most {} MiB",
            size as f64 / f64::from(1 << 20),
            MAX_MAPPING_BYTES >> 20
        ),
    )
}

fn version_info(v: &unifield_workspace::MappingVersion) -> VersionInfo {
    VersionInfo {
        version: v.version,
        message: v.message.clone(),
        saved_at: v.saved_at.clone(),
    }
}

/// Changes between two mapping documents: each field and custom field on its own, the
/// rest of the document by top-level member.
pub fn diff_documents(before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    let empty = serde_json::Map::new();
    let members = |v: &Value| v.as_object().cloned().unwrap_or_default();
    let (b, a) = (members(before), members(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.dedup();
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        if !seen.insert(key.clone()) {
            continue;
        }
        if key == "fields" || key == "custom" {
            let of = |m: &serde_json::Map<String, Value>| {
                m.get(key)
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_else(|| empty.clone())
            };
            let (bf, af) = (of(&b), of(&a));
            let prefix = if key == "fields" { "fields" } else { "custom" };
            let mut names: Vec<&String> = bf.keys().collect();
            names.extend(af.keys().filter(|k| !bf.contains_key(*k)));
            for name in names {
                push_change(
                    &mut changes,
                    format!("{prefix}.{name}"),
                    bf.get(name),
                    af.get(name),
                );
            }
        } else {
            push_change(&mut changes, key.clone(), b.get(key), a.get(key));
        }
    }
    changes
}

fn push_change(out: &mut Vec<Change>, at: String, before: Option<&Value>, after: Option<&Value>) {
    let change = match (before, after) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        (Some(b), Some(a)) if b != a => "changed",
        _ => return,
    };
    out.push(Change {
        at,
        change: change.into(),
        before: before.cloned(),
        after: after.cloned(),
    });
}
