//! Prints the top-level record members a mapping reads, comma-separated (for
//! scripts/bench-engine's fair floor, which parses only those). Exit 2 when the mapping
//! does not load or can read anywhere (`$..Id`).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: members_read MAPPING.json");
        std::process::exit(2);
    };
    let mapping = match unifield_engine::load_file(std::path::Path::new(&path)) {
        Ok(mapping) => mapping,
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(2);
        }
    };
    match mapping.members_read() {
        Some(members) => println!("{}", members.join(",")),
        None => {
            eprintln!("{path}: a path can read anywhere in the record; there is no member list");
            std::process::exit(2);
        }
    }
}
