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
use schemactl::validate::rules::RuleEngine;

mod common;

fn bench(c: &mut Criterion) {
    let (contract, newest) = common::generator();
    let rules = RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap();
    assert!(rules.len() >= 3 && rules.is_native());
    let validator = common::validator(&newest);
    let payloads = common::fleet_payloads(&contract, &newest, &FaultPlan { rules: vec![] }, 10_000);
    let records: Vec<serde_json::Value> = payloads
        .iter()
        .map(|p| serde_json::from_slice(p).unwrap())
        .collect();
    let one_pass = rules.one_pass(&validator);
    assert!(one_pass.is_one_pass());

    let mut g = c.benchmark_group("rules");
    g.throughput(Throughput::Elements(payloads.len() as u64));
    common::each(&mut g, "passes", &payloads, |p| rules.passes(p));
    common::each(&mut g, "passes_by_crate", &payloads, |p| {
        rules.passes_by_crate(p)
    });
    common::each(&mut g, "check", &records, |r| rules.check(r));
    common::each(&mut g, "one_pass", &payloads, |p| one_pass.certify(p));
    common::each(&mut g, "is_valid_then_passes", &payloads, |p| {
        validator.is_valid(p) && rules.passes(p)
    });
    common::each(&mut g, "is_valid", &payloads, |p| validator.is_valid(p));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
