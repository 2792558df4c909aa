//! Word lists for realistic records, in the style of Corrigo's published examples.

pub(crate) const CITIES: [(&str, &str, &str); 8] = [
    ("FL", "FLOR", "Orlando"),
    ("TN", "NHQ", "Nashville Headquarters"),
    ("KS/MO", "KCKS", "Kansas City"),
    ("TX", "HOU", "Houston"),
    ("AZ", "PHX", "Phoenix"),
    ("IL", "CHI", "Chicago"),
    ("ON", "TOR", "Toronto"),
    ("WA", "SEA", "Seattle"),
];

pub(crate) const STREETS: [(&str, &str); 6] = [
    ("2100 Lakeside Blvd", "32801"),
    ("648 Grassmere Park", "37211"),
    ("11200 Ash St", "66211"),
    ("1300 Post Oak Blvd", "77056"),
    ("2 N Central Ave", "85004"),
    ("233 S Wacker Dr", "60606"),
];

pub(crate) const EQUIPMENT: [(&str, u64, &str); 8] = [
    ("Air Handler", 2101, "TRANE"),
    ("Rooftop Unit", 2102, "CARRIER"),
    ("Boiler", 2103, "LOCHINVAR"),
    ("Water Heater", 2104, "AOSMITH"),
    ("Fire Panel", 2105, "NOTIFIER"),
    ("Elevator", 2106, "OTIS"),
    ("Door Operator", 2107, "STANLEY"),
    ("Generator", 2108, "KOHLER"),
];

pub(crate) const FIRST_NAMES: [&str; 16] = [
    "Joshua", "Carrie", "Abigail", "David", "Maria", "Kevin", "Aisha", "Luis", "Priya", "Tom",
    "Grace", "Omar", "Hannah", "Wei", "Sofia", "Marcus",
];

pub(crate) const LAST_NAMES: [&str; 16] = [
    "Baker",
    "Estrada",
    "Hamrick",
    "Baldi",
    "Nguyen",
    "Okafor",
    "Patel",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Alvarez",
    "Brennan",
];

/// (job title, Corrigo role id).
pub(crate) const JOBS: [(&str, u64); 6] = [
    ("HVAC Technician", 4),
    ("General Maintenance Technician", 4),
    ("Electrician", 4),
    ("Facility Manager", 2),
    ("Dispatcher", 3),
    ("", 5),
];

pub(crate) const VENDORS: [&str; 12] = [
    "SIERRA FIRE & COMMUNICATIONS",
    "Acme Mechanical Services",
    "BrightLine Electric",
    "Cardinal Plumbing Co.",
    "Summit Elevator Inc.",
    "GreenLeaf Landscaping",
    "Apex Roofing & Sheet Metal",
    "Metro Lock & Key",
    "Polar Refrigeration",
    "ClearView Window Cleaning",
    "Guardian Pest Control",
    "Northstar Generators",
];

pub(crate) const TENANTS: [&str; 8] = [
    "Asurion ASOC",
    "Blue Harbor Bank",
    "Northwind Traders",
    "Contoso Health",
    "Fabrikam Labs",
    "Tailspin Travel",
    "Wingtip Retail",
    "Litware Legal",
];

pub(crate) const PARTS: [(&str, &str, &str); 10] = [
    ("Element", "HENNY PENNY", "Unit"),
    ("Air Filter 20x25x2", "FLANDERS", "Unit"),
    ("Refrigerant R-410A", "CHEMOURS", "Lb"),
    ("Door Closer", "LCN", "Unit"),
    ("Ballast 2-Lamp", "PHILIPS", "Unit"),
    ("Belt A42", "GATES", "Unit"),
    ("Hydraulic Oil", "MOBIL", "Gal"),
    ("Ice Melt", "MORTON", "Kg"),
    ("Cleaning Solvent", "ZEP", "Liter"),
    ("Flush Valve Kit", "SLOAN", "Unit"),
];

/// (task, refinement, free text) → `TaskRefinement`.
pub(crate) const TASKS: [(&str, &str, &str); 10] = [
    (
        "General Door Repair",
        "Hardware",
        "Door will not latch, lock engages when opened against wall.",
    ),
    (
        "Locks/Keys",
        "Supply Duplicate Keys",
        "Marked new keys for the Admit. offices.",
    ),
    ("HVAC", "Too Hot", "Conference room 3E is 80F by noon."),
    (
        "HVAC",
        "Too Cold",
        "Open office north side is cold in the morning.",
    ),
    (
        "Plumbing",
        "Leak",
        "Water under the sink in the 2nd floor break room.",
    ),
    (
        "Electrical",
        "Lights Out",
        "Two fixtures out above the reception desk.",
    ),
    (
        "Waste/Rubbish Management",
        "Garbage Removal - RMs",
        "Monthly Waste Management",
    ),
    (
        "Fire/Life Safety",
        "Inspection",
        "Quarterly fire panel inspection.",
    ),
    (
        "Elevator",
        "Entrapment",
        "Car 2 stopped between floors, no passengers.",
    ),
    (
        "Janitorial",
        "Spill",
        "Coffee spill by the elevators, lobby.",
    ),
];

/// Corrigo WorkOrderStatus names, and how often each appears.
pub(crate) const STATUSES: [&str; 8] = [
    "New",
    "Open",
    "InProgress",
    "Paused",
    "OnHold",
    "Completed",
    "Cancelled",
    "Unknown",
];
pub(crate) const STATUS_WEIGHTS: [u64; 8] = [120, 80, 90, 25, 30, 500, 60, 2];
