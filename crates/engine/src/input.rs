//! Reading source records: a JSON array, JSON Lines, or Corrigo's own response envelopes
//! (`{"Data":{…}}`, `{"Entities":[{"Data":{…}}]}`, `{"CommandResult":{"Wo":{…}}}`),
//! so an API response can be piped straight in.
//!
//! JSON Lines and arrays stream: one record is in memory at a time. A bad line is
//! reported with its number and the next lines still read. A top-level array stops at
//! its first *syntax* error (nothing after it can be trusted), but an element that is
//! well-formed yet unreadable (a number beyond f64, nesting past 128 levels) is reported
//! alone. Any other document (a pretty-printed envelope) is read whole.

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;
use std::io::{self, BufRead};

/// Where a record or a problem sits in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 1-based line of a JSON Lines input.
    Line(usize),
    /// 1-based element of a top-level array.
    Element(usize),
    /// The whole input, read as one document.
    Document,
    /// 1-based position among records read from a workspace's cache.
    Cached(usize),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Line(n) => write!(f, "line {n}"),
            Origin::Element(n) => write!(f, "element {n}"),
            Origin::Document => f.write_str("the document"),
            Origin::Cached(n) => write!(f, "cached record {n}"),
        }
    }
}

/// Input that could not be read as records.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct InputError {
    pub origin: Origin,
    pub message: String,
}

/// One source record and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRecord {
    pub origin: Origin,
    pub value: Value,
}

/// Reads every record of `reader`, calling `on` for each record or unreadable part.
/// Only an I/O failure of the reader itself stops it early.
pub fn read_records<R: BufRead>(
    reader: R,
    on: impl FnMut(Result<InputRecord, InputError>),
) -> io::Result<()> {
    read_records_projected(reader, None, on)
}

/// Like [`read_records`], but JSON Lines records keep only the top-level members named
/// in `keep` (plus Corrigo's envelope members); the rest are skipped without being
/// parsed into values. Pass `Mapping::members_read()`: the mapping's output is the same,
/// and most of the cost of reading a record is building values it never looks at.
/// Skipped members are still checked for JSON syntax, but a value that is well-formed
/// yet unrepresentable (a number beyond f64) no longer fails a record that never reads it.
pub fn read_records_projected<R: BufRead>(
    mut reader: R,
    keep: Option<&[String]>,
    mut on: impl FnMut(Result<InputRecord, InputError>),
) -> io::Result<()> {
    match first_byte(&mut reader)? {
        None => Ok(()),
        Some(b'[') => read_array(reader, &mut on),
        Some(_) => read_lines(reader, keep, None, &mut |read| match read {
            Read::Record(item) => on(item),
            // Only asked for with a member table.
            Read::Members(..) => {}
        }),
    }
}

/// The first byte that is not whitespace, consumed up to it (`None` at the end).
fn first_byte<R: BufRead>(reader: &mut R) -> io::Result<Option<u8>> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(None);
        }
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => {
                let byte = buffer[at];
                reader.consume(at);
                return Ok(Some(byte));
            }
            None => {
                let len = buffer.len();
                reader.consume(len);
            }
        }
    }
}

/// What [`read_members`] passes on for each record.
pub(crate) enum Read<'s> {
    /// A plain record, read member by member: one slot per name of the table.
    Members(Origin, &'s [Option<Value>]),
    /// Anything else (an envelope, a line that is not a record or does not parse, an
    /// array's element), read exactly as [`read_records_projected`] reads it.
    Record(Result<InputRecord, InputError>),
}

/// [`read_records_projected`] for a mapping with a member table (`compile::member_table`):
/// each JSON line that is a plain record is read straight into `slots` slots, one per
/// name the mapping reads (the first `slots` names of `table`), and no object is built
/// for the record itself: neither its map nor the hash of each member name. A line that
/// holds one of the envelope members (the names after the first `slots`), is not an
/// object, or fails to parse is read again the usual way, so envelopes, error messages
/// and their locations are exactly [`read_records_projected`]'s.
pub(crate) fn read_members<R: BufRead>(
    mut reader: R,
    keep: &[String],
    table: &crate::compile::MemberTable,
    mut on: impl FnMut(Read<'_>),
) -> io::Result<()> {
    match first_byte(&mut reader)? {
        None => Ok(()),
        Some(b'[') => read_array(reader, &mut |item| on(Read::Record(item))),
        Some(_) => read_lines(reader, Some(keep), Some(table), &mut on),
    }
}

/// Reads a record's members into `slots` (see [`read_members`]); an error when the line
/// is not a plain record, so the caller reads it the usual way.
pub(crate) fn parse_members(
    line: &[u8],
    table: &crate::compile::MemberTable,
    slots: &mut [Option<Value>],
) -> serde_json::Result<()> {
    // A line that is valid UTF-8 throughout (nearly every line) is checked once, whole,
    // rather than string by string as a byte slice's strings are (a tenth of reading a
    // record's members). Any other line is read as bytes, as `parse_line` reads it.
    match std::str::from_utf8(line) {
        Ok(text) => parse_members_str(text, table, slots),
        Err(_) => {
            let mut deserializer = serde_json::Deserializer::from_slice(line);
            serde::Deserializer::deserialize_map(&mut deserializer, Members { table, slots })?;
            deserializer.end()
        }
    }
}

/// [`parse_members`] of a record already known to be text (a cache's): not checked for
/// UTF-8 again.
pub(crate) fn parse_members_str(
    text: &str,
    table: &crate::compile::MemberTable,
    slots: &mut [Option<Value>],
) -> serde_json::Result<()> {
    if scan_members(text, table, slots).is_some() {
        return Ok(());
    }
    // Not a record the scanner takes (an envelope, an escaped name, a value serde_json
    // refuses): read by serde_json, whose errors the caller reports.
    slots.fill_with(|| None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_map(&mut deserializer, Members { table, slots })?;
    deserializer.end()
}

/// [`parse_members`] through the scanner (`scan.rs`): members nobody reads are skipped by
/// it, the rest built as it reads them ([`build`]). `None` when the scanner gives up, a
/// member is an envelope's, or a value read is one serde_json refuses: the caller then
/// reads the line with serde_json, which reports what is wrong and where.
fn scan_members(
    text: &str,
    table: &crate::compile::MemberTable,
    slots: &mut [Option<Value>],
) -> Option<()> {
    let bytes = text.as_bytes();
    let start = crate::scan::skip_whitespace(bytes, 0);
    let end = crate::scan::object_members_at(text, start, |name, at| {
        let Some(slot) = table.names.find(name) else {
            return crate::scan::value_end(bytes, at);
        };
        if slot >= slots.len() {
            return None;
        }
        let (value, end) = match &table.items[slot] {
            Some(names) => build_items(text, at, names)?,
            None => build(text, at, 0)?,
        };
        slots[slot] = Some(if table.wrapped[slot] {
            let mut own = serde_json::Map::with_capacity(1);
            own.insert(name.to_owned(), value);
            Value::Object(own)
        } else {
            value
        });
        Some(end)
    })?;
    (crate::scan::skip_whitespace(bytes, end) == bytes.len()).then_some(())
}

/// [`build`] for a member whose items are looked at only by their members `names`
/// (`MemberTable::items`): an array's object items keep only those members, the rest
/// skipped unbuilt. Anything else is built whole. A skipped value that serde_json could
/// not build (a number out of f64's range, an escaped string it might refuse, nesting)
/// is built to find out, so the record fails exactly where it failed before.
fn build_items(text: &str, at: usize, names: &[String]) -> Option<(Value, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'[') {
        return build(text, at, 0);
    }
    let mut items = Vec::new();
    let end = crate::scan::array_items_at(text, at, |item| {
        if bytes.get(item) != Some(&b'{') {
            let (value, end) = build(text, item, 1)?;
            items.push(value);
            return Some(end);
        }
        let mut entries: Vec<(String, Value)> = Vec::new();
        let end = crate::scan::object_members_at(text, item, |name, value| {
            if names.iter().any(|n| n == name) {
                let (value, end) = build(text, value, 2)?;
                entries.push((name.to_owned(), value));
                return Some(end);
            }
            let end = crate::scan::value_end(bytes, value)?;
            let plain = match bytes[value] {
                b'"' => !bytes[value..end].contains(&b'\\'),
                b't' | b'f' | b'n' => true,
                // Without an exponent and this short, a number is finite as an f64.
                b'-' | b'0'..=b'9' => {
                    end - value < 300 && !bytes[value..end].iter().any(|b| matches!(b, b'e' | b'E'))
                }
                _ => false,
            };
            if !plain {
                build(text, value, 2)?;
            }
            Some(end)
        })?;
        let mut object = serde_json::Map::with_capacity(entries.len());
        object.extend(entries);
        items.push(Value::Object(object));
        Some(end)
    })?;
    Some((Value::Array(items), end))
}

/// The value starting at `at` in `text` and where it ends, `depth` containers down:
/// what serde_json (through [`Presized`]) reads there, built in the scanner's one pass
/// (serde_json's deserializer would read the text again token by token: a fifth of
/// mapping records whose members are small objects and arrays of them). Strings without
/// escapes, literals and small integers are built directly; containers from their
/// members and items, an object at its final size with the last of a repeated name
/// winning in the first one's place, as `Presized` builds it; other numbers and escaped
/// strings by serde_json itself. `None` where the scanner gives up or serde_json refuses.
fn build(text: &str, at: usize, depth: usize) -> Option<(Value, usize)> {
    use crate::scan::{
        array_items_at, literal_end, number_end, object_members_at, string_end_escaped, MAX_DEPTH,
    };
    let bytes = text.as_bytes();
    let by_serde = |end: usize| {
        let mut deserializer = serde_json::Deserializer::from_str(&text[at..end]);
        let value = Presized.deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some((value, end))
    };
    match *bytes.get(at)? {
        b'"' => {
            let (end, escaped) = string_end_escaped(bytes, at + 1)?;
            if escaped {
                return by_serde(end);
            }
            Some((Value::String(text[at + 1..end - 1].to_owned()), end))
        }
        b't' => Some((Value::Bool(true), literal_end(bytes, at, b"true")?)),
        b'f' => Some((Value::Bool(false), literal_end(bytes, at, b"false")?)),
        b'n' => Some((Value::Null, literal_end(bytes, at, b"null")?)),
        b'-' | b'0'..=b'9' => {
            let end = number_end(bytes, at)?;
            let digits = &bytes[at..end];
            // A non-negative integer of at most 19 digits always fits a u64, as
            // serde_json reads it (the scanner checked the grammar: no leading zero).
            if digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit) {
                return Some((Value::from(text[at..end].parse::<u64>().ok()?), end));
            }
            by_serde(end)
        }
        b'[' if depth < MAX_DEPTH => {
            let mut items = Vec::new();
            let end = array_items_at(text, at, |item| {
                let (value, end) = build(text, item, depth + 1)?;
                items.push(value);
                Some(end)
            })?;
            Some((Value::Array(items), end))
        }
        b'{' if depth < MAX_DEPTH => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            let end = object_members_at(text, at, |name, value| {
                let (value, end) = build(text, value, depth + 1)?;
                entries.push((name.to_owned(), value));
                Some(end)
            })?;
            let mut object = serde_json::Map::with_capacity(entries.len());
            object.extend(entries);
            Some((Value::Object(object), end))
        }
        _ => None,
    }
}

struct Members<'s> {
    table: &'s crate::compile::MemberTable,
    slots: &'s mut [Option<Value>],
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.table.names.find(&key) {
                // A repeated member: the last one wins, as in an object.
                Some(slot) if self.table.wrapped.get(slot) == Some(&true) => {
                    let mut own = serde_json::Map::with_capacity(1);
                    own.insert(key.into_owned(), map.next_value_seed(Presized)?);
                    self.slots[slot] = Some(Value::Object(own));
                }
                Some(slot) if slot < self.slots.len() => {
                    self.slots[slot] = Some(map.next_value_seed(Presized)?);
                }
                Some(_) => {
                    return Err(serde::de::Error::custom(
                        "an envelope member: the line is read whole",
                    ))
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Parses one record's JSON text, keeping only the top-level members in `keep` (every
/// member when `None`), as [`read_records_projected`] does for each line.
pub fn parse_record(text: &str, keep: Option<&[String]>) -> serde_json::Result<Value> {
    match keep {
        None => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let value = Presized.deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        }
        Some(keep) => {
            if let Some(value) = scan_projected(text, keep) {
                return Ok(value);
            }
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let value = Projected { keep, index: None }.deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        }
    }
}

/// [`Projected`] through the scanner (see [`scan_members`]): the same object, or `None`
/// for serde_json to read (and report on) instead.
fn scan_projected(text: &str, keep: &[String]) -> Option<Value> {
    let bytes = text.as_bytes();
    let mut out = serde_json::Map::with_capacity(keep.len());
    let start = crate::scan::skip_whitespace(bytes, 0);
    let end = crate::scan::object_members_at(text, start, |name, at| {
        if keep.iter().any(|k| k == name) || ENVELOPE_MEMBERS.contains(&name) {
            let (value, end) = build(text, at, 0)?;
            out.insert(name.to_owned(), value);
            Some(end)
        } else {
            crate::scan::value_end(bytes, at)
        }
    })?;
    (crate::scan::skip_whitespace(bytes, end) == bytes.len()).then_some(Value::Object(out))
}

/// Members of a CommandResult that are never records.
const NOT_RECORDS: [&str; 2] = ["ErrorInfo", "UpdatedPropertySet"];

/// Members that hold records inside Corrigo's envelopes: never projected away.
pub(crate) const ENVELOPE_MEMBERS: [&str; 6] = [
    "Data",
    "Entities",
    "CommandResult",
    "ErrorCode",
    "ErrorMessage",
    "EntitySpecifier",
];

/// A JSON value whose objects are built at their final size. serde_json's own visitor
/// grows each object's map from empty, and with the workspace's `preserve_order` that
/// is an IndexMap rehashed at every doubling: a tenth of reading a record (issue 14's
/// profile). Same values, same duplicate-key rule (the last wins), same depth limit
/// (the deserializer's).
struct Presized;

impl<'de> DeserializeSeed<'de> for Presized {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(Presized)
    }
}

impl<'de> Visitor<'de> for Presized {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value_seed(Presized)?));
        }
        let mut out = serde_json::Map::with_capacity(entries.len());
        out.extend(entries);
        Ok(Value::Object(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Presized)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Presized.deserialize(d)
    }
}

/// Parses one JSON object keeping only the named members.
struct Projected<'k> {
    keep: &'k [String],
    /// `keep` and [`ENVELOPE_MEMBERS`] as a table, built once per input: a record's
    /// members are then matched in constant time rather than by comparing each name.
    index: Option<&'k crate::heads::Heads>,
}

impl<'de> DeserializeSeed<'de> for Projected<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Projected<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // Sized up front: growing a map from empty rehashes it several times per record.
        let mut out = serde_json::Map::with_capacity(self.keep.len());
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let wanted = match self.index {
                Some(index) => index.contains(&key),
                None => {
                    self.keep.iter().any(|k| k == key.as_ref())
                        || ENVELOPE_MEMBERS.contains(&key.as_ref())
                }
            };
            if wanted {
                out.insert(key.into_owned(), map.next_value_seed(Presized)?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }
    // Anything but an object is read whole, so the usual error ("expected a record") applies.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Presized.visit_seq(seq)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

fn parse_line(
    line: &[u8],
    keep: Option<&[String]>,
    index: Option<&crate::heads::Heads>,
) -> serde_json::Result<Value> {
    match keep {
        None => {
            let mut deserializer = serde_json::Deserializer::from_slice(line);
            let value = Presized.deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        }
        Some(names) => {
            let mut deserializer = serde_json::Deserializer::from_slice(line);
            let value = Projected { keep: names, index }.deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        }
    }
}

fn read_lines<R: BufRead>(
    mut reader: R,
    keep: Option<&[String]>,
    members: Option<&crate::compile::MemberTable>,
    on: &mut impl FnMut(Read<'_>),
) -> io::Result<()> {
    let index = keep.map(|keep| {
        crate::heads::Heads::of(
            keep.iter()
                .map(String::as_str)
                .chain(ENVELOPE_MEMBERS.iter().copied()),
        )
    });
    let mut slots: Vec<Option<Value>> = Vec::new();
    slots.resize_with(members.map_or(0, |table| table.wrapped.len()), || None);
    let mut line = Vec::new();
    let mut number = 0;
    let mut first = true;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Some(table) = members {
            slots.fill_with(|| None);
            if parse_members(&line, table, &mut slots).is_ok() {
                first = false;
                on(Read::Members(Origin::Line(number), &slots));
                continue;
            }
        }
        match parse_line(&line, keep, index.as_ref()) {
            Ok(value) => emit(value, Origin::Line(number), &mut |item| {
                on(Read::Record(item))
            }),
            // A first line that ends mid-value is the start of a multi-line document.
            Err(error) if first && error.is_eof() => {
                let mut whole = std::mem::take(&mut line);
                reader.read_to_end(&mut whole)?;
                return read_document(&whole, &mut |item| on(Read::Record(item)));
            }
            Err(error) => on(Read::Record(Err(InputError {
                origin: Origin::Line(number),
                message: crate::json_error_message(&error),
            }))),
        }
        first = false;
    }
}

fn read_document(
    text: &[u8],
    on: &mut impl FnMut(Result<InputRecord, InputError>),
) -> io::Result<()> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Array(items)) => {
            for (index, item) in items.into_iter().enumerate() {
                emit(item, Origin::Element(index + 1), on);
            }
        }
        Ok(value) => emit(value, Origin::Document, on),
        Err(error) => on(Err(InputError {
            origin: Origin::Line(error.line()),
            message: format!(
                "{} (column {})",
                crate::json_error_message(&error),
                error.column()
            ),
        })),
    }
    Ok(())
}

fn read_array<R: BufRead>(
    reader: R,
    on: &mut impl FnMut(Result<InputRecord, InputError>),
) -> io::Result<()> {
    struct Elements<'a, F>(&'a mut F);

    impl<'de, F: FnMut(Result<InputRecord, InputError>)> Visitor<'de> for Elements<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut index = 0;
            while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
                index += 1;
                let origin = Origin::Element(index);
                match serde_json::from_str::<Value>(raw.get()) {
                    Ok(value) => emit(value, origin, self.0),
                    Err(error) => (self.0)(Err(InputError {
                        origin,
                        message: crate::json_error_message(&error),
                    })),
                }
            }
            Ok(())
        }
    }

    impl<'de, F: FnMut(Result<InputRecord, InputError>)> DeserializeSeed<'de> for Elements<'_, F> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    // serde_json reads a `Read` byte by byte, so the reader must be buffered (it is: BufRead).
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    if let Err(error) = Elements(on)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
    {
        if error.is_io() {
            return Err(io::Error::other(error));
        }
        on(Err(InputError {
            origin: Origin::Line(error.line()),
            message: format!(
                "{} (column {}); the rest of the array is not read",
                crate::json_error_message(&error),
                error.column()
            ),
        }));
    }
    Ok(())
}

/// Unwraps Corrigo envelopes and passes each record (or error) to `on`.
fn emit(value: Value, origin: Origin, on: &mut impl FnMut(Result<InputRecord, InputError>)) {
    match unwrap_envelope(value) {
        Ok(records) => {
            for value in records {
                on(Ok(InputRecord { origin, value }));
            }
        }
        Err(message) => on(Err(InputError { origin, message })),
    }
}

/// The records inside a Corrigo response envelope, or the value itself when it is a
/// plain record. Corrigo's error envelope becomes an error.
pub fn unwrap_envelope(value: Value) -> Result<Vec<Value>, String> {
    let Value::Object(mut object) = value else {
        return Err(format!(
            "expected a record (a JSON object), got {}",
            crate::describe_value(&value)
        ));
    };
    if object.contains_key("ErrorCode")
        && object.contains_key("ErrorMessage")
        && !object.contains_key("Id")
    {
        let code = object
            .get("ErrorCode")
            .map(|c| c.to_string())
            .unwrap_or_default();
        let message = object
            .get("ErrorMessage")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(format!(
            "a Corrigo error response, not a record: {code} {message}"
        ));
    }
    if object.len() <= 2 {
        if object.get("EntitySpecifier").is_some_and(Value::is_object) {
            return Err("a Corrigo write acknowledgement (EntitySpecifier), not a record".into());
        }
        if let Some(Value::Object(_)) = object.get("Data") {
            return Ok(vec![object.remove("Data").expect("checked")]);
        }
        if let Some(Value::Array(_)) = object.get("Entities") {
            let Some(Value::Array(entities)) = object.remove("Entities") else {
                unreachable!()
            };
            return Ok(entities
                .into_iter()
                .map(|entity| match entity {
                    Value::Object(mut wrapper)
                        if wrapper.len() == 1
                            && wrapper.get("Data").is_some_and(Value::is_object) =>
                    {
                        wrapper.remove("Data").expect("checked")
                    }
                    other => other,
                })
                .collect());
        }
        if let Some(Value::Object(result)) = object.get_mut("CommandResult") {
            // A command's record is `Wo` (work-order commands) or the one object member
            // of other results (`WorkZone`, `Financial`). The legacy
            // `ErrorInfo{Number,Description,Type}` and `UpdatedPropertySet` are never
            // records: a result holding nothing else is an error.
            let key = if result.get("Wo").is_some_and(Value::is_object) {
                Some("Wo".to_string())
            } else {
                result
                    .iter()
                    .find(|(k, v)| v.is_object() && !NOT_RECORDS.contains(&k.as_str()))
                    .map(|(k, _)| k.clone())
            };
            if let Some(key) = key {
                return Ok(vec![result.remove(&key).expect("found")]);
            }
            if let Some(Value::Object(info)) = result.get("ErrorInfo") {
                let number = info.get("Number").map(Value::to_string).unwrap_or_default();
                let description = info
                    .get("Description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return Err(format!(
                    "a Corrigo command result carrying an error (ErrorInfo), not a record: {number} {description}"
                ));
            }
            let members: Vec<&str> = result.keys().map(String::as_str).collect();
            return Err(format!(
                "a Corrigo command result with no record in it (members: {})",
                if members.is_empty() {
                    "none".to_string()
                } else {
                    members.join(", ")
                }
            ));
        }
    }
    Ok(vec![Value::Object(object)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &[u8]) -> (Vec<(Origin, Value)>, Vec<String>) {
        let mut records = Vec::new();
        let mut errors = Vec::new();
        read_records(text, |item| match item {
            Ok(r) => records.push((r.origin, r.value)),
            Err(e) => errors.push(e.to_string()),
        })
        .unwrap();
        (records, errors)
    }

    #[test]
    fn presized_values_equal_serde_jsons_and_fail_where_it_fails() {
        let texts = [
            r#"{"a":1,"b":[1,2.5,-3,18446744073709551615],"c":{"x":null,"y":true,"x":"last"},"d":"\u00e9\n"}"#,
            r#"[{"z":1,"a":2},[],{},"s",false]"#,
            r#""just a string""#,
            r#"{"deep":[[[[{"k":[{"v":1e-7}]}]]]]}"#,
        ];
        for text in texts {
            let want: Value = serde_json::from_str(text).unwrap();
            let got = parse_record(text, None).unwrap();
            assert_eq!(got, want, "{text}");
            // Same member order (the workspace's serde_json keeps it).
            assert_eq!(got.to_string(), want.to_string(), "{text}");
        }
        let too_deep = "[".repeat(200) + &"]".repeat(200);
        let error = parse_record(&too_deep, None).unwrap_err();
        let want = serde_json::from_str::<Value>(&too_deep).unwrap_err();
        assert_eq!(error.to_string(), want.to_string());
        for bad in [r#"{"a":1,}"#, r#"{"a":1e400}"#, r#"{"a":"x"} trailing"#] {
            let error = parse_record(bad, None).unwrap_err();
            let want = serde_json::from_str::<Value>(bad).unwrap_err();
            assert_eq!(
                (error.line(), error.column()),
                (want.line(), want.column()),
                "{bad}"
            );
        }
    }

    #[test]
    fn json_lines_keep_going_past_bad_lines_and_name_them() {
        let input = b"{\"Id\":1}\n{\"Id\":\n\xff\xfe\n\n{\"Id\":1e400}\n{\"Id\":4}";
        let (records, errors) = read(input);
        assert_eq!(
            records,
            vec![
                (Origin::Line(1), json!({"Id": 1})),
                (Origin::Line(6), json!({"Id": 4}))
            ]
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 2:"), "{errors:?}");
        assert!(errors[1].starts_with("line 3:"), "{errors:?}");
        assert!(
            errors[2].starts_with("line 5:") && errors[2].contains("number out of range"),
            "{errors:?}"
        );
    }

    #[test]
    fn arrays_stream_and_report_bad_elements_alone() {
        let (records, errors) = read(b" [{\"Id\":1}, {\"Id\": 1e999}, {\"Id\":3}]");
        assert_eq!(
            records.iter().map(|r| r.0).collect::<Vec<_>>(),
            [Origin::Element(1), Origin::Element(3)]
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("element 2:"), "{errors:?}");
        let (records, errors) = read(b"[{\"Id\":1},\n {\"Id\" 2}]");
        assert_eq!(records.len(), 1);
        assert!(
            errors[0].starts_with("line 2:") && errors[0].contains("not read"),
            "{errors:?}"
        );
    }

    #[test]
    fn projection_keeps_named_members_and_envelopes_and_reports_the_same_errors() {
        let keep = vec!["Id".to_string(), "WorkZone".to_string()];
        let input = b"{\"Id\":1,\"Skip\":{\"deep\":[1,2,{\"x\":\"y\"}]},\"WorkZone\":{\"Id\":6}}\n{\"Data\":{\"Id\":2,\"Skip\":true}}\n{\"Id\":3e400,\"Skip\":1}\n[1]\n{\"Id\":\n{\"Id\":4,\"Skip\":1e400}\n{\"Id\":5,\"Skip\":[}\n";
        let mut records = Vec::new();
        let mut errors = Vec::new();
        read_records_projected(&input[..], Some(&keep), |item| match item {
            Ok(r) => records.push(r.value),
            Err(e) => errors.push(e.to_string()),
        })
        .unwrap();
        assert_eq!(
            records,
            vec![
                json!({"Id": 1, "WorkZone": {"Id": 6}}),
                json!({"Id": 2, "Skip": true}),
                json!({"Id": 4})
            ],
            "an unreadable number in a member nobody reads does not fail the record"
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].starts_with("line 3:") && errors[0].contains("number out of range"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("line 4:") && errors[1].contains("expected a record"),
            "{errors:?}"
        );
        assert!(errors[2].starts_with("line 5:"), "{errors:?}");
        assert!(
            errors[3].starts_with("line 7:"),
            "a syntax error in a skipped member still counts: {errors:?}"
        );
    }

    #[test]
    fn corrigo_envelopes_unwrap() {
        let pretty = serde_json::to_vec_pretty(
            &json!({"Entities": [{"Data": {"Id": 1}}, {"Data": {"Id": 2}}]}),
        )
        .unwrap();
        let (records, _) = read(&pretty);
        assert_eq!(
            records
                .iter()
                .map(|r| r.1["Id"].clone())
                .collect::<Vec<_>>(),
            [json!(1), json!(2)]
        );
        let (records, _) = read(br#"{"CommandResult":{"Wo":{"Id":7}},"RequestId":"1234"}"#);
        assert_eq!(records[0].1, json!({"Id": 7}));
        let (records, errors) = read(
            br#"{"CommandResult":{"ErrorInfo":{"Number":12,"Description":"Work order is locked","Type":"Error"},"UpdatedPropertySet":{"Id":3}}}"#,
        );
        assert!(
            records.is_empty()
                && errors[0].contains("ErrorInfo")
                && errors[0].contains("Work order is locked"),
            "a legacy ErrorInfo is an error, not a record: {records:?} {errors:?}"
        );
        let (records, errors) = read(
            br#"{"CommandResult":{"Url":"https://am-ce98c.corrigo.com/","CompanyName":"C"},"RequestId":"1"}"#,
        );
        assert!(
            records.is_empty() && errors[0].contains("no record"),
            "{records:?} {errors:?}"
        );
        let (records, _) = read(br#"{"CommandResult":{"WorkZone":{"Id":534},"ErrorInfo":null}}"#);
        assert_eq!(
            records[0].1,
            json!({"Id": 534}),
            "other commands' records still read"
        );
        let (records, _) = read(br#"{"Data":{"Id":9}}"#);
        assert_eq!(records[0].1, json!({"Id": 9}));
        let (_, errors) =
            read(br#"{"ErrorMessage":"Nope","ErrorCode":"ERROR_CODE_6","TimeStamp":"x"}"#);
        assert!(errors[0].contains("ERROR_CODE_6"), "{errors:?}");
        let (records, errors) = read(br#"{"EntitySpecifier":{"Id":8599,"ConcurrencyId":2}}"#);
        assert!(
            records.is_empty() && errors[0].contains("EntitySpecifier"),
            "{errors:?}"
        );
    }

    /// A member's value as text: atoms serde_json reads differently from how it skips
    /// them (`1e400`, a lone surrogate escape), escapes, non-ASCII, nested containers.
    fn value_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let atoms = [
            "0",
            "-0",
            "12",
            "1.5",
            "-2e3",
            "1e400",
            "18446744073709551616",
            "1234567890123456789",
            "true",
            "false",
            "null",
            "\"\"",
            "\"text, longer than eight\"",
            "\"a\\\"b\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "\"é – ü\"",
            "\"tab\\tx\"",
        ];
        prop::sample::select(atoms.to_vec())
            .prop_map(String::from)
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4)
                        .prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec(
                        (prop::sample::select(vec!["a", "Id", "x\\\"y"]), inner),
                        0..4
                    )
                    .prop_map(|members| {
                        let members: Vec<String> = members
                            .iter()
                            .map(|(k, v)| format!("\"{k}\": {v}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }),
                ]
            })
    }

    /// A record's text, then up to three bytes replaced by JSON's own characters, an
    /// escape, a control character or number parts: mostly near-misses of a record.
    fn damaged_record() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let names = vec!["Id", "Name", "Skip", "Data", "A\\u0041", "Wrapped"];
        let damage = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "e", "1", " ", "\u{1}", "\t", "-", ".", "0",
        ];
        (
            prop::collection::vec((prop::sample::select(names), value_text()), 0..6),
            prop::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    prop::sample::select(damage.to_vec()),
                ),
                0..3,
            ),
        )
            .prop_map(|(members, damage)| {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                let mut bytes = format!("{{{}}}\n", members.join(",")).into_bytes();
                for (at, with) in damage {
                    let at = at.index(bytes.len());
                    bytes.splice(at..=at, with.bytes());
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, ..Default::default() })]

        /// The scanner takes only text serde_json takes, and what it reads is what
        /// serde_json reads: for the projection and for the member slots.
        #[test]
        fn the_scanner_reads_what_serde_json_reads(text in damaged_record()) {
            let scanned = crate::scan::object_members(&text, |_, _| Some(())).is_some();
            if scanned {
                proptest::prop_assert!(
                    serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(),
                    "the scanner took what serde_json refuses: {:?}", text
                );
            }
            let keep = vec!["Id".to_string(), "Skip".to_string(), "Wrapped".to_string()];
            if let Some(value) = scan_projected(&text, &keep) {
                let mut deserializer = serde_json::Deserializer::from_str(&text);
                let want = Projected { keep: &keep, index: None }
                    .deserialize(&mut deserializer)
                    .and_then(|value| deserializer.end().map(|()| value));
                proptest::prop_assert_eq!(
                    want.as_ref().map(Value::to_string).ok(),
                    Some(value.to_string()),
                    "{:?}", text
                );
            }
            let table = crate::compile::MemberTable {
                names: crate::heads::Heads::of(
                    ["Id", "Name", "Wrapped"].into_iter().chain(ENVELOPE_MEMBERS),
                ),
                wrapped: vec![false, false, true],
                items: vec![None, Some(vec!["Id".to_string(), "a".to_string()]), None],
            };
            let mut slots = vec![None, None, None];
            if scan_members(&text, &table, &mut slots).is_some() {
                let mut want = vec![None, None, None];
                let mut deserializer = serde_json::Deserializer::from_str(&text);
                let read = serde::Deserializer::deserialize_map(
                    &mut deserializer,
                    Members { table: &table, slots: &mut want },
                )
                .and_then(|()| deserializer.end());
                proptest::prop_assert!(read.is_ok(), "{:?}", text);
                // `Name`'s array items keep only their `Id` and `a` (MemberTable::items).
                if let Some(Value::Array(items)) = &mut want[1] {
                    for item in items {
                        if let Value::Object(members) = item {
                            members.retain(|name, _| name == "Id" || name == "a");
                        }
                    }
                }
                proptest::prop_assert_eq!(
                    format!("{want:?}"),
                    format!("{slots:?}"),
                    "{:?}", text
                );
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!(
            "{}{}\n{{\"Id\":2}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let (records, errors) = read(format!("{{\"a\":{deep}").as_bytes());
        assert_eq!(records, vec![(Origin::Line(2), json!({"Id": 2}))]);
        assert!(errors[0].starts_with("line 1:"), "{errors:?}");
        let line = format!(
            "{{\"a\":{}{}}}\n{{\"Id\":2}}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let (records, errors) = read(line.as_bytes());
        assert_eq!(records.len(), 1);
        assert!(errors[0].contains("recursion limit"), "{errors:?}");
    }
}
