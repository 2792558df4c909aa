//! Store errors, each with a machine code for the UI.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the workspace directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the workspace database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("the workspace {path} was written by a newer Unifield (schema {found}; this build knows up to {known})")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("no connection named `{0}`")]
    UnknownConnection(String),
    #[error("a connection named `{0}` already exists")]
    DuplicateConnection(String),
    #[error("invalid connection settings: {0}")]
    InvalidConnection(String),
    /// A base URL or company name that breaks the connection rules (https, no user-info…).
    #[error("invalid connection settings: {0}")]
    ConnectionRule(#[from] unifield_connection_rules::RuleError),
    #[error("pull run {0} does not exist or has finished")]
    PullNotRunning(i64),
    #[error("pull run {run} is being pulled by another Unifield (process {process}, lease until {until}); wait for that pull to end or cancel it")]
    PullInProgress {
        run: i64,
        process: String,
        until: String,
    },
    #[error("pull run {0} was taken over by another pull; this one stops")]
    PullNotOwned(i64),
    #[error("no mapping named `{0}`")]
    UnknownMapping(String),
    #[error("mapping `{0}` has no version {1}")]
    UnknownVersion(String, u32),
    #[error("the workspace database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored value is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// A stable code the UI branches on.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Directory { .. } => "workspace_directory",
            StoreError::Open { .. } => "workspace_open",
            StoreError::TooNew { .. } => "workspace_too_new",
            StoreError::UnknownConnection(_) => "unknown_connection",
            StoreError::DuplicateConnection(_) => "duplicate_connection",
            StoreError::InvalidConnection(_) => "invalid_connection",
            StoreError::ConnectionRule(e) => e.code(),
            StoreError::PullNotRunning(_) => "pull_not_running",
            StoreError::PullInProgress { .. } => "pull_in_progress",
            StoreError::PullNotOwned(_) => "pull_not_owned",
            StoreError::UnknownMapping(_) => "unknown_mapping",
            StoreError::UnknownVersion(..) => "unknown_mapping_version",
            StoreError::Sqlite(_) => "database",
            StoreError::Json(_) => "stored_json",
        }
    }
}
