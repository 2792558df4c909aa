//! Loading: JSON text → checked, compiled mapping. Every problem is collected and located
//! (file, line, field, step); a mapping with errors does not load.

use crate::heads::Heads;
use crate::mapping::{self, BindingDoc, FilterTest, MappingDoc, SourceDoc};
use crate::path::Selector;
use crate::problem::{LoadError, Problem, Severity};
use crate::transform::{self, Kind, Op, Transform};
use serde_json::Value;
use std::path::Path;
use unifield_model::{Entity, Field, FieldType};

/// Where a compiled field's value goes.
#[derive(Debug, Clone)]
pub enum Target {
    Model(&'static Field),
    /// Outside the model: written under `custom`.
    Custom,
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// First non-null wins.
    Paths(Vec<Selector>),
    Const(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub transform: &'static Transform,
    pub op: Op,
}

/// One target field with its compiled binding.
#[derive(Debug, Clone)]
pub struct CompiledField {
    pub name: String,
    pub target: Target,
    pub(crate) source: Source,
    pub(crate) steps: Vec<Step>,
    /// What the loader knows of the result's kind.
    pub output_kind: Kind,
    /// True when the last step's result already has the field's type by construction
    /// (a `parse_datetime` result for a datetime field), so apply need not re-check it.
    pub(crate) proven: bool,
    /// For each source path, its slot in `Mapping::heads` (see heads.rs).
    pub(crate) source_heads: Vec<Option<usize>>,
}

impl CompiledField {
    /// `status` for model fields, `custom.timeZone` for custom ones.
    pub fn label(&self) -> String {
        match self.target {
            Target::Model(_) => self.name.clone(),
            Target::Custom => format!("custom.{}", self.name),
        }
    }

    pub fn is_custom(&self) -> bool {
        matches!(self.target, Target::Custom)
    }

    /// Source paths this field reads (bindings and step arguments).
    pub fn source_paths(&self) -> Vec<&str> {
        let mut out: Vec<&str> = match &self.source {
            Source::Paths(paths) => paths.iter().map(Selector::as_str).collect(),
            Source::Const(_) => Vec::new(),
        };
        out.extend(
            self.steps
                .iter()
                .flat_map(|s| s.op.selectors())
                .map(Selector::as_str),
        );
        out
    }

    /// The names of the functions the field's steps call.
    pub fn step_names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.transform.name).collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) enum RecordTest {
    Equals(Value),
    NotEquals(Value),
    In(Vec<Value>),
}

/// A record path a mapping reads, from the record's top: see [`Mapping::member_reads`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemberRead {
    /// `["Info", "TagId"]` for `$.Info.TagId`; `["Items"]` for `$.Items[*].Task.Id`.
    pub names: Vec<String>,
    /// True when the mapping reads everything below `names`: the path goes on past them
    /// (into a collection's items, through a filter), or its first step takes a whole
    /// array or object (`count` of `$.Items`, `money` of `$.VendorNte`).
    pub whole: bool,
}

/// A loaded mapping, ready to apply.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub doc: MappingDoc,
    pub entity: &'static Entity,
    /// Model fields in model order, then custom fields by name.
    pub fields: Vec<CompiledField>,
    pub(crate) id_path: Selector,
    pub(crate) id_head: Option<usize>,
    pub(crate) filter: Option<(Selector, RecordTest)>,
    /// The top-level member names the source paths start from.
    pub(crate) heads: Heads,
    /// Every top-level member the mapping can read, when all its record paths start at
    /// a named member (see `Mapping::members_read`).
    pub(crate) members_read: Option<Vec<String>>,
    /// The heads then the envelope members, when records can be read member by member
    /// into the heads' slots (see `member_table`).
    pub(crate) member_table: Option<MemberTable>,
    /// Problems that do not stop the mapping from running (warnings, missing required
    /// bindings whose records will each report the gap).
    pub problems: Vec<Problem>,
}

impl Mapping {
    pub fn field(&self, label: &str) -> Option<&CompiledField> {
        self.fields
            .iter()
            .find(|f| f.label() == label || f.name == label)
    }

    /// The record's top-level members the mapping can read, when it can name them all;
    /// readers may skip every other member unparsed (`input::read_records_projected`)
    /// and the output is the same. `None` when a path can reach anywhere (`$..Id`).
    pub fn members_read(&self) -> Option<&[String]> {
        self.members_read.as_deref()
    }

    /// Every record path the mapping reads, as member names from the record's top
    /// (what a source system's projection must include for the mapping to see the
    /// same values), or `None` when a path can reach anywhere (`$..Id`). Sorted, each
    /// once; a read of a whole member makes reads below it redundant and drops them.
    pub fn member_reads(&self) -> Option<Vec<MemberRead>> {
        let mut reads: Vec<MemberRead> = Vec::new();
        let mut add = |selector: &Selector, first_step: Option<&Step>| -> Option<()> {
            let (names, more) = selector.leading_names();
            if names.is_empty() {
                return None;
            }
            // A step that only takes arrays or objects (`count`, `money`, `pick … where`)
            // reads everything below the member, whatever its kind.
            let step_takes_whole = first_step.is_some_and(|step| match step.transform.accepts {
                transform::Accepts::Only(kinds) => kinds
                    .iter()
                    .all(|kind| matches!(kind, Kind::Array | Kind::Object)),
                _ => false,
            });
            reads.push(MemberRead {
                names: names.into_iter().map(String::from).collect(),
                whole: more || step_takes_whole,
            });
            Some(())
        };
        add(&self.id_path, None)?;
        if let Some((filter, _)) = &self.filter {
            add(filter, None)?;
        }
        for field in &self.fields {
            if let Source::Paths(sources) = &field.source {
                for source in sources {
                    add(source, field.steps.first())?;
                }
            }
            for step in &field.steps {
                for selector in step.op.selectors() {
                    add(selector, None)?;
                }
            }
        }
        reads.sort();
        reads.dedup();
        let wholes: Vec<Vec<String>> = reads
            .iter()
            .filter(|r| r.whole)
            .map(|r| r.names.clone())
            .collect();
        reads.retain(|read| {
            !wholes.iter().any(|whole| {
                read.names.len() >= whole.len()
                    && read.names[..whole.len()] == whole[..]
                    && (read.names.len() > whole.len() || !read.whole)
            })
        });
        Some(reads)
    }

    /// The mapping cut down to the fields named by `labels` (`status`, `custom.timeZone`),
    /// keeping its source, id and source filter. Filtering or sorting on a few unified
    /// fields applies this instead of the whole mapping: each record is parsed projected
    /// onto only the members those fields read ([`Mapping::members_read`]) and only
    /// those fields are computed, with the same values the whole mapping gives them.
    /// A label that names no field of the mapping is an `unknown_field` error.
    pub fn narrowed(&self, labels: &[&str]) -> Result<Mapping, LoadError> {
        let unknown: Vec<Problem> = labels
            .iter()
            .filter(|label| !self.fields.iter().any(|f| f.label() == **label))
            .map(|label| {
                Problem::error(
                    "unknown_field",
                    format!("`{label}` is not a field of this mapping"),
                )
                .field(label)
            })
            .collect();
        if !unknown.is_empty() {
            return Err(LoadError { problems: unknown });
        }
        let (mapping, mut problems) = compile(self.doc.narrowed(labels));
        problems.retain(is_fatal);
        match mapping {
            Some(mapping) if problems.is_empty() => Ok(mapping),
            _ => Err(LoadError { problems }),
        }
    }

    /// Related entities that `lookup` steps need.
    pub fn related_entities(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .fields
            .iter()
            .flat_map(|f| f.steps.iter().flat_map(|s| s.op.related_entities()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Loads a mapping from JSON text. `file` names it in problems.
pub fn load(text: &str, file: Option<&str>) -> Result<Mapping, LoadError> {
    let (mapping, problems) = compile_text(text);
    let mut problems: Vec<Problem> = problems.into_iter().map(|p| with_file(p, file)).collect();
    match mapping {
        Some(mut mapping) if !problems.iter().any(is_fatal) => {
            mapping.problems = problems;
            Ok(mapping)
        }
        _ => {
            problems.retain(is_fatal);
            Err(LoadError { problems })
        }
    }
}

/// Loads a mapping file.
pub fn load_file(path: &Path) -> Result<Mapping, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        problems: vec![with_file(
            Problem::error("unreadable_file", format!("cannot read the file: {e}")),
            Some(&name),
        )],
    })?;
    load(&text, Some(&name))
}

/// Every problem with a mapping: syntax, structure, paths, functions, arguments, types,
/// and the model (unknown fields, type mismatches, required fields left unbound).
pub fn validate(text: &str, file: Option<&str>) -> Vec<Problem> {
    compile_text(text)
        .1
        .into_iter()
        .map(|p| with_file(p, file))
        .collect()
}

fn with_file(mut problem: Problem, file: Option<&str>) -> Problem {
    problem.file = file.map(String::from);
    problem
}

/// Problems that stop a mapping loading. A required field with no binding does not:
/// the mapping still previews, and each record reports the missing value.
fn is_fatal(problem: &Problem) -> bool {
    problem.severity == Severity::Error && problem.code != "missing_required"
}

fn compile_text(text: &str) -> (Option<Mapping>, Vec<Problem>) {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            let mut problem = Problem::error("invalid_json", crate::json_error_message(&error));
            problem.line = Some(error.line());
            problem.column = Some(error.column());
            return (None, vec![problem]);
        }
    };
    // Found on the text: the parsed value has already folded a repeated name into one.
    let mut problems = mapping::duplicate_fields(text);
    let doc = match mapping::decode(&value) {
        Ok(doc) => doc,
        Err(more) => {
            problems.extend(more);
            return (None, locate(text, problems));
        }
    };
    let (mapping, more) = compile(doc);
    problems.extend(more);
    (mapping, locate(text, problems))
}

fn locate(text: &str, problems: Vec<Problem>) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|problem| {
            let line =
                problem
                    .field
                    .as_deref()
                    .and_then(|field| match field.strip_prefix("custom.") {
                        Some(name) => mapping::locate_field(text, "custom", name),
                        None => mapping::locate_field(text, "fields", field),
                    });
            problem.at_line(line)
        })
        .collect()
}

fn compile(doc: MappingDoc) -> (Option<Mapping>, Vec<Problem>) {
    let mut problems = Vec::new();
    let model = unifield_model::model();
    if doc.target.model != "unified" {
        problems.push(Problem::error(
            "unknown_model",
            format!(
                "target model `{}` is not known; use `unified`",
                doc.target.model
            ),
        ));
    }
    if doc.target.version != model.version {
        problems.push(Problem::error(
            "unknown_model",
            format!(
                "target model version `{}` is not known; this build has version {}",
                doc.target.version, model.version
            ),
        ));
    }
    let Some(entity) = model.entity(&doc.target.entity) else {
        let hint = crate::suggest(&doc.target.entity, model.entity_names())
            .map(|e| format!(" (did you mean `{e}`?)"))
            .unwrap_or_else(|| {
                format!(
                    " (the model has: {})",
                    model.entity_names().collect::<Vec<_>>().join(", ")
                )
            });
        problems.push(Problem::error(
            "unknown_entity",
            format!(
                "target entity `{}` is not in the model{hint}",
                doc.target.entity
            ),
        ));
        return (None, problems);
    };
    let id_path = compile_path(
        doc.source.id_path.as_deref().unwrap_or("$.Id"),
        None,
        &mut problems,
    );
    let filter = doc.source.filter.as_ref().and_then(|f| {
        let selector = compile_path(&f.path, None, &mut problems)?;
        let test = match &f.test {
            FilterTest::Equals(v) => RecordTest::Equals(v.clone()),
            FilterTest::NotEquals(v) => RecordTest::NotEquals(v.clone()),
            FilterTest::In(items) => RecordTest::In(items.clone()),
        };
        Some((selector, test))
    });

    let mut fields = Vec::new();
    for (name, binding) in &doc.fields {
        let Some(field) = entity.field(name) else {
            let hint = crate::suggest(name, entity.fields.iter().map(|f| f.name))
                .map(|f| format!("did you mean `{f}`? "))
                .unwrap_or_default();
            problems.push(
                Problem::error(
                    "unknown_field",
                    format!("{} has no field `{name}`; {hint}fields outside the model go under `custom`", entity.name),
                )
                .field(name),
            );
            continue;
        };
        if let Some(compiled) = compile_binding(name, binding, Target::Model(field), &mut problems)
        {
            fields.push(compiled);
        }
    }
    for (name, binding) in &doc.custom {
        if entity.field(name).is_some() {
            problems.push(
                Problem::warning(
                    "custom_shadows_model",
                    format!("`{name}` is a {} field; map it under `fields`", entity.name),
                )
                .field(&format!("custom.{name}")),
            );
        }
        if let Some(compiled) = compile_binding(name, binding, Target::Custom, &mut problems) {
            fields.push(compiled);
        }
    }
    fields.sort_by_key(|f| match f.target {
        Target::Model(_) => (
            0,
            entity.position(&f.name).unwrap_or(usize::MAX),
            String::new(),
        ),
        Target::Custom => (1, 0, f.name.clone()),
    });
    for field in entity.fields.iter().filter(|f| f.required) {
        if !fields
            .iter()
            .any(|c| !c.is_custom() && c.name == field.name)
        {
            problems.push(
                Problem::error(
                    "missing_required",
                    format!(
                        "required field `{}` has no binding; every record will fail it",
                        field.name
                    ),
                )
                .field(field.name),
            );
        }
    }
    let Some(id_path) = id_path else {
        return (None, problems);
    };
    let mut heads = Heads::default();
    let id_head = id_path.head().map(|name| heads.intern(name));
    for field in &mut fields {
        if let Source::Paths(paths) = &field.source {
            field.source_heads = paths
                .iter()
                .map(|p| p.head().map(|name| heads.intern(name)))
                .collect();
        }
    }
    let members_read = members_read(&fields, &id_path, filter.as_ref().map(|(path, _)| path));
    let member_table = member_table(
        &fields,
        &id_path,
        filter.as_ref().map(|(path, _)| path),
        members_read.as_deref(),
        &mut heads,
    );
    let mapping = Mapping {
        doc,
        entity,
        fields,
        id_path,
        id_head,
        filter,
        heads,
        members_read,
        member_table,
        problems: Vec::new(),
    };
    (Some(mapping), problems)
}

/// How a record is read member by member (see `member_table`).
#[derive(Debug, Clone)]
pub(crate) struct MemberTable {
    /// The heads, then Corrigo's envelope members.
    pub names: Heads,
    /// Per head: whether a query reads below it (`$.WorkZones[*].Id`). Such a member is
    /// kept inside an object of its own, which the query runs on as its root.
    pub wrapped: Vec<bool>,
    /// Per head: when the member is read only as an array whose items the field's steps
    /// pick and reshape (customer's `Addresses`), the members of its items they look at;
    /// the items' other members are skipped, not built (see `item_members`).
    pub items: Vec<Option<Vec<String>>>,
}

/// When every path that reads the record starts at a named member and reads only below
/// it (`$.Category.Id`, `$.WorkZones[*].Id`; not `$..Id`, not a filter that compares with
/// `$.Other`), a record can be read straight into one slot per top-level name, with no
/// object built for the record itself (see `input::read_members`). Interns every name
/// read into `heads`, so the slots are the heads' indexes, and returns the table a reader
/// matches member names against: the heads, then Corrigo's envelope members (a record
/// holding one of those is read whole, as before). `None` when some read needs the
/// whole record.
fn member_table(
    fields: &[CompiledField],
    id_path: &Selector,
    filter: Option<&Selector>,
    members_read: Option<&[String]>,
    heads: &mut Heads,
) -> Option<MemberTable> {
    let members_read = members_read?;
    let paths = paths_read(fields, id_path, filter);
    let envelope = crate::input::ENVELOPE_MEMBERS;
    if !paths.iter().all(|p| p.only_below_head().is_some())
        || members_read
            .iter()
            .any(|name| envelope.contains(&name.as_str()))
    {
        return None;
    }
    for name in members_read {
        heads.intern(name);
    }
    let mut wrapped = vec![false; heads.len()];
    for path in paths.iter().filter(|p| !p.is_singular()) {
        let slot = path.only_below_head().and_then(|name| heads.find(name))?;
        wrapped[slot] = true;
    }
    let items = item_members(fields, id_path, filter, heads, &wrapped);
    Some(MemberTable {
        names: Heads::of(heads.names().chain(envelope.iter().copied())),
        wrapped,
        items,
    })
}

/// For each head, the members of its items that are ever looked at, when every read of
/// the head is a field's source path that is the head alone (`$.Addresses`) and that
/// field's steps reach only those members of its items (`transform::item_members_read`).
/// `None` for a head read in any other way: by the id, the filter, a step's selector, a
/// deeper path, a query, or a field whose value is the array or a whole item.
fn item_members(
    fields: &[CompiledField],
    id_path: &Selector,
    filter: Option<&Selector>,
    heads: &Heads,
    wrapped: &[bool],
) -> Vec<Option<Vec<String>>> {
    // Per head: not read yet (`None`), read only through such steps (`Some(Some)`), or
    // read some other way (`Some(None)`).
    let mut found: Vec<Option<Option<Vec<String>>>> = vec![None; heads.len()];
    for field in fields {
        let Source::Paths(field_paths) = &field.source else {
            continue;
        };
        let steps: Vec<&crate::transform::Op> = field.steps.iter().map(|s| &s.op).collect();
        for path in field_paths {
            let Some(slot) = path.only_below_head().and_then(|name| heads.find(name)) else {
                continue;
            };
            let (names, more) = path.leading_names();
            let read = if path.is_singular() && names.len() == 1 && !more {
                crate::transform::item_members_read(&steps)
            } else {
                None
            };
            found[slot] = match (found[slot].take(), read) {
                (None, read) => Some(read),
                (Some(Some(mut known)), Some(read)) => {
                    known.extend(read);
                    known.sort();
                    known.dedup();
                    Some(Some(known))
                }
                _ => Some(None),
            };
        }
    }
    // Every other path (the id's, the filter's, steps' selectors) reads its head whole.
    let others = std::iter::once(id_path).chain(filter).chain(
        fields
            .iter()
            .flat_map(|f| f.steps.iter().flat_map(|s| s.op.selectors())),
    );
    for path in others {
        if let Some(slot) = path.only_below_head().and_then(|name| heads.find(name)) {
            found[slot] = Some(None);
        }
    }
    found
        .into_iter()
        .zip(wrapped)
        .map(|(read, wrapped)| if *wrapped { None } else { read.flatten() })
        .collect()
}

/// Every path a mapping reads the record by: its id's, its filter's, and each field's
/// sources' and steps'.
fn paths_read<'a>(
    fields: &'a [CompiledField],
    id_path: &'a Selector,
    filter: Option<&'a Selector>,
) -> Vec<&'a Selector> {
    let mut paths: Vec<&Selector> = vec![id_path];
    paths.extend(filter);
    for field in fields {
        if let Source::Paths(sources) = &field.source {
            paths.extend(sources);
        }
        paths.extend(field.steps.iter().flat_map(|s| s.op.selectors()));
    }
    paths
}

/// The top-level members any path reading the record starts from, or `None` when some
/// path does not start at a named member (`$..Id`, `$[0]`, `$.*`).
fn members_read(
    fields: &[CompiledField],
    id_path: &Selector,
    filter: Option<&Selector>,
) -> Option<Vec<String>> {
    let paths = paths_read(fields, id_path, filter);
    // A path that starts at a named member (`$.WorkZones[*].Id` too) reads only that one.
    let mut names: Vec<String> = paths
        .iter()
        .map(|p| p.leading_names().0.first().map(|n| n.to_string()))
        .collect::<Option<_>>()?;
    names.sort();
    names.dedup();
    Some(names)
}

fn compile_path(text: &str, field: Option<&str>, problems: &mut Vec<Problem>) -> Option<Selector> {
    match Selector::parse(text) {
        Ok(selector) => Some(selector),
        Err(error) => {
            let mut problem = Problem::error("invalid_path", error.to_string());
            if let Some(field) = field {
                problem = problem.field(field);
            }
            problems.push(problem);
            None
        }
    }
}

fn compile_binding(
    name: &str,
    binding: &BindingDoc,
    target: Target,
    problems: &mut Vec<Problem>,
) -> Option<CompiledField> {
    let label = match target {
        Target::Model(_) => name.to_string(),
        Target::Custom => format!("custom.{name}"),
    };
    let before = problems.len();
    let (source, mut kind) = match &binding.source {
        SourceDoc::Path(path) => (
            Source::Paths(
                compile_path(path, Some(&label), problems)
                    .into_iter()
                    .collect(),
            ),
            Kind::Any,
        ),
        SourceDoc::Paths(paths) => {
            let compiled: Vec<Selector> = paths
                .iter()
                .filter_map(|p| compile_path(p, Some(&label), problems))
                .collect();
            (Source::Paths(compiled), Kind::Any)
        }
        SourceDoc::Const(value) => (Source::Const(value.clone()), Kind::of(value)),
    };
    let mut steps = Vec::new();
    if binding.steps.len() > transform::MAX_STEPS {
        problems.push(
            Problem::error(
                "too_many_steps",
                format!(
                    "{} steps; a binding may have at most {} (split the work across fields, or simplify it)",
                    binding.steps.len(),
                    transform::MAX_STEPS
                ),
            )
            .field(&label)
            .step(transform::MAX_STEPS + 1),
        );
        return None;
    }
    for (index, step) in binding.steps.iter().enumerate() {
        let number = index + 1;
        let Some(transform) = transform::find(&step.function) else {
            let hint = transform::closest(&step.function)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_else(|| " (see docs/transforms.md for the list)".into());
            problems.push(
                Problem::error(
                    "unknown_function",
                    format!("unknown function `{}`{hint}", step.function),
                )
                .field(&label)
                .step(number),
            );
            kind = Kind::Any;
            continue;
        };
        if !transform.accepts.allows(kind) {
            problems.push(
                Problem::error(
                    "type_mismatch",
                    format!(
                        "`{}` takes {}, but {} gives {kind}",
                        transform.name,
                        transform.accepts.describe(),
                        previous(&steps, number)
                    ),
                )
                .field(&label)
                .step(number),
            );
        }
        match transform.compile(&step.args) {
            Ok(op) => {
                kind = if kind == Kind::Null && !transform.takes_null {
                    Kind::Null
                } else {
                    op.output(kind)
                };
                steps.push(Step { transform, op });
            }
            Err(message) => {
                problems.push(
                    Problem::error("invalid_argument", message)
                        .field(&label)
                        .step(number),
                );
                kind = Kind::Any;
            }
        }
    }
    if let Target::Model(field) = target {
        check_result(field, &source, &steps, kind, &label, problems);
    }
    if problems[before..].iter().any(is_fatal) {
        return None;
    }
    let proven = !steps.is_empty()
        && matches!(&target, Target::Model(field) if kind_proves(kind, &field.ty));
    Some(CompiledField {
        name: name.to_string(),
        target,
        source,
        steps,
        output_kind: kind,
        proven,
        source_heads: Vec::new(),
    })
}

fn previous(steps: &[Step], number: usize) -> String {
    match steps.last() {
        Some(step) if number > 1 => format!("step {} (`{}`)", number - 1, step.transform.name),
        _ => "the binding".into(),
    }
}

/// Checks what the last step gives against the target field's type.
fn check_result(
    field: &Field,
    source: &Source,
    steps: &[Step],
    kind: Kind,
    label: &str,
    problems: &mut Vec<Problem>,
) {
    if let Some(reason) = kind_mismatch(kind, &field.ty) {
        let what = match steps.last() {
            Some(step) => format!("the last step (`{}`)", step.transform.name),
            None => "the binding".into(),
        };
        problems.push(
            Problem::error(
                "type_mismatch",
                format!(
                    "{what} gives {kind}, but `{}` is {}; {reason}",
                    field.name,
                    field.ty.describe()
                ),
            )
            .field(label),
        );
        return;
    }
    // Closed sets of outputs (constants, value maps) are checked value by value.
    let outputs: Vec<&Value> = match (steps.last(), source) {
        (Some(step), _) => step.op.possible_outputs().unwrap_or_default(),
        (None, Source::Const(value)) => vec![value],
        (None, Source::Paths(_)) => Vec::new(),
    };
    for value in outputs {
        if let Err(error) = check_value(value, &field.ty) {
            problems.push(
                Problem::error(
                    error.code,
                    format!("`{}` can become {}", field.name, error.message),
                )
                .field(label),
            );
        }
    }
}

/// Whether every value of `kind` that a step gives is a valid value of `ty`. Steps
/// build their results (an RFC 3339 UTC string from `parse_datetime`, an i64 from
/// `to_integer`), so for these pairs the type holds by construction. Enums, keys and
/// objects constrain the value itself and are always checked.
fn kind_proves(kind: Kind, ty: &FieldType) -> bool {
    matches!(
        (kind, ty),
        (Kind::String, FieldType::String)
            | (Kind::Integer, FieldType::Integer | FieldType::Number)
            | (Kind::Number, FieldType::Number)
            | (Kind::Boolean, FieldType::Boolean)
            | (Kind::DateTime, FieldType::DateTime)
            | (Kind::Date, FieldType::Date)
    )
}

fn kind_mismatch(kind: Kind, ty: &FieldType) -> Option<&'static str> {
    let ok = matches!(
        (kind, ty),
        (Kind::Any | Kind::Null, _)
            | (
                Kind::String | Kind::DateTime | Kind::Date,
                FieldType::String | FieldType::Enum(_)
            )
            | (Kind::String, FieldType::Key(_))
            | (Kind::Integer, FieldType::Integer | FieldType::Number)
            | (Kind::Number, FieldType::Number)
            | (Kind::Boolean, FieldType::Boolean)
            | (Kind::DateTime, FieldType::DateTime)
            | (Kind::Date, FieldType::Date)
            | (Kind::Array, FieldType::Array(_))
            | (Kind::Object, FieldType::Object(_))
    );
    if ok {
        return None;
    }
    Some(match (kind, ty) {
        (Kind::Integer | Kind::Number | Kind::Boolean, FieldType::Key(_) | FieldType::String) => {
            "add a `to_string` step"
        }
        (Kind::String, FieldType::DateTime) => "add a `parse_datetime` step",
        (Kind::String, FieldType::Date) => "add a `parse_date` step",
        (Kind::String, FieldType::Integer) => "add a `to_integer` step",
        (Kind::String, FieldType::Number) => "add a `to_number` step",
        (Kind::String, FieldType::Boolean) => "add a `to_boolean` step",
        (Kind::Number, FieldType::Integer) => "add a `to_integer` step",
        _ => "change the steps so they give the field's type",
    })
}

/// A value that does not fit its field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueError {
    pub code: &'static str,
    pub message: String,
}

/// Checks a value against a field type (null is checked by the caller).
pub(crate) fn check_value(value: &Value, ty: &FieldType) -> Result<(), ValueError> {
    let wrong = |expected: &str| ValueError {
        code: "type_mismatch",
        message: format!(
            "{}, but the field is {expected}",
            crate::describe_value(value)
        ),
    };
    match (ty, value) {
        (_, Value::Null) => Ok(()),
        (FieldType::String, Value::String(_)) => Ok(()),
        (FieldType::Integer, Value::Number(n)) if n.is_i64() => Ok(()),
        (FieldType::Number, Value::Number(_)) => Ok(()),
        (FieldType::Boolean, Value::Bool(_)) => Ok(()),
        (FieldType::DateTime, Value::String(s)) => {
            if is_rfc3339_utc(s) {
                Ok(())
            } else {
                Err(ValueError {
                    code: "invalid_datetime",
                    message: format!(
                        "\"{s}\", which is not an RFC 3339 UTC date-time (add `parse_datetime`)"
                    ),
                })
            }
        }
        (FieldType::Date, Value::String(s)) => {
            match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(_) if s.len() == 10 => Ok(()),
                _ => Err(ValueError {
                    code: "invalid_date",
                    message: format!("\"{s}\", which is not a YYYY-MM-DD date"),
                }),
            }
        }
        (FieldType::Enum(values), Value::String(s)) => {
            if values.iter().any(|v| v.name == s) {
                Ok(())
            } else {
                let names: Vec<_> = values.iter().map(|v| v.name).collect();
                Err(ValueError {
                    code: "not_in_enum",
                    message: format!("\"{s}\", which is not one of {}", names.join(", ")),
                })
            }
        }
        (FieldType::Key(_), Value::String(s)) if !s.is_empty() => Ok(()),
        (FieldType::Key(_), Value::String(_)) => Err(ValueError {
            code: "empty_key",
            message: "an empty string, which is not a key".into(),
        }),
        (FieldType::Array(item), Value::Array(items)) => {
            items.iter().try_for_each(|v| check_value(v, item))
        }
        (FieldType::Object(members), Value::Object(map)) => {
            for (key, member) in map {
                let Some(field) = members.iter().find(|f| f.name == key) else {
                    return Err(ValueError {
                        code: "type_mismatch",
                        message: format!("an object with an unknown member `{key}`"),
                    });
                };
                check_value(member, &field.ty)?;
            }
            for field in members.iter().filter(|f| f.required) {
                if map.get(field.name).is_none_or(Value::is_null) {
                    return Err(ValueError {
                        code: "missing_required",
                        message: format!("an object without its required member `{}`", field.name),
                    });
                }
            }
            Ok(())
        }
        (FieldType::Enum(_), _) => Err(wrong("an enum (a string)")),
        (FieldType::Key(_), _) => Err(wrong("a key (a string)")),
        (ty, _) => Err(wrong(&ty.describe())),
    }
}

fn is_rfc3339_utc(text: &str) -> bool {
    text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

#[cfg(test)]
mod tests {
    /// The members of `Addresses` items read member by member, for customer.json with a
    /// custom field `x` bound by `binding` (none when empty).
    fn address_items(binding: &str) -> Option<Vec<String>> {
        let mut doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../mappings/corrigo/customer.json")).unwrap();
        if !binding.is_empty() {
            doc["custom"] = serde_json::json!({ "x": serde_json::from_str::<serde_json::Value>(binding).unwrap() });
        }
        let mapping = super::load(&doc.to_string(), None).unwrap();
        let table = mapping.member_table.as_ref().unwrap();
        let slot = mapping.heads.find("Addresses").unwrap();
        table.items[slot].clone()
    }

    #[test]
    fn items_keep_only_the_members_pick_and_reshape_read() {
        assert_eq!(
            address_items("").unwrap(),
            ["City", "Country", "State", "Street", "Street2", "TypeId", "Zip"]
        );
        let pick_path = r#"{"path": "$.Addresses", "steps": [{"fn": "pick", "where": {"Role": "Bill"}, "path": "$.Extra"}]}"#;
        assert_eq!(
            address_items(pick_path).unwrap(),
            ["City", "Country", "Extra", "Role", "State", "Street", "Street2", "TypeId", "Zip"]
        );
        // The array, a whole item, or a deeper path reaches the output, or another step
        // reads the member: nothing is left out.
        for binding in [
            r#"{"path": "$.Addresses", "steps": [{"fn": "pick", "where": {"TypeId": "Primary"}}]}"#,
            r#"{"path": "$.Addresses", "steps": ["count"]}"#,
            r#"{"path": "$.Addresses"}"#,
            r#"{"path": "$.Addresses[0].City"}"#,
            r#"{"path": "$.Addresses[*].City"}"#,
            r#"{"path": "$.Addresses", "steps": [{"fn": "pick", "path": "$..City"}]}"#,
            r#"{"path": "$.Id", "steps": [{"fn": "template", "template": "{Addresses}"}]}"#,
        ] {
            assert_eq!(address_items(binding), None, "{binding}");
        }
    }
}
