//! The entities of the unified model. Names follow the public EAM model (Makini's
//! components.schemas); types and descriptions are ours.

use crate::{Entity, EnumValue, Field, FieldType, Model};
use FieldType::*;

fn req(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        description,
    }
}

fn opt(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        description,
    }
}

fn one_of(values: &[(&'static str, &'static str)]) -> FieldType {
    Enum(
        values
            .iter()
            .map(|&(name, description)| EnumValue { name, description })
            .collect(),
    )
}

fn key() -> Field {
    req(
        "key",
        String,
        "The record's id in the source system, as a string.",
    )
}

fn created_at() -> Field {
    opt(
        "createdAt",
        DateTime,
        "When the record was created in the source (UTC).",
    )
}

fn updated_at() -> Field {
    opt(
        "updatedAt",
        DateTime,
        "When the record last changed in the source (UTC).",
    )
}

fn is_deleted() -> Field {
    opt(
        "isDeleted",
        Boolean,
        "True when the source has soft-deleted the record.",
    )
}

fn email() -> Field {
    opt("email", String, "Primary e-mail address.")
}

fn phone() -> Field {
    opt(
        "phone",
        String,
        "Primary phone number, as the source wrote it.",
    )
}

/// A postal address; every member is optional because sources fill them unevenly.
fn address() -> FieldType {
    Object(vec![
        opt(
            "addressLines",
            String,
            "Street lines, joined with a newline.",
        ),
        opt("city", String, "City or town."),
        opt("state", String, "State, province or region."),
        opt("postCode", String, "Postal or ZIP code."),
        opt(
            "country",
            String,
            "Country name or ISO code, as the source wrote it.",
        ),
    ])
}

/// An amount of money in one currency.
fn money() -> FieldType {
    Object(vec![
        req("amount", Number, "The amount, in units of the currency."),
        req("currency", String, "ISO 4217 currency code, such as USD."),
    ])
}

pub(crate) fn build() -> Model {
    Model {
        version: "1",
        entities: vec![
            work_order(),
            asset(),
            location(),
            site(),
            user(),
            vendor(),
            customer(),
            part(),
        ],
    }
}

fn work_order() -> Entity {
    Entity {
        name: "WorkOrder",
        description: "A unit of maintenance work: a request, a corrective job or a planned (preventive) task.",
        fields: vec![
            key(),
            opt("code", String, "The human-facing work order number, such as ASN0060114."),
            opt("title", String, "A one-line summary of the work."),
            opt("instructions", String, "Free-text instructions or description of the problem."),
            req("status", one_of(&[
                ("open", "Raised or accepted, work not yet started."),
                ("in_progress", "Work has started."),
                ("on_hold", "Paused or waiting (parts, access, approval)."),
                ("completed", "Work is done."),
                ("cancelled", "Cancelled before completion."),
            ]), "The normalised status."),
            opt("sourceStatus", String, "The source system's own status text, unchanged."),
            opt("priority", one_of(&[
                ("emergency", "Immediate response: safety, security or business stopped."),
                ("high", "Urgent: respond within hours."),
                ("normal", "Standard response time."),
                ("low", "Routine: when convenient."),
                ("planned", "Scheduled or project work with no response target."),
            ]), "The normalised priority."),
            opt("priorityKey", String, "The source's own priority id."),
            opt("type", one_of(&[
                ("request", "Raised by a requester (service request)."),
                ("corrective", "Reactive or general work."),
                ("preventive", "Planned, recurring maintenance."),
                ("turn", "Make-ready work between occupants of a space."),
                ("other", "Any other kind of work."),
            ]), "The normalised kind of work."),
            opt("categoryName", String, "The trade or category the source files the work under (Corrigo's specialty, such as HVAC)."),
            opt("siteKey", Key("Site"), "The site (property, building, campus) the work is at."),
            opt("assetKey", Key("Asset"), "The main asset (equipment) being worked on; null when the work is raised against a place (see locationKey)."),
            opt("locationKey", Key("Location"), "The place (building, floor, unit, room) the work is raised against; null when it is raised against equipment (see assetKey)."),
            opt("locationName", String, "The source's short description of where the work is."),
            opt("customerKey", Key("Customer"), "The customer (tenant) the work is for."),
            opt("requesterKey", String, "The source's id of the contact who requested the work."),
            opt("laborAssignedKey", Key("User"), "The technician (a user) primarily assigned; null when the work is assigned to a vendor (see vendorKey)."),
            opt("vendorKey", Key("Vendor"), "The vendor (outside service provider) primarily assigned; null when a technician is (see laborAssignedKey)."),
            opt("contactName", String, "Who to contact on site, as free text."),
            opt("poNumber", String, "Purchase order number."),
            opt("isWarranty", Boolean, "True when the work is covered by a warranty."),
            opt("notToExceed", money(), "The vendor's not-to-exceed amount."),
            opt("taskCount", Integer, "How many task lines the work order carries."),
            opt("dueAt", DateTime, "When the work is due to be completed (UTC)."),
            opt("scheduledAt", DateTime, "When the work is scheduled to start (UTC)."),
            opt("acknowledgeBy", DateTime, "Deadline for acknowledging the work (UTC)."),
            opt("onSiteBy", DateTime, "Deadline for arriving on site (UTC)."),
            created_at(),
            updated_at(),
        ],
    }
}

fn asset() -> Entity {
    Entity {
        name: "Asset",
        description: "A piece of equipment that is maintained: a boiler, a door, an air handler.",
        fields: vec![
            key(),
            req("name", String, "The asset's display name."),
            opt(
                "locationKey",
                Key("Location"),
                "The location (building, floor, unit, room) it is installed in.",
            ),
            opt("modelKey", String, "The source's model or asset class id."),
            opt("serialNumber", String, "Manufacturer's serial number."),
            opt(
                "tagNumber",
                String,
                "The asset tag or barcode fixed to the asset.",
            ),
            opt(
                "isActive",
                Boolean,
                "False when the asset is offline or retired.",
            ),
            is_deleted(),
        ],
    }
}

fn location() -> Entity {
    Entity {
        name: "Location",
        description: "A place in a site's hierarchy: a building, floor, unit or room.",
        fields: vec![
            key(),
            req("name", String, "The location's display name."),
            opt(
                "type",
                one_of(&[
                    ("site", "A whole property or campus."),
                    ("building", "A building."),
                    ("floor", "A floor of a building."),
                    ("unit", "A leasable unit or suite."),
                    ("room", "A room or area."),
                    ("equipment", "Equipment modelled as a location."),
                    ("other", "Any other kind of place."),
                ]),
                "The normalised kind of place.",
            ),
            opt(
                "parentKey",
                Key("Location"),
                "The location this one sits inside.",
            ),
            opt("code", String, "A short code or number for the location."),
            opt("address", address(), "Postal address."),
            opt("isActive", Boolean, "False when the location is offline."),
            is_deleted(),
        ],
    }
}

fn site() -> Entity {
    Entity {
        name: "Site",
        description:
            "A property, building or campus where work happens; the top of a location tree.",
        fields: vec![
            key(),
            req("name", String, "The site's display name."),
            opt("code", String, "A short code for the site."),
            opt(
                "locationKey",
                Key("Location"),
                "The root location of the site's tree.",
            ),
            opt(
                "currency",
                String,
                "The site's default ISO 4217 currency code.",
            ),
            opt(
                "workOrderPrefix",
                String,
                "The prefix of the site's work order numbers.",
            ),
            opt("address", address(), "Postal address."),
            opt("isActive", Boolean, "False when the site is offline."),
            is_deleted(),
        ],
    }
}

fn user() -> Entity {
    Entity {
        name: "User",
        description: "A person who works in the system: a technician, dispatcher or manager.",
        fields: vec![
            key(),
            req("name", String, "The user's display name."),
            opt("firstName", String, "Given name."),
            opt("lastName", String, "Family name."),
            opt("username", String, "The name the user logs in with."),
            opt("code", String, "Employee number."),
            opt(
                "jobTitle",
                String,
                "The user's job title, as the source wrote it.",
            ),
            opt("roleKey", String, "The source's role id."),
            email(),
            phone(),
            opt(
                "siteKeys",
                Array(Box::new(Key("Site"))),
                "Sites the user may work at.",
            ),
            opt(
                "isActive",
                Boolean,
                "False when the user is removed or disabled.",
            ),
            is_deleted(),
        ],
    }
}

fn vendor() -> Entity {
    Entity {
        name: "Vendor",
        description: "An outside service provider or supplier that is sent work.",
        fields: vec![
            key(),
            req("name", String, "The vendor's display name."),
            opt("code", String, "The vendor's number in the source."),
            opt(
                "externalCode",
                String,
                "The vendor's id in another system (ERP, network).",
            ),
            opt("taxId", String, "Federal tax id."),
            opt(
                "status",
                one_of(&[
                    ("active", "Connected and able to receive work."),
                    ("invited", "Invited, not yet connected."),
                    ("suspended", "Suspended: must not receive work."),
                    ("inactive", "Not connected or not in use."),
                ]),
                "The normalised vendor status.",
            ),
            opt(
                "sourceStatus",
                String,
                "The source system's own vendor status text.",
            ),
            opt(
                "isSupplier",
                Boolean,
                "True when the vendor supplies parts rather than labour.",
            ),
            email(),
            phone(),
            opt(
                "serviceRadius",
                Number,
                "How far the vendor travels, in the source's unit; null when the source has none set.",
            ),
            is_deleted(),
        ],
    }
}

fn customer() -> Entity {
    Entity {
        name: "Customer",
        description: "A customer or tenant that work is done for.",
        fields: vec![
            key(),
            req("name", String, "The customer's display name."),
            opt(
                "code",
                String,
                "The customer's code, such as a tenant code.",
            ),
            opt(
                "tradingName",
                String,
                "The name the customer trades as (DBA).",
            ),
            opt("siteKey", Key("Site"), "The site the customer belongs to."),
            opt(
                "taxExempt",
                Boolean,
                "True when the customer is exempt from tax.",
            ),
            opt(
                "instructions",
                String,
                "Standing instructions for work for this customer.",
            ),
            opt("address", address(), "Postal address."),
            is_deleted(),
        ],
    }
}

fn part() -> Entity {
    Entity {
        name: "Part",
        description: "A spare part or material that is stocked and used on work.",
        fields: vec![
            key(),
            req("name", String, "The part's display name."),
            opt(
                "code",
                String,
                "The part's short code or name in the catalogue.",
            ),
            opt("partNumber", String, "The part number."),
            opt("description", String, "Longer description."),
            opt("manufacturerName", String, "Who makes the part."),
            opt(
                "uomKey",
                String,
                "Unit of measure, lower case (unit, kg, lb, liter, …).",
            ),
            opt("categoryKey", String, "The source's part category id."),
            opt("barcode", String, "Scan code or barcode."),
            opt(
                "isActive",
                Boolean,
                "False when the part is discontinued or removed.",
            ),
            is_deleted(),
        ],
    }
}
