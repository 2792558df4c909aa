//! Apply: one source record in, one unified record and its diagnostics out.
//! A failing field is reported and left null; the rest of the record still maps.

use crate::compile::{check_value, CompiledField, Mapping, RecordTest, Source, Target};
use crate::explain::StepTrace;
use crate::heads::RecordRef;
use crate::input::{InputError, Origin, Read};
use crate::path::Selector;
use crate::related::Related;
use crate::transform::{key_text, too_large, weigh, StepContext, MAX_VALUE_BYTES};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::io::{self, BufRead};
use std::time::{Duration, Instant};

/// What happened to one field of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldOutcome {
    Filled,
    Null,
    Error,
}

/// A problem with one field of one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The target field (`status`, `custom.timeZone`).
    pub field: String,
    /// 1-based step number, when a step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<&'static str>,
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.step, self.function) {
            (Some(step), Some(function)) => write!(
                f,
                "field `{}`, step {step} (`{function}`): {} [{}]",
                self.field, self.message, self.code
            ),
            _ => write!(
                f,
                "field `{}`: {} [{}]",
                self.field, self.message, self.code
            ),
        }
    }
}

/// The result of applying a mapping to one record.
///
/// The unified record is kept as one value per mapping field rather than as a JSON
/// object: re-previewing thousands of records then builds no maps and allocates no
/// keys. [`Mapping::record`] builds the object; [`Mapping::view`] serializes it directly.
/// `V` is `Value`, or `Cow<Value>` from [`Mapping::apply_borrowed`]: values that are the
/// record's own (most of them) then stay borrowed from it, never copied, when the record
/// is only written out.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<V = Value> {
    /// False when the mapping's source filter skips the record.
    pub taken: bool,
    /// One value per `Mapping::fields` entry (null where the field failed).
    pub values: Vec<V>,
    /// The source record's id, when it has one.
    pub source_id: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// One outcome per `Mapping::fields` entry (empty for skipped records).
    pub outcomes: Vec<FieldOutcome>,
    /// `(field index, source value)` for values that a value map or lookup did not cover.
    pub unmapped: Vec<(usize, String)>,
}

impl<V> Applied<V> {
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }
}

/// A unified record ready to serialize: model fields in model order, then `custom`,
/// then `_source`.
pub struct RecordView<'a, V = Value> {
    mapping: &'a Mapping,
    applied: &'a Applied<V>,
}

impl<V: Serialize> Serialize for RecordView<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = &self.mapping.fields;
        let values = &self.applied.values;
        let custom = fields.iter().filter(|f| f.is_custom()).count();
        let mut map =
            serializer.serialize_map(Some(fields.len() - custom + 1 + usize::from(custom > 0)))?;
        for (field, value) in fields.iter().zip(values).filter(|(f, _)| !f.is_custom()) {
            map.serialize_entry(&field.name, value)?;
        }
        if custom > 0 {
            map.serialize_entry("custom", &CustomView(self))?;
        }
        map.serialize_entry("_source", &SourceView(self))?;
        map.end()
    }
}

struct CustomView<'a, V>(&'a RecordView<'a, V>);

impl<V: Serialize> Serialize for CustomView<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let view = self.0;
        let mut map = serializer.serialize_map(None)?;
        for (field, value) in view
            .mapping
            .fields
            .iter()
            .zip(&view.applied.values)
            .filter(|(f, _)| f.is_custom())
        {
            map.serialize_entry(&field.name, value)?;
        }
        map.end()
    }
}

struct SourceView<'a, V>(&'a RecordView<'a, V>);

impl<V> Serialize for SourceView<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let view = self.0;
        let source = &view.mapping.doc.source;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("system", &source.system)?;
        map.serialize_entry("entity", &source.entity)?;
        if let Some(id) = &view.applied.source_id {
            map.serialize_entry("id", id)?;
        }
        map.end()
    }
}

/// One record read and mapped by [`Mapping::apply_each`].
pub struct Mapped<'r> {
    pub origin: Origin,
    /// The record's own values left borrowed, as [`Mapping::apply_borrowed`] leaves them.
    pub applied: Applied<Cow<'r, Value>>,
}

/// How long one record may take to map. A record of a real mapping maps in microseconds;
/// this stops a hostile mapping from holding a preview or a pull for long.
pub const RECORD_TIME_BUDGET: Duration = Duration::from_secs(1);

/// The time budget is checked every this many fields: a clock read per field would cost
/// more than the limits are worth on an honest mapping (most have fewer fields than this,
/// so they read the clock once a record).
const TIME_CHECK_EVERY: usize = 32;

impl Mapping {
    /// Whether the mapping's source filter takes `record`.
    pub fn takes(&self, record: &Value) -> bool {
        self.takes_ref(RecordRef::Whole(record))
    }

    fn takes_ref(&self, record: RecordRef) -> bool {
        let Some((path, test)) = &self.filter else {
            return true;
        };
        let found = record
            .get(path)
            .or_else(|| record.query(path).into_iter().next());
        let found = found.unwrap_or(&Value::Null);
        match test {
            RecordTest::Equals(want) => found == want,
            RecordTest::NotEquals(want) => found != want,
            RecordTest::In(items) => items.contains(found),
        }
    }

    /// Maps one source record, within [`RECORD_TIME_BUDGET`].
    pub fn apply(&self, record: &Value, related: &Related) -> Applied {
        self.apply_within(record, related, RECORD_TIME_BUDGET)
    }

    /// Maps one source record; fields not started within `budget` fail with
    /// `record_time_budget` and stay null.
    pub fn apply_within(&self, record: &Value, related: &Related, budget: Duration) -> Applied {
        self.apply_keeping(record, related, budget, Cow::into_owned)
    }

    /// [`Mapping::apply`] with the values that are the record's own left borrowed from it:
    /// for a caller that only writes the unified record out ([`Mapping::view`]), which then
    /// copies none of them.
    pub fn apply_borrowed<'a>(
        &'a self,
        record: &'a Value,
        related: &Related,
    ) -> Applied<Cow<'a, Value>> {
        self.apply_keeping(record, related, RECORD_TIME_BUDGET, |value| value)
    }

    /// Reads every record of `reader` (as `input::read_records_projected` does) and maps
    /// it as [`Mapping::apply_borrowed`] does, calling `on` for each mapped record or
    /// unreadable part: for a caller that writes the unified records out. When every path
    /// the mapping reads is singular from a named member, plain JSON Lines records are read
    /// straight into one slot per member read, with no object built for the record (the
    /// same output; see `input::read_members`).
    pub fn apply_each<R: BufRead>(
        &self,
        reader: R,
        related: &Related,
        mut on: impl FnMut(Result<Mapped<'_>, InputError>),
    ) -> io::Result<()> {
        let keep = self.members_read();
        let (Some(table), Some(keep)) = (&self.member_table, keep) else {
            return crate::input::read_records_projected(reader, keep, |item| match item {
                Ok(record) => on(Ok(Mapped {
                    origin: record.origin,
                    applied: self.apply_borrowed(&record.value, related),
                })),
                Err(error) => on(Err(error)),
            });
        };
        // As in `apply_keeping`: the heads' values on the stack, on the heap past 64.
        const ON_STACK: usize = 64;
        crate::input::read_members(reader, keep, table, |read| match read {
            Read::Members(origin, values) => {
                let mut stack = [None; ON_STACK];
                let mut heap = Vec::new();
                let top: &mut [Option<&Value>] = if values.len() <= ON_STACK {
                    &mut stack[..values.len()]
                } else {
                    heap.resize(values.len(), None);
                    &mut heap
                };
                resolve_slots(values, &table.wrapped, top);
                on(Ok(Mapped {
                    origin,
                    applied: self.apply_members(top, values, related),
                }));
            }
            Read::Record(Ok(record)) => on(Ok(Mapped {
                origin: record.origin,
                applied: self.apply_borrowed(&record.value, related),
            })),
            Read::Record(Err(error)) => on(Err(error)),
        })
    }

    /// Maps one record given as JSON text: what `input::parse_record` with
    /// [`Mapping::members_read`] and then [`Mapping::apply`] give, errors included, for a
    /// caller holding records as text (a workspace's or a server's cache; filtering on a
    /// narrowed mapping). A plain record is read member by member when the mapping
    /// allows it (see [`Mapping::apply_each`]), with no object built for it.
    pub fn apply_text(&self, text: &str, related: &Related) -> serde_json::Result<Applied> {
        if let Some(table) = &self.member_table {
            // Slots and heads on the stack for the few members a filter's narrowed
            // mapping reads; on the heap past that.
            const ON_STACK: usize = 8;
            let mut stack_values: [Option<Value>; ON_STACK] = Default::default();
            let mut heap_values: Vec<Option<Value>> = Vec::new();
            let values: &mut [Option<Value>] = if self.heads.len() <= ON_STACK {
                &mut stack_values[..self.heads.len()]
            } else {
                heap_values.resize_with(self.heads.len(), || None);
                &mut heap_values
            };
            if crate::input::parse_members_str(text, table, values).is_ok() {
                let values: &[Option<Value>] = values;
                let mut stack_top = [None; ON_STACK];
                let mut heap_top = Vec::new();
                let top: &mut [Option<&Value>] = if values.len() <= ON_STACK {
                    &mut stack_top[..values.len()]
                } else {
                    heap_top.resize(values.len(), None);
                    &mut heap_top
                };
                resolve_slots(values, &table.wrapped, top);
                let record = RecordRef::Members {
                    heads: &self.heads,
                    top,
                    slots: values,
                };
                return Ok(self.apply_resolved(
                    record,
                    top,
                    related,
                    RECORD_TIME_BUDGET,
                    Cow::into_owned,
                ));
            }
        }
        let record = crate::input::parse_record(text, self.members_read())?;
        Ok(self.apply(&record, related))
    }

    /// Whether [`Mapping::apply_each`] reads plain JSON Lines records member by member
    /// (every path the mapping reads is singular from a named member).
    pub fn reads_members_directly(&self) -> bool {
        self.member_table.is_some()
    }

    fn apply_keeping<'a, V>(
        &'a self,
        record: &'a Value,
        related: &Related,
        budget: Duration,
        keep: impl Fn(Cow<'a, Value>) -> V,
    ) -> Applied<V> {
        // Mappings read a few dozen top-level members: a stack buffer saves an allocation
        // per record in a re-preview; larger mappings fall back to the heap.
        const ON_STACK: usize = 64;
        let mut stack = [None; ON_STACK];
        let mut heap = Vec::new();
        let top: &mut [Option<&Value>] = if self.heads.len() <= ON_STACK {
            &mut stack[..self.heads.len()]
        } else {
            heap.resize(self.heads.len(), None);
            &mut heap
        };
        self.heads.resolve_into(record, top);
        self.apply_resolved(RecordRef::Whole(record), top, related, budget, keep)
    }

    /// Maps one record read member by member (`input::read_members`): `top` holds the
    /// value of each of the mapping's heads. Only for a mapping with a `member_table`.
    pub(crate) fn apply_members<'a>(
        &'a self,
        top: &'a [Option<&'a Value>],
        slots: &'a [Option<Value>],
        related: &Related,
    ) -> Applied<Cow<'a, Value>> {
        let record = RecordRef::Members {
            heads: &self.heads,
            top,
            slots,
        };
        self.apply_resolved(record, top, related, RECORD_TIME_BUDGET, |value| value)
    }

    /// Maps a record whose heads are resolved into `top`.
    fn apply_resolved<'a, V>(
        &'a self,
        record: RecordRef<'a>,
        top: &[Option<&'a Value>],
        related: &Related,
        budget: Duration,
        keep: impl Fn(Cow<'a, Value>) -> V,
    ) -> Applied<V> {
        let source_id = self.source_id_in(record, top);
        if !self.takes_ref(record) {
            return Applied {
                taken: false,
                values: Vec::new(),
                source_id,
                diagnostics: Vec::new(),
                outcomes: Vec::new(),
                unmapped: Vec::new(),
            };
        }
        let mut values = Vec::with_capacity(self.fields.len());
        let mut diagnostics = Vec::new();
        let mut outcomes = Vec::with_capacity(self.fields.len());
        let mut unmapped = Vec::new();
        let mut scratch = Vec::new();
        // The clock is read only by mappings with enough fields to reach a check.
        let started = (self.fields.len() >= TIME_CHECK_EVERY).then(Instant::now);
        let mut out_of_time = false;
        for (index, field) in self.fields.iter().enumerate() {
            // Each field is itself bounded (steps, value sizes), so reading the clock every
            // few fields catches a record whose fields add up, cheaply.
            if !out_of_time && index % TIME_CHECK_EVERY == TIME_CHECK_EVERY - 1 {
                out_of_time = started.is_some_and(|started| started.elapsed() > budget);
            }
            let result = if out_of_time {
                Err(Diagnostic {
                    field: field.label(),
                    step: None,
                    function: None,
                    code: "record_time_budget",
                    message: format!(
                        "the record took over {} ms to map before this field; its other fields are left null",
                        budget.as_millis()
                    ),
                })
            } else {
                evaluate_borrowed(field, record, top, related, &mut scratch, None)
            };
            unmapped.extend(scratch.drain(..).map(|value| (index, value)));
            values.push(match result {
                Ok(value) => {
                    outcomes.push(if value.is_null() {
                        FieldOutcome::Null
                    } else {
                        FieldOutcome::Filled
                    });
                    keep(value)
                }
                Err(diagnostic) => {
                    outcomes.push(FieldOutcome::Error);
                    diagnostics.push(diagnostic);
                    keep(Cow::Owned(Value::Null))
                }
            });
        }
        Applied {
            taken: true,
            values,
            source_id,
            diagnostics,
            outcomes,
            unmapped,
        }
    }

    /// A serializable view of the unified record; `None` when the record was skipped.
    pub fn view<'a, V>(&'a self, applied: &'a Applied<V>) -> Option<RecordView<'a, V>> {
        applied.taken.then_some(RecordView {
            mapping: self,
            applied,
        })
    }

    /// The unified record as a JSON object; `None` when the record was skipped.
    pub fn record(&self, applied: &Applied) -> Option<Value> {
        let view = self.view(applied)?;
        Some(serde_json::to_value(view).expect("unified records serialize"))
    }

    pub(crate) fn source_id_from(&self, record: &Value, top: &[Option<&Value>]) -> Option<String> {
        self.source_id_in(RecordRef::Whole(record), top)
    }

    fn source_id_in(&self, record: RecordRef, top: &[Option<&Value>]) -> Option<String> {
        let id = match self.id_head {
            Some(slot) => top[slot].and_then(|head| self.id_path.get_below_head(head)),
            None => record.get(&self.id_path),
        };
        id.and_then(key_text)
    }

    /// The record's values for the mapping's top-level names (see heads.rs).
    pub(crate) fn resolve_heads<'a>(&self, record: &'a Value) -> Vec<Option<&'a Value>> {
        let mut top = Vec::with_capacity(self.heads.len());
        self.heads.resolve(record, &mut top);
        top
    }
}

/// Each head's value from the slots `input::read_members` filled: a wrapped head's is
/// the one member of its object.
fn resolve_slots<'a>(slots: &'a [Option<Value>], wrapped: &[bool], top: &mut [Option<&'a Value>]) {
    for ((slot, value), wrapped) in top.iter_mut().zip(slots).zip(wrapped) {
        *slot = match value {
            Some(Value::Object(own)) if *wrapped => own.values().next(),
            other => other.as_ref(),
        };
    }
}

/// Computes one field: source, then each step, then the check against the field's type.
/// `trace`, when given, receives each step's input and output (for explain).
pub(crate) fn evaluate<'a>(
    field: &'a CompiledField,
    record: &'a Value,
    top: &[Option<&'a Value>],
    related: &Related,
    unmapped: &mut Vec<String>,
    trace: Option<&mut Vec<StepTrace>>,
) -> Result<Value, Diagnostic> {
    evaluate_borrowed(
        field,
        RecordRef::Whole(record),
        top,
        related,
        unmapped,
        trace,
    )
    .map(Cow::into_owned)
}

/// [`evaluate`], the value still borrowed from the record or the mapping when no step
/// made a new one.
fn evaluate_borrowed<'a>(
    field: &'a CompiledField,
    record: RecordRef<'a>,
    top: &[Option<&'a Value>],
    related: &Related,
    unmapped: &mut Vec<String>,
    mut trace: Option<&mut Vec<StepTrace>>,
) -> Result<Cow<'a, Value>, Diagnostic> {
    // Borrowed from the record (or the mapping's constant) until a step makes something
    // new: a value is copied at most once, into the output (never by `apply_borrowed`).
    let mut value: Cow<'a, Value> = match &field.source {
        Source::Const(value) => Cow::Borrowed(value),
        Source::Paths(paths) => start(paths, &field.source_heads, record, top),
    };
    let label = || field.label();
    for (index, step) in field.steps.iter().enumerate() {
        if value.is_null() && !step.transform.takes_null {
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(StepTrace::skipped(index + 1, step.transform.name));
            }
            continue;
        }
        let input = trace.as_ref().map(|_| value.as_ref().clone());
        let mut cx = StepContext {
            record,
            related,
            unmapped,
        };
        let result = step.op.run(value, &mut cx);
        if let (Some(trace), Some(input)) = (trace.as_deref_mut(), input) {
            let output = result
                .as_ref()
                .map(|v| v.as_ref().clone())
                .map_err(Clone::clone);
            trace.push(StepTrace::ran(
                index + 1,
                step.transform.name,
                input,
                output,
            ));
        }
        match result {
            // A value the step built is weighed (a borrowed one is part of the record,
            // already bounded by the input's own limits).
            Ok(Cow::Owned(output)) if weigh(&output, MAX_VALUE_BYTES) > MAX_VALUE_BYTES => {
                let error = too_large("the step's result");
                return Err(Diagnostic {
                    field: label(),
                    step: Some(index + 1),
                    function: Some(step.transform.name),
                    code: error.code,
                    message: error.message,
                });
            }
            Ok(output) => value = output,
            Err(error) => {
                return Err(Diagnostic {
                    field: label(),
                    step: Some(index + 1),
                    function: Some(step.transform.name),
                    code: error.code,
                    message: error.message,
                });
            }
        }
    }
    if let Target::Model(model_field) = field.target {
        if value.is_null() && model_field.required {
            return Err(Diagnostic {
                field: label(),
                step: None,
                function: None,
                code: "missing_required",
                message: "required field is null".into(),
            });
        }
        let checked = if field.proven {
            Ok(())
        } else {
            check_value(&value, &model_field.ty)
        };
        if let Err(error) = checked {
            return Err(Diagnostic {
                field: label(),
                step: None,
                function: None,
                code: error.code,
                message: format!("the result is {}", error.message),
            });
        }
    }
    Ok(value)
}

/// The first non-null value of a binding's paths, reading each top-level member from
/// `top` (resolved once per record) when the path starts with one.
pub(crate) fn start<'a>(
    paths: &[Selector],
    heads: &[Option<usize>],
    record: RecordRef<'a>,
    top: &[Option<&'a Value>],
) -> Cow<'a, Value> {
    for (index, path) in paths.iter().enumerate() {
        let value = match heads.get(index).copied().flatten() {
            Some(slot) => top[slot]
                .and_then(|head| path.get_below_head(head))
                .map(Cow::Borrowed),
            None => record.read(path),
        };
        if let Some(value) = value.filter(|v| !v.is_null()) {
            return value;
        }
    }
    Cow::Owned(Value::Null)
}

/// A path's value: the match of a singular path, or every match of a general one as an
/// array (`None` when nothing matches, so `paths` can fall through to the next).
pub(crate) fn read<'a>(path: &Selector, record: &'a Value) -> Option<Cow<'a, Value>> {
    if path.is_singular() {
        return path.get(record).map(Cow::Borrowed);
    }
    let found = path.query(record);
    if found.is_empty() {
        None
    } else {
        Some(Cow::Owned(Value::Array(
            found.into_iter().cloned().collect(),
        )))
    }
}
