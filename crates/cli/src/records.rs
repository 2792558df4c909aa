//! Commands that read records: path, apply, coverage, explain, generate, demo.

use crate::{Failure, Outcome};
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use unifield_engine::input::{read_records, InputError, Origin};
use unifield_engine::path::Selector;
use unifield_engine::{Applied, Coverage, Mapped, Mapping, Related};

/// Where records are read from.
pub(crate) enum Source {
    File(std::path::PathBuf),
    /// Records compiled into the binary (the demo's bundled samples).
    Bundled(&'static str),
    /// A connection's cached records in a workspace (`None`: the default workspace).
    Cached {
        workspace: Option<std::path::PathBuf>,
        connection: String,
        entity: String,
    },
}

impl Source {
    /// Maps every record with `mapping`: a file is read with `Mapping::apply_each`, a
    /// cached record's text with `Mapping::apply_text` (either way only the members the
    /// mapping reads are parsed, and no object is built for the record).
    fn apply_each(
        &self,
        mapping: &Mapping,
        related: &Related,
        mut on: impl FnMut(Result<Mapped<'_>, InputError>),
    ) -> Result<(), Failure> {
        match self {
            Source::File(path) => mapping
                .apply_each(open(path)?, related, on)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display()))),
            Source::Bundled(text) => mapping
                .apply_each(text.as_bytes(), related, on)
                .map_err(|e| Failure::usage(format!("cannot read the bundled samples: {e}"))),
            Source::Cached {
                workspace,
                connection,
                entity,
            } => {
                let store = crate::connections::open_store(workspace.as_deref())?;
                let mut n = 0;
                let mut unreadable = None;
                store
                    .for_each_record_text(connection, entity, |_, text| {
                        n += 1;
                        let applied = match mapping.apply_text(text, related) {
                            Ok(applied) => applied,
                            // Stops as reading the whole record stopped, with its error
                            // (apply_text parses only the members read, so the message
                            // may name another place).
                            Err(_) => match serde_json::from_str::<Value>(text) {
                                Err(error) => {
                                    unreadable = Some(unifield_workspace::StoreError::from(error));
                                    return false;
                                }
                                Ok(record) => mapping.apply(&record, related),
                            },
                        };
                        on(Ok(Mapped {
                            origin: Origin::Cached(n),
                            applied: owned(applied),
                        }));
                        true
                    })
                    .and_then(|()| unreadable.map_or(Ok(()), Err))
                    .map_err(|e| Failure::usage(e.to_string()))
            }
        }
    }
}

/// An applied record's values as `Mapped` carries them.
fn owned(applied: Applied) -> Applied<std::borrow::Cow<'static, Value>> {
    Applied {
        taken: applied.taken,
        values: applied
            .values
            .into_iter()
            .map(std::borrow::Cow::Owned)
            .collect(),
        source_id: applied.source_id,
        diagnostics: applied.diagnostics,
        outcomes: applied.outcomes,
        unmapped: applied.unmapped,
    }
}

fn open(path: &Path) -> Result<Box<dyn BufRead>, Failure> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin())));
    }
    let file = File::open(path)
        .map_err(|e| Failure::usage(format!("cannot open {}: {e}", path.display())))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
}

pub(crate) fn load_mapping(path: &Path) -> Result<Mapping, Failure> {
    unifield_engine::load_file(path)
        .map_err(|error| Failure::usage(format!("the mapping does not load:\n{error}")))
}

fn load_related(specs: &[String]) -> Result<Related, Failure> {
    let mut related = Related::default();
    let id = Selector::parse("$.Id").expect("valid selector");
    for spec in specs {
        let Some((entity, file)) = spec.split_once('=') else {
            return Err(Failure::usage(format!(
                "--related takes ENTITY=FILE, got `{spec}`"
            )));
        };
        let mut records = Vec::new();
        let mut errors = Vec::new();
        read_records(open(Path::new(file))?, |item| match item {
            Ok(record) => records.push(record.value),
            Err(error) => errors.push(error.to_string()),
        })
        .map_err(|e| Failure::usage(format!("cannot read {file}: {e}")))?;
        if let Some(first) = errors.first() {
            return Err(Failure::usage(format!("{file}: {first}")));
        }
        related.add(entity, &id, records);
    }
    Ok(related)
}

pub(crate) fn path(selector: &str, input: &Path) -> Outcome {
    let selector = Selector::parse(selector).map_err(|e| Failure::usage(e.to_string()))?;
    let mut text = Vec::new();
    open(input)?
        .read_to_end(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let document: Value = serde_json::from_slice(&text)
        .map_err(|e| Failure::usage(format!("{}: {e}", input.display())))?;
    let found: Vec<&Value> = selector.query(&document);
    let text = serde_json::to_string_pretty(&found).expect("JSON values serialize");
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Counts for the closing summary line.
#[derive(Default)]
struct Tally {
    read: usize,
    mapped: usize,
    skipped: usize,
    with_errors: usize,
    unreadable: usize,
}

pub(crate) fn apply(
    mapping: &Path,
    input: &Source,
    output: Option<&Path>,
    allow_errors: bool,
    related: &[String],
) -> Outcome {
    let mapping = load_mapping(mapping)?;
    let related = load_related(related)?;
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(
            File::create(path)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, sink);
    let mut err = BufWriter::new(io::stderr().lock());
    let mut tally = Tally::default();
    let mut write_error = None;
    let each = |item: Result<Mapped<'_>, InputError>| {
        tally.read += 1;
        let Mapped { origin, applied } = match item {
            Ok(mapped) => mapped,
            Err(error) => {
                tally.unreadable += 1;
                let _ = writeln!(err, "{error}");
                return;
            }
        };
        // Written out only: the record's own values are not copied into the output.
        let Some(unified) = mapping.view(&applied) else {
            tally.skipped += 1;
            return;
        };
        tally.mapped += 1;
        if applied.has_errors() {
            tally.with_errors += 1;
            for diagnostic in &applied.diagnostics {
                let _ = writeln!(
                    err,
                    "{}: {diagnostic}",
                    place(tally.read, origin, applied.source_id.as_deref())
                );
            }
        }
        if write_error.is_none() {
            if let Err(e) = serde_json::to_writer(&mut out, &unified)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
            {
                write_error = Some(e);
            }
        }
    };
    input.apply_each(&mapping, &related, each)?;
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        return Err(Failure {
            message: format!("cannot write the output: {e}"),
            code: 1,
        });
    }
    let _ = writeln!(
        err,
        "apply: {} records read, {} mapped, {} skipped by the source filter, {} with errors, {} unreadable",
        tally.read, tally.mapped, tally.skipped, tally.with_errors, tally.unreadable
    );
    let failed = tally.with_errors + tally.unreadable > 0;
    Ok(if failed && !allow_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn place(number: usize, origin: Origin, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("record {number} ({origin}, id {id})"),
        None => format!("record {number} ({origin})"),
    }
}

fn coverage_of(mapping: &Mapping, input: &Source, related: &Related) -> Result<Coverage, Failure> {
    let mut coverage = Coverage::new(mapping);
    input.apply_each(mapping, related, |item| match item {
        Ok(mapped) => coverage.add(&mapped.applied),
        Err(_) => coverage.add_unreadable(),
    })?;
    coverage.finish();
    resolve_keys(&mut coverage, input)?;
    Ok(coverage)
}

/// Resolves the report's key fields against the records the target entities' default
/// mappings produce from the same place: a connection's cache for cached records, the
/// bundled samples for a file (the offline workspace the samples come from).
fn resolve_keys(coverage: &mut Coverage, input: &Source) -> Result<(), Failure> {
    let targets = coverage.key_targets();
    if targets.is_empty() {
        return Ok(());
    }
    let produced = match input {
        Source::Cached {
            workspace,
            connection,
            ..
        } => {
            let store = crate::connections::open_store(workspace.as_deref())?;
            let mut failure = None;
            let produced = unifield_bundle::produced_keys(&targets, |entity| {
                let mut records = Vec::new();
                if let Err(e) = store.for_each_record(connection, entity, |record| {
                    records.push(record.value);
                    true
                }) {
                    failure = Some(Failure::usage(e.to_string()));
                }
                records
            });
            if let Some(failure) = failure {
                return Err(failure);
            }
            produced
        }
        Source::File(_) | Source::Bundled(_) => {
            unifield_bundle::produced_keys(&targets, unifield_bundle::sample_records)
        }
    };
    coverage.resolve_keys(&produced);
    Ok(())
}

pub(crate) fn coverage(mapping: &Path, input: &Source, related: &[String], json: bool) -> Outcome {
    let mapping = load_mapping(mapping)?;
    let related = load_related(related)?;
    let report = coverage_of(&mapping, input, &related)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serializable")
        );
    } else {
        print!("{}", report.to_table());
        if matches!(input, Source::File(_)) && !report.keys.is_empty() {
            println!(
                "keys resolved against the bundled samples; --connection NAME resolves them against that connection's cache"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn explain(
    mapping: &Path,
    input: &Path,
    number: usize,
    field: &str,
    related: &[String],
    json: bool,
) -> Outcome {
    let mapping = load_mapping(mapping)?;
    if mapping.field(field).is_none() {
        let names: Vec<String> = mapping.fields.iter().map(|f| f.label()).collect();
        return Err(Failure::usage(format!(
            "the mapping has no field `{field}` (it maps: {})",
            names.join(", ")
        )));
    }
    let related = load_related(related)?;
    let mut seen = 0;
    let mut found = None;
    read_records(open(input)?, |item| {
        seen += 1;
        if seen == number {
            found = Some(item);
        }
    })
    .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let record = match found {
        Some(Ok(record)) => record,
        Some(Err(error)) => {
            return Err(Failure::usage(format!(
                "record {number} cannot be read: {error}"
            )))
        }
        None => {
            return Err(Failure::usage(format!(
                "the input has {seen} records; there is no record {number}"
            )))
        }
    };
    let explanation = mapping
        .explain(&record.value, field, &related)
        .expect("field checked above");
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&explanation).expect("serializable")
        );
    } else {
        print!(
            "{}",
            crate::show::explanation(&explanation, number, &record)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn generate(entity: &str, count: usize, seed: u64) -> Outcome {
    use unifield_corrigo_seed::{Company, Scale};
    let scale = Scale {
        work_orders: count,
        ..Scale::SAMPLES
    };
    let company = Company::generate(seed, scale);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let write = |out: &mut BufWriter<_>, record: &Value| -> io::Result<()> {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")
    };
    let result: io::Result<()> = if entity.eq_ignore_ascii_case("WorkOrder") {
        company.work_orders().try_for_each(|r| write(&mut out, &r))
    } else {
        let records = company.records(entity).ok_or_else(|| {
            Failure::usage(format!(
                "unknown entity `{entity}` (try: {})",
                unifield_corrigo_seed::ENTITIES.join(", ")
            ))
        })?;
        records
            .iter()
            .take(count)
            .try_for_each(|r| write(&mut out, r))
    };
    result.and_then(|()| out.flush()).map_err(|e| Failure {
        message: format!("cannot write: {e}"),
        code: 1,
    })?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn demo() -> Outcome {
    println!(
        "Unifield demo: the default Corrigo mappings applied to the bundled offline samples.\n"
    );
    let related = Related::default();
    for default in &unifield_bundle::MAPPINGS {
        let mapping = unifield_engine::load(default.text, Some(default.file)).map_err(|e| {
            Failure::usage(format!(
                "bundled mapping {} does not load:\n{e}",
                default.file
            ))
        })?;
        let samples = unifield_bundle::samples(default.source_entity).unwrap_or_default();
        let report = coverage_of(&mapping, &Source::Bundled(samples), &related)?;
        println!(
            "== mappings/corrigo/{} — Corrigo {} → unified {}",
            default.file, default.source_entity, mapping.entity.name
        );
        println!("{}", report.to_table());
    }
    Ok(ExitCode::SUCCESS)
}
