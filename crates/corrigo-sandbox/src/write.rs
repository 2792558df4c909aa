//! Writes and commands: create, update and soft-delete through `base`, work-order creation
//! and status changes through `cmd`, with Corrigo's rules — ConcurrencyId increments and
//! refuses stale writes, work orders and work zones cannot be deleted, status commands
//! follow the transition table, and unknown properties are refused by name.

use crate::data::Data;
use serde_json::{json, Map, Value};

/// A refusal, with Corrigo's error code.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// A request member by name, ignoring case as Corrigo does (`"entity"` works).
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_object()
        .and_then(|map| crate::query::member(map, name))
}

/// Whether `name` is a command the sandbox runs (its class name or short form).
pub fn is_known(name: &str) -> bool {
    const KNOWN: [&str; 14] = [
        "workorder/create",
        "wocreatecommand",
        "wopickupcommand",
        "wostartcommand",
        "wopausecommand",
        "woonholdcommand",
        "wocompletecommand",
        "wocancelcommand",
        "woreopencommand",
        "woflagcommand",
        "verifyworkcommand",
        "worecallcommand",
        "womessagecommand",
        "sendworkordercommand",
    ];
    KNOWN.contains(&name.to_ascii_lowercase().as_str())
}

pub(crate) fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// Entities that cannot be deleted through `base` [D 1].
const UNDELETABLE: [&str; 2] = ["WorkOrder", "WorkZone"];
/// Members a request may carry that are not data.
const NOT_DATA: [&str; 4] = ["Id", "ConcurrencyId", "IsNew", "PerformDeletion"];

/// The member's existing key in `map`, matched ignoring case, or `name` as given.
fn key_in(map: &Map<String, Value>, name: &str) -> String {
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// What to store for an incoming value: a reference stays `{"Id": n}` even when the
/// request sends the whole related object, as Corrigo's own examples do.
fn stored(incoming: &Value, existing: Option<&Value>) -> Value {
    let is_reference = |v: &Value| {
        v.as_object()
            .is_some_and(|m| m.len() == 1 && m.contains_key("Id"))
    };
    match (incoming, existing) {
        (Value::Object(map), Some(old)) if is_reference(old) => {
            json!({"Id": map.get("Id").or_else(|| map.get("ID")).cloned().unwrap_or(Value::Null)})
        }
        (Value::Object(map), None) if map.contains_key("Id") && map.len() > 1 => {
            json!({"Id": map["Id"].clone()})
        }
        _ => incoming.clone(),
    }
}

fn id_of(entity: &Map<String, Value>) -> Option<i64> {
    entity
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Id"))
        .and_then(|(_, v)| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
}

fn specifier(entity: &str, id: i64, concurrency: Option<i64>) -> Value {
    let mut out = json!({"EntityType": entity, "Id": id});
    if let Some(c) = concurrency {
        out["ConcurrencyId"] = Value::from(c);
    }
    json!({"EntitySpecifier": out})
}

/// Properties a request names that the entity does not have.
pub fn check_properties(data: &Data, entity: &str, properties: &[String]) -> Result<(), Refusal> {
    crate::query::check_depth(properties)
        .map_err(|message| refuse(crate::query::PROPERTY_TOO_DEEP, message))?;
    for property in properties.iter().filter(|p| p.as_str() != "*") {
        let head = property.split('.').next().unwrap_or(property);
        if !data.exposes(entity, head) {
            return Err(refuse(
                "ERROR_CODE_1002",
                format!("{entity} entity does not expose \"{head}\" property."),
            ));
        }
    }
    Ok(())
}

pub fn create(data: &mut Data, entity: &'static str, body: &Value) -> Result<Value, Refusal> {
    if entity == "WorkOrder" || entity == "WorkZone" {
        return Err(refuse(
            "CUSTOM_COMMAND_ERROR",
            format!("There are some custom command for '{entity}' for that action. Use '/cmd/{entity}/Create' endpoint for that please."),
        ));
    }
    let Some(Value::Object(incoming)) = field(body, "Entity") else {
        return Err(refuse("EMPTY_INPUT_PARAMETER", "Entity is required."));
    };
    let mut record = Map::new();
    for (key, value) in incoming
        .iter()
        .filter(|(k, _)| !NOT_DATA.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        record.insert(key.clone(), stored(value, None));
    }
    let versioned = entity != "Location";
    if versioned {
        record.insert("IsRemoved".into(), Value::Bool(false));
        record.insert("ConcurrencyId".into(), Value::from(1));
    }
    let id = data.insert(entity, Value::Object(record));
    Ok(specifier(entity, id, versioned.then_some(1)))
}

pub fn update(data: &mut Data, entity: &'static str, body: &Value) -> Result<Value, Refusal> {
    let Some(Value::Object(incoming)) = field(body, "Entity") else {
        return Err(refuse("EMPTY_INPUT_PARAMETER", "Entity is required."));
    };
    let properties: Vec<String> = field(body, "Properties")
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_else(|| vec!["*".into()]);
    check_properties(data, entity, &properties)?;
    let id =
        id_of(incoming).ok_or_else(|| refuse("EMPTY_INPUT_PARAMETER", "Entity.Id is required."))?;
    let Some(Value::Object(record)) = data.get_mut(entity, id) else {
        return Err(refuse(
            "ERROR_CODE_1019",
            format!("{entity} with Id {id} is not found."),
        ));
    };
    let current = record.get("ConcurrencyId").and_then(Value::as_i64);
    let sent = incoming
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("ConcurrencyId"))
        .and_then(|(_, v)| v.as_i64());
    if let (Some(current), Some(sent)) = (current, sent) {
        if sent != current {
            return Err(refuse(
                "ERROR_CODE_6",
                "Data was already modified by another user.",
            ));
        }
    }
    let everything = properties.iter().any(|p| p == "*");
    for (key, value) in incoming
        .iter()
        .filter(|(k, _)| !NOT_DATA.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        let named = properties.iter().any(|p| {
            p.split('.')
                .next()
                .is_some_and(|h| h.eq_ignore_ascii_case(key))
        });
        if everything || named {
            let key = key_in(record, key);
            let value = stored(value, record.get(&key));
            record.insert(key, value);
        }
    }
    let next = current.map(|c| c + 1);
    if let Some(next) = next {
        record.insert("ConcurrencyId".into(), Value::from(next));
    }
    Ok(specifier(entity, id, next))
}

pub fn delete(
    data: &mut Data,
    entity: &'static str,
    id: i64,
    ignore_missing: bool,
) -> Result<Value, Refusal> {
    if UNDELETABLE.contains(&entity) {
        return Err(refuse(
            "ERROR_CODE_1000",
            format!("Delete operation is not supported by {entity} entity."),
        ));
    }
    match data.get_mut(entity, id) {
        Some(Value::Object(record)) => {
            // Soft delete: the record stays, marked, as Corrigo keeps it.
            record.insert("IsRemoved".into(), Value::Bool(true));
            if let Some(Value::String(name)) = record.get_mut("DisplayAs") {
                if !name.ends_with(" (deleted)") {
                    name.push_str(" (deleted)");
                }
            }
            if let Some(Value::Number(n)) = record.get("ConcurrencyId").cloned() {
                record.insert(
                    "ConcurrencyId".into(),
                    Value::from(n.as_i64().unwrap_or(0) + 1),
                );
            }
        }
        _ if ignore_missing => {}
        _ => {
            return Err(refuse(
                "ERROR_CODE_1019",
                format!("{entity} with Id {id} is not found."),
            ))
        }
    }
    Ok(specifier(entity, id, None))
}

/// Runs a command by its class name (`WoCompleteCommand`) or short form (`Workorder/Create`).
pub fn command(data: &mut Data, name: &str, body: &Value, now: &str) -> Result<Value, Refusal> {
    let command = field(body, "Command").cloned().unwrap_or(Value::Null);
    let lower = name.to_ascii_lowercase();
    let result = match lower.as_str() {
        "workorder/create" | "wocreatecommand" => {
            json!({"Wo": create_work_order(data, &command, now)?})
        }
        "wopickupcommand" => json!({"Wo": transition(data, &command, now, &["New"], "Open")?}),
        "wostartcommand" => {
            json!({"Wo": transition(data, &command, now, &["New", "Open", "Paused", "OnHold"], "InProgress")?})
        }
        "wopausecommand" => {
            json!({"Wo": transition(data, &command, now, &["InProgress"], "Paused")?})
        }
        "woonholdcommand" => {
            json!({"Wo": transition(data, &command, now, &["Open", "InProgress", "Paused"], "OnHold")?})
        }
        "wocompletecommand" => {
            json!({"Wo": transition(data, &command, now, &["Open", "InProgress", "Paused", "OnHold"], "Completed")?})
        }
        "wocancelcommand" => {
            json!({"Wo": transition(data, &command, now, &["New", "Open", "InProgress", "Paused", "OnHold"], "Cancelled")?})
        }
        "woreopencommand" => {
            json!({"Wo": transition(data, &command, now, &["Completed", "Cancelled"], "New")?})
        }
        "woflagcommand" => json!({"Wo": work_order(data, &command)?.clone()}),
        "verifyworkcommand" => {
            let wo = work_order(data, &command)?;
            json!({"WorkVerification": {"Idx": 0, "WorkOrderId": wo["Id"], "WoRatingId": command.get("WoRatingId").cloned().unwrap_or(json!("Positive")),
                "Comment": command.get("Comment").cloned().unwrap_or(json!("")), "EditedDate": now.trim_end_matches('Z'),
                "Actor": {"Id": 1, "TypeId": "CorrigoNet"}, "ConcurrencyId": 1}})
        }
        "worecallcommand" | "womessagecommand" | "sendworkordercommand" => {
            work_order(data, &command)?;
            return Err(refuse("BUSINESS_LOGIC_ERROR", "Sorry, this command can be used only for Work Order sent to a connected Service Pro"));
        }
        _ => {
            let message = match name.split_once('/') {
                Some((entity, verb)) => {
                    format!("There are no such custom command as '{verb}' for entity '{entity}'")
                }
                None => format!("There is no such command as '{name}'"),
            };
            return Err(refuse("COMMAND_NOT_FOUND", message));
        }
    };
    Ok(result)
}

fn work_order<'a>(data: &'a mut Data, command: &Value) -> Result<&'a mut Value, Refusal> {
    let id = command
        .get("WorkOrderId")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    let id = id.ok_or_else(|| refuse("EMPTY_INPUT_PARAMETER", "WorkOrderId is required."))?;
    data.get_mut("WorkOrder", id).ok_or_else(|| {
        refuse(
            "ERROR_CODE_1019",
            format!("WorkOrder with Id {id} is not found."),
        )
    })
}

fn transition(
    data: &mut Data,
    command: &Value,
    now: &str,
    from: &[&str],
    to: &str,
) -> Result<Value, Refusal> {
    let wo = work_order(data, command)?;
    let state = wo["StatusId"].as_str().unwrap_or("Unknown").to_string();
    if !from.contains(&state.as_str()) {
        return Err(refuse("BUSINESS_LOGIC_ERROR", format!("{{!{{Work Order}}!}} that is in state '{state}' cannot be placed in the state '{to}'")));
    }
    if let (Some(sent), Some(current)) = (
        command.get("ConcurrencyId").and_then(Value::as_i64),
        wo["ConcurrencyId"].as_i64(),
    ) {
        if sent != current {
            return Err(refuse(
                "ERROR_CODE_6",
                "Data was already modified by another user.",
            ));
        }
    }
    wo["StatusId"] = Value::from(to);
    wo["LastActionDateUtc"] = Value::from(now);
    wo["ConcurrencyId"] = Value::from(wo["ConcurrencyId"].as_i64().unwrap_or(0) + 1);
    Ok(wo.clone())
}

/// Corrigo's WOType names by their integer (its 0-based enum position).
const WO_TYPES: [&str; 5] = ["Unknown", "Basic", "PMRM", "Turn", "Request"];

fn create_work_order(data: &mut Data, command: &Value, now: &str) -> Result<Value, Refusal> {
    let Some(Value::Object(order)) = command.get("WorkOrder") else {
        return Err(refuse(
            "EMPTY_INPUT_PARAMETER",
            "Command.WorkOrder is required.",
        ));
    };
    let member = |name: &str| {
        order
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let items = member("Items")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let Some(asset) = items
        .first()
        .and_then(|i| i.get("Asset"))
        .and_then(|a| a.get("Id"))
        .and_then(Value::as_i64)
    else {
        return Err(refuse(
            "BUSINESS_LOGIC_ERROR",
            "A work order needs at least one item with an asset and a task.",
        ));
    };
    let type_category = match member("TypeCategory") {
        Some(Value::Number(n)) => WO_TYPES
            .get(n.as_u64().unwrap_or(0) as usize)
            .copied()
            .unwrap_or("Unknown")
            .to_string(),
        Some(Value::String(s)) => s,
        _ => "Basic".into(),
    };
    let zone = member("WorkZone")
        .and_then(|z| z.get("Id").and_then(Value::as_i64))
        .unwrap_or(1);
    let prefix = data
        .get("WorkZone", zone)
        .and_then(|z| z["WoNumberPrefix"].as_str().map(String::from))
        .unwrap_or_else(|| "ASN".into());
    let location = data
        .get("Location", asset)
        .and_then(|l| l["Name"].as_str().map(String::from))
        .unwrap_or_default();
    let priority = member("Priority").unwrap_or(json!({"Id": 3}));
    let mut wo = json!({
        "TypeCategory": type_category,
        "Priority": priority,
        "StatusId": "New",
        "Access": "NotApplicable",
        "MainAsset": {"Id": asset},
        "ShortLocation": location,
        "WorkZone": {"Id": zone},
        "Duration": 0,
        "VendorNte": {"CurrencyTypeId": "USD", "Value": 0},
        "PoNumber": "",
        "ContactName": member("ContactName").unwrap_or(json!("")),
        "IsWarranty": false,
        "CurrencyTypeId": "USD",
        "CreatedDateUtc": now,
        "LastActionDateUtc": now,
        "InductionAndSafetyStatusID": "NotApplicable",
        "ConcurrencyId": 1,
        "Items": items,
    });
    for reference in ["Customer", "SubType", "RequestorContact"] {
        if let Some(value) = member(reference) {
            wo[reference] = value;
        }
    }
    let id = data.insert("WorkOrder", wo);
    let stored = data.get_mut("WorkOrder", id).expect("just inserted");
    stored["Number"] = Value::from(format!("{prefix}{:04}", id % 10_000));
    stored["WorkOrderCost"] = json!({"Id": id});
    stored["LastAction"] = json!({"Id": id});
    Ok(stored.clone())
}
