//! What several of the engine's test files share.

/// Every default mapping with the samples of its source entity.
pub const MAPPINGS: &[(&str, &str, &str)] = &[
    (
        "work_order",
        include_str!("../../../../mappings/corrigo/work_order.json"),
        include_str!("../../../../mappings/corrigo/samples/WorkOrder.jsonl"),
    ),
    (
        "asset",
        include_str!("../../../../mappings/corrigo/asset.json"),
        include_str!("../../../../mappings/corrigo/samples/Location.jsonl"),
    ),
    (
        "location",
        include_str!("../../../../mappings/corrigo/location.json"),
        include_str!("../../../../mappings/corrigo/samples/Location.jsonl"),
    ),
    (
        "site",
        include_str!("../../../../mappings/corrigo/site.json"),
        include_str!("../../../../mappings/corrigo/samples/WorkZone.jsonl"),
    ),
    (
        "user",
        include_str!("../../../../mappings/corrigo/user.json"),
        include_str!("../../../../mappings/corrigo/samples/Employee.jsonl"),
    ),
    (
        "vendor",
        include_str!("../../../../mappings/corrigo/vendor.json"),
        include_str!("../../../../mappings/corrigo/samples/Employee.jsonl"),
    ),
    (
        "customer",
        include_str!("../../../../mappings/corrigo/customer.json"),
        include_str!("../../../../mappings/corrigo/samples/Customer.jsonl"),
    ),
    (
        "part",
        include_str!("../../../../mappings/corrigo/part.json"),
        include_str!("../../../../mappings/corrigo/samples/Product.jsonl"),
    ),
];
