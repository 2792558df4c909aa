//! The unified maintenance model: typed entities whose field names follow the public
//! EAM/CMMS model of the leading unified maintenance API (camelCase `key`, `siteKey`,
//! `dueAt`, …), but where every field has a real type instead of "string".
//!
//! The model is data, not Rust structs: the mapping engine checks bindings against it,
//! the studio lists it, and `mappings/model/*.schema.json` are generated from it.

mod entities;
mod schema;

pub use schema::{json_schema, SCHEMA_DIALECT};

use std::sync::OnceLock;

/// The type of one unified field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    String,
    /// A whole number that fits in an `i64`.
    Integer,
    /// Any finite JSON number.
    Number,
    Boolean,
    /// An RFC 3339 date-time in UTC, written with a `Z` suffix.
    DateTime,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of a closed set of normalised values.
    Enum(Vec<EnumValue>),
    /// The `key` of a record of the named entity.
    Key(&'static str),
    Array(Box<FieldType>),
    /// An object with known members (all optional unless marked required).
    Object(Vec<Field>),
}

impl FieldType {
    /// The short name used in diagnostics, docs and the mapping schema.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::DateTime => "datetime",
            FieldType::Date => "date",
            FieldType::Enum(_) => "enum",
            FieldType::Key(_) => "key",
            FieldType::Array(_) => "array",
            FieldType::Object(_) => "object",
        }
    }

    /// A human description such as `key → Site` or `array of string`.
    pub fn describe(&self) -> String {
        match self {
            FieldType::Enum(values) => {
                let names: Vec<_> = values.iter().map(|v| v.name).collect();
                format!("enum ({})", names.join(", "))
            }
            FieldType::Key(entity) => format!("key → {entity}"),
            FieldType::Array(item) => format!("array of {}", item.describe()),
            other => other.name().to_string(),
        }
    }
}

/// One allowed value of an enum field, with what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub name: &'static str,
    pub description: &'static str,
}

/// One field of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub description: &'static str,
}

/// One entity of the unified model, such as `WorkOrder`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub name: &'static str,
    pub description: &'static str,
    pub fields: Vec<Field>,
}

impl Entity {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Where `name` sits in the entity's declared order (used to order output records).
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// The whole unified model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub version: &'static str,
    pub entities: Vec<Entity>,
}

impl Model {
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    pub fn entity_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entities.iter().map(|e| e.name)
    }
}

/// The unified model, built once.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(entities::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_entity_is_present() {
        for name in [
            "WorkOrder",
            "Asset",
            "Location",
            "Site",
            "User",
            "Vendor",
            "Customer",
            "Part",
        ] {
            assert!(model().entity(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn every_entity_has_a_required_string_key_first() {
        for entity in &model().entities {
            let first = &entity.fields[0];
            assert_eq!(first.name, "key", "{} must start with key", entity.name);
            assert!(first.required && first.ty == FieldType::String);
        }
    }

    #[test]
    fn field_names_are_camel_case_unique_and_described() {
        for entity in &model().entities {
            let mut seen = std::collections::HashSet::new();
            for field in &entity.fields {
                assert!(
                    seen.insert(field.name),
                    "{}.{} twice",
                    entity.name,
                    field.name
                );
                let first = field.name.chars().next().unwrap();
                assert!(first.is_ascii_lowercase(), "{}.{}", entity.name, field.name);
                assert!(!field.name.contains('_'), "{}.{}", entity.name, field.name);
                assert!(
                    field.description.len() > 10,
                    "{}.{}",
                    entity.name,
                    field.name
                );
            }
        }
    }

    #[test]
    fn key_references_point_at_entities_of_the_model() {
        fn check(ty: &FieldType, at: &str) {
            match ty {
                FieldType::Key(target) => {
                    assert!(model().entity(target).is_some(), "{at} → {target}")
                }
                FieldType::Array(item) => check(item, at),
                FieldType::Object(fields) => fields.iter().for_each(|f| check(&f.ty, at)),
                _ => {}
            }
        }
        for entity in &model().entities {
            for field in &entity.fields {
                check(&field.ty, &format!("{}.{}", entity.name, field.name));
            }
        }
    }

    #[test]
    fn work_order_status_is_a_normalised_enum_with_the_source_text_beside_it() {
        let wo = model().entity("WorkOrder").unwrap();
        let FieldType::Enum(values) = &wo.field("status").unwrap().ty else {
            panic!("status must be an enum");
        };
        let names: Vec<_> = values.iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            ["open", "in_progress", "on_hold", "completed", "cancelled"]
        );
        assert_eq!(wo.field("sourceStatus").unwrap().ty, FieldType::String);
    }
}
