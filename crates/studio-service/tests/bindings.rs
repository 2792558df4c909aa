//! `ui/src/bindings.ts` is generated from the service's Rust types; this fails when the
//! committed file is stale. `UPDATE_BINDINGS=1` rewrites it.

#[test]
fn the_ui_bindings_are_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/bindings.ts");
    let generated = unifield_studio_service::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p unifield-studio-service --test bindings`"
    );
}
