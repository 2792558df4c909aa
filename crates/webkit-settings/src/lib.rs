//! The WebKitGTK settings the studio chooses for its window (issue 14: the studio's memory),
//! in one place so that the studio (src-tauri) and the journey's memory baseline
//! (tests/empty-window, when asked to) get exactly the same ones. Each is the studio's
//! choice only while the user has not made one: every setting here names the variable that
//! overrides it.
//!
//! Two kinds: variables WebKit's processes read from the environment, which must be set
//! before any thread starts and before WebKit starts its processes
//! ([`choose_before_start`]), and settings of the web view and its web context, applied once
//! the view exists ([`apply_to_webview`]).

use std::ffi::OsStr;

/// WebKitGTK's renderer: its shared-memory renderer rather than the DMA-BUF one, unless the
/// user chose (`WEBKIT_DISABLE_DMABUF_RENDERER=0` keeps DMA-BUF). Without a GPU (Xvfb, many
/// VMs) the DMA-BUF renderer's buffers held about 150 MB of the web process's 365 MB with the
/// samples open (issue 14: a window with an empty page holds 238 MB); the page draws the same
/// either way.
pub const RENDERER: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// JavaScriptCore's just-in-time compilers all off, unless the user chose (`JSC_useJIT=1`
/// turns them back on, up to [`JAVASCRIPT_TIERS`]): the page runs in JavaScriptCore's
/// interpreter. The page is interface code (mapping, preview and coverage run in Rust), and
/// the baseline JIT's code, its executable pool and the inline caches and profiles it keeps
/// per function held about 14 MB of the web process with 10,000 cached work orders (263
/// against 278 MB for the web and network processes, three runs each, issue 14); without it
/// the studio also maps no writable and executable memory.
pub const JAVASCRIPT_JIT: &str = "JSC_useJIT";

/// JavaScriptCore's optimizing compilers (DFG, and FTL above it) off, unless the user chose
/// (`JSC_useDFGJIT=1` keeps them): with [`JAVASCRIPT_JIT`] off they cannot run anyway; this
/// keeps them off for a user who turns the JIT back on, who gets the baseline JIT only. The
/// optimizing tiers' compiled code and compiler memory stayed in the web process: about
/// 10 MB with the samples open, about 40 MB after a session (issue 14).
pub const JAVASCRIPT_TIERS: &str = "JSC_useDFGJIT";

/// WebKit's cache model (`document-viewer`, `document-browser` or `web-browser`); the studio
/// chooses `document-viewer` unless the user set this variable.
pub const CACHE_MODEL: &str = "UNIFIELD_WEBKIT_CACHE_MODEL";

/// The environment variables the studio sets for WebKit when the user has not, and the value
/// it sets.
pub const ENVIRONMENT_CHOICES: &[(&str, &str)] = &[
    (RENDERER, "1"),
    (JAVASCRIPT_JIT, "0"),
    (JAVASCRIPT_TIERS, "0"),
];

/// The environment variables of [`ENVIRONMENT_CHOICES`] to set: those the user has not set
/// (`user_value` answers what the user's environment holds).
pub fn environment_to_set<'a>(
    user_value: impl Fn(&str) -> Option<&'a OsStr>,
) -> Vec<(&'static str, &'static str)> {
    ENVIRONMENT_CHOICES
        .iter()
        .copied()
        .filter(|(name, _)| user_value(name).is_none())
        .collect()
}

/// Sets the environment variables of [`ENVIRONMENT_CHOICES`] the user has not set. Call it
/// first thing in `main`: before any thread starts (setting the environment is only sound
/// then) and before GTK or WebKit read it; WebKit's processes inherit it.
pub fn choose_before_start() {
    let user: Vec<(&str, Option<std::ffi::OsString>)> = ENVIRONMENT_CHOICES
        .iter()
        .map(|(name, _)| (*name, std::env::var_os(name)))
        .collect();
    let chosen = environment_to_set(|name| {
        user.iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, value)| value.as_deref())
    });
    for (name, value) in chosen {
        std::env::set_var(name, value);
    }
}

/// WebKit's cache models (WebKitCacheModel), as [`CACHE_MODEL`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheModel {
    /// No back/forward page cache, no memory cache for resources no page uses any more
    /// ("dead" ones), a small one for those in use: a single-page app such as the studio loads
    /// its page once and never navigates, so these caches would only hold memory.
    DocumentViewer,
    /// A small back/forward cache and memory cache.
    DocumentBrowser,
    /// WebKit's default: the caches a browser wants (back/forward pages, decoded resources
    /// kept for a minute after their last use).
    WebBrowser,
}

/// A [`CACHE_MODEL`] value that names no cache model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{CACHE_MODEL}={value:?} is not a WebKit cache model (document-viewer, document-browser or \
     web-browser); using document-viewer"
)]
pub struct UnknownCacheModel {
    pub value: String,
}

impl UnknownCacheModel {
    /// The machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        "unknown_webkit_cache_model"
    }
}

/// The cache model for the studio's web view: the user's ([`CACHE_MODEL`]) if set, else
/// document-viewer. An unknown value is an error, which the caller reports and then uses
/// document-viewer.
pub fn choose_the_cache_model(user_value: Option<&OsStr>) -> Result<CacheModel, UnknownCacheModel> {
    let Some(value) = user_value else {
        return Ok(CacheModel::DocumentViewer);
    };
    match value.to_str().map(str::trim) {
        Some("document-viewer") => Ok(CacheModel::DocumentViewer),
        Some("document-browser") => Ok(CacheModel::DocumentBrowser),
        Some("web-browser") => Ok(CacheModel::WebBrowser),
        _ => Err(UnknownCacheModel {
            value: value.to_string_lossy().into_owned(),
        }),
    }
}

/// Applies the studio's web view settings to `webview` (and its web context, shared by the
/// views of the window): [`CACHE_MODEL`]. An unknown user value is reported on stderr and
/// the studio's choice used.
#[cfg(target_os = "linux")]
pub fn apply_to_webview(webview: &webkit2gtk::WebView) {
    use webkit2gtk::{WebContextExt, WebViewExt};
    let model = choose_the_cache_model(std::env::var_os(CACHE_MODEL).as_deref()).unwrap_or_else(
        |unknown| {
            eprintln!("unifield: {unknown} ({})", unknown.code());
            CacheModel::DocumentViewer
        },
    );
    if let Some(context) = webview.context() {
        context.set_cache_model(match model {
            CacheModel::DocumentViewer => webkit2gtk::CacheModel::DocumentViewer,
            CacheModel::DocumentBrowser => webkit2gtk::CacheModel::DocumentBrowser,
            CacheModel::WebBrowser => webkit2gtk::CacheModel::WebBrowser,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn the_cache_model_is_document_viewer_unless_the_user_chose() {
        assert_eq!(choose_the_cache_model(None), Ok(CacheModel::DocumentViewer));
        for (value, model) in [
            ("web-browser", CacheModel::WebBrowser),
            ("document-browser", CacheModel::DocumentBrowser),
            (" document-viewer ", CacheModel::DocumentViewer),
        ] {
            assert_eq!(
                choose_the_cache_model(Some(OsStr::new(value))),
                Ok(model),
                "{value}"
            );
        }
    }

    #[test]
    fn an_unknown_cache_model_is_named_in_the_error() {
        let unknown = choose_the_cache_model(Some(OsStr::new("browser"))).unwrap_err();
        assert_eq!(unknown.code(), "unknown_webkit_cache_model");
        assert!(
            unknown
                .to_string()
                .contains("UNIFIELD_WEBKIT_CACHE_MODEL=\"browser\""),
            "{unknown}"
        );
        assert!(choose_the_cache_model(Some(OsStr::new(""))).is_err());
    }

    #[test]
    fn environment_choices_leave_what_the_user_set() {
        let nothing_set = environment_to_set(|_| None);
        assert_eq!(
            nothing_set,
            vec![
                (RENDERER, "1"),
                (JAVASCRIPT_JIT, "0"),
                (JAVASCRIPT_TIERS, "0")
            ]
        );
        let on = OsString::from("1");
        let user_kept_the_jit =
            environment_to_set(|name| (name == JAVASCRIPT_JIT).then_some(on.as_os_str()));
        assert_eq!(
            user_kept_the_jit,
            vec![(RENDERER, "1"), (JAVASCRIPT_TIERS, "0")]
        );
        // Even an empty value is the user's choice.
        let empty = OsString::new();
        assert!(environment_to_set(|_| Some(empty.as_os_str())).is_empty());
    }
}
