//! What each command does: take the studio, call the service, hand back its answer or its
//! error. Nothing is validated or decided here. Service work runs on the blocking pool
//! (never on the async workers that carry IPC), and the studio's lock is taken there, for
//! the call only: nothing here holds it while waiting on the network, a dialog, or a
//! connection's records coming off the disk (`hold_records` reads them beside the studio).

use crate::Shell;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;
use unifield_studio_service::types::*;
use unifield_studio_service::{Result, ServiceError, Studio};

/// Runs `work` on the studio, on the blocking pool.
async fn with_studio<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    work: impl FnOnce(&mut Studio) -> Result<T> + Send + 'static,
) -> Result<T> {
    tauri::async_runtime::spawn_blocking(move || work(&mut app.state::<Shell>().studio()))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))
}

/// Reads the records `entities` of `source` that the studio does not hold yet, without
/// the studio's lock (a second connection to the workspace), and hands them over: a
/// command that needs them then finds them in memory, and previews are not queued behind
/// a large read.
async fn hold_records<R: Runtime>(
    app: &AppHandle<R>,
    source: &RecordSource,
    entities: Vec<String>,
) -> Result<()> {
    for entity in entities {
        let (wanted, at) = (source.clone(), entity.clone());
        let reader = with_studio(app.clone(), move |studio| {
            Ok(match studio.holds(&wanted, &at) {
                true => None,
                false => Some(studio.record_reader()?),
            })
        })
        .await?;
        let Some(reader) = reader else { continue };
        let (wanted, at) = (source.clone(), entity.clone());
        let read = tauri::async_runtime::spawn_blocking(move || reader.read(&wanted, &at))
            .await
            .unwrap_or_else(|e| Err(stopped(e)));
        // An entity that cannot be read is left for the command to report.
        if let Ok((generation, set)) = read {
            let wanted = source.clone();
            with_studio(app.clone(), move |studio| {
                studio.hold(&wanted, &entity, generation, set);
                Ok(())
            })
            .await?;
        }
    }
    Ok(())
}

/// The entities a mapping text reads, found off the studio's lock.
async fn entities_read(text: &str) -> Vec<String> {
    let text = text.to_string();
    tauri::async_runtime::spawn_blocking(move || unifield_studio_service::entities_read(&text))
        .await
        .unwrap_or_default()
}

fn stopped(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::new("internal", format!("the studio's work stopped: {e}"))
}

pub async fn workspace_info<R: Runtime>(app: AppHandle<R>) -> Result<WorkspaceInfo> {
    with_studio(app, |studio| studio.info()).await
}

pub async fn list_records<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    entity: String,
    query: String,
    offset: u32,
    limit: u32,
    selected: Option<String>,
) -> Result<RecordPage> {
    hold_records(&app, &source, vec![entity.clone()]).await?;
    with_studio(app, move |studio| {
        studio.record_page(
            &source,
            &entity,
            &query,
            (offset as usize, limit as usize),
            selected.as_deref(),
        )
    })
    .await
}

pub async fn record_tree<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    entity: String,
    id: String,
) -> Result<RecordTree> {
    hold_records(&app, &source, vec![entity.clone()]).await?;
    with_studio(app, move |studio| studio.record_tree(&source, &entity, &id)).await
}

pub async fn get_mapping<R: Runtime>(app: AppHandle<R>, name: String) -> Result<MappingState> {
    with_studio(app, move |studio| studio.mapping(&name)).await
}

pub async fn save_draft<R: Runtime>(app: AppHandle<R>, name: String, text: String) -> Result<()> {
    with_studio(app, move |studio| studio.save_draft(&name, &text)).await
}

pub async fn discard_draft<R: Runtime>(app: AppHandle<R>, name: String) -> Result<()> {
    with_studio(app, move |studio| studio.discard_draft(&name)).await
}

pub async fn save_mapping<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    text: String,
    message: Option<String>,
) -> Result<VersionInfo> {
    with_studio(app, move |studio| {
        studio.save_mapping(&name, &text, message.as_deref())
    })
    .await
}

pub async fn history<R: Runtime>(app: AppHandle<R>, name: String) -> Result<Vec<VersionInfo>> {
    with_studio(app, move |studio| studio.history(&name)).await
}

pub async fn version_text<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    version: u32,
) -> Result<String> {
    with_studio(app, move |studio| studio.version_text(&name, version)).await
}

pub async fn diff<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    from: u32,
    to: u32,
) -> Result<MappingDiff> {
    with_studio(app, move |studio| studio.diff(&name, from, to)).await
}

pub async fn restore<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    version: u32,
) -> Result<VersionInfo> {
    with_studio(app, move |studio| studio.restore(&name, version)).await
}

/// Needs no studio: formatting is a pure function of the text.
pub async fn canonical_text<R: Runtime>(_app: AppHandle<R>, text: String) -> Result<String> {
    tauri::async_runtime::spawn_blocking(move || unifield_studio_service::canonical_text(&text))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))
}

pub async fn preview<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    text: String,
    record_id: String,
) -> Result<Preview> {
    hold_records(&app, &source, entities_read(&text).await).await?;
    with_studio(app, move |studio| {
        studio.preview(&source, &text, &record_id)
    })
    .await
}

pub async fn coverage<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    text: String,
    job: u32,
) -> Result<CoverageReport> {
    // Registered before anything else, so a Cancel that arrives while the records load
    // is not lost; the guard ends the job however this returns.
    let job_guard = app.state::<Shell>().start_job(job);
    let cancel = job_guard.cancel.clone();
    hold_records(&app, &source, entities_read(&text).await).await?;
    let run = with_studio(app.clone(), move |studio| {
        studio.prepare_coverage(&source, &text)
    })
    .await?;
    // The run holds what it needs: it goes on off the studio's lock, so previews go on too.
    tauri::async_runtime::spawn_blocking(move || {
        run.run(&cancel, |done, of| {
            // A lost progress event only delays the bar; the result still arrives.
            let _ = app.emit("coverage-progress", CoverageProgress { job, done, of });
        })
    })
    .await
    .unwrap_or_else(|e| Err(stopped(e)))
}

pub async fn explain<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    text: String,
    record_id: String,
    field: String,
) -> Result<ExplainInfo> {
    hold_records(&app, &source, entities_read(&text).await).await?;
    with_studio(app, move |studio| {
        studio.explain(&source, &text, &record_id, &field)
    })
    .await
}

pub async fn suggestions<R: Runtime>(
    app: AppHandle<R>,
    source: RecordSource,
    text: String,
) -> Result<Vec<Suggestion>> {
    hold_records(&app, &source, entities_read(&text).await).await?;
    with_studio(app, move |studio| studio.suggestions(&source, &text)).await
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
pub async fn export_mapping<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    text: String,
) -> Result<Option<Exported>> {
    let Some(path) = choose_file(&app, Some(format!("{name}.json"))).await else {
        return Ok(None);
    };
    with_studio(app, move |studio| {
        studio.export_mapping(&text, &path).map(Some)
    })
    .await
}

/// Imports through an open dialog; none when the user closes it.
pub async fn import_mapping<R: Runtime>(app: AppHandle<R>) -> Result<Option<ImportedMapping>> {
    let Some(path) = choose_file(&app, None).await else {
        return Ok(None);
    };
    with_studio(app, move |studio| studio.import_mapping(&path).map(Some)).await
}

pub async fn list_connections<R: Runtime>(app: AppHandle<R>) -> Result<Vec<ConnectionInfo>> {
    with_studio(app, |studio| studio.connections()).await
}

pub async fn add_connection<R: Runtime>(
    app: AppHandle<R>,
    connection: NewConnection,
) -> Result<ConnectionInfo> {
    // The keyring write happens off the studio's lock; listing it back takes the lock.
    let work = with_studio(app.clone(), |studio| studio.keyring_work()).await?;
    let name = tauri::async_runtime::spawn_blocking(move || work.add_connection(&connection))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))?;
    with_studio(app, move |studio| studio.connection(&name)).await
}

/// The client (its secret read from the keyring) and the network check, both off the lock.
pub async fn test_connection<R: Runtime>(app: AppHandle<R>, name: String) -> Result<Health> {
    let work = with_studio(app, |studio| studio.keyring_work()).await?;
    let client = tauri::async_runtime::spawn_blocking(move || work.client(&name))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))?;
    Ok(unifield_studio_service::test_connection(&client).await)
}

/// The keyring write happens off the studio's lock; listing the connection back takes it.
pub async fn set_connection_secret<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    secret: String,
) -> Result<ConnectionInfo> {
    let work = with_studio(app.clone(), |studio| studio.keyring_work()).await?;
    let named = name.clone();
    tauri::async_runtime::spawn_blocking(move || work.set_secret(&named, &secret))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))?;
    with_studio(app, move |studio| studio.connection(&name)).await
}

pub async fn remove_connection<R: Runtime>(app: AppHandle<R>, name: String) -> Result<()> {
    // Deleting its records and its keyring secret happens off the studio's lock.
    let work = with_studio(app.clone(), |studio| studio.keyring_work()).await?;
    let removed = name.clone();
    tauri::async_runtime::spawn_blocking(move || work.remove_connection(&removed))
        .await
        .unwrap_or_else(|e| Err(stopped(e)))?;
    with_studio(app, move |studio| {
        studio.forget(&name);
        Ok(())
    })
    .await
}

/// The pull job is built under the lock (it opens its own handle on the workspace); the
/// pull itself runs without it.
pub async fn pull<R: Runtime>(
    app: AppHandle<R>,
    connection: String,
    entities: Vec<String>,
    job: u32,
) -> Result<PullReport> {
    let job_guard = app.state::<Shell>().start_job(job);
    let name = connection.clone();
    let pull_job =
        with_studio(app.clone(), move |studio| studio.pull_job(&name, &entities)).await?;
    let events = app.clone();
    let report = pull_job
        .run(job, job_guard.cancel.clone(), |progress| {
            let _ = events.emit("pull-progress", progress);
        })
        .await;
    with_studio(app, move |studio| {
        studio.forget(&connection);
        Ok(())
    })
    .await?;
    report
}

/// Cancels a running pull or coverage. Unknown jobs (already finished) are not an error.
pub async fn cancel<R: Runtime>(app: AppHandle<R>, job: u32) -> Result<bool> {
    Ok(app.state::<Shell>().cancel_job(job))
}

pub async fn pane_sizes<R: Runtime>(app: AppHandle<R>) -> Result<PaneSizes> {
    with_studio(app, |studio| studio.pane_sizes()).await
}

pub async fn save_pane_sizes<R: Runtime>(app: AppHandle<R>, sizes: PaneSizes) -> Result<()> {
    with_studio(app, move |studio| studio.save_pane_sizes(&sizes)).await
}

/// Milliseconds since the process started: the UI reports it once it is interactive.
pub async fn timings<R: Runtime>(app: AppHandle<R>) -> Result<u64> {
    Ok(app.state::<Shell>().launched.elapsed().as_millis() as u64)
}

// ---- connection servers -----------------------------------------------------------------
// The list and keys are read beside the studio's lock (keyring calls can wait on an unlock
// prompt); the network calls run with no lock; only the impact and the studio's record take
// the studio, for the computation.

async fn server_access<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<unifield_studio_service::servers::ServerAccess> {
    with_studio(app.clone(), |studio| Ok(studio.server_access())).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(stopped(e)))
}

async fn server_client<R: Runtime>(
    app: &AppHandle<R>,
    server: String,
) -> Result<unifield_server_client::ServerClient> {
    let access = server_access(app).await?;
    blocking(move || access.server_client(&server)).await
}

pub async fn list_servers<R: Runtime>(app: AppHandle<R>) -> Result<Vec<ServerInfo>> {
    let access = server_access(&app).await?;
    blocking(move || access.servers()).await
}

pub async fn add_server<R: Runtime>(app: AppHandle<R>, server: NewServer) -> Result<ServerInfo> {
    let access = server_access(&app).await?;
    // The service's add_server, in its three steps: the keyring write stays off the async
    // workers, and nothing is kept unless the server answered and accepted the key.
    let checked = {
        let access = access.clone();
        let server = server.clone();
        blocking(move || access.check_new_server(&server)).await?
    };
    unifield_studio_service::servers::probe_server(&checked).await?;
    blocking(move || access.keep_server(&server)).await
}

pub async fn remove_server<R: Runtime>(app: AppHandle<R>, name: String) -> Result<()> {
    let access = server_access(&app).await?;
    blocking(move || access.remove_server(&name)).await
}

pub async fn server_connections<R: Runtime>(
    app: AppHandle<R>,
    server: String,
) -> Result<Vec<ServerConnectionInfo>> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::server_connections(&client).await
}

pub async fn reconnect_server_connection<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    client_id: String,
    client_secret: String,
    base_url: Option<String>,
) -> Result<ServerConnectionInfo> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::reconnect(
        &client,
        &connection_id,
        &client_id,
        &client_secret,
        base_url.as_deref(),
    )
    .await
}

pub async fn pull_through_server<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    entities: Vec<String>,
    job: u32,
) -> Result<ServerPull> {
    let job_guard = app.state::<Shell>().start_job(job);
    let client = server_client(&app, server.clone()).await?;
    let pull_job = with_studio(app.clone(), move |studio| {
        studio.server_pull_job(client, &server, &connection_id, &entities)
    })
    .await?;
    let events = app.clone();
    let (name, report) = pull_job
        .run(job, job_guard.cancel.clone(), |progress| {
            let _ = events.emit("pull-progress", progress);
        })
        .await?;
    let forgotten = name.clone();
    with_studio(app, move |studio| {
        studio.forget(&forgotten);
        Ok(())
    })
    .await?;
    Ok(ServerPull {
        source: RecordSource::Connection { name },
        report,
    })
}

pub async fn push_preview<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    source: RecordSource,
    text: String,
    record_id: Option<String>,
) -> Result<PushPreview> {
    let client = server_client(&app, server).await?;
    let entity = target_entity(&text)?;
    let active =
        unifield_studio_service::servers::active_mapping(&client, &connection_id, &entity).await?;
    let wanted = entities_read(&text).await;
    hold_records(&app, &source, wanted).await?;
    with_studio(app, move |studio| {
        studio.push_preview(&source, &text, &active, record_id.as_deref())
    })
    .await
}

/// The unified entity a mapping text targets (the server's URL names it).
fn target_entity(text: &str) -> Result<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|doc| doc.pointer("/target/entity")?.as_str().map(String::from))
        .ok_or_else(|| ServiceError::new("invalid_mapping", "the mapping names no target.entity"))
}

// The command's arguments, as the UI sends them.
#[allow(clippy::too_many_arguments)]
pub async fn push_mapping<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    source: RecordSource,
    text: String,
    version: i64,
    note: Option<String>,
    record_id: Option<String>,
) -> Result<PushResult> {
    use unifield_studio_service::servers::{push, PushRefusal};
    let client = server_client(&app, server).await?;
    match push(&client, &connection_id, &text, version, note.as_deref()).await {
        Ok((version, previous_version)) => Ok(PushResult::Pushed {
            version,
            previous_version,
        }),
        Err(PushRefusal::Conflict { expected, active }) => {
            let preview = with_studio(app, move |studio| {
                studio.push_preview(&source, &text, &active, record_id.as_deref())
            })
            .await?;
            Ok(PushResult::Conflict { expected, preview })
        }
        Err(PushRefusal::Error(error)) => Err(error),
    }
}

pub async fn verify_push<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    source: RecordSource,
    text: String,
    record_id: String,
    version: Option<i64>,
) -> Result<VerifyReport> {
    let client = server_client(&app, server).await?;
    let entity = target_entity(&text)?;
    // After a rollback the server serves that version: the studio previews it, not its own.
    let text = match version {
        Some(version) => {
            unifield_studio_service::servers::version_text(
                &client,
                &connection_id,
                &entity,
                version,
            )
            .await?
        }
        None => text,
    };
    let wanted = entities_read(&text).await;
    hold_records(&app, &source, wanted).await?;
    let id = record_id.clone();
    let ours = with_studio(app, move |studio| studio.studio_record(&source, &text, &id)).await?;
    unifield_studio_service::servers::verify(&client, &connection_id, &entity, &record_id, &ours)
        .await
}

pub async fn server_versions<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    entity: String,
) -> Result<Vec<ServerVersionInfo>> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::server_versions(&client, &connection_id, &entity).await
}

pub async fn rollback_server<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    entity: String,
    version: i64,
) -> Result<i64> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::rollback(&client, &connection_id, &entity, version).await
}

pub async fn recent_deliveries<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    limit: u32,
) -> Result<Vec<DeliveryInfo>> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::recent_deliveries(&client, limit as usize).await
}

pub async fn server_version_diff<R: Runtime>(
    app: AppHandle<R>,
    server: String,
    connection_id: String,
    entity: String,
    from: i64,
    to: i64,
) -> Result<Vec<Change>> {
    let client = server_client(&app, server).await?;
    unifield_studio_service::servers::server_version_diff(
        &client,
        &connection_id,
        &entity,
        from,
        to,
    )
    .await
}
