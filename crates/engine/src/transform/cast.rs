//! Casts between scalar kinds. Strict: a value that does not convert is an error, never
//! a silent zero or `NaN`.

use super::{Accepts, Kind, Op, StepError, Transform};
use serde_json::{Number, Value};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Cast {
    String,
    Integer,
    Number,
    Boolean,
    Not,
}

pub(super) const TO_STRING: Transform = Transform {
    name: "to_string",
    doc: "Writes a string, number or boolean as a string (`500` → `\"500\"`).",
    params: &[],
    accepts: Accepts::Scalar,
    takes_null: false,
    example: r#""to_string""#,
    compile: |_| Ok(Op::Cast(Cast::String)),
};

pub(super) const TO_INTEGER: Transform = Transform {
    name: "to_integer",
    doc: "Converts a number, numeric string or boolean to a whole number; fractions and values beyond 64 bits are errors.",
    params: &[],
    accepts: Accepts::Scalar,
    takes_null: false,
    example: r#""to_integer""#,
    compile: |_| Ok(Op::Cast(Cast::Integer)),
};

pub(super) const TO_NUMBER: Transform = Transform {
    name: "to_number",
    doc: "Converts a numeric string to a number; `NaN`, `inf` and out-of-range values are errors.",
    params: &[],
    accepts: Accepts::Only(&[Kind::String, Kind::Number]),
    takes_null: false,
    example: r#""to_number""#,
    compile: |_| Ok(Op::Cast(Cast::Number)),
};

pub(super) const TO_BOOLEAN: Transform = Transform {
    name: "to_boolean",
    doc: "Converts true/false, yes/no, y/n, 1/0 (any case) to a boolean.",
    params: &[],
    accepts: Accepts::Scalar,
    takes_null: false,
    example: r#""to_boolean""#,
    compile: |_| Ok(Op::Cast(Cast::Boolean)),
};

pub(super) const NOT: Transform = Transform {
    name: "not",
    doc: "Negates a boolean (`IsRemoved` → `isActive`).",
    params: &[],
    accepts: Accepts::Only(&[Kind::Boolean]),
    takes_null: false,
    example: r#""not""#,
    compile: |_| Ok(Op::Cast(Cast::Not)),
};

impl Cast {
    pub(super) fn output(self) -> Kind {
        match self {
            Cast::String => Kind::String,
            Cast::Integer => Kind::Integer,
            Cast::Number => Kind::Number,
            Cast::Boolean | Cast::Not => Kind::Boolean,
        }
    }

    pub(super) fn run(self, input: &Value) -> Result<Value, StepError> {
        match self {
            Cast::String => to_string(input),
            Cast::Integer => to_integer(input).map(Value::from),
            Cast::Number => to_number(input).map(Value::Number),
            Cast::Boolean => to_boolean(input).map(Value::Bool),
            Cast::Not => match input {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(StepError::wrong_input("a boolean", other)),
            },
        }
    }
}

fn to_string(input: &Value) -> Result<Value, StepError> {
    match input {
        Value::String(_) => Ok(input.clone()),
        Value::Number(n) => Ok(Value::String(n.to_string())),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        other => Err(StepError::wrong_input("a string, number or boolean", other)),
    }
}

fn not_integer(input: &Value) -> StepError {
    StepError::new(
        "not_an_integer",
        format!(
            "{} is not a whole number that fits in 64 bits",
            crate::describe_value(input)
        ),
    )
}

pub(crate) fn to_integer(input: &Value) -> Result<i64, StepError> {
    match input {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().and_then(integral))
            .ok_or_else(|| not_integer(input)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| parse_finite(s).and_then(integral))
                .ok_or_else(|| not_integer(input))
        }
        Value::Bool(b) => Ok(i64::from(*b)),
        other => Err(StepError::wrong_input("a string, number or boolean", other)),
    }
}

/// `f` as an i64 when it is whole and in range (2^63 itself is out of range).
fn integral(f: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// Parses a decimal number, refusing what Rust accepts but JSON cannot hold
/// (`NaN`, `inf`, `infinity`) and anything that overflows to infinity.
fn parse_finite(s: &str) -> Option<f64> {
    let looks_numeric = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn to_number(input: &Value) -> Result<Number, StepError> {
    match input {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Ok(Number::from(i));
            }
            parse_finite(s).and_then(Number::from_f64).ok_or_else(|| {
                StepError::new(
                    "not_a_number",
                    format!(
                        "{} is not a finite decimal number",
                        crate::describe_value(input)
                    ),
                )
            })
        }
        other => Err(StepError::wrong_input("a string or number", other)),
    }
}

fn to_boolean(input: &Value) -> Result<bool, StepError> {
    let fail = || {
        StepError::new(
            "not_a_boolean",
            format!(
                "{} is not a boolean (true/false, yes/no, y/n, 1/0)",
                crate::describe_value(input)
            ),
        )
    };
    match input {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            _ => Err(fail()),
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(true),
            "false" | "no" | "n" | "0" => Ok(false),
            _ => Err(fail()),
        },
        other => Err(StepError::wrong_input("a string, number or boolean", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn to_integer_takes_whole_numbers_and_refuses_fractions_and_overflow() {
        assert_eq!(to_integer(&json!("42")).unwrap(), 42);
        assert_eq!(to_integer(&json!(" -7 ")).unwrap(), -7);
        assert_eq!(to_integer(&json!(3.0)).unwrap(), 3);
        assert_eq!(to_integer(&json!("1e3")).unwrap(), 1000);
        assert_eq!(to_integer(&json!(true)).unwrap(), 1);
        assert_eq!(to_integer(&json!(3.5)).unwrap_err().code, "not_an_integer");
        assert_eq!(to_integer(&json!(1e19)).unwrap_err().code, "not_an_integer");
        assert_eq!(
            to_integer(&json!("9223372036854775808")).unwrap_err().code,
            "not_an_integer"
        );
        assert_eq!(
            to_integer(&json!(u64::MAX)).unwrap_err().code,
            "not_an_integer"
        );
        assert_eq!(
            to_integer(&json!("NaN")).unwrap_err().code,
            "not_an_integer"
        );
        assert_eq!(to_integer(&json!([1])).unwrap_err().code, "wrong_input");
    }

    #[test]
    fn to_number_refuses_nan_infinity_and_overflow() {
        assert_eq!(
            to_number(&json!("12.5")).unwrap(),
            Number::from_f64(12.5).unwrap()
        );
        assert_eq!(to_number(&json!("12")).unwrap(), Number::from(12));
        for bad in ["NaN", "nan", "inf", "-Infinity", "1e400", "", "12abc", "."] {
            assert_eq!(
                to_number(&json!(bad)).unwrap_err().code,
                "not_a_number",
                "{bad}"
            );
        }
    }

    #[test]
    fn to_boolean_knows_common_spellings() {
        for (text, want) in [("Yes", true), ("n", false), ("TRUE", true), ("0", false)] {
            assert_eq!(to_boolean(&json!(text)).unwrap(), want, "{text}");
        }
        assert!(to_boolean(&json!(1)).unwrap());
        assert_eq!(
            to_boolean(&json!("maybe")).unwrap_err().code,
            "not_a_boolean"
        );
        assert_eq!(to_boolean(&json!(2)).unwrap_err().code, "not_a_boolean");
    }

    #[test]
    fn to_string_writes_numbers_and_booleans_and_refuses_objects() {
        assert_eq!(to_string(&json!(500)).unwrap(), json!("500"));
        assert_eq!(to_string(&json!(2.5)).unwrap(), json!("2.5"));
        assert_eq!(to_string(&json!(false)).unwrap(), json!("false"));
        assert_eq!(
            to_string(&json!({"Id": 1})).unwrap_err().code,
            "wrong_input"
        );
    }

    #[test]
    fn not_negates_and_refuses_non_booleans() {
        assert_eq!(Cast::Not.run(&json!(true)).unwrap(), json!(false));
        assert_eq!(
            Cast::Not.run(&json!("true")).unwrap_err().code,
            "wrong_input"
        );
    }
}
