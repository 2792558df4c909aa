//! Deterministic, realistic Corrigo Enterprise records.
//!
//! The same seed gives the same records, byte for byte, on every machine: the bundled
//! offline samples, the engine benchmark's 50,000 work orders and (later) the sandbox's
//! data all come from here. Records follow Corrigo's conventions as the published
//! examples show them: PascalCase, enums as names, references as `{"Id": n}`, nulls
//! omitted, local `Dt*` times without an offset beside `*Utc` twins (usually, not always,
//! ending in `Z`), `1753-01-01T00:00:00` for "no date", and " (deleted)" on removed names.

mod names;
mod rng;

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;
use names::*;
use rng::Rng;
use serde_json::{json, Map, Value};

/// Sizes of a generated company.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub work_zones: usize,
    pub employees: usize,
    pub providers: usize,
    pub customers: usize,
    pub products: usize,
    pub work_orders: usize,
}

impl Scale {
    /// The bundled offline workspace.
    pub const SAMPLES: Scale = Scale {
        work_zones: 6,
        employees: 30,
        providers: 18,
        customers: 24,
        products: 40,
        work_orders: 400,
    };
}

/// The Corrigo entities this crate generates, by the names the API uses.
pub const ENTITIES: [&str; 6] = [
    "WorkZone",
    "Location",
    "Employee",
    "Customer",
    "Product",
    "WorkOrder",
];

/// A generated Corrigo company: every record, by entity.
pub struct Company {
    pub work_zones: Vec<Value>,
    pub locations: Vec<Value>,
    pub employees: Vec<Value>,
    pub customers: Vec<Value>,
    pub products: Vec<Value>,
    /// Asset classes the locations' ModelId refers to.
    pub models: Vec<Value>,
    /// The tasks (work types) of each model.
    pub tasks: Vec<Value>,
    /// Customers' people who request work.
    pub contacts: Vec<Value>,
    seed: u64,
    scale: Scale,
}

impl Company {
    pub fn generate(seed: u64, scale: Scale) -> Company {
        let mut rng = Rng::new(seed);
        let work_zones: Vec<Value> = (0..scale.work_zones)
            .map(|i| work_zone(&mut rng, i))
            .collect();
        let locations = location_tree(&mut rng, &work_zones);
        let mut employees: Vec<Value> = (0..scale.employees)
            .map(|i| employee(&mut rng, i))
            .collect();
        employees.extend((0..scale.providers).map(|i| provider(&mut rng, scale.employees + i)));
        // The sites each technician works at (Corrigo's Employee.WorkZones).
        for employee in employees
            .iter_mut()
            .filter(|e| e["ActorTypeId"] == "Employee")
        {
            let first = rng.below(work_zones.len());
            let zones: Vec<Value> = (0..rng.range(1, 3) as usize)
                .map(|k| {
                    reference(
                        work_zones[(first + k) % work_zones.len()]["Id"]
                            .as_u64()
                            .unwrap_or(1),
                    )
                })
                .collect();
            employee["WorkZones"] = Value::Array(zones);
        }
        let customers: Vec<Value> = (0..scale.customers)
            .map(|i| customer(&mut rng, i, &work_zones))
            .collect();
        let products = (0..scale.products).map(|i| product(&mut rng, i)).collect();
        // Generated last, from their own stream, so the entities above (and the bundled
        // samples made from them) do not change when these do.
        let mut extra = Rng::new(seed ^ 0x00C0_FFEE);
        let (models, tasks) = models_and_tasks(&mut extra, &locations);
        let contacts = contacts(&mut extra, &customers);
        Company {
            work_zones,
            locations,
            employees,
            customers,
            products,
            models,
            tasks,
            contacts,
            seed,
            scale,
        }
    }

    /// The records of one entity (work orders are generated on the fly, see `work_orders`).
    pub fn records(&self, entity: &str) -> Option<Vec<Value>> {
        Some(match entity.to_ascii_lowercase().as_str() {
            "workzone" => self.work_zones.clone(),
            "location" => self.locations.clone(),
            "employee" => self.employees.clone(),
            "customer" => self.customers.clone(),
            "product" => self.products.clone(),
            "model" => self.models.clone(),
            "task" => self.tasks.clone(),
            "contact" => self.contacts.clone(),
            "workorder" => self.work_orders().collect(),
            _ => return None,
        })
    }

    /// The company's work orders, generated lazily so 100,000 of them need no memory.
    pub fn work_orders(&self) -> impl Iterator<Item = Value> + '_ {
        let mut rng = Rng::new(self.seed ^ 0x005E_ED0F_0DE5);
        // Work is raised against units and equipment; found once, not per order.
        let places: Vec<&Value> = self
            .locations
            .iter()
            .filter(|l| l["TypeId"] == "Unit" || l["TypeId"] == "Equipment")
            .collect();
        (0..self.scale.work_orders).map(move |i| work_order(&mut rng, i, self, &places))
    }
}

/// The Model records the locations refer to, and a few tasks for each.
fn models_and_tasks(rng: &mut Rng, locations: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let mut ids: Vec<u64> = locations
        .iter()
        .filter_map(|l| l["ModelId"].as_u64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut models = Vec::new();
    let mut tasks = Vec::new();
    for id in ids {
        let name = EQUIPMENT
            .iter()
            .find(|(_, model, _)| *model == id)
            .map(|(kind, _, maker)| format!("{kind} ({maker})"))
            .unwrap_or_else(|| {
                if id == 1950 {
                    "Floor".to_string()
                } else {
                    "Building / Unit".to_string()
                }
            });
        models.push(json!({"DisplayAs": name, "Description": name, "AssetCategoryId": 1 + id % 7, "Number": format!("M{id}"), "Id": id}));
        for (n, (task, preventive)) in [("Inspect", true), ("Repair", false), ("Other", false)]
            .iter()
            .enumerate()
        {
            let task_id = 14_000 + id * 10 + n as u64;
            tasks.push(json!({
                "ModelId": id, "DisplayAs": task, "Preventive": preventive, "Routine": false, "Corrective": !preventive,
                "Default": *task == "Other", "Symptom": false, "CompletionTime": rng.range(0, 240),
                "Specialty": reference(10_000 + rng.range(1, 300)), "Priority": reference(rng.range(2, 5)),
                "Instructions": "", "SelfHelpContent": "", "PeopleRequired": rng.range(1, 2), "SkillLevel": 0,
                "GlAccount": "", "Number": "", "IsRemoved": false, "ConcurrencyId": rng.range(1, 4), "Id": task_id
            }));
        }
    }
    tasks.sort_by_key(|t| t["Id"].as_u64());
    (models, tasks)
}

/// Two or three contacts per customer: the people who raise requests.
fn contacts(rng: &mut Rng, customers: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for customer in customers {
        for n in 0..rng.range(2, 3) {
            let id = 1_000 + out.len() as u64;
            let first = FIRST_NAMES[rng.below(FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.below(LAST_NAMES.len())];
            let removed = rng.chance(0.05);
            let name = format!("{first} {last}");
            let username = format!("{}{}{}", &first[..1], last, id).to_lowercase();
            out.push(json!({
                "DisplayAs": if removed { format!("{name} (deleted)") } else { name },
                "FirstName": first, "LastName": last,
                "TypeId": if n == 0 { "Primary" } else { "Alternate" },
                "CustomerId": customer["Id"], "CanViewAnyRequest": n == 0, "CanCreateRequest": true,
                "PriorityThreshold": 255,
                "ContactAddresses": contact_addresses(rng, "LeaseUser", id, &format!("{username}@tenant.example")),
                "Username": username, "Number": format!("{id}"), "MustResetPassword": false, "NoAlertEmails": false,
                "Comment": "", "CustomerNoteAccessId": "View", "IsRemoved": removed, "ConcurrencyId": rng.range(1, 6), "Id": id
            }));
        }
    }
    out
}

fn reference(id: u64) -> Value {
    json!({"Id": id})
}

fn work_zone(rng: &mut Rng, index: usize) -> Value {
    let (state, code, city) = CITIES[index % CITIES.len()];
    let id = index as u64 + 1;
    let removed = index > 0 && rng.chance(0.05);
    let name = format!("{state} - {code} ({city})");
    json!({
        "DisplayAs": if removed { format!("{name} (deleted)") } else { name },
        "Asset": reference(1000 + id * 1000),
        "TimeZone": city_zone(code).1,
        "LanguageId": 1033,
        "WoNumberPrefix": format!("ASN{:03}", id),
        "Entity": "Asurion",
        "Number": code,
        "WoNumberDigits": 4,
        "DefaultAccess": "NotApplicable",
        "AutoAssignEnabled": rng.chance(0.3),
        "CurrencyTypeId": if index % 7 == 6 { "CAD" } else { "USD" },
        "IsOffline": rng.chance(0.1),
        "UseBizHours": true,
        "IsRemoved": removed,
        "ConcurrencyId": rng.range(1, 60),
        "Id": id
    })
}

fn location(
    id: u64,
    name: String,
    type_id: &str,
    parent: u64,
    root: u64,
    model: u64,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Name".into(), Value::from(name));
    out.insert("ModelId".into(), Value::from(model));
    out.insert("Orphan".into(), Value::from(false));
    out.insert("TypeId".into(), Value::from(type_id));
    out.insert("ParentId".into(), Value::from(parent));
    out.insert("RootId".into(), Value::from(root));
    out.insert("IsTemplate".into(), Value::from(false));
    out.insert("IsOffline".into(), Value::from(false));
    out.insert("IsLocked".into(), Value::from(false));
    out.insert("Id".into(), Value::from(id));
    out
}

/// Building → floors → units → equipment under each work zone's root location.
fn location_tree(rng: &mut Rng, zones: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for zone in zones {
        let root = zone["Asset"]["Id"].as_u64().unwrap_or_default();
        let code = zone["Number"].as_str().unwrap_or_default().to_string();
        let mut building = location(root, format!("{code} Building"), "Building", 0, root, 1946);
        let (street, zip) = STREETS[rng.below(STREETS.len())];
        let city = zone["DisplayAs"].as_str().unwrap_or_default();
        let city = city
            .split('(')
            .nth(1)
            .unwrap_or("")
            .trim_end_matches([')', ' '])
            .replace(" (deleted", "");
        building.insert(
            "Address".into(),
            json!({"TypeId": "Primary", "Street": street, "Street2": second_line(root), "City": city, "State": zone["DisplayAs"].as_str().unwrap_or("").get(..2).unwrap_or(""), "Zip": zip, "Country": "USA"}),
        );
        out.push(Value::Object(building));
        let mut next = root + 1;
        for floor in 1..=rng.range(2, 4) {
            let floor_id = next;
            next += 1;
            out.push(Value::Object(location(
                floor_id,
                format!("{code} {floor:02}"),
                "Floor",
                root,
                root,
                1950,
            )));
            for wing in ["North", "East", "Core", "West"]
                .iter()
                .take(rng.range(2, 4) as usize)
            {
                let unit_id = next;
                next += 1;
                let mut unit = location(
                    unit_id,
                    format!("{code} {floor:02} {wing}"),
                    "Unit",
                    floor_id,
                    root,
                    1946,
                );
                unit.insert("Info".into(), json!({"Id": unit_id, "AssetId": unit_id, "CommunityId": 1, "SerialNumber": format!("{code}_{floor:02} {}", &wing[..1]), "TagId": format!("{code}-{floor:02}{}", &wing[..1]), "CheckPhone": ""}));
                out.push(Value::Object(unit));
                for _ in 0..rng.range(1, 3) {
                    let (kind, model, maker) = EQUIPMENT[rng.below(EQUIPMENT.len())];
                    let id = next;
                    next += 1;
                    let mut item = location(
                        id,
                        format!("{kind} {code}-{floor:02}{}", &wing[..1]),
                        "Equipment",
                        unit_id,
                        root,
                        model,
                    );
                    item.insert("IsOffline".into(), Value::from(rng.chance(0.08)));
                    let tag = if rng.chance(0.7) {
                        format!("TAG-{id:06}")
                    } else {
                        String::new()
                    };
                    let serial = if rng.chance(0.85) {
                        format!("{maker}-{:08X}", rng.next() as u32)
                    } else {
                        String::new()
                    };
                    item.insert("Info".into(), json!({"Id": id, "AssetId": id, "CommunityId": 1, "SerialNumber": serial, "TagId": tag, "CheckPhone": ""}));
                    out.push(Value::Object(item));
                }
            }
        }
    }
    out
}

fn contact_addresses(rng: &mut Rng, actor: &str, id: u64, email: &str) -> Value {
    let mut items = Vec::new();
    if rng.chance(0.85) {
        items.push(json!({"ActorTypeId": actor, "ActorId": id, "AddrTypeId": "PrimEmail", "Address": email, "IsAlert": true, "IsReport": false, "ConcurrencyId": 1, "Id": id * 10 + 1}));
    }
    if rng.chance(0.7) {
        let phone = format!("{}-555-{:04}", rng.range(201, 989), rng.range(0, 9999));
        items.push(json!({"ActorTypeId": actor, "ActorId": id, "AddrTypeId": "PrimPhone", "Address": phone, "IsAlert": false, "IsReport": false, "ConcurrencyId": 1, "Id": id * 10 + 2}));
    }
    Value::Array(items)
}

fn employee(rng: &mut Rng, index: usize) -> Value {
    let id = 150 + index as u64;
    let first = FIRST_NAMES[rng.below(FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.below(LAST_NAMES.len())];
    let removed = rng.chance(0.08);
    let (title, role) = JOBS[rng.below(JOBS.len())];
    let name = format!("{first} {last}");
    let username = format!("{}{}", &first[..1], last).to_lowercase();
    json!({
        "FirstName": first,
        "LastName": last,
        "DisplayAs": if removed { format!("{name} (deleted)") } else { name },
        "Role": reference(role),
        "AccessToAllWorkZones": rng.chance(0.2),
        "LanguageId": 1033,
        "ActorTypeId": "Employee",
        "Username": username,
        "DtPwdChange": if rng.chance(0.3) { "1753-01-01T00:00:00".to_string() } else { format!("2022-0{}-1{}T00:00:00", rng.range(1, 9), rng.range(0, 9)) },
        "ContactAddresses": contact_addresses(rng, "Employee", id, &format!("{username}@example-fm.com")),
        "ProviderStatusId": "NA",
        "Number": if rng.chance(0.8) { format!("E{:04}", id) } else { String::new() },
        "JobTitle": title,
        "ExternalId": "",
        "FederalId": "",
        "IsSupplier": false,
        "ProviderTypeId": "Regular",
        "IsRemoved": removed,
        "ConcurrencyId": rng.range(1, 30),
        "Id": id
    })
}

fn provider(rng: &mut Rng, index: usize) -> Value {
    let id = 150 + index as u64;
    let company = VENDORS[index % VENDORS.len()];
    let status = [
        "Connected",
        "Connected",
        "NotConnected",
        "Invited",
        "Suspended",
        "NA",
    ][rng.below(6)];
    let removed = rng.chance(0.1);
    let slug: String = company
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    json!({
        "FirstName": "",
        "LastName": "",
        "DisplayAs": if removed { format!("{company} (deleted)") } else { company.to_string() },
        "AccessToAllWorkZones": false,
        "LanguageId": 1033,
        "ActorTypeId": "Provider",
        "Username": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", rng.next() as u32, rng.below(0xffff), rng.below(0xfff), rng.below(0xfff), rng.next() & 0xffff_ffff_ffff),
        "DtPwdChange": "1753-01-01T00:00:00",
        "Instructions": if status == "Suspended" { "Suspended pending insurance certificate." } else { "" },
        "ContactAddresses": contact_addresses(rng, "Provider", id, &format!("dispatch@{slug}.example")),
        "WonServiceRadius": ([0, 25, 50, 100, 1000][rng.below(5)]),
        "ProviderStatusId": status,
        "RadiusUnit": "Mile",
        "Number": format!("SP{:04}", id),
        "JobTitle": "",
        "FederalId": if rng.chance(0.6) { format!("{:02}-{:07}", rng.range(10, 99), rng.range(0, 9_999_999)) } else { String::new() },
        "ExternalId": if rng.chance(0.4) { format!("ERP-{}", rng.range(10000, 99999)) } else { String::new() },
        "IsSupplier": rng.chance(0.15),
        "ProviderTypeId": "Regular",
        "IsRemoved": removed,
        "ConcurrencyId": rng.range(1, 20),
        "Id": id
    })
}

fn customer(rng: &mut Rng, index: usize, zones: &[Value]) -> Value {
    let zone = &zones[index % zones.len()];
    let tenant = TENANTS[index % TENANTS.len()];
    let code = zone["Number"].as_str().unwrap_or_default();
    let name = format!("{tenant} – {code}");
    let (street, zip) = STREETS[rng.below(STREETS.len())];
    let city = zone["DisplayAs"]
        .as_str()
        .unwrap_or_default()
        .split('(')
        .nth(1)
        .unwrap_or("")
        .trim_end_matches([')', ' '])
        .replace(" (deleted", "");
    let state = zone["DisplayAs"]
        .as_str()
        .unwrap_or("")
        .get(..2)
        .unwrap_or("");
    let id = index as u64 + 3;
    json!({
        "DisplayAs": name,
        "Name": name,
        "WorkZone": reference(zone["Id"].as_u64().unwrap_or(1)),
        "Dba": if rng.chance(0.5) { tenant.to_string() } else { String::new() },
        "Instructions": if rng.chance(0.3) { "Check in with building security before entering." } else { "" },
        "TenantCode": format!("A{:04}", index + 1),
        "Addresses": [{"ActorTypeId": "Customer", "ActorId": id, "TypeId": "Primary", "Street": street, "Street2": second_line(id), "City": city, "State": state, "Zip": zip, "Country": "USA", "Id": 90_000 + id}],
        "TaxExempt": rng.chance(0.1),
        "IsRemoved": rng.chance(0.05),
        "ConcurrencyId": rng.range(1, 50),
        "Id": id
    })
}

fn product(rng: &mut Rng, index: usize) -> Value {
    let (name, maker, unit) = PARTS[index % PARTS.len()];
    let removed = rng.chance(0.07);
    let display = format!("{name} {maker}");
    json!({
        "DisplayAs": if removed { format!("{display} (deleted)") } else { display.clone() },
        "PartName": format!("{:05}", 10 + index * 7),
        "Description": display,
        "Discontinued": rng.chance(0.1),
        "UnitOfMeasureId": unit,
        "Comments": "",
        "Manufacturer": maker,
        "PartNumber": format!("{}-{}", &maker[..3.min(maker.len())].to_uppercase(), 1000 + index),
        "ScanCode": if rng.chance(0.5) { format!("0{:011}", rng.next() % 100_000_000_000) } else { String::new() },
        "Category": reference(259 + (index % 4) as u64),
        "IsRemoved": removed,
        "ConcurrencyId": rng.range(1, 9),
        "Id": index as u64 + 1
    })
}

/// The IANA time zone of a work zone's city (by its code, as in `names::CITIES`) and
/// the Corrigo `TimeZone` id the seed writes for it. Corrigo's table of ids is not
/// public; the ids here follow the published examples (20 = US Central) and are
/// otherwise the seed's own, one per zone.
pub fn city_zone(code: &str) -> (Tz, u64) {
    match code {
        "FLOR" => (chrono_tz::America::New_York, 35),
        "TOR" => (chrono_tz::America::Toronto, 36),
        "NHQ" | "KCKS" | "HOU" | "CHI" => (chrono_tz::America::Chicago, 20),
        "PHX" => (chrono_tz::America::Phoenix, 15),
        "SEA" => (chrono_tz::America::Los_Angeles, 4),
        _ => (chrono_tz::UTC, 0),
    }
}

/// The IANA zone of a work zone record (its `Number` is the city code).
pub fn work_zone_time_zone(zone: &Value) -> Tz {
    city_zone(zone["Number"].as_str().unwrap_or_default()).0
}

/// An address's second line for some ids ("Suite 300"); Corrigo writes "" for none.
fn second_line(id: u64) -> String {
    if id.is_multiple_of(3) {
        format!("Suite {}", 100 * (1 + id % 7))
    } else {
        String::new()
    }
}

/// The trade (Corrigo Specialty) a task is filed under: `(Id, DisplayAs)`.
fn specialty(task: &str) -> (u64, &'static str) {
    match task {
        "HVAC" => (10_001, "HVAC"),
        "Plumbing" => (10_002, "Plumbing"),
        "Electrical" => (10_003, "Electrical"),
        "Elevator" => (10_004, "Elevator"),
        "Janitorial" => (10_005, "Janitorial"),
        "Locks/Keys" | "General Door Repair" => (10_006, "Doors and Locks"),
        _ => (10_099, "General Maintenance"),
    }
}

fn work_order(rng: &mut Rng, index: usize, company: &Company, places: &[&Value]) -> Value {
    let id = 10_001 + index as u64;
    let zone = &company.work_zones[rng.below(company.work_zones.len())];
    let zone_id = zone["Id"].as_u64().unwrap_or(1);
    let time_zone = work_zone_time_zone(zone);
    let status = STATUSES[rng.weighted(&STATUS_WEIGHTS)];
    let priority = if rng.chance(0.01) {
        7
    } else {
        [1, 2, 3, 3, 3, 4, 4, 5, 6][rng.below(9)]
    };
    let category = ["Request", "Request", "Basic", "PMRM", "Turn"][rng.below(5)];
    let (task, sub, detail) = TASKS[rng.below(TASKS.len())];
    let created = 1_640_995_200 + rng.range(0, 3 * 365 * 86_400) as i64; // 2022..2025, UTC
    let due = created + [4, 24, 48, 120, 720][priority.min(5) as usize - 1] * 3600;
    let last = created + rng.range(0, 30 * 86_400) as i64;
    let asset = places[rng.below(places.len())];
    let short = asset["Name"].as_str().unwrap_or("").to_string();
    let employee = &company.employees[rng.below(company.employees.len())];
    let customer = &company.customers[rng.below(company.customers.len())];
    let prefix = zone["WoNumberPrefix"].as_str().unwrap_or("ASN");
    let utc_z = rng.chance(0.8);
    let mut wo = Map::new();
    let mut put = |k: &str, v: Value| {
        wo.insert(k.to_string(), v);
    };
    put("Number", Value::from(format!("{prefix}{:04}", id % 10_000)));
    put("TypeCategory", Value::from(category));
    put("WorkOrderCost", reference(id));
    put("Priority", reference(priority));
    put("StatusId", Value::from(status));
    if category == "Request" {
        put("RequestorContact", reference(rng.range(3, 1400)));
    }
    put("Access", Value::from("NotApplicable"));
    // A reference carries the members a PropertySet dot path can ask for (Corrigo
    // resolves `MainAsset.TypeId` on its side); `*` gives only the Id, as Corrigo does.
    put(
        "MainAsset",
        json!({"Id": asset["Id"].as_u64().unwrap_or(0), "TypeId": asset["TypeId"]}),
    );
    put("ShortLocation", Value::from(short.clone()));
    put(
        "TaskRefinement",
        Value::from(format!("{task}:{sub}:{detail}")),
    );
    put("WorkZone", reference(zone_id));
    if status != "New" || rng.chance(0.5) {
        put(
            "Employee",
            json!({"Id": employee["Id"].as_u64().unwrap_or(0), "ActorTypeId": employee["ActorTypeId"]}),
        );
    }
    put("Duration", Value::from(0));
    let nte = if rng.chance(0.4) {
        (rng.range(50, 5000) as f64) + [0.0, 0.25, 0.5, 0.99][rng.below(4)]
    } else {
        0.0
    };
    put(
        "VendorNte",
        json!({"CurrencyTypeId": zone["CurrencyTypeId"], "Value": nte}),
    );
    let (specialty_id, trade) = specialty(task);
    put("Specialty", json!({"Id": specialty_id, "DisplayAs": trade}));
    put(
        "PoNumber",
        Value::from(if rng.chance(0.2) {
            format!("PO-{}", rng.range(100_000, 999_999))
        } else {
            String::new()
        }),
    );
    put(
        "SubType",
        reference(match category {
            "Basic" => 256,
            "PMRM" => 257,
            "Turn" => 258,
            _ => 259,
        }),
    );
    put("Customer", reference(customer["Id"].as_u64().unwrap_or(0)));
    let contact = if rng.chance(0.15) {
        String::new()
    } else {
        format!(
            "{} {} / {short}",
            FIRST_NAMES[rng.below(FIRST_NAMES.len())],
            LAST_NAMES[rng.below(LAST_NAMES.len())]
        )
    };
    put("ContactName", Value::from(contact));
    put("WonId", Value::from(0));
    put("IsWarranty", Value::from(rng.chance(0.05)));
    put("FlagId", Value::from(0));
    put("TimeZone", zone["TimeZone"].clone());
    put("CurrencyTypeId", zone["CurrencyTypeId"].clone());
    // Twins are one instant: the local one is the UTC one read on the zone's clock
    // (daylight saving included), with the same fraction of a second.
    let local = |t: i64, frac: bool| {
        let offset = chrono::DateTime::from_timestamp(t, 0).map_or(0, |utc| {
            i64::from(
                time_zone
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        });
        stamp(t + offset, frac.then_some(fraction(t)), false)
    };
    let utc = |t: i64, frac: bool| stamp(t, frac.then_some(fraction(t)), utc_z);
    let frac = rng.chance(0.3);
    put("LastActionDate", Value::from(local(last, frac)));
    put("DtCreated", Value::from(local(created, false)));
    put("DtDue", Value::from(local(due, false)));
    put("LastActionDateUtc", Value::from(utc(last, frac)));
    put("CreatedDateUtc", Value::from(utc(created, false)));
    put("DueDateUtc", Value::from(utc(due, false)));
    if priority <= 3 {
        let ack = created + 3600 * [1, 2, 24][priority as usize - 1];
        put("DtAcknowledgeBy", Value::from(local(ack, false)));
        put("AcknowledgeByUtc", Value::from(utc(ack, false)));
    }
    if category == "PMRM" || rng.chance(0.2) {
        let start = created + rng.range(0, 7 * 86_400) as i64;
        put("DtScheduledStart", Value::from(local(start, false)));
        put(
            "ScheduledStartUtc",
            Value::from(if rng.chance(0.05) {
                "1753-01-01T00:00:00".to_string()
            } else {
                utc(start, false)
            }),
        );
    }
    if rng.chance(0.3) {
        let on_site = created + 3600 * rng.range(2, 72) as i64;
        put("DtOnSiteBy", Value::from(local(on_site, false)));
        put("DtUtcOnSiteBy", Value::from(utc(on_site, false)));
    }
    if rng.chance(0.25) {
        let items: Vec<Value> = (0..rng.range(1, 3))
            .map(|n| json!({"WorkOrderId": id, "SortOrderIdx": n, "Asset": reference(asset["Id"].as_u64().unwrap_or(0)), "Task": reference(14_000 + rng.range(1, 999)), "Comment": ""}))
            .collect();
        put("Items", Value::Array(items));
    }
    put("LastAction", reference(id));
    put("InductionAndSafetyStatusID", Value::from("NotApplicable"));
    put("ConcurrencyId", Value::from(rng.range(1, 20)));
    put("Id", Value::from(id));
    Value::Object(wo)
}

/// Corrigo's 7 decimals of a second for the instant `unix` (made up, but one per instant).
fn fraction(unix: i64) -> u32 {
    ((unix.unsigned_abs() * 7919) % 10_000_000) as u32
}

/// `2022-03-08T07:04:08` (optionally with Corrigo's 7 decimals, optionally with `Z`).
fn stamp(unix: i64, fraction: Option<u32>, z: bool) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if let Some(fraction) = fraction {
        out.push_str(&format!(".{fraction:07}"));
    }
    if z {
        out.push('Z');
    }
    out
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let a = Company::generate(7, Scale::SAMPLES);
        let b = Company::generate(7, Scale::SAMPLES);
        assert_eq!(
            a.work_orders().take(50).collect::<Vec<_>>(),
            b.work_orders().take(50).collect::<Vec<_>>()
        );
        assert_eq!(a.locations, b.locations);
        let c = Company::generate(8, Scale::SAMPLES);
        assert_ne!(a.work_orders().next(), c.work_orders().next());
    }

    #[test]
    fn work_orders_cover_every_status_and_keep_corrigo_conventions() {
        let company = Company::generate(1, Scale::SAMPLES);
        let orders: Vec<Value> = company.work_orders().collect();
        assert_eq!(orders.len(), 400);
        for status in STATUSES.iter().filter(|s| **s != "Unknown") {
            assert!(
                orders.iter().any(|o| o["StatusId"] == *status),
                "no {status}"
            );
        }
        for order in &orders {
            assert!(
                order.as_object().unwrap().values().all(|v| !v.is_null()),
                "nulls are omitted"
            );
            assert!(order["Priority"]["Id"].is_u64());
            assert!(
                !order["DtCreated"].as_str().unwrap().ends_with('Z'),
                "local times have no offset"
            );
        }
        let ids: std::collections::HashSet<_> = orders.iter().map(|o| o["Id"].as_u64()).collect();
        assert_eq!(ids.len(), orders.len(), "ids are unique");
    }

    #[test]
    fn providers_are_employees_with_actor_type_provider() {
        let company = Company::generate(1, Scale::SAMPLES);
        let providers = company
            .employees
            .iter()
            .filter(|e| e["ActorTypeId"] == "Provider")
            .count();
        assert_eq!(providers, Scale::SAMPLES.providers);
    }

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(stamp(0, None, true), "1970-01-01T00:00:00Z");
        assert_eq!(stamp(1_646_723_048, None, false), "2022-03-08T07:04:08");
        assert_eq!(civil_from_days(19_417), (2023, 3, 1));
    }
}
