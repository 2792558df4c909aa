//! The `unifield` binary, end to end: arguments in, stdout, stderr and exit code out.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn unifield(args: &[&str]) -> Output {
    run(args, None)
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unifield runs");
    let mut input = child.stdin.take().unwrap();
    // A command that fails before reading its input (a broken mapping) closes the pipe
    // early; that is its right, not a test failure.
    match input.write_all(stdin.unwrap_or_default()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_file(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

const GET_WORK_ORDER: &str = r#"{"Data": {"Number": "ASN0060114", "TypeCategory": "Request", "Priority": {"Id": 3}, "StatusId": "Completed", "ShortLocation": "NHQ 03 East", "WorkZone": {"Id": 6}, "VendorNte": {"CurrencyTypeId": "USD", "Value": 0}, "DueDateUtc": "2017-01-23T14:00:09", "CreatedDateUtc": "2017-01-17T23:33:18", "Id": 500}}"#;

#[test]
fn path_prints_the_matches_as_a_json_array() {
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(dir.path(), "wo.json", GET_WORK_ORDER.as_bytes());
    let out = unifield(&["path", "$.Data['Number','StatusId']", "--input", &input]);
    assert!(out.status.success(), "{}", stderr(&out));
    let values: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(values, serde_json::json!(["ASN0060114", "Completed"]));
}

#[test]
fn an_invalid_selector_exits_2_and_names_the_position() {
    let out = run(&["path", "$.Data[?@.x ==]", "--input", "-"], Some(b"{}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("at position 15"), "{}", stderr(&out));
}

#[test]
fn apply_reads_a_corrigo_envelope_from_stdin_and_writes_json_lines() {
    let out = run(
        &[
            "apply",
            "--mapping",
            "mappings/corrigo/work_order.json",
            "--input",
            "-",
        ],
        Some(GET_WORK_ORDER.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], "completed");
    assert_eq!(lines[0]["dueAt"], "2017-01-23T14:00:09Z");
    assert!(
        stderr(&out).contains("1 records read, 1 mapped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn apply_reports_bad_lines_and_records_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(br#"{"Id": 1, "StatusId": "New"}"#);
    input.extend_from_slice(b"\n{\"Id\": 2, \"StatusId\": \n");
    input.extend_from_slice(b"\xff\xfe not utf-8\n");
    input.extend_from_slice(br#"{"Id": 3, "StatusId": "Unknown"}"#);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(br#"{"Id": 4, "StatusId": "OnHold", "DueDateUtc": "2017-13-45"}"#);
    let path = temp_file(dir.path(), "wo.jsonl", &input);
    let output = dir.path().join("out.jsonl");
    let out = unifield(&[
        "apply",
        "--mapping",
        "mappings/corrigo/work_order.json",
        "--input",
        &path,
        "--output",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "errors make the exit code 1");
    let err = stderr(&out);
    assert!(err.contains("line 2:"), "{err}");
    assert!(err.contains("line 3:"), "{err}");
    assert!(err.contains("record 4 (line 4, id 3): field `status`, step 1 (`map_values`): \"Unknown\" is not in the value map"), "{err}");
    assert!(
        err.contains("record 5 (line 5, id 4): field `dueAt`, step 1 (`parse_datetime`)"),
        "{err}"
    );
    assert!(
        err.contains(
            "5 records read, 3 mapped, 0 skipped by the source filter, 2 with errors, 2 unreadable"
        ),
        "{err}"
    );
    let written: Vec<Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: Vec<&str> = written.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        ["1", "3", "4"],
        "records with field errors are still written"
    );
    assert_eq!(written[2]["status"], "on_hold");

    let forgiven = unifield(&[
        "apply",
        "--mapping",
        "mappings/corrigo/work_order.json",
        "--input",
        &path,
        "--allow-errors",
    ]);
    assert_eq!(forgiven.status.code(), Some(0));
}

#[test]
fn apply_refuses_a_broken_mapping_with_exit_2_and_located_problems() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("mappings/corrigo/part.json"))
        .unwrap()
        .replace("\"lower\"", "\"lowr\"");
    let mapping = temp_file(dir.path(), "part.json", text.as_bytes());
    let out = run(
        &["apply", "--mapping", &mapping, "--input", "-"],
        Some(b"{}"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("field `uomKey`, step 1") && err.contains("did you mean `lower`?"),
        "{err}"
    );
    assert!(err.contains("part.json:"), "{err}");
}

#[test]
fn validate_passes_the_defaults_and_fails_a_broken_file() {
    let defaults: Vec<String> = std::fs::read_dir(root().join("mappings/corrigo"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(defaults.len(), 8);
    let args: Vec<&str> = std::iter::once("validate")
        .chain(defaults.iter().map(String::as_str))
        .collect();
    let out = unifield(&args);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("8 file(s) checked: 0 error(s), 0 warning(s)"));

    let dir = tempfile::tempdir().unwrap();
    let broken = temp_file(
        dir.path(),
        "broken.json",
        b"{\"format\": \"unifield.mapping/v1\",\n \"name\": }",
    );
    let out = unifield(&["validate", "--json", &broken]);
    assert_eq!(out.status.code(), Some(1));
    let problems: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(problems[0]["code"], "invalid_json");
    assert_eq!(problems[0]["line"], 2);
}

#[test]
fn validate_refuses_a_custom_name_that_is_not_an_identifier_where_it_is() {
    // The default site mapping with one more custom field, named as the studio refuses.
    let mut mapping: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("mappings/corrigo/site.json")).unwrap(),
    )
    .unwrap();
    mapping["custom"]["1st visit"] = serde_json::json!({"const": 1});
    let text = serde_json::to_string_pretty(&mapping).unwrap();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("\"1st visit\":"))
        .unwrap()
        + 1;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(dir.path(), "site.json", text.as_bytes());

    let out = unifield(&["validate", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let expected = format!(
        "{file}:{line}, field `custom.1st visit`: error[invalid_custom_name]: a custom field name cannot start with a digit: `1st visit`"
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 file(s) checked: 1 error(s), 0 warning(s)"),
        "{}",
        stdout(&out)
    );

    let out = unifield(&["validate", "--json", &file]);
    assert_eq!(out.status.code(), Some(1));
    let problems: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        problems,
        serde_json::json!([{
            "severity": "error",
            "code": "invalid_custom_name",
            "message": "a custom field name cannot start with a digit: `1st visit`",
            "file": file,
            "line": line,
            "field": "custom.1st visit",
        }])
    );
}

#[test]
fn coverage_reports_on_the_bundled_samples() {
    let out = unifield(&[
        "coverage",
        "--mapping",
        "mappings/corrigo/vendor.json",
        "--input",
        "mappings/corrigo/samples/Employee.jsonl",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        report["records"], 18,
        "the vendor mapping takes only providers"
    );
    assert_eq!(report["skipped"], 30);
    let status = report["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "status")
        .unwrap();
    assert_eq!(status["filled"], 18);
}

/// `unifield explain` of the default work-order mapping on the bundled samples.
fn explain(record: &str, field: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "explain",
        "--mapping",
        "mappings/corrigo/work_order.json",
        "--input",
        "mappings/corrigo/samples/WorkOrder.jsonl",
        "--record",
        record,
        "--field",
        field,
    ];
    args.extend_from_slice(extra);
    unifield(&args)
}

#[test]
fn explain_walks_one_field_of_one_record() {
    let out = explain("1", "assetKey", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("path $.MainAsset.Id  → $['MainAsset']['Id'] = 5011"),
        "{text}"
    );
    assert!(text.contains("step 1 null_if"), "{text}");
    assert!(text.contains("step 2 keep_if"), "{text}");
    let json = explain("1", "assetKey", &["--json"]);
    let explained: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(explained["steps"].as_array().unwrap().len(), 3);
    assert_eq!(explained["result"], explained["steps"][2]["output"]);
    assert_eq!(explained["result"], "5011");

    let missing = explain("9999", "status", &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("the input has 400 records"));
}

#[test]
fn model_lists_entities_and_shows_fields() {
    let out = unifield(&["model"]);
    for entity in [
        "WorkOrder",
        "Asset",
        "Location",
        "Site",
        "User",
        "Vendor",
        "Customer",
        "Part",
    ] {
        assert!(stdout(&out).contains(entity));
    }
    let wo = unifield(&["model", "WorkOrder"]);
    assert!(stdout(&wo).contains("= in_progress"), "{}", stdout(&wo));
    let schema = unifield(&["model", "Site", "--json"]);
    let schema: Value = serde_json::from_str(&stdout(&schema)).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn fmt_rewrites_to_canonical_form_and_check_reports_drift() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("mappings/corrigo/customer.json")).unwrap();
    let compact: Value = serde_json::from_str(&original).unwrap();
    let path = temp_file(dir.path(), "customer.json", compact.to_string().as_bytes());
    let check = unifield(&["fmt", "--check", &path]);
    assert_eq!(check.status.code(), Some(1));
    assert!(unifield(&["fmt", &path]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert!(unifield(&["fmt", "--check", &path]).status.success());
}

#[test]
fn generated_files_and_samples_are_current() {
    let docs = unifield(&["docs", "--check"]);
    assert!(docs.status.success(), "{}", stdout(&docs));
    let samples = unifield(&["samples", "--check"]);
    assert!(samples.status.success(), "{}", stdout(&samples));
}

#[test]
fn generate_is_deterministic_and_the_demo_runs() {
    let a = unifield(&["generate", "WorkOrder", "--count", "50", "--seed", "9"]);
    let b = unifield(&["generate", "WorkOrder", "--count", "50", "--seed", "9"]);
    assert_eq!(stdout(&a).lines().count(), 50);
    assert_eq!(a.stdout, b.stdout);
    let demo = unifield(&["demo"]);
    assert!(demo.status.success());
    let text = stdout(&demo);
    assert_eq!(text.matches("== mappings/corrigo/").count(), 8);
    assert!(text.contains("400 records mapped"), "{text}");
}

#[test]
fn apply_resolves_lookups_through_related_records() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = temp_file(
        dir.path(),
        "wo.json",
        br#"{"format": "unifield.mapping/v1", "name": "priorities",
            "source": {"system": "corrigo", "entity": "WorkOrder"},
            "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
            "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}, "status": {"const": "open"}},
            "custom": {"priorityName": {"path": "$.Priority.Id",
              "steps": [{"fn": "lookup", "related": "WoPriority", "path": "$.DisplayAs", "failOnMissing": true}]}}}"#,
    );
    // The WoPriority query response from Corrigo's published examples, as a file.
    let priorities = temp_file(
        dir.path(),
        "priorities.json",
        br#"{"Entities": [{"Data": {"DisplayAs": "Emergency (30 Min Response)", "Id": 1}},
                         {"Data": {"DisplayAs": "Normal (2 Day Response)", "Id": 3}}]}"#,
    );
    let input = b"{\"Id\": 1, \"Priority\": {\"Id\": 3}}\n{\"Id\": 2, \"Priority\": {\"Id\": 9}}\n";
    let related = format!("WoPriority={priorities}");
    let out = run(
        &[
            "apply",
            "--mapping",
            &mapping,
            "--input",
            "-",
            "--related",
            &related,
        ],
        Some(input),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "priority 9 is not among the related records"
    );
    let records: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        records[0]["custom"]["priorityName"],
        "Normal (2 Day Response)"
    );
    assert_eq!(records[1]["custom"]["priorityName"], Value::Null);
    assert!(
        stderr(&out).contains("\"9\" was not found"),
        "{}",
        stderr(&out)
    );

    let without = run(
        &["apply", "--mapping", &mapping, "--input", "-"],
        Some(input),
    );
    assert!(
        stderr(&without).contains("no WoPriority records were supplied"),
        "{}",
        stderr(&without)
    );
}

#[test]
fn the_sandbox_serves_tokens_on_the_url_it_prints() {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args([
            "sandbox",
            "--port",
            "0",
            "--work-orders",
            "50",
            "--client-secret",
            "cli-test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let address = url
        .strip_prefix("http://")
        .expect("the first line is the base URL");
    let body =
        "grant_type=client_credentials&client_id=ceapiclient.1.sandbox.0001&client_secret=cli-test";
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /OAuth/token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"access_token\""), "{response}");

    let bad = unifield(&["sandbox", "--faults", "429=3"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--faults: `429` must be a share between 0 and 1"),
        "{}",
        stderr(&bad)
    );
}
