//! A fast path for reading a record member by member: splits one JSON object's text into
//! its members (name, value text) with a validating byte scanner, so members nobody reads
//! are skipped in one tight loop instead of serde_json's token-by-token `IgnoredAny`
//! (most of the cost of filtering cached records on one field, issue 14 goal 2).
//!
//! The scanner only ever *accepts* text that serde_json accepts for the same use (a
//! skipped member's value is checked exactly as `IgnoredAny` checks it: the grammar, no
//! control characters in strings, valid escapes; a number's range is not checked). It
//! gives up (`None`) on anything else, and on what it does not handle itself (an
//! escaped member name, nesting deeper than [`MAX_DEPTH`]): the caller then reads the
//! text the usual way, so every error and its location stays serde_json's own.

/// Deeper nesting than this is left to serde_json, which knows its own recursion limit
/// (128 for values it builds; a record's members start one level down).
pub(crate) const MAX_DEPTH: usize = 64;

/// Calls `on(name, value_text)` for each member of the JSON object that is all of `text`
/// (whitespace around it allowed), in order. `None` when the text is not such an object,
/// a name holds an escape, nesting passes [`MAX_DEPTH`], or `on` returns `None`.
#[cfg(test)]
pub(crate) fn object_members<'t>(
    text: &'t str,
    mut on: impl FnMut(&'t str, &'t str) -> Option<()>,
) -> Option<()> {
    let bytes = text.as_bytes();
    let end = object_members_at(text, skip_whitespace(bytes, 0), |name, start| {
        let end = value_end(bytes, start)?;
        // Both cuts are at ASCII bytes of valid UTF-8, so on char boundaries.
        on(name, &text[start..end])?;
        Some(end)
    })?;
    (skip_whitespace(bytes, end) == bytes.len()).then_some(())
}

/// The object whose `{` is at `at`: calls `on(name, value_start)` for each member, which
/// reads or skips the value and gives back where it ends. Where the object ends, or
/// `None` (as [`object_members`]).
pub(crate) fn object_members_at<'t>(
    text: &'t str,
    mut at: usize,
    mut on: impl FnMut(&'t str, usize) -> Option<usize>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Some(at + 1);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let name_start = at + 1;
        let (name_end, escaped) = string_end_escaped(bytes, name_start)?;
        // A name with an escape would need decoding to be matched: left to serde_json.
        if escaped {
            return None;
        }
        at = skip_whitespace(bytes, name_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let start = skip_whitespace(bytes, at + 1);
        let end = on(&text[name_start..name_end - 1], start)?;
        at = skip_whitespace(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(bytes, at + 1),
            Some(b'}') => return Some(at + 1),
            _ => return None,
        }
    }
}

/// Calls `on(item_text)` for each item of the JSON array that is all of `text` (as
/// [`object_members`] does for an object's members); `None` when it is not one.
#[cfg(test)]
pub(crate) fn array_items<'t>(
    text: &'t str,
    mut on: impl FnMut(&'t str) -> Option<()>,
) -> Option<()> {
    let bytes = text.as_bytes();
    let end = array_items_at(text, skip_whitespace(bytes, 0), |start| {
        let end = value_end(bytes, start)?;
        on(&text[start..end])?;
        Some(end)
    })?;
    (skip_whitespace(bytes, end) == bytes.len()).then_some(())
}

/// The array whose `[` is at `at`: calls `on(item_start)` for each item, which reads or
/// skips it and gives back where it ends. Where the array ends, or `None`.
pub(crate) fn array_items_at(
    text: &str,
    mut at: usize,
    mut on: impl FnMut(usize) -> Option<usize>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Some(at + 1);
    }
    loop {
        let end = on(at)?;
        at = skip_whitespace(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(bytes, at + 1),
            Some(b']') => return Some(at + 1),
            _ => return None,
        }
    }
}

pub(crate) fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The end (exclusive) of the JSON value starting at `at`, checked as serde_json's
/// `IgnoredAny` checks it. Iterative: the open arrays and objects are a bit stack.
pub(crate) fn value_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    // Bit d set: the container at depth d is an object.
    let mut objects: u64 = 0;
    let mut depth = 0usize;
    loop {
        // A value.
        match *bytes.get(at)? {
            b'"' => at = string_end(bytes, at + 1)?,
            b'-' | b'0'..=b'9' => at = number_end(bytes, at)?,
            b't' => at = literal_end(bytes, at, b"true")?,
            b'f' => at = literal_end(bytes, at, b"false")?,
            b'n' => at = literal_end(bytes, at, b"null")?,
            open @ (b'[' | b'{') => {
                if depth == MAX_DEPTH {
                    return None;
                }
                let is_object = open == b'{';
                if is_object {
                    objects |= 1 << depth;
                } else {
                    objects &= !(1 << depth);
                }
                depth += 1;
                at = skip_whitespace(bytes, at + 1);
                let close = if is_object { b'}' } else { b']' };
                if bytes.get(at) == Some(&close) {
                    at += 1;
                    depth -= 1;
                } else {
                    if is_object {
                        at = member_name_end(bytes, at)?;
                    }
                    continue;
                }
            }
            _ => return None,
        }
        // After a value: a comma and the next one, or the ends of containers.
        loop {
            if depth == 0 {
                return Some(at);
            }
            let is_object = objects & (1 << (depth - 1)) != 0;
            at = skip_whitespace(bytes, at);
            match bytes.get(at) {
                Some(b',') => {
                    at = skip_whitespace(bytes, at + 1);
                    if is_object {
                        at = member_name_end(bytes, at)?;
                    }
                    break;
                }
                Some(b'}') if is_object => {
                    at += 1;
                    depth -= 1;
                }
                Some(b']') if !is_object => {
                    at += 1;
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

/// At a member's opening quote: past its name, colon and whitespace, at its value.
fn member_name_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let at = skip_whitespace(bytes, string_end(bytes, at + 1)?);
    if bytes.get(at) != Some(&b':') {
        return None;
    }
    Some(skip_whitespace(bytes, at + 1))
}

/// Just past the closing quote of the string whose text starts at `at` (after the
/// opening quote). Control characters are refused and escapes checked, as serde_json's
/// `ignore_str` does (a `\u` escape's four hex digits, not what they encode).
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    string_end_escaped(bytes, at).map(|(end, _)| end)
}

/// [`string_end`], and whether the string holds an escape (its text is not its value).
pub(crate) fn string_end_escaped(bytes: &[u8], mut at: usize) -> Option<(usize, bool)> {
    const ONES: u64 = u64::MAX / 255;
    let mut escaped = false;
    loop {
        // Eight bytes at a time up to a quote, a backslash or a control character.
        while let Some(chunk) = bytes.get(at..at + 8) {
            let chars = u64::from_le_bytes(chunk.try_into().ok()?);
            let control = chars.wrapping_sub(ONES * 0x20) & !chars;
            let quote = chars ^ (ONES * u64::from(b'"'));
            let quote = quote.wrapping_sub(ONES) & !quote;
            let backslash = chars ^ (ONES * u64::from(b'\\'));
            let backslash = backslash.wrapping_sub(ONES) & !backslash;
            let found = (control | quote | backslash) & (ONES << 7);
            if found != 0 {
                at += found.trailing_zeros() as usize / 8;
                break;
            }
            at += 8;
        }
        match *bytes.get(at)? {
            b'"' => return Some((at + 1, escaped)),
            b'\\' => {
                escaped = true;
                at = match *bytes.get(at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at + 2,
                    b'u' => {
                        let digits = bytes.get(at + 2..at + 6)?;
                        if !digits.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        at + 6
                    }
                    _ => return None,
                }
            }
            0..=0x1f => return None,
            _ => at += 1,
        }
    }
}

/// Past a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, serde_json's grammar.
pub(crate) fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let digits = |bytes: &[u8], mut at: usize| {
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        (at > start).then_some(at)
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => {
            at += 1;
            if bytes.get(at).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
        b'1'..=b'9' => at = digits(bytes, at)?,
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        at = digits(bytes, at + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = digits(bytes, at)?;
    }
    Some(at)
}

pub(crate) fn literal_end(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    (bytes.get(at..at + word.len())? == word).then_some(at + word.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// Whether serde_json skips `text` as one value, as `IgnoredAny` inside a record.
    fn serde_skips(text: &str) -> bool {
        serde_json::from_str::<IgnoredAny>(&format!("{{\"a\":{text}}}")).is_ok()
    }

    #[test]
    fn skips_what_serde_json_skips_and_gives_up_on_the_rest() {
        let values = [
            "1",
            "-0",
            "0.5",
            "1e400",
            "-12.5E+3",
            "1E-2",
            "true",
            "false",
            "null",
            "\"\"",
            "\"plain text, longer than eight bytes\"",
            "\"é – ü\"",
            "\"\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"",
            "\"\\u00e9\\uD800\"",
            "[]",
            "{}",
            "[1,[2,[3,{}]],{\"a\":[{\"b\":null}]}]",
            " [ 1 , 2 ] ",
            "{ \"a\" : 1 , \"b\" : { } }",
            "{\"\\u0041\":1}",
            // Refused by serde_json.
            "01",
            "-",
            "1.",
            "1e",
            "1e+",
            ".5",
            "+1",
            "tru",
            "nul",
            "nan",
            "\"a",
            "\"\\x\"",
            "\"\\u12G4\"",
            "\"\u{1}\"",
            "\"tab\there\"",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "{\"a\":1]",
            "[1}",
            "",
            "[",
            "{\"a\":",
            "\"\\u00\"",
        ];
        for text in values {
            let bytes = text.trim().as_bytes();
            let scanned = value_end(bytes, 0) == Some(bytes.len());
            assert_eq!(scanned, serde_skips(text), "{text:?}");
        }
        // What follows a value is the caller's to check.
        assert_eq!(value_end(b"12,", 0), Some(2));
        assert_eq!(value_end(b"truex", 0), Some(4));
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_serde_json() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(value_end(ok.as_bytes(), 0), Some(ok.len()));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(value_end(deep.as_bytes(), 0), None);
    }

    #[test]
    fn splits_an_object_into_its_members() {
        let mut seen = Vec::new();
        let text = " {\"Id\":1, \"Name\" : \"x\\\"y\" ,\"A\":[1,{\"b\":2}],\"Id\":true}\n";
        object_members(text, |name, value| {
            seen.push((name, value));
            Some(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                ("Id", "1"),
                ("Name", "\"x\\\"y\""),
                ("A", "[1,{\"b\":2}]"),
                ("Id", "true")
            ]
        );
        assert_eq!(object_members("{}", |_, _| None), Some(()));
        for refused in [
            "[1]",
            "{\"a\":1} x",
            "{\"a\":1,}",
            "{\"a\\u0041\":1}",
            "{\"a\":1",
            "{,}",
            "\"s\"",
        ] {
            assert_eq!(object_members(refused, |_, _| Some(())), None, "{refused}");
        }
        assert_eq!(object_members("{\"a\":1}", |_, _| None), None);
    }

    #[test]
    fn splits_an_array_into_its_items() {
        let mut seen = Vec::new();
        array_items(" [1, \"x,]\" ,[2,[]],{\"a\":[3]} ]", |item| {
            seen.push(item);
            Some(())
        })
        .unwrap();
        assert_eq!(seen, ["1", "\"x,]\"", "[2,[]]", "{\"a\":[3]}"]);
        assert_eq!(array_items("[]", |_| None), Some(()));
        for refused in ["[1,]", "[,1]", "[1 2]", "[1", "{}", "[1] x", "[1}"] {
            assert_eq!(array_items(refused, |_| Some(())), None, "{refused}");
        }
    }
}
