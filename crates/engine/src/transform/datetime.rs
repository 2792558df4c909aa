//! Dates and times. Output is always RFC 3339 in UTC with a `Z`.
//!
//! Corrigo writes local times with no offset (`2022-03-08T02:04:08.4750535`) and most
//! `*Utc` fields with a `Z`, though not all; SQL Server's minimum date `1753-01-01T00:00:00`
//! stands for "no date". So: an explicit offset wins, otherwise the step's time zone
//! applies, and the sentinel dates become null.

use super::args::{Args, Param, ParamKind};
use super::{Accepts, Kind, Op, StepError, Transform};
use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde_json::Value;

/// Dates that CMMS databases store for "no date": SQL Server's and .NET's minimums.
const NO_DATE: [(i32, u32, u32); 2] = [(1753, 1, 1), (1, 1, 1)];

/// Formats tried, in order, when a mapping gives none.
const DEFAULT_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
];

#[derive(Debug, Clone)]
pub(crate) struct DateTimeOp {
    /// True when the mapping gave no formats: ISO 8601 text then takes a hand-written
    /// parser (chrono's format-driven parsing is most of the cost of a re-preview).
    iso: bool,
    formats: Vec<String>,
    zone: Zone,
    date_only: bool,
}

#[derive(Debug, Clone, Copy)]
enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

pub(super) const PARSE_DATETIME: Transform = Transform {
    name: "parse_datetime",
    doc: "Parses a date-time to RFC 3339 UTC; an offset in the text wins, otherwise `timeZone` applies; 1753-01-01 and 0001-01-01 (\"no date\") and empty strings give null.",
    params: &[
        Param::optional("formats", ParamKind::StringList, "strftime formats to try (default: ISO 8601 with or without T, fraction, seconds)"),
        Param::optional("timeZone", ParamKind::String, "zone of offset-less times: UTC (default), +05:30, or an IANA name such as America/Chicago"),
    ],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#"{"fn": "parse_datetime", "timeZone": "America/Chicago"}"#,
    compile: |args| compile(args, false),
};

pub(super) const PARSE_DATE: Transform = Transform {
    name: "parse_date",
    doc: "Parses a date or date-time to a calendar date `YYYY-MM-DD` (the date as written, no zone shift); \"no date\" sentinels give null.",
    params: &[Param::optional("formats", ParamKind::StringList, "strftime formats to try (default: ISO 8601 dates and date-times)")],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#"{"fn": "parse_date", "formats": ["%m/%d/%Y"]}"#,
    compile: |args| compile(args, true),
};

fn compile(args: &Args, date_only: bool) -> Result<Op, String> {
    let iso = args.strings("formats").is_none();
    let formats = args
        .strings("formats")
        .unwrap_or_else(|| DEFAULT_FORMATS.iter().map(|f| f.to_string()).collect());
    if formats.is_empty() {
        return Err("`formats` must list at least one format".into());
    }
    for format in &formats {
        check_format(format)?;
    }
    let zone = match args.string("timeZone") {
        None => Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")),
        Some(name) => parse_zone(name)?,
    };
    Ok(Op::DateTime(DateTimeOp {
        iso,
        formats,
        zone,
        date_only,
    }))
}

/// Rejects formats chrono cannot use, at load rather than on the first record.
fn check_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(format!("`{format}` is not a valid strftime format"));
    }
    Ok(())
}

fn parse_zone(name: &str) -> Result<Zone, String> {
    if name.eq_ignore_ascii_case("utc") || name == "Z" {
        return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
    }
    if let Some(offset) = parse_offset(name) {
        return Ok(Zone::Fixed(offset));
    }
    name.parse::<Tz>().map(Zone::Named).map_err(|_| {
        format!("unknown time zone `{name}` (use UTC, an offset such as -05:00, or an IANA name such as America/New_York)")
    })
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * seconds)
}

impl DateTimeOp {
    pub(super) fn output(&self) -> Kind {
        if self.date_only {
            Kind::Date
        } else {
            Kind::DateTime
        }
    }

    pub(super) fn run(&self, input: &Value) -> Result<Value, StepError> {
        let Value::String(text) = input else {
            return Err(StepError::wrong_input("a string", input));
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(Value::Null);
        }
        if self.date_only {
            return match self.parse_date(text) {
                Some(date) if is_no_date(date) => Ok(Value::Null),
                Some(date) => Ok(Value::String(date.format("%Y-%m-%d").to_string())),
                None => Err(self.unparsed(text)),
            };
        }
        let instant = match self.iso.then(|| iso_8601(text)).flatten() {
            Some((naive, _)) if is_no_date(naive.date()) => return Ok(Value::Null),
            Some((naive, Some(offset))) => {
                Utc.from_utc_datetime(&(naive - chrono::Duration::seconds(i64::from(offset))))
            }
            Some((naive, None)) => self.localize(naive, text)?,
            None => self.parse_instant(text)?,
        };
        if is_no_date(instant.date_naive()) {
            return Ok(Value::Null);
        }
        Ok(Value::String(
            instant.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ))
    }

    fn unparsed(&self, text: &str) -> StepError {
        StepError::new(
            "unparsed_date",
            format!(
                "cannot read \"{text}\" as a date (tried RFC 3339 and {})",
                self.formats.join(", ")
            ),
        )
    }

    fn parse_date(&self, text: &str) -> Option<NaiveDate> {
        if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
            return Some(with_offset.date_naive());
        }
        self.formats.iter().find_map(|format| {
            NaiveDate::parse_from_str(text, format).ok().or_else(|| {
                NaiveDateTime::parse_from_str(text, format)
                    .ok()
                    .map(|dt| dt.date())
            })
        })
    }

    fn parse_instant(&self, text: &str) -> Result<DateTime<Utc>, StepError> {
        // A date before the sentinel check must not fail on zone rules, so sentinels
        // short-circuit on the naive reading too.
        if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
            return Ok(with_offset.with_timezone(&Utc));
        }
        for format in &self.formats {
            if let Ok(with_offset) = DateTime::parse_from_str(text, format) {
                return Ok(with_offset.with_timezone(&Utc));
            }
            let naive = NaiveDateTime::parse_from_str(text, format)
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(text, format)
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                });
            if let Some(naive) = naive {
                if is_no_date(naive.date()) {
                    return Ok(Utc.from_utc_datetime(&naive));
                }
                return self.localize(naive, text);
            }
        }
        Err(self.unparsed(text))
    }

    fn localize(&self, naive: NaiveDateTime, text: &str) -> Result<DateTime<Utc>, StepError> {
        let local = match self.zone {
            Zone::Fixed(offset) => offset
                .from_local_datetime(&naive)
                .map(|d| d.with_timezone(&Utc)),
            Zone::Named(tz) => tz
                .from_local_datetime(&naive)
                .map(|d| d.with_timezone(&Utc)),
        };
        match local {
            LocalResult::Single(instant) => Ok(instant),
            // A repeated hour when clocks go back: take the first, as most systems do.
            LocalResult::Ambiguous(first, _) => Ok(first),
            LocalResult::None => Err(StepError::new(
                "nonexistent_local_time",
                format!(
                    "\"{text}\" does not exist in {} (clocks skip that hour)",
                    self.zone_name()
                ),
            )),
        }
    }

    fn zone_name(&self) -> String {
        match self.zone {
            Zone::Fixed(offset) => offset.to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }
}

/// Reads `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH:MM]` by hand: the date-time and,
/// if written, its offset east of UTC in seconds. `None` for anything else, which then
/// goes through chrono's general parsing, so this can only be faster, never different.
fn iso_8601(text: &str) -> Option<(NaiveDateTime, Option<i32>)> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(0..4)?).ok()?,
        digits(5..7)?,
        digits(8..10)?,
    )?;
    if b.len() == 10 {
        return Some((date.and_hms_opt(0, 0, 0)?, None));
    }
    if !matches!(b[10], b'T' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (hour, minute) = (digits(11..13)?, digits(14..16)?);
    let mut at = 16;
    let mut second = 0;
    let mut nano = 0;
    // The default formats take `HH:MM` without seconds only after a `T`.
    if b[10] == b' ' && b.get(at) != Some(&b':') {
        return None;
    }
    if b.get(at) == Some(&b':') {
        second = digits(17..19)?;
        at = 19;
        if b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while at < b.len() && b[at].is_ascii_digit() {
                if at - start < 9 {
                    nano = nano * 10 + u32::from(b[at] - b'0');
                }
                at += 1;
            }
            let written = at - start;
            if written == 0 {
                return None;
            }
            nano *= 10u32.pow(9u32.saturating_sub(written as u32));
        }
    }
    let offset = match &b[at..] {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let seconds =
                i32::try_from(digits(at + 1..at + 3)? * 3600 + digits(at + 4..at + 6)? * 60)
                    .ok()?;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?;
    Some((date.and_time(time), offset))
}

fn is_no_date(date: NaiveDate) -> bool {
    use chrono::Datelike;
    NO_DATE.contains(&(date.year(), date.month(), date.day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(zone: Option<&str>, formats: Option<&[&str]>, date_only: bool) -> DateTimeOp {
        DateTimeOp {
            iso: formats.is_none(),
            formats: formats
                .unwrap_or(&DEFAULT_FORMATS)
                .iter()
                .map(|f| f.to_string())
                .collect(),
            zone: parse_zone(zone.unwrap_or("UTC")).unwrap(),
            date_only,
        }
    }

    #[test]
    fn corrigo_utc_fields_parse_with_or_without_z_and_keep_seven_decimals() {
        let utc = op(None, None, false);
        assert_eq!(
            utc.run(&json!("2017-01-19T19:35:01")).unwrap(),
            json!("2017-01-19T19:35:01Z")
        );
        assert_eq!(
            utc.run(&json!("2022-03-08T07:04:08.4750535Z")).unwrap(),
            json!("2022-03-08T07:04:08.475053500Z")
        );
    }

    #[test]
    fn local_times_take_the_zone_and_offsets_win() {
        let chicago = op(Some("America/Chicago"), None, false);
        assert_eq!(
            chicago.run(&json!("2017-01-19T13:35:01")).unwrap(),
            json!("2017-01-19T19:35:01Z")
        );
        assert_eq!(
            chicago.run(&json!("2017-07-19T13:35:01")).unwrap(),
            json!("2017-07-19T18:35:01Z")
        );
        assert_eq!(
            chicago.run(&json!("2017-07-19T13:35:01+02:00")).unwrap(),
            json!("2017-07-19T11:35:01Z")
        );
        let fixed = op(Some("+05:30"), None, false);
        assert_eq!(
            fixed.run(&json!("2020-01-01 05:30")).unwrap_err().code,
            "unparsed_date"
        );
        assert_eq!(
            fixed.run(&json!("2020-01-01T05:30")).unwrap(),
            json!("2020-01-01T00:00:00Z")
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_is_an_error_not_a_guess() {
        let chicago = op(Some("America/Chicago"), None, false);
        let error = chicago.run(&json!("2021-03-14T02:30:00")).unwrap_err();
        assert_eq!(error.code, "nonexistent_local_time");
    }

    #[test]
    fn sentinel_and_empty_dates_are_null() {
        let chicago = op(Some("America/Chicago"), None, false);
        assert_eq!(
            chicago.run(&json!("1753-01-01T00:00:00")).unwrap(),
            Value::Null
        );
        assert_eq!(
            chicago.run(&json!("0001-01-01T00:00:00Z")).unwrap(),
            Value::Null
        );
        assert_eq!(chicago.run(&json!("  ")).unwrap(), Value::Null);
        assert_eq!(
            op(None, None, true).run(&json!("1753-01-01")).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn custom_formats_and_dates() {
        let us = op(None, Some(&["%m/%d/%Y %H:%M"]), false);
        assert_eq!(
            us.run(&json!("03/08/2022 14:05")).unwrap(),
            json!("2022-03-08T14:05:00Z")
        );
        let date = op(None, Some(&["%m/%d/%Y"]), true);
        assert_eq!(date.run(&json!("03/08/2022")).unwrap(), json!("2022-03-08"));
        assert_eq!(
            op(None, None, true)
                .run(&json!("2022-03-08T23:59:00-05:00"))
                .unwrap(),
            json!("2022-03-08")
        );
        assert_eq!(
            us.run(&json!("yesterday")).unwrap_err().code,
            "unparsed_date"
        );
    }

    #[test]
    fn the_iso_fast_path_agrees_with_chrono() {
        let fast = op(Some("America/Chicago"), None, false);
        let mut slow = fast.clone();
        slow.iso = false;
        for text in [
            "2022-03-08T02:04:08.4750535",
            "2022-03-08T07:04:08.4750535Z",
            "2022-03-08 07:04:08",
            "2022-03-08T07:04",
            "2022-03-08 07:04",
            "2022-03-08",
            "2022-03-08T07:04:08+05:30",
            "2022-03-08T07:04:08-00:00",
            "2022-03-08T07:04:08.123456789123Z",
            "2021-03-14T02:30:00",
            "2022-02-30T00:00:00",
            "2022-03-08T25:00:00",
            "2022-03-08T07:04:08.Z",
            "1753-01-01T00:00:00",
            "20220308",
            "2022-03-08T07:04:08 Z",
        ] {
            assert_eq!(fast.run(&json!(text)), slow.run(&json!(text)), "{text}");
        }
    }

    #[test]
    fn bad_zones_and_formats_fail_at_load() {
        assert!(parse_zone("Mars/Olympus")
            .unwrap_err()
            .contains("unknown time zone"));
        assert!(check_format("%Q").is_err());
        assert!(parse_zone("-05:00").is_ok());
    }
}
