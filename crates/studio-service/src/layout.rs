//! The studio's pane sizes, remembered per workspace: a small file in the workspace
//! directory (so a workspace opened elsewhere, or a second workspace, keeps its own), not
//! the webview's storage, which is one per machine.

use crate::bounded_file::{read_regular_file, BoundedReadError};
use crate::error::{Result, ServiceError};
use crate::Studio;
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;
use unifield_store::files::{self, Readers};

const LAYOUT_FILE: &str = "studio-layout.json";

/// No pane is wider or taller than this many CSS pixels; a larger number in the file is
/// a hand edit gone wrong, not a size.
pub const MAX_PANE_PX: u32 = 4096;

/// A layout file larger than this is not one the studio wrote.
const MAX_FILE_BYTES: u64 = 4096;

/// The sizes the user gave the panes with the splitters, in CSS pixels; none where the
/// user never moved that splitter (the studio's default applies). The window may be too
/// small for a size: the UI then shrinks the pane, and keeps the size for a larger window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaneSizes {
    /// The records and source tree column.
    #[serde(default)]
    pub left: Option<u32>,
    /// The preview, coverage and suggestions column.
    #[serde(default)]
    pub right: Option<u32>,
    /// The selected field's editor under the field list.
    #[serde(default)]
    pub editor: Option<u32>,
}

impl PaneSizes {
    /// The first size out of bounds, as `(pane, size)`.
    fn out_of_bounds(&self) -> Option<(&'static str, u32)> {
        [
            ("left", self.left),
            ("right", self.right),
            ("editor", self.editor),
        ]
        .into_iter()
        .find_map(|(pane, size)| {
            size.filter(|s| *s == 0 || *s > MAX_PANE_PX)
                .map(|s| (pane, s))
        })
    }
}

fn layout_path(dir: &Path) -> std::path::PathBuf {
    dir.join(LAYOUT_FILE)
}

fn invalid(path: &Path, why: String) -> ServiceError {
    ServiceError::new(
        "invalid_layout_file",
        format!(
            "{} is not the studio's layout file ({why}); the panes use their default sizes until a splitter is moved",
            path.display()
        ),
    )
}

impl Studio {
    /// The pane sizes saved in this workspace; all none when none were saved.
    pub fn pane_sizes(&self) -> Result<PaneSizes> {
        let path = layout_path(&self.dir);
        let bytes = match read_regular_file(&path, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(BoundedReadError::NotFound) => return Ok(PaneSizes::default()),
            Err(BoundedReadError::Io(e)) => {
                return Err(ServiceError::new(
                    "io_error",
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
            Err(why) => return Err(invalid(&path, why.to_string())),
        };
        let sizes: PaneSizes = serde_json::from_slice(&bytes).map_err(|e| {
            invalid(&path, e.to_string()).at(crate::error::Location {
                file: Some(path.display().to_string()),
                line: Some(e.line() as u32),
                column: Some(e.column() as u32),
                ..Default::default()
            })
        })?;
        if let Some((pane, size)) = sizes.out_of_bounds() {
            return Err(invalid(
                &path,
                format!("`{pane}` is {size} px, not between 1 and {MAX_PANE_PX}"),
            ));
        }
        Ok(sizes)
    }

    /// Saves the pane sizes for this workspace (replacing the file in one step).
    pub fn save_pane_sizes(&self, sizes: &PaneSizes) -> Result<()> {
        if let Some((pane, size)) = sizes.out_of_bounds() {
            return Err(ServiceError::new(
                "invalid_pane_size",
                format!(
                    "the {pane} pane cannot be {size} px: sizes are between 1 and {MAX_PANE_PX}"
                ),
            ));
        }
        let path = layout_path(&self.dir);
        let text = serde_json::to_vec_pretty(sizes).expect("pane sizes serialize");
        files::write_atomically(&path, &text, Readers::Owner).map_err(|e| {
            ServiceError::new("io_error", format!("cannot write {}: {e}", path.display()))
        })
    }
}
