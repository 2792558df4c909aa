//! The CLI applies the same connection rules as the studio and the store (issue 10): a
//! base URL that would send the client secret in clear, or that carries credentials, and a
//! company name that cannot travel in a header, are refused before anything is kept.

use std::path::Path;
use std::process::{Command, Output};
use unifield_store::Store;

fn add(workspace: &Path, company: &str, base_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unifield"))
        .arg("--workspace")
        .arg(workspace)
        .args([
            "connection",
            "add",
            "acme",
            "--company",
            company,
            "--base-url",
            base_url,
            "--client-id",
            "client",
        ])
        .env("UNIFIELD_CLIENT_SECRET", "TOPSECRET")
        .output()
        .unwrap()
}

#[test]
fn connection_add_refuses_what_the_connection_rules_refuse() {
    let dir = tempfile::tempdir().unwrap();
    for (company, base_url, says) in [
        ("Acme", "http://corrigo.example.com", "must use https"),
        (
            "Acme",
            "https://me:hunter2@am.corrigo.com",
            "user name or password",
        ),
        ("Société", "https://am.corrigo.com", "printable ASCII"),
    ] {
        let output = add(dir.path(), company, base_url);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{base_url}: {stderr}");
        assert!(stderr.contains(says), "{base_url}: {stderr}");
        assert!(
            !stderr.contains("hunter2") && !stderr.contains("TOPSECRET"),
            "{stderr}"
        );
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.connections().unwrap().is_empty(), "nothing was kept");
}

/// `pull --concurrency` is 1 to 32 (the client's MAX_PULL_CONCURRENCY): 0 and 33 are usage
/// errors, refused before the workspace is opened.
#[test]
fn pull_refuses_a_concurrency_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    for concurrency in ["0", "33", "18446744073709551615"] {
        let output = Command::new(env!("CARGO_BIN_EXE_unifield"))
            .arg("--workspace")
            .arg(&workspace)
            .args(["pull", "acme", "--concurrency", concurrency])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{concurrency}: {stderr}");
        assert!(stderr.contains("--concurrency"), "{stderr}");
        assert!(stderr.contains("1..=32"), "{stderr}");
        assert!(!workspace.exists(), "the workspace was made");
    }
}
