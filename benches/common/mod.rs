//! The setup the validation benches share (`mod common;` from each): the generator contract's
//! newest version, its validator, and the simulated fleet's payloads as `schemactl validate`
//! and the audit meet them.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use schemactl::catalog::{Contract, SchemaFile};
use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use schemactl::validate::PayloadValidator;
use std::hint::black_box;

/// The largest payload the fleet sends and the validators accept.
const MAX_BYTES: usize = 64 * 1024;

/// The generator contract and its newest schema version.
pub fn generator() -> (Contract, SchemaFile) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = schemactl::catalog::load_contract(root, "generator").unwrap();
    let newest = schemactl::catalog::load_history(&contract.schemas)
        .unwrap()
        .pop()
        .unwrap();
    (contract, newest)
}

/// The validator of `newest`, as `validate` builds it.
pub fn validator(newest: &SchemaFile) -> PayloadValidator {
    PayloadValidator::new(&newest.schema)
        .unwrap()
        .with_max_bytes(MAX_BYTES)
}

/// `n` payloads of 1,000 simulated generators (seed 1) with the faults of `plan`, as sent over
/// MQTT.
pub fn fleet_payloads(
    contract: &Contract,
    newest: &SchemaFile,
    plan: &FaultPlan,
    n: usize,
) -> Vec<Vec<u8>> {
    let generators = 1000;
    let model = contract.simulator.as_ref().unwrap();
    let mut fleet = Fleet::new(model, &newest.schema, generators, 1, plan, MAX_BYTES).unwrap();
    (0..n)
        .map(|i| {
            let r = fleet.read(i % generators);
            fleet
                .apply(&r, TransportKind::Mqtt, Default::default())
                .bytes
        })
        .collect()
}

/// Adds the benchmark `name` to `g`: one iteration is `f` on every one of `items`.
pub fn each<T, R>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    items: &[T],
    f: impl Fn(&T) -> R,
) {
    g.bench_function(name, |b| {
        b.iter(|| {
            for item in items {
                black_box(f(item));
            }
        })
    });
}
