//! Filtering on mapped fields (issue 14, goal 2): one unified-field condition over
//! 100,000 cached work orders (JSON text, as the workspace and the server hold them).
//! Goal: ≤ 250 ms for the narrowed mapping.
//!
//! In one run, interleaved round by round (each round in a different order) so a noisy
//! neighbour hits all three alike:
//! - floor: parse each record projected onto only the members the condition's field
//!   reads; no filter can do less and still look at the record.
//! - whole mapping: parse projected onto everything work_order.json reads, apply it
//!   whole, test the field (what filtering cost before the engine could narrow).
//! - narrowed: `Mapping::narrowed(["status"])`, then parse projected onto its members,
//!   apply it, test the field.
//! - narrowed from text: the same mapping through `Mapping::apply_text`, which reads the
//!   members straight into slots with no object built for the record.
//!
//! Prints the median of ROUNDS rounds (env FILTER_ROUNDS, default 5) and the ratios.
//! Run: `cargo bench -p unifield-engine --bench filter`.

use serde_json::Value;
use std::hint::black_box;
use std::time::{Duration, Instant};
use unifield_corrigo_seed::{Company, Scale};
use unifield_engine::input::parse_record;
use unifield_engine::{load, Mapping, Related};

const RECORDS: usize = 100_000;

/// Counts the records whose `field` (by index in `mapping.fields`) equals `want`.
fn count_matching(mapping: &Mapping, field: usize, want: &Value, texts: &[String]) -> usize {
    let related = Related::default();
    let keep = mapping.members_read();
    texts
        .iter()
        .filter(|text| {
            let Ok(record) = parse_record(text, keep) else {
                return false;
            };
            let applied = mapping.apply(&record, &related);
            applied.taken && applied.values[field] == *want
        })
        .count()
}

/// `count_matching` through `Mapping::apply_text`.
fn count_matching_text(mapping: &Mapping, field: usize, want: &Value, texts: &[String]) -> usize {
    let related = Related::default();
    texts
        .iter()
        .filter(|text| {
            let Ok(applied) = mapping.apply_text(text, &related) else {
                return false;
            };
            applied.taken && applied.values[field] == *want
        })
        .count()
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a test run (`cargo test --benches`) passes nothing
    // and should not spend a minute here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("filter bench: skipped outside `cargo bench`");
        return;
    }
    let rounds: usize = std::env::var("FILTER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let company = Company::generate(
        2026,
        Scale {
            work_orders: RECORDS,
            ..Scale::SAMPLES
        },
    );
    let texts: Vec<String> = company.work_orders().map(|r| r.to_string()).collect();
    let whole = load(
        include_str!("../../../mappings/corrigo/work_order.json"),
        None,
    )
    .expect("default mapping loads");
    let narrow = whole.narrowed(&["status"]).expect("status is a field");
    let whole_index = whole
        .fields
        .iter()
        .position(|f| f.name == "status")
        .unwrap();
    let narrow_index = narrow
        .fields
        .iter()
        .position(|f| f.name == "status")
        .unwrap();
    let want = Value::from("open");
    let floor_members: Vec<String> = narrow.members_read().expect("named members").to_vec();

    let mut floor = Vec::new();
    let mut whole_times = Vec::new();
    let mut narrow_times = Vec::new();
    let mut text_times = Vec::new();
    let mut counts = (0, 0, 0);
    for round in 0..rounds {
        // Each round starts with a different one of the four, so none always runs
        // first (cold) or right after another's allocations.
        for turn in 0..4 {
            let started = Instant::now();
            match (round + turn) % 4 {
                0 => {
                    for text in &texts {
                        let _ = black_box(parse_record(text, Some(&floor_members)));
                    }
                    floor.push(started.elapsed());
                }
                1 => {
                    counts.0 = black_box(count_matching(&whole, whole_index, &want, &texts));
                    whole_times.push(started.elapsed());
                }
                2 => {
                    counts.1 = black_box(count_matching(&narrow, narrow_index, &want, &texts));
                    narrow_times.push(started.elapsed());
                }
                _ => {
                    counts.2 = black_box(count_matching_text(&narrow, narrow_index, &want, &texts));
                    text_times.push(started.elapsed());
                }
            }
        }
    }
    assert_eq!(
        (counts.0, counts.0),
        (counts.1, counts.2),
        "the narrowed mapping must match the same records as the whole one"
    );
    let (floor, whole_t, narrow_t, text_t) = (
        median(&mut floor),
        median(&mut whole_times),
        median(&mut narrow_times),
        median(&mut text_times),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\nfilter status == \"open\" over {RECORDS} cached work orders ({} match), median of {rounds} interleaved rounds",
        counts.1
    );
    println!(
        "  floor: parse the members `status` reads ({})  {:8.1} ms",
        floor_members.join(","),
        ms(floor)
    );
    println!(
        "  whole mapping, then test                       {:8.1} ms  ({:.2}x floor)",
        ms(whole_t),
        ms(whole_t) / ms(floor)
    );
    println!(
        "  narrowed mapping, then test                    {:8.1} ms  ({:.2}x floor, {:.1}x faster than whole; goal <= 250 ms)",
        ms(narrow_t),
        ms(narrow_t) / ms(floor),
        ms(whole_t) / ms(narrow_t)
    );
    println!(
        "  narrowed mapping from text (apply_text), test  {:8.1} ms  ({:.2}x floor, {:.1}x faster than whole; goal <= 250 ms)",
        ms(text_t),
        ms(text_t) / ms(floor),
        ms(whole_t) / ms(text_t)
    );
}
