//! `unifield webhook listen|verify`, end to end: the real binary, real HTTP on loopback,
//! deliveries signed by the same code the server delivers with.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use unifield_webhooks::{
    sign, DeliveryClient, DeliveryClientConfig, DestinationPolicy, Message, SigningSecret,
};

fn unifield(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(args)
        .env_remove("UNIFIELD_WEBHOOK_SECRET")
        .output()
        .expect("unifield runs")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Waits (bounded) for the listener to exit, killing it if it does not.
fn finish(mut child: Child, within: Duration) -> (bool, String) {
    let deadline = Instant::now() + within;
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut rest);
    }
    (exited, rest)
}

fn loopback_client() -> DeliveryClient {
    DeliveryClient::new(DeliveryClientConfig {
        policy: DestinationPolicy::allowing_insecure_loopback(),
        timeout: Duration::from_secs(5),
        ..DeliveryClientConfig::default()
    })
    .unwrap()
}

#[test]
fn listen_verifies_prints_and_answers_each_delivery() {
    let secret = SigningSecret::generate();
    let wrong = SigningSecret::generate();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(["webhook", "listen", "--port", "0", "--max-deliveries", "2"])
        .arg("--secret")
        .arg(secret.expose())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("unifield runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    let url = url.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "first line is the URL: {url:?}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = loopback_client();
    let good = br#"{"type":"ping","timestamp":"2026-11-30T06:00:00Z","data":{}}"#;
    let forged = br#"{"type":"sync.completed","timestamp":"2026-11-30T06:00:00Z","data":{}}"#;
    let (first, second) = runtime.block_on(async {
        let first = client
            .send(
                &url,
                Message {
                    id: "evt_good",
                    payload: good,
                    timestamp: now(),
                },
                &[&secret],
            )
            .await;
        let second = client
            .send(
                &url,
                Message {
                    id: "evt_forged",
                    payload: forged,
                    timestamp: now(),
                },
                &[&wrong],
            )
            .await;
        (first, second)
    });
    assert_eq!(first.status, Some(200), "{first:?}");
    assert_eq!(
        second.status,
        Some(401),
        "a forged delivery is refused: {second:?}"
    );

    child.stdout = Some(stdout.into_inner());
    let (exited, printed) = finish(child, Duration::from_secs(20));
    assert!(
        exited,
        "the listener stops after --max-deliveries: {printed}"
    );
    assert!(
        printed.contains("evt_good ping verified → 200"),
        "the good delivery is printed as verified: {printed}"
    );
    assert!(
        printed.contains(r#""type":"ping""#),
        "the event is printed: {printed}"
    );
    assert!(
        printed.contains("evt_forged sync.completed NOT VERIFIED (signature_mismatch"),
        "the forged delivery is printed as not verified: {printed}"
    );
    assert!(printed.contains("→ 401"), "{printed}");
    assert!(
        !printed.contains(&secret.expose()),
        "the secret is never printed"
    );
}

#[test]
fn listen_rehearses_a_failing_receiver_and_refuses_bad_settings() {
    let secret = SigningSecret::generate();
    let child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args([
            "webhook",
            "listen",
            "--port",
            "0",
            "--fail",
            "1",
            "--max-deliveries",
            "1",
        ])
        .arg("--secret")
        .arg(secret.expose())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("unifield runs");
    let mut child = child;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(loopback_client().send(
        url.trim(),
        Message {
            id: "evt_1",
            payload: b"{}",
            timestamp: now(),
        },
        &[&secret],
    ));
    assert_eq!(
        outcome.status,
        Some(500),
        "--fail 1 fails every delivery: {outcome:?}"
    );
    assert!(!outcome.delivered());
    child.stdout = Some(stdout.into_inner());
    let (exited, printed) = finish(child, Duration::from_secs(20));
    assert!(exited, "{printed}");
    assert!(printed.contains("verified → 500"), "{printed}");

    let out = unifield(&[
        "webhook",
        "listen",
        "--port",
        "0",
        "--secret",
        &secret.expose(),
        "--fail",
        "1.5",
    ]);
    assert_eq!(out.status.code(), Some(2), "a ratio over 1 is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
    let out = unifield(&[
        "webhook",
        "listen",
        "--port",
        "0",
        "--secret",
        &secret.expose(),
        "--delay-ms",
        "600000",
    ]);
    assert_eq!(out.status.code(), Some(2), "a delay over 60 s is refused");
    let out = unifield(&["webhook", "listen", "--port", "0"]);
    assert_eq!(out.status.code(), Some(2), "no secret, no receiver");
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNIFIELD_WEBHOOK_SECRET"));
}

#[test]
fn verify_checks_one_captured_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let secret = SigningSecret::generate();
    let body = br#"{"type":"work_order.created","timestamp":"2026-11-30T06:00:00Z","data":{"connection_id":"con_1"}}"#;
    let timestamp = now();
    let signed = sign("evt_42", timestamp, body, &[&secret]);
    let headers = dir.path().join("headers.txt");
    std::fs::write(
        &headers,
        format!(
            "POST /hooks HTTP/1.1\ncontent-type: application/json\nWebhook-Id: {}\nwebhook-timestamp: {}\nwebhook-signature: {}\n",
            signed.id, signed.timestamp, signed.signature
        ),
    )
    .unwrap();
    let body_file = dir.path().join("body.json");
    std::fs::write(&body_file, body).unwrap();
    let (h, b) = (headers.to_str().unwrap(), body_file.to_str().unwrap());
    let key = secret.expose();

    let out = unifield(&[
        "webhook",
        "verify",
        "--secret",
        &key,
        "--headers",
        h,
        "--body",
        b,
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified: webhook-id evt_42"));

    let tampered = dir.path().join("tampered.json");
    std::fs::write(
        &tampered,
        String::from_utf8_lossy(body).replace("con_1", "con_2"),
    )
    .unwrap();
    let out = unifield(&[
        "webhook",
        "verify",
        "--secret",
        &key,
        "--headers",
        h,
        "--body",
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a tampered body does not verify"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("signature_mismatch"),
        "{out:?}"
    );

    let later = (timestamp + 3600).to_string();
    let out = unifield(&[
        "webhook",
        "verify",
        "--secret",
        &key,
        "--headers",
        h,
        "--body",
        b,
        "--at",
        &later,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an hour-old delivery is a replay"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("timestamp_too_old"),
        "{out:?}"
    );

    let other = SigningSecret::generate().expose();
    let out = unifield(&[
        "webhook",
        "verify",
        "--secret",
        &other,
        "--headers",
        h,
        "--body",
        b,
    ]);
    assert_eq!(out.status.code(), Some(1), "another secret does not verify");

    let out = unifield(&[
        "webhook",
        "verify",
        "--secret",
        "nope",
        "--headers",
        h,
        "--body",
        b,
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a malformed secret is bad usage"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("secret_prefix"),
        "{out:?}"
    );

    let json_headers = dir.path().join("headers.json");
    std::fs::write(
        &json_headers,
        serde_json::json!({
            "webhook-id": signed.id,
            "webhook-timestamp": signed.timestamp.to_string(),
            "webhook-signature": signed.signature,
        })
        .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args([
            "webhook",
            "verify",
            "--headers",
            json_headers.to_str().unwrap(),
            "--body",
            b,
        ])
        .env("UNIFIELD_WEBHOOK_SECRET", &key)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "JSON headers and the secret from the environment: {out:?}"
    );
}
