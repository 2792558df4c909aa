//! JSON Schema (2020-12) export of the unified model, one document per entity.

use crate::{Entity, FieldType};
use serde_json::{json, Map, Value};

pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of one entity's unified records.
///
/// Optional fields may be `null`; `custom` holds mapping-defined extra fields and
/// `_source` says where the record came from.
pub fn json_schema(entity: &Entity) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &entity.fields {
        let mut schema = field_schema(&field.ty);
        if !field.required {
            schema = nullable(schema);
        } else {
            required.push(Value::from(field.name));
        }
        insert_description(&mut schema, field.description);
        properties.insert(field.name.to_string(), schema);
    }
    properties.insert(
        "custom".into(),
        json!({
            "type": "object",
            "description": "Fields the mapping adds beyond the unified model."
        }),
    );
    properties.insert(
        "_source".into(),
        json!({
            "type": "object",
            "description": "Where the record came from.",
            "properties": {
                "system": {"type": "string", "description": "The source system, such as corrigo."},
                "entity": {"type": "string", "description": "The source entity, such as WorkOrder."},
                "id": {"type": "string", "description": "The record's id in the source."}
            },
            "required": ["system", "entity"],
            "additionalProperties": false
        }),
    );
    json!({
        "$schema": SCHEMA_DIALECT,
        "$id": format!("https://unifield.dev/schemas/model/{}.schema.json", entity.name),
        "title": entity.name,
        "description": entity.description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn insert_description(schema: &mut Value, description: &str) {
    if let Value::Object(map) = schema {
        map.insert("description".into(), Value::from(description));
    }
}

fn field_schema(ty: &FieldType) -> Value {
    match ty {
        FieldType::String => json!({"type": "string"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Boolean => json!({"type": "boolean"}),
        FieldType::DateTime => json!({
            "type": "string",
            "format": "date-time",
            "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$"
        }),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::Enum(values) => json!({
            "type": "string",
            "enum": values.iter().map(|v| v.name).collect::<Vec<_>>(),
            "x-enumDescriptions": values
                .iter()
                .map(|v| (v.name.to_string(), Value::from(v.description)))
                .collect::<Map<_, _>>()
        }),
        FieldType::Key(entity) => json!({
            "type": "string",
            "minLength": 1,
            "x-references": entity
        }),
        FieldType::Array(item) => json!({"type": "array", "items": field_schema(item)}),
        FieldType::Object(fields) => {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for field in fields {
                let mut schema = field_schema(&field.ty);
                if field.required {
                    required.push(Value::from(field.name));
                } else {
                    schema = nullable(schema);
                }
                insert_description(&mut schema, field.description);
                properties.insert(field.name.to_string(), schema);
            }
            json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false
            })
        }
    }
}
