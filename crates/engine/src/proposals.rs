//! Binding proposals for unbound target fields: source paths ranked by how well their
//! name, their kind of value and their fill rate fit the field, each with the binding it
//! would make (path and steps). The studio offers them; the user accepts or dismisses.

use crate::profile::{PathProfile, Profile};
use serde::Serialize;
use serde_json::Value;
use unifield_model::{Entity, FieldType};

/// Proposals kept per field.
const PER_FIELD: usize = 3;

/// One proposed binding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub path: String,
    /// Steps the binding needs to fill the field's type (`to_string` for a numeric key).
    pub steps: Vec<&'static str>,
    /// 0–1: higher is a better fit.
    pub score: f64,
    /// Why, in words, for the UI.
    pub reason: String,
}

/// The proposals for one unbound field, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldProposals {
    pub field: &'static str,
    pub proposals: Vec<Proposal>,
}

/// Words that CMMS sources use for the unified model's words.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("key", &["id"]),
    ("code", &["number", "code", "tenantcode", "partname"]),
    ("title", &["taskrefinement", "title", "subject", "summary"]),
    ("name", &["displayas", "name", "description"]),
    ("site", &["workzone", "site", "property", "building"]),
    ("asset", &["mainasset", "asset", "equipment"]),
    ("location", &["shortlocation", "location"]),
    ("due", &["due"]),
    ("created", &["created"]),
    ("updated", &["lastaction", "modified", "changed"]),
    ("scheduled", &["scheduled", "scheduledstart"]),
    ("customer", &["customer", "tenant"]),
    ("requester", &["requestor", "requestorcontact", "requester"]),
    ("labor", &["employee", "assigned", "technician"]),
    ("assigned", &["employee", "assigned"]),
    ("status", &["statusid", "status", "providerstatusid"]),
    ("tax", &["federal", "tax"]),
    ("deleted", &["isremoved", "removed", "deleted"]),
    ("active", &["isoffline", "isremoved", "active"]),
    ("manufacturer", &["manufacturer", "maker"]),
    ("uom", &["unitofmeasure", "unitofmeasureid", "uom"]),
    ("barcode", &["scancode", "barcode"]),
    ("serial", &["serialnumber", "serial"]),
    ("tag", &["tagid", "tag"]),
];

/// Whole field names that sources abbreviate (NTE is "not to exceed" across CMMS tools).
const ALIASES: &[(&str, &[&str])] = &[("notToExceed", &["nte"]), ("isWarranty", &["warranty"])];

/// `dueAt` → ["due", "at"]; `DueDateUtc` → ["due", "date", "utc"]; `WorkZone.Id` → ["work", "zone", "id"].
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if (!c.is_alphanumeric() || boundary) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// How well a source path's names match a field's name, 0–1.
fn name_score(field: &str, path: &str) -> f64 {
    let field_words: Vec<String> = words(field)
        .into_iter()
        .filter(|w| (w != "at" && w != "key") || field == "key")
        .collect();
    let names: Vec<&str> = path
        .trim_start_matches('$')
        .split(['.', '[', ']', '*', '\''])
        .filter(|s| !s.is_empty())
        .collect();
    let joined: String = names
        .iter()
        .map(|n| n.to_lowercase())
        .collect::<Vec<_>>()
        .join("");
    let path_words: Vec<String> = names.iter().flat_map(|n| words(n)).collect();
    if field_words.is_empty() {
        return 0.0;
    }
    let aliased = ALIASES
        .iter()
        .any(|(f, aliases)| *f == field && aliases.iter().any(|a| joined.contains(a)));
    let mut hits = if aliased {
        field_words.len() as f64
    } else {
        0.0
    };
    for word in field_words.iter().filter(|_| !aliased) {
        let synonyms = SYNONYMS
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, s)| *s)
            .unwrap_or(&[]);
        if path_words.iter().any(|p| p == word) || synonyms.iter().any(|s| joined.contains(s)) {
            hits += 1.0;
        }
    }
    let overlap = hits / field_words.len() as f64;
    let last = names.last().map(|n| n.to_lowercase()).unwrap_or_default();
    // A source name that is exactly a synonym (`Number` for `code`) is as good as the
    // field's own name, and beats names that only contain it (`PoNumber`).
    let exact = field_words.iter().any(|word| {
        SYNONYMS
            .iter()
            .find(|(w, _)| w == word)
            .is_some_and(|(_, synonyms)| synonyms.contains(&last.as_str()))
    });
    let similarity = if exact {
        1.0
    } else {
        strsim::jaro_winkler(&field.to_lowercase(), &last)
    };
    0.75 * overlap + 0.25 * similarity
}

fn looks_like_date(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
    })
}

/// Whether values at `profile` can fill `ty`, and with which steps.
fn fit(ty: &FieldType, profile: &PathProfile) -> Option<(Vec<&'static str>, &'static str)> {
    let kind = profile.main_kind()?;
    let dates = !profile.samples.is_empty() && profile.samples.iter().all(looks_like_date);
    match (ty, kind) {
        (FieldType::DateTime, "string") if dates => {
            Some((vec!["parse_datetime"], "date-time text"))
        }
        (FieldType::Date, "string") if dates => Some((vec!["parse_date"], "date text")),
        (FieldType::Key(_), "integer") => Some((vec!["to_string"], "numeric id")),
        (FieldType::Key(_), "string") if !dates => Some((vec![], "text id")),
        (FieldType::String, "string") if !dates => Some((vec![], "text")),
        (FieldType::String, "integer") => Some((vec!["to_string"], "number as text")),
        (FieldType::Enum(_), "string") if !dates => Some((vec![], "text to map onto the enum")),
        (FieldType::Integer, "integer") => Some((vec![], "whole number")),
        (FieldType::Number, "integer" | "number") => Some((vec![], "number")),
        (FieldType::Boolean, "boolean") => Some((vec![], "true/false")),
        (FieldType::Array(_), "array") => Some((vec![], "list")),
        (FieldType::Object(members), "object") => {
            // Corrigo money objects fill money fields through `money`.
            let money = members.iter().any(|m| m.name == "currency");
            Some((if money { vec!["money"] } else { vec![] }, "object"))
        }
        _ => None,
    }
}

/// Proposals for every field of `entity` not in `bound`, from the profiled records.
pub fn proposals(entity: &Entity, bound: &[&str], profile: &Profile) -> Vec<FieldProposals> {
    let mut out = Vec::new();
    for field in entity.fields.iter().filter(|f| !bound.contains(&f.name)) {
        let mut ranked: Vec<Proposal> = profile
            .paths()
            .filter(|p| p.filled > 0)
            .filter_map(|p| {
                let (mut steps, shape) = fit(&field.ty, p)?;
                let names = name_score(field.name, &p.path);
                if names < 0.3 {
                    return None;
                }
                // Money objects are read whole; other containers are not bindings.
                if p.container && !steps.contains(&"money") {
                    return None;
                }
                let fill = p.fill_rate(profile.records);
                if matches!(field.ty, FieldType::String) && p.samples.iter().any(|v| v == "") {
                    steps.push("null_if_empty");
                }
                let score = (0.7 * names + 0.3 * fill).min(1.0);
                let reason = format!(
                    "name matches {:.0}%, {shape}, filled in {:.0}% of records",
                    names * 100.0,
                    fill * 100.0
                );
                Some(Proposal {
                    path: p.path.clone(),
                    steps,
                    score,
                    reason,
                })
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.cmp(&b.path))
        });
        ranked.truncate(PER_FIELD);
        if !ranked.is_empty() {
            out.push(FieldProposals {
                field: field.name,
                proposals: ranked,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("dueAt"), ["due", "at"]);
        assert_eq!(words("DueDateUtc"), ["due", "date", "utc"]);
        assert_eq!(words("TypeCategory"), ["type", "category"]);
        assert_eq!(words("ID"), ["id"]);
        assert_eq!(words("DtUtcOnSiteBy"), ["dt", "utc", "on", "site", "by"]);
    }
}
