// The studio's commands, declared once: `name(argument: Type, …) -> Answer;`.
//
// This file is `include!`d twice. build.rs turns the list into the ACL: tauri-build makes
// an allow-/deny- permission per name, and build.rs writes capabilities/default.json
// allowing exactly these. lib.rs turns it into the Tauri commands (each calls the handler
// of the same name in handlers.rs: a missing handler does not compile), the
// `generate_handler!` list, and the UI's typed wrappers in ui/src/commands.ts (names and
// argument keys; `make generated` rewrites it, tests/commands.rs fails when it is stale).
//
// Adding a command: one line here and its handler.
macro_rules! studio_commands {
    ($then:ident) => {
        $then! {
            /// The workspace: sources, mappings, the unified model and the transforms.
            workspace_info() -> WorkspaceInfo;
            /// One window of a source's records of an entity that match a search query, and
            /// where `selected` is among them: the record list asks for the rows it shows.
            list_records(source: RecordSource, entity: String, query: String, offset: u32, limit: u32, selected: Option<String>) -> RecordPage;
            /// One record as a tree of JSONPaths, with fill rates across the source.
            record_tree(source: RecordSource, entity: String, id: String) -> RecordTree;
            /// A mapping's saved text, version and any unsaved draft.
            get_mapping(name: String) -> MappingState;
            save_draft(name: String, text: String) -> ();
            discard_draft(name: String) -> ();
            /// Saves a new version of the mapping (its canonical form).
            save_mapping(name: String, text: String, message: Option<String>) -> VersionInfo;
            history(name: String) -> Vec<VersionInfo>;
            version_text(name: String, version: u32) -> String;
            diff(name: String, from: u32, to: u32) -> MappingDiff;
            restore(name: String, version: u32) -> VersionInfo;
            /// The canonical text of a mapping (`unifield fmt`), without saving it.
            canonical_text(text: String) -> String;
            preview(source: RecordSource, text: String, record_id: String) -> Preview;
            /// Coverage of every field over the source's records; cancellable as `job`.
            coverage(source: RecordSource, text: String, job: u32) -> CoverageReport;
            explain(source: RecordSource, text: String, record_id: String, field: String) -> ExplainInfo;
            suggestions(source: RecordSource, text: String) -> Vec<Suggestion>;
            /// Writes the mapping where the user picks in a save dialog; none if closed.
            export_mapping(name: String, text: String) -> Option<Exported>;
            /// Reads the mapping file the user picks in an open dialog; none if closed.
            import_mapping() -> Option<ImportedMapping>;
            list_connections() -> Vec<ConnectionInfo>;
            add_connection(connection: NewConnection) -> ConnectionInfo;
            test_connection(name: String) -> Health;
            /// Sets or replaces the connection's client secret in the keyring (nothing else changes).
            set_connection_secret(name: String, secret: String) -> ConnectionInfo;
            remove_connection(name: String) -> ();
            /// Pulls the connection's entities (all the mappings read when empty); `job`.
            pull(connection: String, entities: Vec<String>, job: u32) -> PullReport;
            /// Cancels a running pull or coverage; false when it already finished.
            cancel(job: u32) -> bool;
            /// Connection servers (`unifield serve`): the URL in the workspace, the key in the keyring.
            list_servers() -> Vec<ServerInfo>;
            add_server(server: NewServer) -> ServerInfo;
            remove_server(name: String) -> ();
            /// The server's connections, each with its status.
            server_connections(server: String) -> Vec<ServerConnectionInfo>;
            /// New Corrigo credentials for a server connection (and its base URL when it moved); the server tests them first.
            reconnect_server_connection(server: String, connection_id: String, client_id: String, client_secret: String, base_url: Option<String>) -> ServerConnectionInfo;
            /// Pulls a server connection's raw records into the workspace cache; `job`.
            pull_through_server(server: String, connection_id: String, entities: Vec<String>, job: u32) -> ServerPull;
            /// What pushing the mapping would do: diff against the active version, impact on `source` (and whether it affects the selected `record_id`).
            push_preview(server: String, connection_id: String, source: RecordSource, text: String, record_id: Option<String>) -> PushPreview;
            /// Pushes with If-Match `version`; a conflict answers the diff against the new version.
            push_mapping(server: String, connection_id: String, source: RecordSource, text: String, version: i64, note: Option<String>, record_id: Option<String>) -> PushResult;
            /// The server's unified record against the studio's preview of `record_id` with `text`, or with the connection's `version` (after a rollback to it).
            verify_push(server: String, connection_id: String, source: RecordSource, text: String, record_id: String, version: Option<i64>) -> VerifyReport;
            server_versions(server: String, connection_id: String, entity: String) -> Vec<ServerVersionInfo>;
            /// The changes between two versions of the connection's mapping.
            server_version_diff(server: String, connection_id: String, entity: String, from: i64, to: i64) -> Vec<Change>;
            /// Rolls the connection's mapping back to `version` (a new version): the new one.
            rollback_server(server: String, connection_id: String, entity: String, version: i64) -> i64;
            /// The organization's recent webhook deliveries on the server, newest first.
            recent_deliveries(server: String, limit: u32) -> Vec<DeliveryInfo>;
            /// The pane sizes the splitters set in this workspace (none where never moved).
            pane_sizes() -> PaneSizes;
            save_pane_sizes(sizes: PaneSizes) -> ();
            /// Milliseconds since the process started.
            timings() -> u64;
        }
    };
}
