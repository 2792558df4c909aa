//! The one error type the UI sees: a machine `code` it branches on, a message for people,
//! and where the problem is (file, line, field, step) when it has a place.

use crate::types::ProblemInfo;
use serde::Serialize;
use ts_rs::TS;
use unifield_engine::Problem;

#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message} [{code}]")]
pub struct ServiceError {
    pub code: String,
    pub message: String,
    /// The first located problem, when there is one.
    pub location: Option<Box<Location>>,
    /// Every problem, for errors that carry several (an invalid mapping).
    pub problems: Vec<ProblemInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct Location {
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub field: Option<String>,
    pub step: Option<u32>,
}

pub type Result<T> = std::result::Result<T, ServiceError>;

impl ServiceError {
    pub fn new(code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: code.to_string(),
            message: message.into(),
            location: None,
            problems: Vec::new(),
        }
    }

    /// The same error, placed at `location`.
    pub fn at(self, location: Location) -> ServiceError {
        ServiceError {
            location: Some(Box::new(location)),
            ..self
        }
    }

    /// A mapping that cannot be used: every error, the first one's place as the location.
    pub fn invalid_mapping(problems: &[Problem]) -> ServiceError {
        let problems: Vec<ProblemInfo> = problems.iter().map(ProblemInfo::from).collect();
        let errors: Vec<&ProblemInfo> = problems.iter().filter(|p| p.severity == "error").collect();
        let first = errors.first().copied();
        let message = match (first, errors.len()) {
            (Some(p), 1) => format!("the mapping has an error: {}", describe(p)),
            (Some(p), n) => format!("the mapping has {n} errors; the first: {}", describe(p)),
            (None, _) => "the mapping has errors".to_string(),
        };
        ServiceError {
            code: "invalid_mapping".into(),
            message,
            location: first.map(|p| {
                Box::new(Location {
                    file: p.file.clone(),
                    line: p.line,
                    column: p.column,
                    field: p.field.clone(),
                    step: p.step,
                })
            }),
            problems,
        }
    }
}

fn describe(p: &ProblemInfo) -> String {
    let mut place = Vec::new();
    if let Some(file) = &p.file {
        place.push(file.clone());
    }
    if let Some(line) = p.line {
        place.push(format!("line {line}"));
    }
    if let Some(field) = &p.field {
        place.push(format!("field `{field}`"));
    }
    if let Some(step) = p.step {
        place.push(format!("step {step}"));
    }
    if place.is_empty() {
        p.message.clone()
    } else {
        format!("{} ({})", p.message, place.join(", "))
    }
}

impl From<&Problem> for ProblemInfo {
    fn from(p: &Problem) -> ProblemInfo {
        ProblemInfo {
            severity: match p.severity {
                unifield_engine::Severity::Error => "error",
                unifield_engine::Severity::Warning => "warning",
            }
            .into(),
            code: p.code.into(),
            message: p.message.clone(),
            file: p.file.clone(),
            line: p.line.map(|n| n as u32),
            column: p.column.map(|n| n as u32),
            field: p.field.clone(),
            step: p.step.map(|n| n as u32),
        }
    }
}

impl From<unifield_workspace::WorkspaceError> for ServiceError {
    fn from(e: unifield_workspace::WorkspaceError) -> ServiceError {
        ServiceError::new(e.code(), e.to_string())
    }
}

impl From<unifield_workspace::StoreError> for ServiceError {
    fn from(e: unifield_workspace::StoreError) -> ServiceError {
        ServiceError::new(e.code(), e.to_string())
    }
}

impl From<unifield_corrigo_client::ClientError> for ServiceError {
    fn from(e: unifield_corrigo_client::ClientError) -> ServiceError {
        ServiceError::new(e.code(), e.to_string())
    }
}
