//! Load and validation problems, each saying where: file, line, field, step.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The mapping cannot be used as it is.
    Error,
    /// The mapping runs, but something is likely wrong.
    Warning,
}

/// One thing wrong with a mapping file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// A stable machine code, such as `unknown_function` (the UI branches on it).
    pub code: &'static str,
    pub message: String,
    /// The file, when the mapping was read from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line (and column, for syntax errors) in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The target field, such as `status` or `custom.timeZone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 1-based step number within the field's binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

impl Problem {
    pub fn error(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            field: None,
            step: None,
        }
    }

    pub(crate) fn warning(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    pub(crate) fn field(mut self, field: &str) -> Problem {
        self.field = Some(field.to_string());
        self
    }

    pub(crate) fn step(mut self, step: usize) -> Problem {
        self.step = Some(step);
        self
    }

    pub(crate) fn at_line(mut self, line: Option<usize>) -> Problem {
        self.line = self.line.or(line);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(col)) => place.push(format!("{file}:{line}:{col}")),
            (Some(file), Some(line), None) => place.push(format!("{file}:{line}")),
            (Some(file), None, _) => place.push(file.clone()),
            (None, Some(line), Some(col)) => place.push(format!("line {line}, column {col}")),
            (None, Some(line), None) => place.push(format!("line {line}")),
            (None, None, _) => {}
        }
        if let Some(field) = &self.field {
            place.push(format!("field `{field}`"));
        }
        if let Some(step) = self.step {
            place.push(format!("step {step}"));
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if place.is_empty() {
            write!(f, "{severity}[{}]: {}", self.code, self.message)
        } else {
            write!(
                f,
                "{}: {severity}[{}]: {}",
                place.join(", "),
                self.code,
                self.message
            )
        }
    }
}

/// A mapping that could not be loaded, with every problem found (not just the first).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl LoadError {
    /// The machine code of the first error, for callers that show one.
    pub fn code(&self) -> &'static str {
        self.problems.first().map_or("invalid_mapping", |p| p.code)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}
