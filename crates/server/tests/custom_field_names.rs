//! The list API's filter and sort grammar addresses every custom field name the engine
//! takes: `filter[customFields.NAME]`, `filter[customFields.NAME:OP]`, `sort[customFields.NAME]`.
//! The engine's rule (unifield_engine::mapping::custom_name_problem) is what makes that true.

use unifield_engine::mapping::custom_name_problem;
use unifield_server::service::{FilterOp, ListQuery};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Checks the grammar reads `name` back exactly, as a filter with and without an operator
/// and as a sort.
fn assert_addressable(name: &str) {
    let field = format!("customFields.{name}");
    let query = ListQuery::parse(&pairs(&[
        (&format!("filter[{field}]"), "x"),
        (&format!("filter[{field}:startsWith]"), "y"),
        (&format!("sort[{field}]"), "1"),
    ]))
    .unwrap_or_else(|e| panic!("{name:?}: {e}"));
    let filters: Vec<(&str, FilterOp)> = query
        .filters
        .iter()
        .map(|f| (f.field.as_str(), f.op))
        .collect();
    assert_eq!(
        filters,
        vec![
            (field.as_str(), FilterOp::Eq),
            (field.as_str(), FilterOp::StartsWith)
        ],
        "{name:?}"
    );
    assert_eq!(query.sort, vec![(field.clone(), true)], "{name:?}");
}

#[test]
fn every_name_the_engine_takes_can_be_filtered_and_sorted_on() {
    let mut taken = 0;
    for byte in 0x20u8..0x7f {
        let c = char::from(byte);
        for name in [
            format!("{c}"),
            format!("a{c}"),
            format!("a{c}b"),
            format!("_{c}9"),
        ] {
            if custom_name_problem(&name).is_none() {
                assert_addressable(&name);
                taken += 1;
            }
        }
    }
    // Letters and `_` alone, then after `a`, `_` and before `b`: the rule did take names.
    assert!(taken > 200, "{taken}");
    for name in ["timeZone", "corrigoTimeZone", "_", "A_B_9", "zoneName"] {
        assert!(custom_name_problem(name).is_none(), "{name}");
        assert_addressable(name);
    }
}

#[test]
fn a_colon_in_a_name_is_why_the_engine_refuses_it() {
    // The grammar splits at the first `:`: `a:b` reads as field `a` with operator `b`.
    assert!(custom_name_problem("a:b").is_some());
    let error = ListQuery::parse(&pairs(&[("filter[customFields.a:b]", "x")]))
        .expect_err("`b` is no operator");
    assert!(
        error.to_string().contains("unknown filter operator `b`"),
        "{error}"
    );
    let query = ListQuery::parse(&pairs(&[("filter[customFields.a:b:eq]", "x")]));
    assert!(query.is_err(), "{query:?}");
}
