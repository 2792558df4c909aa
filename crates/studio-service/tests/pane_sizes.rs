//! The pane sizes the splitters set are remembered per workspace, in the workspace.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use unifield_studio_service::layout::PaneSizes;
use unifield_studio_service::Studio;
use unifield_workspace::MemorySecrets;

fn studio(dir: &std::path::Path) -> Studio {
    Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap()
}

#[test]
fn pane_sizes_are_kept_per_workspace_across_reopening() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    assert_eq!(
        studio(first.path()).pane_sizes().unwrap(),
        PaneSizes::default(),
        "a new workspace has no sizes: the defaults apply"
    );
    let sizes = PaneSizes {
        left: Some(412),
        right: None,
        editor: Some(230),
    };
    studio(first.path()).save_pane_sizes(&sizes).unwrap();
    // A studio opened again on the same workspace reads them; another workspace does not.
    assert_eq!(studio(first.path()).pane_sizes().unwrap(), sizes);
    assert_eq!(
        studio(second.path()).pane_sizes().unwrap(),
        PaneSizes::default()
    );
    let file = first.path().join("studio-layout.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "the layout file is private like the workspace's other files"
    );
}

#[test]
fn bad_sizes_and_bad_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let s = studio(dir.path());
    let zero = s
        .save_pane_sizes(&PaneSizes {
            right: Some(0),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(zero.code, "invalid_pane_size");
    assert!(zero.message.contains("right pane"), "{}", zero.message);
    let huge = s
        .save_pane_sizes(&PaneSizes {
            left: Some(1_000_000),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(huge.code, "invalid_pane_size");
    assert!(
        !dir.path().join("studio-layout.json").exists(),
        "nothing written for refused sizes"
    );

    let file = dir.path().join("studio-layout.json");
    std::fs::write(&file, "{\n  \"left\": 300,\n  \"left\": oops\n}").unwrap();
    let broken = s.pane_sizes().unwrap_err();
    assert_eq!(broken.code, "invalid_layout_file");
    let at = broken.location.expect("a located error");
    assert_eq!(
        (at.line, at.column.is_some()),
        (Some(3), true),
        "{}",
        broken.message
    );

    std::fs::write(&file, r#"{"left": 300, "middle": 20}"#).unwrap();
    let unknown = s.pane_sizes().unwrap_err();
    assert!(unknown.message.contains("middle"), "{}", unknown.message);

    std::fs::write(&file, r#"{"editor": 99999}"#).unwrap();
    let out_of_bounds = s.pane_sizes().unwrap_err();
    assert!(
        out_of_bounds.message.contains("`editor` is 99999 px"),
        "{}",
        out_of_bounds.message
    );

    std::fs::write(&file, vec![b' '; 10_000]).unwrap();
    let oversized = s.pane_sizes().unwrap_err();
    assert!(
        oversized.message.contains("10000 bytes"),
        "{}",
        oversized.message
    );
}
