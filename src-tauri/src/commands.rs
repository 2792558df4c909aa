//! The Tauri commands, generated from src/command_list.rs: each takes its arguments and
//! calls the handler of the same name in `handlers`. Also generated from the same list:
//! [`COMMANDS`], the `generate_handler!` list in [`handler`], and [`typescript`], the UI's
//! typed wrappers (ui/src/commands.ts).

use tauri::{AppHandle, Runtime};
use unifield_studio_service::types::*;
use unifield_studio_service::Result;

macro_rules! tauri_commands {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $answer:ty;)*) => {
        $(
            $(#[$doc])*
            // A command's arguments are the UI's call, one by one (push_mapping has seven).
            #[allow(clippy::too_many_arguments)]
            #[tauri::command]
            pub async fn $name<R: Runtime>(app: AppHandle<R>, $($arg: $ty),*) -> Result<$answer> {
                crate::handlers::$name(app, $($arg),*).await
            }
        )*

        /// Every command's name, as the UI invokes it.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Registers every command.
        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The UI's wrappers: one typed function per command, passing its arguments under
        /// the keys Tauri expects (camelCase).
        pub fn typescript() -> String {
            let cfg = ts_rs::Config::default().with_large_int("number");
            let mut wrappers = String::new();
            $(
                wrappers.push_str(&crate::typescript::wrapper(
                    stringify!($name),
                    &[$((stringify!($arg), <$ty as ts_rs::TS>::name(&cfg))),*],
                    &<$answer as ts_rs::TS>::name(&cfg),
                ));
            )*
            crate::typescript::module(&wrappers)
        }
    };
}

include!("command_list.rs");
studio_commands!(tauri_commands);
