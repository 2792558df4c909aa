//! Commands over files: validate, fmt, docs, samples.

use crate::{Failure, Outcome};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unifield_engine::{Problem, Severity};

pub(crate) fn validate(files: &[PathBuf], json: bool) -> Outcome {
    let mut all: Vec<Problem> = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => all.extend(unifield_engine::validate(&text, Some(&name))),
            Err(e) => {
                let mut problem =
                    Problem::error("unreadable_file", format!("cannot read the file: {e}"));
                problem.file = Some(name);
                all.push(problem);
            }
        }
    }
    let errors = all.iter().filter(|p| p.severity == Severity::Error).count();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&all).expect("serializable")
        );
    } else {
        for problem in &all {
            println!("{problem}");
        }
        let warnings = all.len() - errors;
        println!(
            "{} file(s) checked: {errors} error(s), {warnings} warning(s)",
            files.len()
        );
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn fmt(files: &[PathBuf], check: bool) -> Outcome {
    let mut changed = Vec::new();
    for file in files {
        let mapping = crate::records::load_mapping(file)?;
        let canonical = mapping.doc.to_canonical_json();
        let current = std::fs::read_to_string(file)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
        if canonical != current {
            changed.push(file.display().to_string());
            if !check {
                std::fs::write(file, canonical)
                    .map_err(|e| Failure::usage(format!("cannot write {}: {e}", file.display())))?;
            }
        }
    }
    for file in &changed {
        println!(
            "{} {file}",
            if check {
                "would reformat"
            } else {
                "reformatted"
            }
        );
    }
    Ok(if check && !changed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes (or, with `check`, compares) generated files; exit 1 when `check` finds drift.
fn sync(root: &Path, files: Vec<(PathBuf, String)>, check: bool, how: &str) -> Outcome {
    let mut stale = Vec::new();
    for (relative, text) in files {
        let path = root.join(&relative);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        stale.push(relative.display().to_string());
        if !check {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Failure::usage(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            std::fs::write(&path, text)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    for file in &stale {
        println!("{} {file}", if check { "stale:" } else { "wrote" });
    }
    if check && !stale.is_empty() {
        println!("run `{how}` to regenerate");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn docs(root: &Path, check: bool) -> Outcome {
    use unifield_engine::docs;
    let mut files = vec![
        (
            PathBuf::from("docs/transforms.md"),
            docs::transforms_markdown(),
        ),
        (
            PathBuf::from("mappings/schema/mapping.schema.json"),
            docs::pretty(&docs::mapping_schema()),
        ),
    ];
    for (name, schema) in docs::model_schemas() {
        files.push((
            PathBuf::from("mappings/model").join(name),
            docs::pretty(&schema),
        ));
    }
    sync(root, files, check, "unifield docs")
}

pub(crate) fn samples(root: &Path, check: bool) -> Outcome {
    let files = unifield_bundle::sample_files()
        .into_iter()
        .map(|(name, text)| (PathBuf::from("mappings/corrigo/samples").join(name), text))
        .collect();
    sync(root, files, check, "unifield samples")
}
