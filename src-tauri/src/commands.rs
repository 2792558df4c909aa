//! The commands the UI invokes. Each one validates nothing itself and decides nothing:
//! it takes the studio, calls the service and hands back its answer or its error.

use crate::Shell;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use unifield_studio_service::types::*;
use unifield_studio_service::Result;

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        workspace_info,
        list_records,
        record_tree,
        get_mapping,
        save_draft,
        discard_draft,
        save_mapping,
        history,
        version_text,
        diff,
        restore,
        preview,
        coverage,
        explain,
        suggestions,
        export_mapping,
        import_mapping,
        list_connections,
        add_connection,
        test_connection,
        remove_connection,
        pull,
        cancel,
        timings,
    ]
}

#[tauri::command]
pub async fn workspace_info(shell: State<'_, Shell>) -> Result<WorkspaceInfo> {
    shell.studio().info()
}

#[tauri::command]
pub async fn list_records(
    shell: State<'_, Shell>,
    source: Source,
    entity: String,
    query: String,
) -> Result<RecordList> {
    shell.studio().list_records(&source, &entity, &query)
}

#[tauri::command]
pub async fn record_tree(
    shell: State<'_, Shell>,
    source: Source,
    entity: String,
    id: String,
) -> Result<RecordTree> {
    shell.studio().record_tree(&source, &entity, &id)
}

#[tauri::command]
pub async fn get_mapping(shell: State<'_, Shell>, name: String) -> Result<MappingState> {
    shell.studio().mapping(&name)
}

#[tauri::command]
pub async fn save_draft(shell: State<'_, Shell>, name: String, text: String) -> Result<()> {
    shell.studio().save_draft(&name, &text)
}

#[tauri::command]
pub async fn discard_draft(shell: State<'_, Shell>, name: String) -> Result<()> {
    shell.studio().discard_draft(&name)
}

#[tauri::command]
pub async fn save_mapping(
    shell: State<'_, Shell>,
    name: String,
    text: String,
    message: Option<String>,
) -> Result<VersionInfo> {
    shell
        .studio()
        .save_mapping(&name, &text, message.as_deref())
}

#[tauri::command]
pub async fn history(shell: State<'_, Shell>, name: String) -> Result<Vec<VersionInfo>> {
    shell.studio().history(&name)
}

#[tauri::command]
pub async fn version_text(shell: State<'_, Shell>, name: String, version: u32) -> Result<String> {
    shell.studio().version_text(&name, version)
}

#[tauri::command]
pub async fn diff(
    shell: State<'_, Shell>,
    name: String,
    from: u32,
    to: u32,
) -> Result<MappingDiff> {
    shell.studio().diff(&name, from, to)
}

#[tauri::command]
pub async fn restore(shell: State<'_, Shell>, name: String, version: u32) -> Result<VersionInfo> {
    shell.studio().restore(&name, version)
}

#[tauri::command]
pub async fn preview(
    shell: State<'_, Shell>,
    source: Source,
    text: String,
    record_id: String,
) -> Result<Preview> {
    shell.studio().preview(&source, &text, &record_id)
}

#[tauri::command]
pub async fn coverage<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    source: Source,
    text: String,
    job: u32,
) -> Result<CoverageReport> {
    let run = shell.studio().prepare_coverage(&source, &text)?;
    let cancel = shell.start_job(job);
    // Off the studio's lock and off the async workers: previews go on while this runs.
    let report = tauri::async_runtime::spawn_blocking(move || {
        run.run(&cancel, |done, of| {
            // A lost progress event only delays the bar; the result still arrives.
            let _ = app.emit("coverage-progress", CoverageProgress { job, done, of });
        })
    })
    .await
    .unwrap_or_else(|e| {
        Err(unifield_studio_service::ServiceError::new(
            "internal",
            format!("the coverage run stopped: {e}"),
        ))
    });
    shell.end_job(job);
    report
}

#[tauri::command]
pub async fn explain(
    shell: State<'_, Shell>,
    source: Source,
    text: String,
    record_id: String,
    field: String,
) -> Result<ExplainInfo> {
    shell.studio().explain(&source, &text, &record_id, &field)
}

#[tauri::command]
pub async fn suggestions(
    shell: State<'_, Shell>,
    source: Source,
    text: String,
) -> Result<Vec<Suggestion>> {
    shell.studio().suggestions(&source, &text)
}

/// Where to write or read a mapping file: the native dialog, or, in a build for the
/// end-to-end test only (feature `test-file-choice`; WebDriver cannot drive a GTK dialog),
/// `$UNIFIELD_STUDIO_FILE_CHOICE`.
async fn choose_file<R: Runtime>(app: &AppHandle<R>, save_as: Option<String>) -> Option<PathBuf> {
    #[cfg(feature = "test-file-choice")]
    if let Some(path) = std::env::var_os("UNIFIELD_STUDIO_FILE_CHOICE") {
        return Some(PathBuf::from(path));
    }
    let dialog = app
        .dialog()
        .file()
        .add_filter("Unifield mapping (JSON)", &["json"]);
    let chosen = tauri::async_runtime::spawn_blocking(move || match save_as {
        Some(name) => dialog.set_file_name(name).blocking_save_file(),
        None => dialog.blocking_pick_file(),
    })
    .await
    .ok()
    .flatten()?;
    chosen.into_path().ok()
}

/// Exports through a save dialog; none when the user closes it.
#[tauri::command]
pub async fn export_mapping<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    name: String,
    text: String,
) -> Result<Option<Exported>> {
    let Some(path) = choose_file(&app, Some(format!("{name}.json"))).await else {
        return Ok(None);
    };
    shell.studio().export_mapping(&text, &path).map(Some)
}

/// Imports through an open dialog; none when the user closes it.
#[tauri::command]
pub async fn import_mapping<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<Option<ImportedMapping>> {
    let Some(path) = choose_file(&app, None).await else {
        return Ok(None);
    };
    shell.studio().import_mapping(&path).map(Some)
}

#[tauri::command]
pub async fn list_connections(shell: State<'_, Shell>) -> Result<Vec<ConnectionInfo>> {
    shell.studio().connections()
}

#[tauri::command]
pub async fn add_connection(
    shell: State<'_, Shell>,
    connection: NewConnection,
) -> Result<ConnectionInfo> {
    shell.studio().add_connection(&connection)
}

#[tauri::command]
pub async fn test_connection(shell: State<'_, Shell>, name: String) -> Result<Health> {
    let client = shell.studio().client(&name)?;
    Ok(unifield_studio_service::test_connection(&client).await)
}

#[tauri::command]
pub async fn remove_connection(shell: State<'_, Shell>, name: String) -> Result<()> {
    shell.studio().remove_connection(&name)
}

#[tauri::command]
pub async fn pull<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    connection: String,
    entities: Vec<String>,
    job: u32,
) -> Result<PullReport> {
    let pull_job = shell.studio().pull_job(&connection, &entities)?;
    let cancel = shell.start_job(job);
    let report = pull_job
        .run(job, cancel, |progress| {
            let _ = app.emit("pull-progress", progress);
        })
        .await;
    shell.end_job(job);
    shell.studio().forget(&connection);
    report
}

/// Cancels a running pull or coverage. Unknown jobs (already finished) are not an error.
#[tauri::command]
pub async fn cancel(shell: State<'_, Shell>, job: u32) -> Result<bool> {
    Ok(shell.cancel_job(job))
}

/// Milliseconds since the process started: the UI reports it once it is interactive.
#[tauri::command]
pub async fn timings(shell: State<'_, Shell>) -> Result<u64> {
    Ok(shell.launched.elapsed().as_millis() as u64)
}
