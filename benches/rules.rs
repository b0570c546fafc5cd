//! Data-contract rule evaluation per payload (docs/BENCHMARKS.md, "Validation"):
//!
//!     cargo bench --bench rules
//!
//! Over 10,000 of the simulated fleet's payloads with the generator contract's three rules
//! (`fuel_not_negative`, `temperature_plausible`, `pressure_plausible`):
//!
//! - `passes`: `RuleEngine::passes` on payload bytes (reads the three fields, evaluates the
//!   rules natively);
//! - `passes_by_crate`: the same with every rule run by the `cel` crate (what `passes` falls
//!   back to, and what it did before the native evaluation);
//! - `check`: `RuleEngine::check` on a parsed record (the crate on the whole record: what a
//!   payload that fails a rule gets, to report it);
//! - `one_pass`: schema and rules in one pass (`OnePass::certify`), as `validate` runs them;
//! - `is_valid_then_passes`: the schema's fast path, then `passes` (two passes);
//! - `is_valid`: the schema's fast path alone, for scale.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use schemactl::validate::PayloadValidator;
use schemactl::validate::rules::RuleEngine;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = schemactl::catalog::load_contract(root, "generator").unwrap();
    let history = schemactl::catalog::load_history(&contract.schemas).unwrap();
    let newest = history.last().unwrap();
    let rules = RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap();
    assert!(rules.len() >= 3 && rules.is_native());
    let validator = PayloadValidator::new(&newest.schema)
        .unwrap()
        .with_max_bytes(64 * 1024);
    let generators = 1000;
    let model = contract.simulator.as_ref().unwrap();
    let plan = FaultPlan { rules: vec![] };
    let mut fleet = Fleet::new(model, &newest.schema, generators, 1, &plan, 64 * 1024).unwrap();
    let payloads: Vec<Vec<u8>> = (0..10_000)
        .map(|i| {
            let r = fleet.read(i % generators);
            fleet
                .apply(&r, TransportKind::Mqtt, Default::default())
                .bytes
        })
        .collect();
    let records: Vec<serde_json::Value> = payloads
        .iter()
        .map(|p| serde_json::from_slice(p).unwrap())
        .collect();
    let one_pass = rules.one_pass(&validator);
    assert!(one_pass.is_one_pass());

    let mut g = c.benchmark_group("rules");
    g.throughput(Throughput::Elements(payloads.len() as u64));
    g.bench_function("passes", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(rules.passes(p));
            }
        })
    });
    g.bench_function("passes_by_crate", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(rules.passes_by_crate(p));
            }
        })
    });
    g.bench_function("check", |b| {
        b.iter(|| {
            for r in &records {
                black_box(rules.check(r));
            }
        })
    });
    g.bench_function("one_pass", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(one_pass.certify(p));
            }
        })
    });
    g.bench_function("is_valid_then_passes", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(validator.is_valid(p) && rules.passes(p));
            }
        })
    });
    g.bench_function("is_valid", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(validator.is_valid(p));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
