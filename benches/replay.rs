//! Replay throughput (`check-compat --replay`): each payload checked against today's newest
//! version and a proposal.
//!
//!     cargo bench --bench replay
//!
//! `both_versions` is the replayer alone over payloads in memory (producer known): two
//! `is_valid` calls per payload, and the detailed check for the first few refused ones.
//! `lines_end_to_end` adds what `--replay` does around it for plain JSON lines: reading the lines
//! and finding each producer at the contract's identity pointer.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemactl::capture::{Entry, Reader};
use schemactl::replay::Replayer;
use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use schemactl::validate::PayloadValidator;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = schemactl::catalog::load_contract(root, "generator").unwrap();
    let history = schemactl::catalog::load_history(&contract.schemas).unwrap();
    let newest = history.last().unwrap();
    let model = contract.simulator.as_ref().unwrap();
    let generators = 1000;
    let plan = FaultPlan { rules: vec![] };
    let mut fleet = Fleet::new(model, &newest.schema, generators, 1, &plan, 64 * 1024).unwrap();
    let n = 10_000;
    let entries: Vec<Entry> = (0..n)
        .map(|i| {
            let r = fleet.read(i % generators);
            Entry {
                line: i as u64 + 1,
                producer: Some(format!("generator{}", i % generators + 1)),
                payload: fleet
                    .apply(&r, TransportKind::Mqtt, Default::default())
                    .bytes,
            }
        })
        .collect();
    let mut lines = Vec::new();
    for e in &entries {
        lines.extend_from_slice(&e.payload);
        lines.push(b'\n');
    }
    let today = PayloadValidator::new(&newest.schema).unwrap();
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(n as u64));
    for name in ["compatible-v4", "fuel-as-percentage"] {
        let file = schemactl::catalog::read_schema_file(
            &root.join(format!("tests/fixtures/generator/{name}.json")),
        )
        .unwrap();
        let proposal = PayloadValidator::new(&file.schema).unwrap();
        g.bench_function(format!("both_versions/{name}"), |b| {
            b.iter(|| {
                let mut r = Replayer::new(&today, &proposal, 5);
                for e in &entries {
                    r.replay("bench", e);
                }
                black_box(r.finish())
            })
        });
        g.bench_function(format!("lines_end_to_end/{name}"), |b| {
            b.iter(|| {
                let mut reader = Reader::new(&lines[..], "bench", Some("/generatorID")).unwrap();
                let mut r = Replayer::new(&today, &proposal, 5);
                while let Some(e) = reader.next_entry().unwrap() {
                    r.replay("bench", &e);
                }
                black_box(r.finish())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
