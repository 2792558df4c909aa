//! The properties each served entity declares: what a PropertySet, an update's
//! `Properties` or a condition may name. Corrigo checks names against the entity's type,
//! not against the records there are: a declared property a record has no value for is
//! accepted and the record comes back without it (nulls and empty collections are left
//! out), and only a name the entity does not declare is refused (`ERROR_CODE_1002`,
//! "WorkOrder entity does not expose \"Workorder\" property.", reference api.md §2.2).
//!
//! The lists are what the sandbox knows of each entity: every member its generator
//! (unifield-corrigo-seed) and its commands can write, and every member of that entity in
//! Corrigo's published examples (tests/fixtures/corrigo/examples.json). The tests below
//! keep them honest: a generated or command-made record with a member not listed fails.

/// The properties `entity` (its canonical name) declares, `Id` included; empty for an
/// entity the sandbox does not serve.
pub fn declared(entity: &str) -> &'static [&'static str] {
    match entity {
        "WorkZone" => WORK_ZONE,
        "Location" => LOCATION,
        "Employee" => EMPLOYEE,
        "Customer" => CUSTOMER,
        "Product" => PRODUCT,
        "WorkOrder" => WORK_ORDER,
        "WoPriority" => WO_PRIORITY,
        "Model" => MODEL,
        "Task" => TASK,
        "Contact" => CONTACT,
        _ => &[],
    }
}

/// Whether `entity` declares a property named `name` (any case, as Corrigo matches).
pub fn declares(entity: &str, name: &str) -> bool {
    declared(entity)
        .iter()
        .any(|declared| declared.eq_ignore_ascii_case(name))
}

#[rustfmt::skip]
const WORK_ZONE: &[&str] = &[
    "Id", "AccessOptionsMask", "AdvanceNotice", "AllowTimePreference", "Asset",
    "AutoAssignEnabled", "BackupRoutingId", "ConcurrencyId", "CpThemeId", "CurrencyTypeId",
    "DefaultAccess", "DefaultBillToLogic", "DisplayAs", "EarliestSlot", "Entity",
    "ExcludeNonCompliantProviders", "IsNteAuto", "IsOffline", "IsPrecalculatedSchedule",
    "IsRemoved", "IsmSpecGroupId", "IsmUrl", "LanguageId", "LatestSlot", "NoIncompleteItem",
    "NoIncompleteProcedure", "Number", "RoundApptTimeTo", "SchedulingWindow", "SlotsCount",
    "TaxRegion", "TimeZone", "TurnKickOffAuto", "TurnKickOffLagDays", "TurnKickOffOnDays",
    "TurnTemplateId", "UiShowProvidersFirst", "UseBizHours", "UseEscalation", "UseHolidays",
    "UseOnCall", "WoNumberDigits", "WoNumberPrefix", "WorkPlanAutoCancel",
    "WorkPlanAutoDependency", "WorkPlanChildResolution",
];

#[rustfmt::skip]
const LOCATION: &[&str] = &[
    "Id", "Address", "Info", "IsLocked", "IsOffline", "IsRemoved", "IsTemplate", "ModelId",
    "Name", "Orphan", "ParentId", "RootId", "TypeId",
];

#[rustfmt::skip]
const EMPLOYEE: &[&str] = &[
    "Id", "AccessToAllWorkZones", "ActorTypeId", "BillAtZero", "ConcurrencyId",
    "ContactAddresses", "DisplayAs", "DtPwdChange", "ExternalId", "FederalId", "FirstName",
    "ForcePasswordReset", "FreeTextAllowed", "Instructions", "IsElectronicPayment",
    "IsRemoved", "IsSupplier", "JobTitle", "LabelId", "LanguageId", "LastName",
    "LimitAssignmentByPortfolioId", "Number", "Password", "ProviderStatusId", "ProviderTypeId",
    "RadiusUnit", "Role", "TaxExempt", "TaxWarnOnly", "Username", "WonLocationId",
    "WonMemberId", "WonServiceRadius", "WorkZones",
];

#[rustfmt::skip]
const CUSTOMER: &[&str] = &[
    "Id", "Addresses", "ConcurrencyId", "Dba", "DisplayAs", "Instructions", "IsRemoved",
    "Name", "TaxExempt", "TenantCode", "WorkZone",
];

#[rustfmt::skip]
const PRODUCT: &[&str] = &[
    "Id", "Category", "Comments", "ConcurrencyId", "Description", "Discontinued", "DisplayAs",
    "IsRemoved", "Manufacturer", "PartName", "PartNumber", "ScanCode", "UnitOfMeasureId",
];

#[rustfmt::skip]
const WORK_ORDER: &[&str] = &[
    "Id", "Access", "AcknowledgeByUtc", "ConcurrencyId", "ContactName", "CreatedDateUtc",
    "CurrencyTypeId", "Customer", "DtAcknowledgeBy", "DtCreated", "DtDue", "DtOnSiteBy",
    "DtScheduledStart", "DtUtcOnSiteBy", "DueDateUtc", "Duration", "Employee", "FlagId",
    "InductionAndSafetyStatusID", "IsWarranty", "Items", "LastAction", "LastActionDate",
    "LastActionDateUtc", "MainAsset", "Number", "PoNumber", "Priority", "RequestorContact",
    "ScheduledStartUtc", "ShortLocation", "Specialty", "StatusId", "SubType",
    "TaskRefinement", "TimeZone", "TypeCategory", "VendorNte", "WonId", "WorkOrderCost",
    "WorkZone",
];

#[rustfmt::skip]
const WO_PRIORITY: &[&str] = &[
    "Id", "AcknowledgeInMinutes", "DisplayAs", "DueInMinutes", "IsEmergency",
    "RespondInMinutes",
];

#[rustfmt::skip]
const MODEL: &[&str] = &["Id", "AssetCategoryId", "Description", "DisplayAs", "Number"];

#[rustfmt::skip]
const TASK: &[&str] = &[
    "Id", "CompletionTime", "ConcurrencyId", "Corrective", "Default", "DisplayAs", "GlAccount",
    "Instructions", "IsRemoved", "ModelId", "Number", "PeopleRequired", "Preventive",
    "Priority", "Routine", "SelfHelpContent", "SkillLevel", "Specialty", "Symptom",
];

#[rustfmt::skip]
const CONTACT: &[&str] = &[
    "Id", "CanCreateRequest", "CanViewAnyRequest", "Comment", "ConcurrencyId",
    "ContactAddresses", "CustomerId", "CustomerNoteAccessId", "DisplayAs", "FirstName",
    "IsRemoved", "LanguageId", "LastName", "MustResetPassword", "NoAlertEmails",
    "NoPwdExpirationAlert", "Number", "PriorityThreshold", "SupervisorId", "TypeId",
    "UnlimitedAuthorization", "UnlimitedRequest", "Username",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Data, ENTITIES};
    use serde_json::{json, Value};

    fn undeclared(entity: &str, record: &Value) -> Vec<String> {
        record
            .as_object()
            .into_iter()
            .flat_map(|members| members.keys())
            .filter(|name| !declares(entity, name))
            .cloned()
            .collect()
    }

    /// Every member the generator writes is declared (several seeds, enough work orders
    /// that every optional member turns up).
    #[test]
    fn every_generated_member_is_declared() {
        for seed in [1, 2026, 7] {
            let data = Data::generate(seed, 2000);
            for entity in ENTITIES {
                assert!(!declared(entity).is_empty(), "{entity} declares nothing");
                for record in data.records(entity) {
                    let extra = undeclared(entity, record);
                    assert!(extra.is_empty(), "{entity} record has {extra:?}: {record}");
                }
            }
        }
    }

    /// A work order made by the create command, soft-deleted records and updates carry
    /// declared members only.
    #[test]
    fn members_written_by_commands_are_declared() {
        let mut data = Data::generate(2026, 10);
        let created = crate::write::command(
            &mut data,
            "WoCreateCommand",
            &json!({"Command": {"WorkOrder": {
                "Items": [{"Asset": {"Id": 1}, "Task": {"Id": 14001}}],
                "TypeCategory": 1, "Customer": {"Id": 1}, "ContactName": "X"}}}),
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap_or_else(|refusal| panic!("{}", refusal.message));
        let id = created["Wo"]["Id"]
            .as_i64()
            .or_else(|| created["Id"].as_i64())
            .expect("an id");
        let record = data.get("WorkOrder", id).unwrap();
        assert!(undeclared("WorkOrder", record).is_empty(), "{record}");
        let contact = data.records("Contact")[0]["Id"].as_i64().unwrap();
        crate::write::delete(&mut data, "Contact", contact, false)
            .unwrap_or_else(|refusal| panic!("{}", refusal.message));
        let record = data.get("Contact", contact).unwrap();
        assert!(undeclared("Contact", record).is_empty(), "{record}");
    }

    #[test]
    fn names_are_matched_in_any_case() {
        assert!(declares("WorkOrder", "items"));
        assert!(declares("WorkOrder", "ID"));
        assert!(!declares("WorkOrder", "Workorder"));
        assert!(!declares("Nothing", "Id"));
    }
}
