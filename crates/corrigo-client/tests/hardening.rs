//! What a hostile or broken server can do to the client, and what a careless setting can
//! (issue 10): each case runs against a scripted HTTP server on loopback, under a hang
//! guard, and asserts the outcome, never a duration.

use serde_json::json;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use unifield_corrigo_client::{
    Cancellation, Client, ClientError, Credentials, Endpoint, Options, QueryExpression,
};

mod common;

use common::read_request;

/// What the server does with one request.
enum Reply {
    /// A complete response: status line onward, as bytes.
    Raw(Vec<u8>),
    /// Never answer (the connection stays open).
    Hang,
}

fn json_reply(status: &str, body: &serde_json::Value) -> Reply {
    reply(
        status,
        &[("Content-Type", "application/json")],
        body.to_string().into_bytes(),
    )
}

fn reply(status: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend(body);
    Reply::Raw(bytes)
}

struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A loopback server answering `route(n, method and path, body)` for the n-th request.
async fn serve(route: impl Fn(usize, &str, &[u8]) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let route = Arc::new(route);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            let route = Arc::clone(&route);
            tokio::spawn(async move {
                let _ = answer(stream, &counter, &*route).await;
            });
        }
    });
    Server { addr, requests }
}

async fn answer(
    mut stream: TcpStream,
    counter: &AtomicUsize,
    route: &(dyn Fn(usize, &str, &[u8]) -> Reply + Send + Sync),
) -> std::io::Result<()> {
    loop {
        let Some((head, body)) = read_request(&mut stream).await? else {
            return Ok(());
        };
        let line = head.lines().next().unwrap_or("").to_string();
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match route(n, &line, &body) {
            Reply::Raw(bytes) => stream.write_all(&bytes).await?,
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
        }
    }
}

fn credentials(endpoint: Endpoint) -> Credentials {
    Credentials {
        company: "Acme".into(),
        client_id: "client".into(),
        client_secret: "TOPSECRET".into(),
        endpoint,
    }
}

fn token() -> Reply {
    json_reply(
        "200 OK",
        &json!({"access_token": "t0k3n", "expires_in": 1200}),
    )
}

fn quick() -> Options {
    Options {
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        ..Options::default()
    }
}

/// Fails the test instead of hanging it.
async fn guarded<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .expect("the client must not hang")
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed_with_the_secret() {
    let elsewhere = serve(|_, _, _| token()).await;
    let target = format!("{}/steal", elsewhere.url());
    let server = serve(move |_, _, _| {
        reply(
            "307 Temporary Redirect",
            &[("Location", target.as_str())],
            Vec::new(),
        )
    })
    .await;
    let client = Client::new(credentials(Endpoint::BaseUrl(server.url())), quick()).unwrap();
    let error = guarded(client.api_host()).await.unwrap_err();
    assert_eq!(error.code(), "corrigo_redirect", "{error}");
    assert_eq!(
        elsewhere.requests.load(Ordering::SeqCst),
        0,
        "the secret-bearing form went nowhere else"
    );
}

#[tokio::test]
async fn a_redirect_from_the_api_is_not_followed_either() {
    let elsewhere = serve(|_, _, _| json_reply("200 OK", &json!({"Data": {"Id": 1}}))).await;
    let target = format!("{}/api/v1/base/WorkOrder/1", elsewhere.url());
    let server = serve(move |_, line, _| {
        if line.contains("/OAuth/token") {
            token()
        } else {
            reply("302 Found", &[("Location", target.as_str())], Vec::new())
        }
    })
    .await;
    let client = Client::new(credentials(Endpoint::BaseUrl(server.url())), quick()).unwrap();
    let error = guarded(client.get("WorkOrder", 1, &[])).await.unwrap_err();
    assert_eq!(error.code(), "corrigo_redirect", "{error}");
    assert_eq!(elsewhere.requests.load(Ordering::SeqCst), 0);
}

/// A region client whose token endpoint and locator are `server`.
fn regional(server: &Server) -> Options {
    Options {
        token_url: Some(format!("{}/OAuth/token", server.url())),
        locator_url: Some(server.url()),
        ..quick()
    }
}

#[tokio::test]
async fn the_locator_must_name_an_https_corrigo_host() {
    for named in [
        "https://corrigo.evil.example",
        "http://am-ce98c.corrigo.com",
        "https://10.1.2.3",
    ] {
        let answer = named.to_string();
        let server = serve(move |_, line, _| {
            if line.contains("/OAuth/token") {
                token()
            } else {
                json_reply("200 OK", &json!({"CommandResult": {"Url": answer}}))
            }
        })
        .await;
        let client = Client::new(
            credentials(Endpoint::Region("am".into())),
            regional(&server),
        )
        .unwrap();
        let error = guarded(client.api_host()).await.unwrap_err();
        assert_eq!(error.code(), "untrusted_api_host", "{named}: {error}");
        assert!(error.to_string().contains(named), "{error}");
    }
}

#[tokio::test]
async fn a_huge_token_answer_is_refused_not_buffered() {
    let padding = "x".repeat(1 << 20);
    let server = serve(move |_, _, _| {
        json_reply(
            "200 OK",
            &json!({"access_token": "t0k3n", "expires_in": 1200, "padding": padding}),
        )
    })
    .await;
    let client = Client::new(credentials(Endpoint::BaseUrl(server.url())), quick()).unwrap();
    let error = guarded(client.api_host()).await.unwrap_err();
    assert!(
        error.to_string().contains("larger than 65536 bytes"),
        "{error}"
    );
}

#[tokio::test]
async fn a_huge_locator_answer_is_refused_not_buffered() {
    let padding = "x".repeat(1 << 20);
    let server = serve(move |_, line, _| {
        if line.contains("/OAuth/token") {
            token()
        } else {
            json_reply(
                "200 OK",
                &json!({"CommandResult": {"Url": "https://am-x.corrigo.com", "Padding": padding}}),
            )
        }
    })
    .await;
    let client = Client::new(
        credentials(Endpoint::Region("am".into())),
        regional(&server),
    )
    .unwrap();
    let error = guarded(client.api_host()).await.unwrap_err();
    assert!(error.to_string().contains("locator"), "{error}");
    assert!(error.to_string().contains("larger than"), "{error}");
}

#[tokio::test]
async fn a_page_that_inflates_past_32_mib_is_refused() {
    // 40 MiB of JSON, gzipped to a few KiB: the limit applies to what it decompresses to.
    let mut body = b"{\"Entities\": [], \"Padding\": \"".to_vec();
    body.extend(std::iter::repeat_n(b'0', 40 << 20));
    body.extend(b"\"}");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&body).unwrap();
    let gzipped = encoder.finish().unwrap();
    let server = serve(move |_, line, _| {
        if line.contains("/OAuth/token") {
            token()
        } else {
            reply(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                ],
                gzipped.clone(),
            )
        }
    })
    .await;
    assert_eq!(Options::default().max_body, 32 << 20);
    let client = Client::new(
        credentials(Endpoint::BaseUrl(server.url())),
        Options::default(),
    )
    .unwrap();
    let error = guarded(client.query("WorkOrder", &QueryExpression::default()))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "response_too_large", "{error}");
}

#[tokio::test]
async fn retry_after_is_capped() {
    assert_eq!(Options::default().retry_after_cap, Duration::from_secs(60));
    let server = serve(|n, line, _| {
        if line.contains("/OAuth/token") {
            token()
        } else if n == 1 {
            // A day: uncapped, the call would sleep through the hang guard.
            reply(
                "429 Too Many Requests",
                &[("Retry-After", "86400")],
                Vec::new(),
            )
        } else {
            json_reply("200 OK", &json!({"Data": {"Id": 1}}))
        }
    })
    .await;
    let options = Options {
        retry_after_cap: Duration::from_millis(50),
        ..quick()
    };
    let client = Client::new(credentials(Endpoint::BaseUrl(server.url())), options).unwrap();
    let record = guarded(client.get("WorkOrder", 1, &[])).await.unwrap();
    assert_eq!(record, json!({"Id": 1}));
}

#[tokio::test]
async fn cancel_ends_a_request_in_flight_and_a_wait_before_a_retry() {
    for stall in ["hang", "throttle"] {
        let server = serve(move |_, line, _| {
            if line.contains("/OAuth/token") {
                token()
            } else if stall == "hang" {
                Reply::Hang
            } else {
                reply(
                    "429 Too Many Requests",
                    &[("Retry-After", "50")],
                    Vec::new(),
                )
            }
        })
        .await;
        let cancellation = Cancellation::default();
        let options = Options {
            timeout: Duration::from_secs(600),
            ..quick()
        };
        let client = Arc::new(
            Client::new(credentials(Endpoint::BaseUrl(server.url())), options)
                .unwrap()
                .with_cancellation(cancellation.clone()),
        );
        let running = {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.get("WorkOrder", 1, &[]).await })
        };
        // Cancel once the request has reached the server.
        while server.requests.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        cancellation.cancel();
        let outcome = guarded(running).await.unwrap();
        assert!(
            matches!(outcome, Err(ClientError::Cancelled)),
            "{stall}: {outcome:?}"
        );
        let again = guarded(client.get("WorkOrder", 1, &[])).await;
        assert!(matches!(again, Err(ClientError::Cancelled)));
    }
}

#[test]
fn settings_that_break_the_connection_rules_are_refused_before_any_request() {
    let refuse = |credentials: Credentials| {
        Client::new(credentials, Options::default())
            .err()
            .expect("refused")
            .code()
    };
    assert_eq!(
        refuse(Credentials {
            company: "Société Générale".into(),
            ..credentials(Endpoint::Region("emea".into()))
        }),
        "invalid_company_name"
    );
    assert_eq!(
        refuse(credentials(Endpoint::BaseUrl(
            "http://corrigo.example.com".into()
        ))),
        "insecure_url"
    );
    assert_eq!(
        refuse(credentials(Endpoint::BaseUrl(
            "https://me:pw@am.corrigo.com".into()
        ))),
        "url_with_credentials"
    );
    assert_eq!(
        refuse(credentials(Endpoint::Region("am.evil.com/x#".into()))),
        "corrigo_unexpected"
    );
}
