//! Commands are not idempotent: a retried `Workorder/Create` can create a second work
//! order. These tests run the client against a scripted HTTP server on loopback that
//! counts every command it receives.

use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use unifield_corrigo_client::{Client, ClientError, Credentials, Endpoint, Options};

/// How the server answers the n-th command (the last entry repeats).
#[derive(Clone, Copy, Debug)]
enum Answer {
    Ok,
    Status(u16),
    /// Never answer within the client's timeout.
    Stall,
}

struct Script {
    addr: SocketAddr,
    commands: Arc<AtomicUsize>,
}

/// A loopback server: the token endpoint, a locator that names `api_host` (when given),
/// and `cmd/` answered per `answers`.
async fn serve(answers: Vec<Answer>, api_host: Option<String>) -> Script {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let commands = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&commands);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answers = answers.clone();
            let counter = Arc::clone(&counter);
            let api_host = api_host.clone();
            tokio::spawn(async move {
                let _ = answer(stream, &answers, &counter, api_host.as_deref()).await;
            });
        }
    });
    Script { addr, commands }
}

async fn answer(
    mut stream: TcpStream,
    answers: &[Answer],
    counter: &AtomicUsize,
    api_host: Option<&str>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let (status, body) = if path.ends_with("/OAuth/token") {
        (200, json!({"access_token": "t", "expires_in": 1200}))
    } else if path.ends_with("/GetCompanyWsdkUrlCommand") {
        let url = api_host.unwrap_or("http://127.0.0.1:9");
        (200, json!({"CommandResult": {"Url": url}}))
    } else if path.starts_with("/api/v1/cmd/") {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match answers[n.min(answers.len() - 1)] {
            Answer::Ok => (200, json!({"CommandResult": {"Wo": {"Id": 8599}}})),
            Answer::Status(status) => (status, json!({"ErrorCode": "X", "ErrorMessage": "x"})),
            Answer::Stall => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                return Ok(());
            }
        }
    } else {
        (404, json!({}))
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn client(endpoint: Endpoint, token_and_locator: Option<String>) -> Client {
    let credentials = Credentials {
        company: "C".into(),
        client_id: "id".into(),
        client_secret: "secret".into(),
        endpoint,
    };
    let options = Options {
        timeout: Duration::from_millis(400),
        attempts: 4,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(20),
        token_url: token_and_locator
            .as_ref()
            .map(|b| format!("{b}/OAuth/token")),
        locator_url: token_and_locator,
        ..Options::default()
    };
    Client::new(credentials, options).unwrap()
}

fn create() -> serde_json::Value {
    json!({"WorkOrder": {"TypeCategory": "Request"}})
}

#[tokio::test]
async fn a_command_is_not_sent_again_after_a_server_error() {
    let server = serve(vec![Answer::Status(503), Answer::Ok], None).await;
    let client = client(Endpoint::BaseUrl(format!("http://{}", server.addr)), None);
    let error = client
        .command("Workorder/Create", create())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "command_outcome_unknown", "{error}");
    assert!(error.to_string().contains("503"), "{error}");
    assert_eq!(
        server.commands.load(Ordering::SeqCst),
        1,
        "sent exactly once"
    );
}

#[tokio::test]
async fn a_command_is_not_sent_again_after_a_timeout() {
    let server = serve(vec![Answer::Stall, Answer::Ok], None).await;
    let client = client(Endpoint::BaseUrl(format!("http://{}", server.addr)), None);
    let error = client
        .command("Workorder/Create", create())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "command_outcome_unknown", "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(
        server.commands.load(Ordering::SeqCst),
        1,
        "sent exactly once"
    );
}

#[tokio::test]
async fn a_throttled_command_is_sent_again_and_succeeds() {
    let server = serve(vec![Answer::Status(429), Answer::Ok], None).await;
    let client = client(Endpoint::BaseUrl(format!("http://{}", server.addr)), None);
    let result = client.command("Workorder/Create", create()).await.unwrap();
    assert_eq!(result["Wo"]["Id"], 8599);
    assert_eq!(server.commands.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_command_whose_host_refuses_connections_is_retried_up_to_the_limit() {
    // A port that was just free: nothing listens there, so every connect is refused.
    let closed = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let server = serve(vec![Answer::Ok], Some(format!("http://{closed}/"))).await;
    let base = format!("http://{}", server.addr);
    let client = client(Endpoint::Region("am".into()), Some(base));
    let error = client
        .command("Workorder/Create", create())
        .await
        .unwrap_err();
    match error {
        ClientError::Exhausted { attempts, ref last } => {
            assert_eq!(attempts, 4, "every attempt was made: {error}");
            assert!(last.contains("cannot connect"), "{error}");
        }
        other => panic!("expected the retries to run out, got {other:?}"),
    }
}
