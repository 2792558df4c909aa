// The commands come from src/command_list.rs, the one place they are declared. Declaring
// them puts each under the ACL (a capability must allow it by name), and the capability
// file that allows them is written from the same list.

include!("src/acl.rs");

macro_rules! command_names {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $answer:ty;)*) => {
        const COMMANDS: &[&str] = &[$(stringify!($name)),*];
    };
}
include!("src/command_list.rs");
studio_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    println!("cargo:rerun-if-changed=src/acl.rs");
    let capability = capability_json(COMMANDS);
    let path = "capabilities/default.json";
    // Written only when it changes, so that it does not trigger another build.
    if std::fs::read_to_string(path).ok().as_deref() != Some(capability.as_str()) {
        std::fs::write(path, capability).expect("capabilities/default.json is writable");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
