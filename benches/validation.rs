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
use schemactl::validate::PayloadValidator;
use schemactl::validate::rules::RuleEngine;

mod common;

fn payloads(faults: &str, n: usize) -> (PayloadValidator, Vec<Vec<u8>>) {
    let (contract, newest) = common::generator();
    let plan = if faults.is_empty() {
        FaultPlan { rules: vec![] }
    } else {
        FaultPlan::parse(faults).unwrap()
    };
    let out = common::fleet_payloads(&contract, &newest, &plan, n);
    (common::validator(&newest), out)
}

fn bench(c: &mut Criterion) {
    let (validator, compliant) = payloads("", 10_000);
    let rules = {
        let (contract, newest) = common::generator();
        RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap()
    };
    assert!(!rules.is_empty());
    let mut g = c.benchmark_group("validation");
    g.throughput(Throughput::Elements(compliant.len() as u64));
    common::each(&mut g, "parse_value", &compliant, |p| {
        serde_json::from_slice::<serde_json::Value>(p).unwrap()
    });
    common::each(&mut g, "full", &compliant, |p| {
        let v = validator.check_parsed(p).unwrap();
        validator.value_is_valid(&v)
    });
    common::each(&mut g, "is_valid", &compliant, |p| validator.is_valid(p));
    common::each(&mut g, "is_valid_with_rules", &compliant, |p| {
        validator.is_valid(p) && rules.passes(p)
    });
    let (validator, mixed) = payloads("all:0.5", 10_000);
    common::each(&mut g, "faulty_mix", &mixed, |p| validator.is_valid(p));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
