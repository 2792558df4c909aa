//! Writing ui/src/commands.ts: the typed wrapper of each command (see `commands`).

/// `record_id` → `recordId` (Tauri's default for command argument keys).
pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One entry of the `commands` object.
pub fn wrapper(name: &str, args: &[(&str, String)], answer: &str) -> String {
    let params = args
        .iter()
        .map(|(arg, ty)| format!("{}: {ty}", camel(arg)))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = if args.is_empty() {
        String::new()
    } else {
        let keys = args
            .iter()
            .map(|(arg, _)| camel(arg))
            .collect::<Vec<_>>()
            .join(", ");
        format!(", {{ {keys} }}")
    };
    format!(
        "  {}: ({params}) => invoke<{answer}>(\"{name}\"{keys}),\n",
        camel(name)
    )
}

/// The module around the wrappers, importing the types they name from bindings.ts.
pub fn module(wrappers: &str) -> String {
    let mut types: Vec<&str> = wrappers
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && *w != "Array")
        .collect();
    types.sort_unstable();
    types.dedup();
    format!(
        "// Generated from src-tauri/src/command_list.rs by `make generated`; do not edit.\n\
         // One typed function per studio command, with the argument keys Tauri expects.\n\n\
         import {{ invoke }} from \"@tauri-apps/api/core\";\n\
         import type {{ {} }} from \"./bindings\";\n\n\
         export const commands = {{\n{wrappers}}};\n",
        types.join(", ")
    )
}
