//! A page of 100 unified work orders against the same 100 raw records, with 100,000
//! cached on one connection; and a filter on a mapped field over all of them against
//! reading and parsing all of them. Each figure is a median with its baseline from the
//! same run, printed as a ratio; no assertion on time.
//!
//! `cargo bench -p unifield-server --bench unified_read` (UNIFIELD_BENCH_RECORDS to change 100,000)

use std::sync::Arc;
use std::time::{Duration, Instant};
use unifield_corrigo_seed::{Company, Scale};
use unifield_server::service::{ConnectionInput, ListQuery, Settings};
use unifield_server::{MasterKey, MasterKeySource, Service, Storage};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> Duration {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(work());
        samples.push(started.elapsed());
    }
    median(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let count: usize = std::env::var("UNIFIELD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("master.key");
    let storage = Storage::open(&dir.path().join("data")).unwrap();
    let key = MasterKey::load(&MasterKeySource::DemoFile(key_path)).unwrap();
    let service = Arc::new(Service::new(storage, Some(key), Settings::default()));
    let org = service.add_org("bench").unwrap();
    let connection = service
        .add_connection(
            &org,
            ConnectionInput {
                name: "bench".into(),
                company: "Bench".into(),
                region: None,
                base_url: Some("https://corrigo.invalid".into()),
                client_id: "bench".into(),
                client_secret: "bench".into(),
            },
        )
        .unwrap()
        .id;

    // Cache `count` generated work orders, a thousand per transaction.
    let scale = Scale {
        work_orders: count,
        ..Scale::SAMPLES
    };
    let company = Company::generate(2026, scale);
    let run = service
        .storage
        .begin_sync(&connection, "2026-01-01T00:00:00.000Z", &[])
        .unwrap();
    let started = Instant::now();
    let mut page = Vec::with_capacity(1000);
    let flush = |page: &mut Vec<(String, String, String)>| {
        service
            .storage
            .commit_page(
                &connection,
                "WorkOrder",
                run,
                page,
                "2026-01-01T00:00:00.000Z",
                |_| Vec::new(),
            )
            .unwrap();
        page.clear();
    };
    for record in company.work_orders() {
        let text = record.to_string();
        let hash = unifield_server::crypto::sha256_hex(&text);
        page.push((record["Id"].to_string(), text, hash));
        if page.len() == 1000 {
            flush(&mut page);
        }
    }
    if !page.is_empty() {
        flush(&mut page);
    }
    println!(
        "cached {count} work orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let runs = 200;
    let middle_page = (count / 100 / 2).max(1);
    // The raw cursor that starts the same 100 records as unified page `middle_page`.
    let (before, _) = service
        .raw_records(&org, &connection, "WorkOrder", None, 1)
        .unwrap();
    drop(before);
    let first_id: i64 = {
        let mut first = 0;
        service
            .storage
            .each_raw(&connection, "WorkOrder", |r| {
                if first == 0 {
                    first = r.id;
                }
            })
            .unwrap();
        first
    };
    let cursor = (first_id - 1 + ((middle_page - 1) * 100) as i64).to_string();
    let unified_query = ListQuery {
        page: middle_page,
        per_page: 100,
        ..ListQuery::default()
    };
    let check = service
        .list_unified(&org, &connection, "WorkOrder", &unified_query)
        .unwrap();
    let (raw_check, _) = service
        .raw_records(&org, &connection, "WorkOrder", Some(&cursor), 100)
        .unwrap();
    assert_eq!(check.data.len(), 100);
    assert_eq!(check.data[0]["key"], raw_check[0]["Id"].to_string());

    let raw = time(runs, || {
        service
            .raw_records(&org, &connection, "WorkOrder", Some(&cursor), 100)
            .unwrap()
    });
    let unified = time(runs, || {
        service
            .list_unified(&org, &connection, "WorkOrder", &unified_query)
            .unwrap()
    });
    let first_page = ListQuery {
        per_page: 100,
        ..ListQuery::default()
    };
    let unified_first = time(runs, || {
        service
            .list_unified(&org, &connection, "WorkOrder", &first_page)
            .unwrap()
    });
    let raw_first = time(runs, || {
        service
            .raw_records(&org, &connection, "WorkOrder", None, 100)
            .unwrap()
    });
    // A client paging through: pages 2..=301 once each, in order (each seeks from the
    // previous page's offset), against the raw cursor pages over the same records.
    let mut paged = Vec::new();
    for page in 2..=301 {
        let query = ListQuery {
            page,
            per_page: 100,
            ..ListQuery::default()
        };
        let started = Instant::now();
        std::hint::black_box(
            service
                .list_unified(&org, &connection, "WorkOrder", &query)
                .unwrap(),
        );
        paged.push(started.elapsed());
    }
    let paged = median(paged);
    println!(
        "service, paging through pages 2-301 once each: unified p50 {} vs raw p50 {} = {:.2}x",
        ms(paged),
        ms(raw),
        paged.as_secs_f64() / raw.as_secs_f64()
    );
    let counting = time(runs, || {
        service.storage.raw_count(&connection, "WorkOrder").unwrap()
    });
    let mapping = time(runs, || {
        service
            .storage
            .active_mapping(&connection, "WorkOrder")
            .unwrap()
    });
    println!(
        "(of which: counting the cached records {}, reading the active mapping {})",
        ms(counting),
        ms(mapping)
    );
    println!(
        "service, page of 100 at page {middle_page}: unified p50 {} vs raw p50 {} = {:.2}x",
        ms(unified),
        ms(raw),
        unified.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "service, first page of 100:        unified p50 {} vs raw p50 {} = {:.2}x",
        ms(unified_first),
        ms(raw_first),
        unified_first.as_secs_f64() / raw_first.as_secs_f64()
    );

    // A filter on a mapped field evaluates the mapping over every cached record.
    let filter = ListQuery::parse(&[
        ("filter[status]".into(), "open".into()),
        ("per_page".into(), "100".into()),
    ])
    .unwrap();
    let filtered = time(5, || {
        service
            .list_unified(&org, &connection, "WorkOrder", &filter)
            .unwrap()
    });
    let parse_all = time(5, || {
        let mut n = 0usize;
        service
            .storage
            .each_raw(&connection, "WorkOrder", |r| {
                let value: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                n += value.as_object().map_or(0, |o| o.len());
            })
            .unwrap();
        n
    });
    let read_all = time(5, || {
        let mut n = 0usize;
        service
            .storage
            .each_raw(&connection, "WorkOrder", |r| n += r.body.len())
            .unwrap();
        n
    });
    let sorted_query = ListQuery::parse(&[
        ("filter[status]".into(), "open".into()),
        ("sort[createdAt]".into(), "1".into()),
        ("per_page".into(), "100".into()),
    ])
    .unwrap();
    let sorted = time(5, || {
        service
            .list_unified(&org, &connection, "WorkOrder", &sorted_query)
            .unwrap()
    });
    println!(
        "service, the same filter sorted by createdAt desc: p50 {}; reading all {count} rows without parsing: {} (filter = {:.2}x of that)",
        ms(sorted),
        ms(read_all),
        filtered.as_secs_f64() / read_all.as_secs_f64()
    );
    let total = service
        .list_unified(&org, &connection, "WorkOrder", &filter)
        .unwrap()
        .total;
    println!("service, filter[status]=open over {count} ({total} match): p50 {} vs reading+parsing all {} = {:.2}x", ms(filtered), ms(parse_all), filtered.as_secs_f64() / parse_all.as_secs_f64());

    // The same over HTTP on 127.0.0.1 (one client, requests one after another).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let key = service.create_key("bench", "bench").unwrap().secret;
        let server =
            unifield_server::start_with(service.clone(), "127.0.0.1:0".parse().unwrap(), false)
                .await
                .unwrap();
        let http = reqwest::Client::new();
        let unified_url = format!(
            "{}/api/connections/{connection}/eam/work-orders?per_page=100&page={middle_page}",
            server.url
        );
        let raw_url = format!(
            "{}/api/connections/{connection}/raw/WorkOrder?limit=100&cursor={cursor}",
            server.url
        );
        let mut unified = Vec::new();
        let mut raw = Vec::new();
        for _ in 0..runs {
            for (url, samples) in [(&unified_url, &mut unified), (&raw_url, &mut raw)] {
                let started = Instant::now();
                let response = http.get(url).bearer_auth(&key).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                std::hint::black_box(response.bytes().await.unwrap());
                samples.push(started.elapsed());
            }
        }
        let (unified, raw) = (median(unified), median(raw));
        println!(
            "HTTP, page of 100 at page {middle_page}:    unified p50 {} vs raw p50 {} = {:.2}x",
            ms(unified),
            ms(raw),
            unified.as_secs_f64() / raw.as_secs_f64()
        );

        // Pushes seen by every read that starts after the push returned: rounds of one
        // push then READERS concurrent reads, each of which must carry the new version.
        let rounds: usize = std::env::var("UNIFIELD_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        const READERS: usize = 64;
        let mapping_url = format!("{}/api/connections/{connection}/mappings/WorkOrder", server.url);
        let read_url = format!("{}/api/connections/{connection}/eam/work-orders?per_page=1", server.url);
        let base: serde_json::Value = serde_json::from_str(
            &http.get(&mapping_url).bearer_auth(&key).send().await.unwrap().text().await.unwrap(),
        )
        .unwrap();
        let started = Instant::now();
        let mut stale = 0usize;
        let mut reads = 0usize;
        for round in 1..=rounds {
            let mut mapping = base.clone();
            mapping["custom"] = serde_json::json!({"round": {"const": round}});
            let pushed = http
                .put(&mapping_url)
                .bearer_auth(&key)
                .header("if-match", format!("\"{}\"", round - 1))
                .body(mapping.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(pushed.status().as_u16(), 200);
            let mut readers = tokio::task::JoinSet::new();
            for _ in 0..READERS {
                let http = http.clone();
                let (url, key) = (read_url.clone(), key.clone());
                readers.spawn(async move {
                    let text = http.get(&url).bearer_auth(&key).send().await.unwrap().text().await.unwrap();
                    serde_json::from_str::<serde_json::Value>(&text).unwrap()
                });
            }
            while let Some(page) = readers.join_next().await {
                let page = page.unwrap();
                reads += 1;
                if page["meta"]["mapping_version"] != round || page["data"][0]["customFields"]["round"] != round {
                    stale += 1;
                }
            }
        }
        println!(
            "HTTP, {rounds} rounds of a push then {READERS} concurrent reads: {stale} stale of {reads} reads ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        load_with_oha(&key, &unified_url, &raw_url);
        server.stop().await;
    });
}

/// 64 concurrent connections with oha (a real load generator, `cargo install oha`; `OHA`
/// names its binary, else it is looked up on PATH): throughput and latency percentiles of
/// the unified page against the raw one. Without oha this part says it is skipped.
fn load_with_oha(key: &str, unified_url: &str, raw_url: &str) {
    let oha = std::env::var("OHA").unwrap_or_else(|_| "oha".into());
    let run = |url: &str| -> Option<serde_json::Value> {
        let output = std::process::Command::new(&oha)
            .args([
                "-c",
                "64",
                "-n",
                "6400",
                "--no-tui",
                "--output-format",
                "json",
            ])
            .args(["-H", &format!("Authorization: Bearer {key}")])
            .arg(url)
            .output()
            .ok()?;
        serde_json::from_slice(&output.stdout).ok()
    };
    let (Some(unified), Some(raw)) = (run(unified_url), run(raw_url)) else {
        println!("oha: skipped (no `{oha}` binary; `cargo install oha` or set OHA)");
        return;
    };
    let figures = |v: &serde_json::Value| {
        (
            v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
            v["latencyPercentiles"]["p50"].as_f64().unwrap_or(0.0) * 1000.0,
            v["latencyPercentiles"]["p99"].as_f64().unwrap_or(0.0) * 1000.0,
            v["statusCodeDistribution"].to_string(),
        )
    };
    let (u_rps, u_p50, u_p99, u_codes) = figures(&unified);
    let (r_rps, r_p50, r_p99, r_codes) = figures(&raw);
    println!("oha -c 64 -n 6400, unified page of 100: {u_rps:.0} req/s, p50 {u_p50:.2} ms, p99 {u_p99:.2} ms, statuses {u_codes}");
    println!("oha -c 64 -n 6400, raw page of 100:     {r_rps:.0} req/s, p50 {r_p50:.2} ms, p99 {r_p99:.2} ms, statuses {r_codes}");
    println!(
        "oha: unified p50 = {:.2}x raw p50; throughput {:.2}x raw",
        u_p50 / r_p50,
        u_rps / r_rps
    );
}
