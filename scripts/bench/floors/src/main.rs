//! The floors `unifield apply` is measured against (scripts/bench-engine):
//!
//! - `floors roundtrip`: parse each JSON line into a `serde_json::Value` and write it back.
//!   What any program that reads and writes whole records pays.
//! - `floors members A,B,C`: the fair floor. Parse only the top-level members a mapping
//!   reads (the others are skipped unparsed, as `unifield apply` skips them), and write
//!   those back as one object per line. No mapping that reads those members can be cheaper.
//!
//! Same buffered I/O as `unifield apply`: 64 KiB reader and writer, one line at a time.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

/// Reads one JSON object keeping only the members in `wanted`.
struct Members<'a> {
    wanted: &'a HashSet<String>,
}

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.wanted.contains(key.as_ref()) {
                kept.insert(key.into_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(kept)
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wanted: Option<HashSet<String>> = match args.first().map(String::as_str) {
        Some("roundtrip") => None,
        Some("members") => Some(
            args.get(1)
                .map(|list| list.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        ),
        _ => {
            eprintln!(
                "usage: floors roundtrip | floors members NAME,NAME,…   (JSON Lines on stdin)"
            );
            std::process::exit(2);
        }
    };
    let input = BufReader::with_capacity(1 << 16, io::stdin().lock());
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    for line in input.split(b'\n') {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match &wanted {
            None => {
                let value: Value = serde_json::from_slice(&line).map_err(io::Error::other)?;
                serde_json::to_writer(&mut out, &value)?;
            }
            Some(wanted) => {
                let mut reader = serde_json::Deserializer::from_slice(&line);
                let kept = Members { wanted }
                    .deserialize(&mut reader)
                    .map_err(io::Error::other)?;
                serde_json::to_writer(&mut out, &kept)?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()
}
