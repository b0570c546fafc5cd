//! Validation throughput over the simulated fleet's payloads (docs/BENCHMARKS.md, "Validation"):
//!
//!     cargo bench --bench validation
//!
//! `parse_value` is serde_json building a `Value` (what the full path starts with); `full` is
//! that plus the compiled jsonschema validator; `is_valid` is what `schemactl validate` and the
//! audit call per payload (the fast path first); `faulty_mix` is `is_valid` over a stream where
//! half the messages of most generators carry a fault (they fall back to the full path);
//! `is_valid_with_rules` is `is_valid` and then the generator contract's data-contract rules
//! (`RuleEngine::passes`, reading only the fields the rules use), as `validate` runs them.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use schemactl::validate::PayloadValidator;
use schemactl::validate::rules::RuleEngine;
use std::hint::black_box;

fn payloads(faults: &str, n: usize) -> (PayloadValidator, Vec<Vec<u8>>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = schemactl::catalog::load_contract(root, "generator").unwrap();
    let history = schemactl::catalog::load_history(&contract.schemas).unwrap();
    let newest = history.last().unwrap();
    let plan = if faults.is_empty() {
        FaultPlan { rules: vec![] }
    } else {
        FaultPlan::parse(faults).unwrap()
    };
    let generators = 1000;
    let model = contract.simulator.as_ref().unwrap();
    let mut fleet = Fleet::new(model, &newest.schema, generators, 1, &plan, 64 * 1024).unwrap();
    let out = (0..n)
        .map(|i| {
            let r = fleet.read(i % generators);
            fleet
                .apply(&r, TransportKind::Mqtt, Default::default())
                .bytes
        })
        .collect();
    let validator = PayloadValidator::new(&newest.schema)
        .unwrap()
        .with_max_bytes(64 * 1024);
    (validator, out)
}

fn bench(c: &mut Criterion) {
    let (validator, compliant) = payloads("", 10_000);
    let rules = {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let contract = schemactl::catalog::load_contract(root, "generator").unwrap();
        let history = schemactl::catalog::load_history(&contract.schemas).unwrap();
        let newest = history.last().unwrap();
        RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap()
    };
    assert!(!rules.is_empty());
    let mut g = c.benchmark_group("validation");
    g.throughput(Throughput::Elements(compliant.len() as u64));
    g.bench_function("parse_value", |b| {
        b.iter(|| {
            for p in &compliant {
                black_box(serde_json::from_slice::<serde_json::Value>(p).unwrap());
            }
        })
    });
    g.bench_function("full", |b| {
        b.iter(|| {
            for p in &compliant {
                let v = validator.check_parsed(p).unwrap();
                black_box(validator.value_is_valid(&v));
            }
        })
    });
    g.bench_function("is_valid", |b| {
        b.iter(|| {
            for p in &compliant {
                black_box(validator.is_valid(p));
            }
        })
    });
    g.bench_function("is_valid_with_rules", |b| {
        b.iter(|| {
            for p in &compliant {
                black_box(validator.is_valid(p) && rules.passes(p));
            }
        })
    });
    let (validator, mixed) = payloads("all:0.5", 10_000);
    g.bench_function("faulty_mix", |b| {
        b.iter(|| {
            for p in &mixed {
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
