//! The unified read API at scale: 1,000,000 cached work orders across 100 connections,
//! pages of 100 read at random (a random connection, a random page) by concurrent clients
//! over HTTP on 127.0.0.1. Side by side in one run, on the same records: SQLite with one
//! node, PostgreSQL with one node, PostgreSQL with two nodes (requests alternated between
//! them, as an HTTP load balancer's round robin would; and each client kept on one node,
//! as a balancer of keep-alive connections would). Reads/s and p50/p99 per configuration, their ratios,
//! and where one request's time goes (authentication, database, mapping, serialisation,
//! HTTP) on each backend. No assertion on time; the figures are printed.
//!
//! A "node" is what `unifield serve` starts: a `Service` with its own database handle
//! (its own PostgreSQL pool), its own compiled-mapping cache and HTTP listener, here on its
//! own tokio runtime in this process (a process of its own would add nothing a node shares).
//! The load generator runs on a runtime of its own too. Two cores shared by PostgreSQL, the
//! nodes and the load generator bound what a second node can add on this machine; the
//! breakdown is there to project a larger host.
//!
//! `cargo bench -p unifield-server --bench read_nodes`. Settings (environment):
//! UNIFIELD_BENCH_WORK_ORDERS (1,000,000), UNIFIELD_BENCH_CONNECTIONS (100),
//! UNIFIELD_BENCH_REQUESTS per configuration, client count and round (4,000),
//! UNIFIELD_BENCH_CONCURRENCY, the client counts (1,32), UNIFIELD_BENCH_ROUNDS (2). Without PostgreSQL (initdb, pg_ctl) only SQLite runs,
//! and the PostgreSQL lines say SKIPPED.

use std::sync::Arc;
use std::time::{Duration, Instant};
use unifield_corrigo_seed::{Company, Scale};
use unifield_server::service::{envelope, ConnectionInput, ListQuery, Settings};
use unifield_server::{MasterKey, MasterKeySource, RunningServer, Service, Storage};
use unifield_test_support::postgres::PgCluster;

const PER_PAGE: usize = 100;
const SEED_PAGE: usize = 1000;
const NOW: &str = "2026-01-01T00:00:00.000Z";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    percentile(&samples, 0.5)
}

/// A small deterministic generator (xorshift64*) for the pages asked for.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// One backend's data: the service over it, its organization, key and connections.
struct Backend {
    name: &'static str,
    service: Arc<Service>,
    org: String,
    key: String,
    connections: Vec<String>,
    /// The database's URL (PostgreSQL), for further nodes.
    url: Option<String>,
}

fn service_over(storage: Storage, key_file: &std::path::Path) -> Arc<Service> {
    let key = MasterKey::load(&MasterKeySource::DemoFile(key_file.to_path_buf())).unwrap();
    // The benchmark reports where a page's time went: every Server-Timing part, as an
    // operator's `--server-timing-load` asks.
    let settings = Settings {
        server_timing_load: true,
        ..Settings::default()
    };
    Arc::new(Service::new(storage, Some(key), settings))
}

fn backend(
    name: &'static str,
    storage: Storage,
    key_file: &std::path::Path,
    connections: usize,
    url: Option<String>,
) -> Backend {
    let service = service_over(storage, key_file);
    let org = service.add_org("bench").unwrap();
    let key = service.create_key("bench", "bench").unwrap().secret;
    let connections = (0..connections)
        .map(|i| {
            service
                .add_connection(
                    &org,
                    ConnectionInput {
                        name: format!("customer-{i}"),
                        company: format!("Customer {i}"),
                        region: None,
                        base_url: Some("https://corrigo.invalid".into()),
                        client_id: "bench".into(),
                        client_secret: "bench".into(),
                    },
                )
                .unwrap()
                .id
        })
        .collect();
    Backend {
        name,
        service,
        org,
        key,
        connections,
        url,
    }
}

/// Caches the generated work orders, `per_connection` each in connection order, into every
/// backend through the storage layer's page commit (the sync's own write path), a thousand
/// records a transaction.
fn seed(backends: &[&Backend], count: usize, per_connection: usize) {
    let started = Instant::now();
    let company = Company::generate(
        2026,
        Scale {
            work_orders: count,
            ..Scale::SAMPLES
        },
    );
    let mut spent = vec![Duration::ZERO; backends.len()];
    let mut runs: Vec<i64> = Vec::new();
    let mut page: Vec<(String, String, String)> = Vec::with_capacity(SEED_PAGE);
    let mut connection = 0;
    let mut in_connection = 0;
    let flush = |page: &mut Vec<(String, String, String)>,
                 connection: usize,
                 runs: &[i64],
                 spent: &mut [Duration]| {
        for (i, backend) in backends.iter().enumerate() {
            let at = Instant::now();
            backend
                .service
                .storage
                .commit_page(
                    &backend.connections[connection],
                    "WorkOrder",
                    runs[i],
                    page,
                    NOW,
                    |_| Vec::new(),
                )
                .unwrap();
            spent[i] += at.elapsed();
        }
        page.clear();
    };
    for record in company.work_orders() {
        if in_connection == 0 {
            runs = backends
                .iter()
                .map(|b| {
                    b.service
                        .storage
                        .begin_sync(&b.connections[connection], NOW, &[])
                        .unwrap()
                })
                .collect();
        }
        let text = record.to_string();
        let hash = unifield_server::crypto::sha256_hex(&text);
        page.push((record["Id"].to_string(), text, hash));
        in_connection += 1;
        if page.len() == SEED_PAGE || in_connection == per_connection {
            flush(&mut page, connection, &runs, &mut spent);
        }
        if in_connection == per_connection {
            for (i, b) in backends.iter().enumerate() {
                b.service
                    .storage
                    .finish_sync(
                        &b.connections[connection],
                        runs[i],
                        "completed",
                        None,
                        None,
                        "ok",
                        None,
                        NOW,
                        &[],
                    )
                    .unwrap();
            }
            in_connection = 0;
            connection += 1;
            if connection % 10 == 0 {
                eprintln!("  seeded {connection} connections");
            }
        }
    }
    for (i, backend) in backends.iter().enumerate() {
        println!(
            "seeded {count} work orders into {}: {:.1} s in its page commits ({:.0} records/s)",
            backend.name,
            spent[i].as_secs_f64(),
            count as f64 / spent[i].as_secs_f64()
        );
    }
    println!(
        "seeding took {:.1} s in all (generating included)",
        started.elapsed().as_secs_f64()
    );
}

/// A node: its own runtime (two workers, like a small host) serving one service.
struct Node {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl Node {
    fn start(service: Arc<Service>) -> Node {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(unifield_server::start_with(
                service,
                "127.0.0.1:0".parse().unwrap(),
                false,
            ))
            .unwrap();
        Node {
            runtime,
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        self.server.as_ref().unwrap().url.clone()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// Reads/s, p50 ms, p99 ms.
type Figures = (f64, f64, f64);

struct LoadResult {
    requests: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// Sums over the answered requests of their Server-Timing parts, in ms, in the order
    /// of [`TIMING_PARTS`].
    timing: [f64; TIMING_PARTS.len()],
}

/// The Server-Timing parts the server sends with a unified page.
const TIMING_PARTS: [&str; 5] = ["auth", "db", "map", "json", "queue"];

fn add_server_timing(headers: &reqwest::header::HeaderMap, sums: &mut [f64; TIMING_PARTS.len()]) {
    for value in headers.get_all("server-timing") {
        let Ok(text) = value.to_str() else { continue };
        for entry in text.split(", ") {
            let mut fields = entry.split(';');
            let name = fields.next().unwrap_or("").trim();
            let took = fields
                .find_map(|f| f.strip_prefix("dur="))
                .and_then(|d| d.parse::<f64>().ok());
            if let (Some(at), Some(took)) = (TIMING_PARTS.iter().position(|p| *p == name), took) {
                sums[at] += took;
            }
        }
    }
}

/// How requests are spread over several nodes.
#[derive(Clone, Copy, PartialEq)]
enum Balance {
    /// Request by request in turn (an HTTP load balancer's round robin).
    PerRequest,
    /// Each client stays on one node (a balancer of TCP connections; keep-alive).
    PerClient,
}

/// `requests` random pages of 100 from `concurrency` clients over `urls` spread as
/// `balance` says (after a warm-up of a tenth as many, not counted).
fn load(
    runtime: &tokio::runtime::Runtime,
    urls: &[String],
    balance: Balance,
    backend: &Backend,
    requests: usize,
    concurrency: usize,
    seed: u64,
) -> LoadResult {
    let pages = backend_pages(backend);
    let targets: Arc<Vec<String>> = Arc::new({
        let mut dice = Dice(seed | 1);
        (0..requests + requests / 10)
            .map(|_| {
                let connection = &backend.connections[dice.below(backend.connections.len())];
                let page = 1 + dice.below(pages);
                format!(
                    "/api/connections/{connection}/eam/work-orders?per_page={PER_PAGE}&page={page}"
                )
            })
            .collect()
    });
    let urls: Arc<Vec<String>> = Arc::new(urls.to_vec());
    let key = backend.key.clone();
    runtime.block_on(async move {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let run = |range: std::ops::Range<usize>| {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
            let end = range.end;
            let mut workers = tokio::task::JoinSet::new();
            for worker in 0..concurrency {
                let (http, key, targets, next, urls) = (
                    http.clone(),
                    key.clone(),
                    targets.clone(),
                    next.clone(),
                    urls.clone(),
                );
                workers.spawn(async move {
                    let mut latencies = Vec::new();
                    let mut failed = 0;
                    let mut timing = [0.0; TIMING_PARTS.len()];
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= end {
                            break;
                        }
                        let started = Instant::now();
                        let node = match balance {
                            Balance::PerRequest => &urls[i % urls.len()],
                            Balance::PerClient => &urls[worker % urls.len()],
                        };
                        let target = format!("{node}{}", targets[i]);
                        let ok = match http.get(&target).bearer_auth(&key).send().await {
                            Ok(response) => {
                                let status = response.status();
                                if status.is_success() {
                                    add_server_timing(response.headers(), &mut timing);
                                }
                                response.bytes().await.is_ok() && status.is_success()
                            }
                            Err(_) => false,
                        };
                        if ok {
                            latencies.push(started.elapsed());
                        } else {
                            failed += 1;
                        }
                    }
                    (latencies, failed, timing)
                });
            }
            async move {
                let mut latencies = Vec::new();
                let mut failed = 0;
                let mut timing = [0.0; TIMING_PARTS.len()];
                while let Some(done) = workers.join_next().await {
                    let (l, f, t) = done.unwrap();
                    latencies.extend(l);
                    failed += f;
                    for (sum, part) in timing.iter_mut().zip(t) {
                        *sum += part;
                    }
                }
                (latencies, failed, timing)
            }
        };
        let warm = requests / 10;
        run(0..warm).await;
        let started = Instant::now();
        let (mut latencies, failed, timing) = run(warm..warm + requests).await;
        let elapsed = started.elapsed();
        latencies.sort();
        LoadResult {
            requests,
            failed,
            elapsed,
            latencies,
            timing,
        }
    })
}

fn backend_pages(backend: &Backend) -> usize {
    let total = backend
        .service
        .storage
        .raw_count(&backend.connections[0], "WorkOrder")
        .unwrap();
    total.div_ceil(PER_PAGE).max(1)
}

/// Where one request's time goes, unloaded (medians of `samples` random pages), by timing
/// the storage calls a plain page makes on their own, the whole service call, the JSON
/// envelope's serialisation, and the same page over HTTP from one client.
fn breakdown(runtime: &tokio::runtime::Runtime, url: &str, backend: &Backend, samples: usize) {
    let service = &backend.service;
    let storage = &service.storage;
    let pages = backend_pages(backend);
    let mut dice = Dice(0x5EED);
    let picks: Vec<(String, usize)> = (0..samples)
        .map(|_| {
            (
                backend.connections[dice.below(backend.connections.len())].clone(),
                1 + dice.below(pages),
            )
        })
        .collect();
    let mut auth = Vec::new();
    let mut rows = Vec::new();
    let mut count = Vec::new();
    let mut slice = Vec::new();
    let mut whole = Vec::new();
    let mut serialise = Vec::new();
    let mut bytes = 0usize;
    for (connection, page) in &picks {
        let at = Instant::now();
        std::hint::black_box(service.authenticate(&backend.key).unwrap());
        auth.push(at.elapsed());
        let at = Instant::now();
        std::hint::black_box(storage.connection(&backend.org, connection).unwrap());
        std::hint::black_box(storage.active_mapping(connection, "WorkOrder").unwrap());
        rows.push(at.elapsed());
        let at = Instant::now();
        std::hint::black_box(storage.raw_count(connection, "WorkOrder").unwrap());
        count.push(at.elapsed());
        let at = Instant::now();
        std::hint::black_box(
            storage
                .raw_slice(connection, "WorkOrder", (page - 1) * PER_PAGE, PER_PAGE)
                .unwrap(),
        );
        slice.push(at.elapsed());
        let query = ListQuery {
            page: *page,
            per_page: PER_PAGE,
            ..ListQuery::default()
        };
        let at = Instant::now();
        let result = service
            .list_unified(&backend.org, connection, "WorkOrder", &query)
            .unwrap();
        whole.push(at.elapsed());
        let at = Instant::now();
        let body = serde_json::to_vec(&envelope(
            result,
            &format!("/api/connections/{connection}/eam/work-orders"),
            &[],
        ))
        .unwrap();
        serialise.push(at.elapsed());
        bytes += body.len();
    }
    let http_samples = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut samples = Vec::new();
        for (connection, page) in &picks {
            let target = format!(
                "{url}/api/connections/{connection}/eam/work-orders?per_page={PER_PAGE}&page={page}"
            );
            let at = Instant::now();
            let response = http
                .get(&target)
                .bearer_auth(&backend.key)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            let mut parts = [0.0; TIMING_PARTS.len()];
            add_server_timing(response.headers(), &mut parts);
            std::hint::black_box(response.bytes().await.unwrap());
            samples.push((at.elapsed(), parts));
        }
        samples
    });
    // The server's own account of each request (Server-Timing), medians per part.
    let in_server: Vec<f64> = (0..TIMING_PARTS.len())
        .map(|part| {
            let mut values: Vec<f64> = http_samples.iter().map(|(_, p)| p[part]).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        })
        .collect();
    let http_samples: Vec<Duration> = http_samples.into_iter().map(|(d, _)| d).collect();
    let (auth, rows, count, slice) = (median(auth), median(rows), median(count), median(slice));
    let (whole, serialise, http) = (median(whole), median(serialise), median(http_samples));
    let server: f64 = in_server.iter().sum();
    let share = |v: f64| 100.0 * v / ms(http);
    let parts: Vec<String> = TIMING_PARTS
        .iter()
        .zip(&in_server)
        .map(|(name, v)| format!("{name} {v:.2} ({:.0}%)", share(*v)))
        .collect();
    println!(
        "{:<10} a page of 100 over HTTP, one client, p50 of {samples} ({:.0} KB): {:.2} ms; in the server (Server-Timing medians, ms): {}; the rest (HTTP, the client) {:.2}",
        backend.name,
        bytes as f64 / samples as f64 / 1024.0,
        ms(http),
        parts.join(", "),
        (ms(http) - server).max(0.0),
    );
    println!(
        "{:<10} the same pages in-process, medians: the service call {:.2} ms, serialising it {:.2} ms; the database calls on their own: key {:.2}, connection+mapping rows {:.2}, count {:.2}, page {:.2} ms",
        "",
        ms(whole),
        ms(serialise),
        ms(auth),
        ms(rows),
        ms(count),
        ms(slice),
    );
}

fn main() {
    let count = setting("UNIFIELD_BENCH_WORK_ORDERS", 1_000_000);
    let connection_count = setting("UNIFIELD_BENCH_CONNECTIONS", 100).min(count);
    let requests = setting("UNIFIELD_BENCH_REQUESTS", 4000);
    // Client counts to load with: one (what a read costs, nothing queued) and many.
    let levels: Vec<usize> = std::env::var("UNIFIELD_BENCH_CONCURRENCY")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .filter(|&n| n > 0)
                .collect()
        })
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1, 32]);
    let rounds = setting("UNIFIELD_BENCH_ROUNDS", 2);
    let per_connection = count / connection_count;
    let count = per_connection * connection_count;
    println!(
        "read_nodes: {count} work orders, {connection_count} connections of {per_connection}, pages of {PER_PAGE}; {requests} requests per configuration, client count ({levels:?} clients) and round, {rounds} rounds; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("master.key");
    let sqlite = backend(
        "sqlite",
        Storage::open(&dir.path().join("data")).unwrap(),
        &key_file,
        connection_count,
        None,
    );
    let cluster = PgCluster::start();
    let postgres = match &cluster {
        Ok(cluster) => {
            let url = cluster.database().unwrap();
            Some(backend(
                "postgres",
                Storage::open_postgres(&url).unwrap(),
                &key_file,
                connection_count,
                Some(url),
            ))
        }
        Err(reason) => {
            println!("postgres: SKIPPED ({reason})");
            None
        }
    };
    let mut seeded: Vec<&Backend> = vec![&sqlite];
    seeded.extend(postgres.as_ref());
    seed(&seeded, count, per_connection);
    if let (Ok(cluster), Some(Some(url))) = (&cluster, postgres.as_ref().map(|p| &p.url)) {
        // What autovacuum does after a bulk load, done now rather than at its own time: the
        // planner's statistics, and the visibility map that lets counts read the index only.
        let at = Instant::now();
        cluster.query(url, "VACUUM ANALYZE").unwrap();
        println!(
            "VACUUM ANALYZE after seeding: {:.1} s",
            at.elapsed().as_secs_f64()
        );
    }

    let sqlite_node = Node::start(sqlite.service.clone());
    let postgres_nodes = postgres.as_ref().map(|p| {
        // The second node opens the database itself: its own pool, its own caches.
        let second = service_over(
            Storage::open_postgres(p.url.as_ref().unwrap()).unwrap(),
            &key_file,
        );
        (Node::start(p.service.clone()), Node::start(second))
    });
    let load_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    println!("\nwhere one request's time goes:");
    breakdown(&load_runtime, &sqlite_node.url(), &sqlite, 200);
    if let (Some(p), Some((a, _))) = (&postgres, &postgres_nodes) {
        breakdown(&load_runtime, &a.url(), p, 200);
    }

    for &concurrency in &levels {
        println!("\n{concurrency} client(s), each a random connection and page of {PER_PAGE}:");
        println!(
            "{:<6} {:<18} {:>8} {:>8} {:>8} {:>6}   mean ms in the server (Server-Timing): {}",
            "round",
            "configuration",
            "reads/s",
            "p50 ms",
            "p99 ms",
            "failed",
            TIMING_PARTS.join(" / ")
        );
        let mut figures: Vec<(&str, Vec<Figures>)> = vec![
            ("sqlite, 1 node", Vec::new()),
            ("postgres, 1 node", Vec::new()),
            ("postgres, 2 nodes", Vec::new()),
            ("2 nodes, per client", Vec::new()),
        ];
        for round in 1..=rounds {
            let mut configurations: Vec<(usize, &Backend, Vec<String>, Balance)> =
                vec![(0, &sqlite, vec![sqlite_node.url()], Balance::PerRequest)];
            if let (Some(p), Some((a, b))) = (&postgres, &postgres_nodes) {
                configurations.push((1, p, vec![a.url()], Balance::PerRequest));
                configurations.push((2, p, vec![a.url(), b.url()], Balance::PerRequest));
                // With one client, one node would serve it all: the same as one node.
                if concurrency > 1 {
                    configurations.push((3, p, vec![a.url(), b.url()], Balance::PerClient));
                }
            }
            for (index, backend, urls, balance) in configurations {
                let result = load(
                    &load_runtime,
                    &urls,
                    balance,
                    backend,
                    requests,
                    concurrency,
                    round as u64 * 7919 + concurrency as u64,
                );
                let rate = result.latencies.len() as f64 / result.elapsed.as_secs_f64();
                let p50 = ms(percentile(&result.latencies, 0.5));
                let p99 = ms(percentile(&result.latencies, 0.99));
                let answered = result.latencies.len().max(1) as f64;
                let parts: Vec<String> = result
                    .timing
                    .iter()
                    .map(|sum| format!("{:.2}", sum / answered))
                    .collect();
                println!(
                    "{round:<6} {:<18} {rate:>8.0} {p50:>8.2} {p99:>8.2} {:>6}   {}",
                    figures[index].0,
                    result.failed,
                    parts.join(" / ")
                );
                assert_eq!(
                    result.failed + result.latencies.len(),
                    result.requests,
                    "every request is counted"
                );
                figures[index].1.push((rate, p50, p99));
            }
        }
        let mean_of = |index: usize| -> Option<Figures> {
            let runs = &figures[index].1;
            if runs.is_empty() {
                return None;
            }
            // The mean over the rounds of each figure.
            let pick = |f: fn(&Figures) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
            Some((pick(|r| r.0), pick(|r| r.1), pick(|r| r.2)))
        };
        if let (Some(one), Some(two)) = (mean_of(1), mean_of(3)) {
            println!(
                "{concurrency} client(s), means over the rounds: postgres 2 nodes per client vs 1 node: reads/s {:.2}x, p50 {:.2}x, p99 {:.2}x",
                two.0 / one.0,
                two.1 / one.1,
                two.2 / one.2
            );
        }
        if let (Some(s), Some(one), Some(two)) = (mean_of(0), mean_of(1), mean_of(2)) {
            println!(
                "{concurrency} client(s), means over the rounds: postgres 1 node vs sqlite: reads/s {:.2}x, p50 {:.2}x, p99 {:.2}x; postgres 2 nodes (per request) vs 1 node: reads/s {:.2}x, p50 {:.2}x, p99 {:.2}x",
                one.0 / s.0,
                one.1 / s.1,
                one.2 / s.2,
                two.0 / one.0,
                two.1 / one.1,
                two.2 / one.2
            );
        }
    }
    drop(postgres_nodes);
    drop(sqlite_node);
}
