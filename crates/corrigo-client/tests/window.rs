//! A pull's sliding window of pages, against a loopback server that counts the query
//! requests it is answering at once: never more than the pull's concurrency, queries on
//! their way while pages are stored (a window fetched whole, then stored, had none), one
//! page at a time with concurrency 1, and pages handed over in order. Outcomes are counts,
//! never durations.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use unifield_corrigo_client::{Client, Credentials, Endpoint, Options, QueryExpression};

mod common;

use common::read_request;

const RECORDS: usize = 1_000;

#[derive(Default)]
struct Counts {
    /// Query requests being answered right now, and the most at once.
    answering: AtomicUsize,
    most: AtomicUsize,
    /// For each query, how many were being answered when it arrived (itself included).
    seen: Mutex<Vec<usize>>,
}

/// A server holding each query 60 ms (as a network would; longer than a store, so a query
/// sent at one store is still out at the next), answering records `Id` 1..=RECORDS.
async fn serve(counts: Arc<Counts>) -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counts = Arc::clone(&counts);
            tokio::spawn(async move {
                let _ = answer(stream, &counts).await;
            });
        }
    });
    url
}

async fn answer(mut stream: TcpStream, counts: &Counts) -> std::io::Result<()> {
    loop {
        let Some((head, request_body)) = read_request(&mut stream).await? else {
            return Ok(());
        };
        let body = if head.starts_with("POST /OAuth/token") {
            json!({"access_token": "t0k3n", "expires_in": 1200})
        } else {
            let now = counts.answering.fetch_add(1, Ordering::SeqCst) + 1;
            counts.most.fetch_max(now, Ordering::SeqCst);
            counts.seen.lock().unwrap().push(now);
            let query: Value = serde_json::from_slice(&request_body).unwrap();
            let first = query["QueryExpression"]["FirstResultIndex"]
                .as_u64()
                .unwrap() as usize;
            let count = query["QueryExpression"]["Count"].as_u64().unwrap() as usize;
            tokio::time::sleep(Duration::from_millis(60)).await;
            counts.answering.fetch_sub(1, Ordering::SeqCst);
            let ids =
                (first + 1..=(first + count).min(RECORDS)).map(|id| json!({"Data": {"Id": id}}));
            json!({"Entities": ids.collect::<Vec<_>>()})
        };
        let body = body.to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
    }
}

/// Pulls every record in pages of 50 with `concurrency`; each page is "stored" for 20 ms
/// (a blocking wait, as a store's commit is). Gives the ids in the order handed over, and
/// for each page how many queries the server was answering when its store began.
async fn pull(concurrency: usize, counts: Arc<Counts>) -> (Vec<u64>, Vec<usize>) {
    let url = serve(Arc::clone(&counts)).await;
    let credentials = Credentials {
        company: "Acme".into(),
        client_id: "client".into(),
        client_secret: "secret".into(),
        endpoint: Endpoint::BaseUrl(url),
    };
    let client = Arc::new(Client::new(credentials, Options::default()).unwrap());
    let mut ids = Vec::new();
    let mut during_stores = Vec::new();
    let mut next_first = 0;
    tokio::time::timeout(
        Duration::from_secs(60),
        client.pull_text(
            "WorkOrder",
            QueryExpression::default(),
            50,
            concurrency,
            |first, records| {
                assert_eq!(first, next_first, "pages are handed over in order");
                next_first += 50;
                ids.extend(records.iter().map(|r| r.id.as_u64().unwrap()));
                during_stores.push(counts.answering.load(Ordering::SeqCst));
                std::thread::sleep(Duration::from_millis(20));
                true
            },
        ),
    )
    .await
    .expect("the pull must not hang")
    .unwrap();
    (ids, during_stores)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_keeps_pages_coming_while_it_stores_and_never_asks_for_more_than_its_window() {
    let counts = Arc::new(Counts::default());
    let (ids, during_stores) = pull(4, Arc::clone(&counts)).await;
    assert_eq!(ids, (1..=RECORDS as u64).collect::<Vec<_>>());
    assert_eq!(
        counts.most.load(Ordering::SeqCst),
        4,
        "never more than 4 at once"
    );
    // 20 full pages and the short one that ends the pull, plus up to 3 asked past it.
    let queries = counts.seen.lock().unwrap().len();
    assert!((21..=24).contains(&queries), "{queries} queries");
    // While a page is stored the next ones are on their way. (A window fetched whole and
    // then stored page by page had no query out during any store.)
    let busy = during_stores.iter().filter(|&&n| n > 0).count();
    assert!(
        busy * 2 > during_stores.len(),
        "queries out during each store: {during_stores:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_one_is_one_page_at_a_time() {
    let counts = Arc::new(Counts::default());
    let (ids, during_stores) = pull(1, Arc::clone(&counts)).await;
    assert_eq!(ids, (1..=RECORDS as u64).collect::<Vec<_>>());
    assert_eq!(counts.most.load(Ordering::SeqCst), 1);
    assert_eq!(
        counts.seen.lock().unwrap().len(),
        21,
        "20 full pages and an empty one"
    );
    assert!(during_stores.iter().all(|&n| n == 0), "{during_stores:?}");
}

/// A concurrency past the limit (a CLI flag's typo, usize::MAX) is clamped to
/// MAX_PULL_CONCURRENCY: the pull runs, never more than 32 queries at once. (The window was
/// allocated at the size asked for: usize::MAX panicked with a capacity overflow.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrency_past_the_limit_is_clamped() {
    let counts = Arc::new(Counts::default());
    let (ids, _) = pull(usize::MAX, Arc::clone(&counts)).await;
    assert_eq!(ids, (1..=RECORDS as u64).collect::<Vec<_>>());
    let most = counts.most.load(Ordering::SeqCst);
    assert!(
        most <= unifield_corrigo_client::MAX_PULL_CONCURRENCY,
        "{most} at once"
    );
}
