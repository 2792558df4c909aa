//! RFC 9535 §2.4.3 well-typedness of function expressions, which jsonpath-rust parses
//! but does not enforce (it accepts `length(@.*)`, `?count(@.*)`, `match(...) == true`).

use jsonpath_rust::parser::model::{
    Comparable, Filter, FilterAtom, FnArg, JpQuery, Segment, Selector, SingularQuery, Test,
    TestFunction,
};

/// A well-typedness violation, with the text to point at in the selector.
pub(super) struct Problem {
    pub message: String,
    needle: String,
}

impl Problem {
    fn at(needle: &str, message: String) -> Problem {
        Problem {
            message,
            needle: needle.to_string(),
        }
    }

    /// 1-based character position of the offending function call in `text`.
    pub fn locate(&self, text: &str) -> usize {
        text.find(&self.needle)
            .map_or(1, |byte| text[..byte].chars().count() + 1)
    }
}

/// The declared result type of a function (RFC 9535 §2.4.1).
#[derive(Clone, Copy, PartialEq)]
enum Returns {
    Value,
    Logical,
}

pub(super) fn check(query: &JpQuery) -> Result<(), Problem> {
    query.segments.iter().try_for_each(segment)
}

fn segment(segment: &Segment) -> Result<(), Problem> {
    match segment {
        Segment::Descendant(inner) => self::segment(inner),
        Segment::Selector(selector) => self::selector(selector),
        Segment::Selectors(selectors) => selectors.iter().try_for_each(self::selector),
    }
}

fn selector(selector: &Selector) -> Result<(), Problem> {
    match selector {
        Selector::Filter(filter) => self::filter(filter),
        _ => Ok(()),
    }
}

fn filter(filter: &Filter) -> Result<(), Problem> {
    match filter {
        Filter::Or(items) | Filter::And(items) => items.iter().try_for_each(self::filter),
        Filter::Atom(FilterAtom::Filter { expr, .. }) => self::filter(expr),
        Filter::Atom(FilterAtom::Test { expr, .. }) => test_expression(expr),
        Filter::Atom(FilterAtom::Comparison(comparison)) => {
            let (left, right) = comparison.vals();
            comparable(left)?;
            comparable(right)
        }
    }
}

/// A test expression must be a query (existence test) or a logical function.
fn test_expression(test: &Test) -> Result<(), Problem> {
    match test {
        Test::RelQuery(segments) => segments.iter().try_for_each(segment),
        Test::AbsQuery(query) => check(query),
        Test::Function(function) => {
            if returns(function)? == Returns::Value {
                return Err(Problem::at(
                    &format!("{}(", name(function)),
                    format!(
                        "function `{}` returns a value, not a logical result; compare it (for example `{}(…) > 0`)",
                        name(function),
                        name(function)
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// Comparison operands must be values: literals, singular queries or value functions.
fn comparable(operand: &Comparable) -> Result<(), Problem> {
    match operand {
        Comparable::Function(function) => {
            if returns(function)? == Returns::Logical {
                return Err(Problem::at(
                    &format!("{}(", name(function)),
                    format!(
                        "function `{}` returns a logical result, which cannot be compared",
                        name(function)
                    ),
                ));
            }
            Ok(())
        }
        Comparable::Literal(_) | Comparable::SingularQuery(_) => Ok(()),
    }
}

fn name(function: &TestFunction) -> &str {
    match function {
        TestFunction::Custom(name, _) => name,
        TestFunction::Length(_) => "length",
        TestFunction::Value(_) => "value",
        TestFunction::Count(_) => "count",
        TestFunction::Search(..) => "search",
        TestFunction::Match(..) => "match",
    }
}

/// Checks the arguments of a function and returns its result type.
fn returns(function: &TestFunction) -> Result<Returns, Problem> {
    let fname = name(function);
    match function {
        TestFunction::Custom(..) => Err(Problem::at(
            &format!("{fname}("),
            format!("unknown function `{fname}` (RFC 9535 defines length, count, match, search and value)"),
        )),
        TestFunction::Length(arg) => value_argument(fname, arg).map(|()| Returns::Value),
        TestFunction::Count(arg) | TestFunction::Value(arg) => {
            nodes_argument(fname, arg).map(|()| Returns::Value)
        }
        TestFunction::Match(a, b) | TestFunction::Search(a, b) => {
            value_argument(fname, a)?;
            value_argument(fname, b)?;
            Ok(Returns::Logical)
        }
    }
}

/// A ValueType parameter takes a literal, a singular query or a value function.
fn value_argument(fname: &str, arg: &FnArg) -> Result<(), Problem> {
    let wrong = |what: &str| {
        Problem::at(
            &format!("{fname}("),
            format!("function `{fname}` needs a single value here, but got {what}"),
        )
    };
    match arg {
        FnArg::Literal(_) => Ok(()),
        FnArg::Filter(_) => Err(wrong("a logical expression")),
        FnArg::Test(test) => match &**test {
            Test::RelQuery(segments) if is_singular(segments) => {
                segments.iter().try_for_each(segment)
            }
            Test::AbsQuery(query) if is_singular(&query.segments) => check(query),
            Test::RelQuery(_) | Test::AbsQuery(_) => {
                Err(wrong("a query that may select many nodes"))
            }
            Test::Function(inner) => match returns(inner)? {
                Returns::Value => Ok(()),
                Returns::Logical => Err(wrong("a logical function")),
            },
        },
    }
}

/// A NodesType parameter takes a query.
fn nodes_argument(fname: &str, arg: &FnArg) -> Result<(), Problem> {
    let wrong = |what: &str| {
        Problem::at(
            &format!("{fname}("),
            format!("function `{fname}` needs a query (a node list) here, but got {what}"),
        )
    };
    match arg {
        FnArg::Literal(_) => Err(wrong("a literal")),
        FnArg::Filter(_) => Err(wrong("a logical expression")),
        FnArg::Test(test) => match &**test {
            Test::RelQuery(segments) => segments.iter().try_for_each(segment),
            Test::AbsQuery(query) => check(query),
            Test::Function(_) => Err(wrong("a function result")),
        },
    }
}

fn is_singular(segments: &[Segment]) -> bool {
    segments.iter().all(|s| {
        matches!(
            s,
            Segment::Selector(Selector::Name(_)) | Segment::Selector(Selector::Index(_))
        )
    })
}

/// True when any filter in `segments` holds an absolute (`$`) query.
pub(super) fn has_absolute_query(segments: &[Segment]) -> bool {
    fn in_filter(filter: &Filter) -> bool {
        match filter {
            Filter::Or(items) | Filter::And(items) => items.iter().any(in_filter),
            Filter::Atom(FilterAtom::Filter { expr, .. }) => in_filter(expr),
            Filter::Atom(FilterAtom::Test { expr, .. }) => in_test(expr),
            Filter::Atom(FilterAtom::Comparison(comparison)) => {
                let (left, right) = comparison.vals();
                in_comparable(left) || in_comparable(right)
            }
        }
    }
    fn in_test(test: &Test) -> bool {
        match test {
            Test::AbsQuery(_) => true,
            Test::RelQuery(segments) => has_absolute_query(segments),
            Test::Function(function) => in_function(function),
        }
    }
    fn in_comparable(operand: &Comparable) -> bool {
        match operand {
            Comparable::SingularQuery(SingularQuery::Root(_)) => true,
            Comparable::Function(function) => in_function(function),
            _ => false,
        }
    }
    fn in_function(function: &TestFunction) -> bool {
        let args: Vec<&FnArg> = match function {
            TestFunction::Custom(_, args) => args.iter().collect(),
            TestFunction::Length(arg) => vec![&**arg],
            TestFunction::Value(arg) | TestFunction::Count(arg) => vec![arg],
            TestFunction::Search(a, b) | TestFunction::Match(a, b) => vec![a, b],
        };
        args.into_iter().any(|arg| match arg {
            FnArg::Literal(_) => false,
            FnArg::Test(test) => in_test(test),
            FnArg::Filter(filter) => in_filter(filter),
        })
    }
    segments.iter().any(|segment| match segment {
        Segment::Descendant(inner) => has_absolute_query(std::slice::from_ref(&**inner)),
        Segment::Selector(Selector::Filter(filter)) => in_filter(filter),
        Segment::Selectors(selectors) => selectors
            .iter()
            .any(|s| matches!(s, Selector::Filter(filter) if in_filter(filter))),
        Segment::Selector(_) => false,
    })
}
