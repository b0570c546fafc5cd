//! Compatibility engine throughput.
//!
//! - `verdicts/*`: one BACKWARD (strict) verdict per fixture pair in `tests/fixtures/compat`,
//!   from JSON text (`parse+check`) and from schemas parsed once (`check`). Throughput is in
//!   verdicts per second.
//! - `history/*`: one FULL_TRANSITIVE check of a 50-property telemetry schema against 1,000
//!   earlier versions, each of which added an optional property to the closed content model or
//!   relaxed a bound.
//!
//! Run with `cargo bench --bench engine`; the figures live in `docs/BENCHMARKS.md`. The
//! workloads are `benches/common/engine.rs`, which `examples/engine_driver.rs` runs too.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "common/engine.rs"]
mod workloads;
use workloads::{FINAL_PROPERTIES, HISTORY, History, Parsed, cases, parse, verdict};

fn verdicts(c: &mut Criterion) {
    let cases = cases();
    let parsed: Vec<Parsed> = cases.iter().map(parse).collect();
    let mut group = c.benchmark_group("verdicts");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("parse+check", |b| {
        b.iter(|| {
            cases
                .iter()
                .filter(|case| verdict(&parse(black_box(case))))
                .count()
        })
    });
    group.bench_function("check", |b| {
        b.iter(|| {
            parsed
                .iter()
                .filter(|pair| verdict(black_box(pair)))
                .count()
        })
    });
    group.finish();
}

fn full_transitive(c: &mut Criterion) {
    let history = History::new();
    let verdict = history.check(&history.schemas);
    eprintln!(
        "history: {} earlier versions, proposal with {FINAL_PROPERTIES} properties: \
         FULL_TRANSITIVE compatible={}, {} findings",
        HISTORY,
        verdict.compatible,
        verdict.findings.len()
    );

    let mut group = c.benchmark_group("history");
    // One iteration checks the proposal against every earlier version.
    group.throughput(Throughput::Elements(HISTORY as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("full_transitive_1000/check", |b| {
        b.iter(|| black_box(history.check(black_box(&history.schemas))).compatible)
    });
    group.bench_function("full_transitive_1000/parse+check", |b| {
        b.iter(|| black_box(history.parse_and_check()).compatible)
    });
    group.finish();
}

criterion_group!(benches, verdicts, full_transitive);
criterion_main!(benches);
