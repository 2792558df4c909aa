//! A typed builder for Corrigo's QueryExpression.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    GreaterThan,
    GreaterOrEqual,
    LessThan,
    LessOrEqual,
    Like,
    NotLike,
    In,
    NotIn,
    Between,
    NotBetween,
    Null,
    NotNull,
}

impl Operator {
    fn name(self) -> &'static str {
        match self {
            Operator::Equal => "Equal",
            Operator::NotEqual => "NotEqual",
            Operator::GreaterThan => "GreaterThan",
            Operator::GreaterOrEqual => "GreaterOrEqual",
            Operator::LessThan => "LessThan",
            Operator::LessOrEqual => "LessOrEqual",
            Operator::Like => "Like",
            Operator::NotLike => "NotLike",
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Between => "Between",
            Operator::NotBetween => "NotBetween",
            Operator::Null => "Null",
            Operator::NotNull => "NotNull",
        }
    }
}

/// A filter: conditions and nested filters joined by And or Or.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub or: bool,
    pub conditions: Vec<(String, Operator, Vec<String>)>,
    pub filters: Vec<Filter>,
}

impl Filter {
    pub fn and() -> Filter {
        Filter::default()
    }

    pub fn or() -> Filter {
        Filter {
            or: true,
            ..Filter::default()
        }
    }

    /// Adds a condition; Corrigo takes every value as a string.
    pub fn condition(mut self, property: &str, operator: Operator, values: &[&str]) -> Filter {
        self.conditions.push((
            property.to_string(),
            operator,
            values.iter().map(|v| v.to_string()).collect(),
        ));
        self
    }

    pub fn filter(mut self, nested: Filter) -> Filter {
        self.filters.push(nested);
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "Conditions": self.conditions.iter().map(|(p, o, v)| json!({"PropertyName": p, "Operator": o.name(), "Values": v})).collect::<Vec<_>>(),
            "FilterOperator": if self.or { "Or" } else { "And" },
            "Filters": self.filters.iter().map(Filter::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A query: what to return, which records, in what order, which page.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryExpression {
    pub properties: Vec<String>,
    pub criteria: Filter,
    /// `(property, descending)`.
    pub orders: Vec<(String, bool)>,
    pub count: usize,
    pub first: usize,
}

impl Default for QueryExpression {
    fn default() -> QueryExpression {
        QueryExpression {
            properties: vec!["*".into()],
            criteria: Filter::and(),
            orders: Vec::new(),
            count: 100,
            first: 0,
        }
    }
}

impl QueryExpression {
    pub fn properties(mut self, properties: &[&str]) -> Self {
        self.properties = properties.iter().map(|p| p.to_string()).collect();
        self
    }

    pub fn criteria(mut self, criteria: Filter) -> Self {
        self.criteria = criteria;
        self
    }

    pub fn order(mut self, property: &str, descending: bool) -> Self {
        self.orders.push((property.to_string(), descending));
        self
    }

    pub fn page(mut self, first: usize, count: usize) -> Self {
        self.first = first;
        self.count = count;
        self
    }

    pub fn to_json(&self) -> Value {
        json!({"QueryExpression": {
            "PropertySet": {"Properties": self.properties},
            "Criteria": self.criteria.to_json(),
            "Orders": self.orders.iter().map(|(p, d)| json!({"PropertyName": p, "OrderType": if *d { "Descending" } else { "Ascending" }})).collect::<Vec<_>>(),
            "Count": self.count,
            "FirstResultIndex": self.first,
            "Distinct": true
        }})
    }
}

/// A PropertySet that names exactly the given member paths, in Corrigo's grammar: a path
/// read whole becomes `Items.*` (Corrigo leaves collections out unless asked for them so,
/// and gives a reference as just its Id), any other a dot path (`Id`, `WorkZone.Id`,
/// `Info.TagId`). `reads` are `(member names from the record's top, read whole)`.
/// Sorted, each once; a path under one asked for whole is left out.
pub fn property_set<'a>(reads: impl IntoIterator<Item = (&'a [String], bool)>) -> Vec<String> {
    let reads: Vec<(&[String], bool)> = reads.into_iter().filter(|(n, _)| !n.is_empty()).collect();
    let mut properties: Vec<String> = reads
        .iter()
        .filter(|(names, whole)| {
            !reads.iter().any(|(other, other_whole)| {
                *other_whole
                    && other.len() <= names.len()
                    && names[..other.len()] == other[..]
                    && (other.len() < names.len() || !whole)
            })
        })
        .map(|(names, whole)| {
            let dotted = names.join(".");
            if *whole {
                format!("{dotted}.*")
            } else {
                dotted
            }
        })
        .collect();
    properties.sort();
    properties.dedup();
    properties
}

/// The PropertySet a pull asks for so that every path in `reads` arrives: `*` (every
/// scalar and each reference's Id, so a record tree shows what there is to map) plus
/// exactly the reads `*` leaves out: collections (`Items.*`) and members of references or
/// value objects (`MainAsset.TypeId`, `Info.TagId`). The workspace's pulls and the
/// connection server's syncs both ask through this, so they cache the same records.
pub fn pull_property_set<'a>(reads: impl IntoIterator<Item = (&'a [String], bool)>) -> Vec<String> {
    let star = ["*".to_string()];
    let missing: Vec<(&[String], bool)> = reads
        .into_iter()
        .filter(|(names, whole)| !property_set_covers(&star, names, *whole))
        .collect();
    let mut properties = star.to_vec();
    properties.extend(property_set(missing));
    properties
}

/// Whether records fetched with PropertySet `properties` hold the member path `names`
/// (read whole when `whole`). `*` gives scalars and references' Ids, no collections;
/// `X.*` gives all of `X`; a dot path gives that member.
pub fn property_set_covers(properties: &[String], names: &[String], whole: bool) -> bool {
    if names.is_empty() {
        return true;
    }
    let dotted = names.join(".");
    properties.iter().any(|property| {
        if property == "*" {
            return (names.len() == 1 && !whole)
                || (names.len() == 2 && names[1] == "Id" && !whole);
        }
        if let Some(prefix) = property.strip_suffix(".*") {
            return dotted.eq_ignore_ascii_case(prefix)
                || dotted
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}.", prefix.to_ascii_lowercase()));
        }
        !whole && property.eq_ignore_ascii_case(&dotted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &str) -> Vec<String> {
        path.split('.').map(String::from).collect()
    }

    #[test]
    fn a_property_set_names_collections_whole_and_members_by_dot_path() {
        let reads = [
            (names("Id"), false),
            (names("WorkZone.Id"), false),
            (names("Items"), true),
            (names("Items.Asset.Id"), false),
            (names("ContactAddresses"), true),
            (names("Info.TagId"), false),
            (names("Id"), false),
        ];
        let set = property_set(reads.iter().map(|(n, w)| (n.as_slice(), *w)));
        assert_eq!(
            set,
            [
                "ContactAddresses.*",
                "Id",
                "Info.TagId",
                "Items.*",
                "WorkZone.Id"
            ]
        );
        for (names, whole) in &reads {
            assert!(property_set_covers(&set, names, *whole), "{names:?}");
        }
        let star = vec!["*".to_string()];
        assert!(property_set_covers(&star, &names("Number"), false));
        assert!(property_set_covers(&star, &names("WorkZone.Id"), false));
        assert!(
            !property_set_covers(&star, &names("Items"), true),
            "`*` leaves collections out"
        );
        assert!(!property_set_covers(
            &star,
            &names("Priority.DisplayAs"),
            false
        ));
        assert!(!property_set_covers(&set, &names("Notes"), true));
        assert!(
            !property_set_covers(&set, &names("Info"), true),
            "Info.TagId is not all of Info"
        );
    }

    #[test]
    fn builds_the_body_corrigo_expects() {
        let query = QueryExpression::default()
            .properties(&["*", "Items.*"])
            .criteria(
                Filter::and()
                    .condition(
                        "LastActionDateUtc",
                        Operator::GreaterOrEqual,
                        &["2021-11-04T17:30:00"],
                    )
                    .filter(
                        Filter::or()
                            .condition("StatusId", Operator::In, &["New", "Open"])
                            .condition("Priority.Id", Operator::Equal, &["1"]),
                    ),
            )
            .order("Id", false)
            .page(200, 100);
        let body = query.to_json();
        let q = &body["QueryExpression"];
        assert_eq!(q["PropertySet"]["Properties"], json!(["*", "Items.*"]));
        assert_eq!(
            q["Criteria"]["Conditions"][0],
            json!({"PropertyName": "LastActionDateUtc", "Operator": "GreaterOrEqual", "Values": ["2021-11-04T17:30:00"]})
        );
        assert_eq!(q["Criteria"]["Filters"][0]["FilterOperator"], "Or");
        assert_eq!(
            q["Orders"],
            json!([{"PropertyName": "Id", "OrderType": "Ascending"}])
        );
        assert_eq!(
            (q["Count"].as_u64(), q["FirstResultIndex"].as_u64()),
            (Some(100), Some(200))
        );
    }
}
