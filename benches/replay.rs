//! Replay throughput (`check-compat --replay`): each payload checked against today's newest
//! version and a proposal.
//!
//!     cargo bench --bench replay
//!
//! `both_versions` is the replayer alone over payloads in memory (producer known): each payload
//! checked against both schemas (each schema's fast path accepts it, refutes it, or hands it to
//! the full validator), and the detailed check for the first few refused ones.
//! `both_versions+rules` adds the contract's three CEL rules, evaluated natively in each
//! version's one pass over the payload (the full checks only for a payload a version does not certify). `lines_end_to_end` adds what `--replay` does
//! around it for plain JSON lines: reading the lines (one reused buffer) and finding each
//! producer at the contract's identity pointer (read by today's fast path as it checks the
//! payload); `lines_parsing_producers` is the path it took before (each line parsed to find its
//! producer, a new buffer per line). `capture_end_to_end+rules` reads the same payloads as a
//! capture (header, records; each payload's text handed over as the record holds it).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemactl::capture::{Entry, Header, Payload, Reader, Record};
use schemactl::replay::{Judge, Replayer};
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
    let mut capture = serde_json::to_vec(&Header {
        schemactl_capture: schemactl::capture::FORMAT_VERSION,
        contract: "generator".into(),
        schema_version: Some(newest.version),
        taken_at: None,
        sources: vec![],
        sample_per_producer: None,
        seen: None,
        kept: None,
        by_producer: Default::default(),
    })
    .unwrap();
    capture.push(b'\n');
    for e in &entries {
        let record = Record {
            transport: "mqtt".into(),
            topic: "emergency_generator".into(),
            partition: None,
            offset: None,
            key: None,
            headers: Default::default(),
            timestamp: Some("2026-12-01T10:00:00.000Z".into()),
            producer: e.producer.clone(),
            schema_id: None,
            guid: None,
            payload: Payload::from_raw(&e.payload),
            verdict: Some(serde_json::json!("valid")),
        };
        serde_json::to_writer(&mut capture, &record).unwrap();
        capture.push(b'\n');
    }
    let today = PayloadValidator::new(&newest.schema).unwrap();
    let rules = schemactl::validate::rules::RuleEngine::new(
        &contract.rules,
        newest.schema.document(),
        contract.metadata.as_ref(),
    )
    .unwrap();
    assert_eq!(rules.len(), 3);
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
        g.bench_function(format!("both_versions+rules/{name}"), |b| {
            b.iter(|| {
                let mut r = Replayer::judging(
                    Judge::with_rules(&today, &rules),
                    Judge::with_rules(&proposal, &rules),
                    5,
                );
                for e in &entries {
                    r.replay("bench", e);
                }
                black_box(r.finish())
            })
        });
        let end_to_end = |input: &[u8], with_rules: bool| {
            let mut reader = Reader::new(input, "bench", Some("/generatorID"))
                .unwrap()
                .plain_producers(false);
            let (t, p) = if with_rules {
                (
                    Judge::with_rules(&today, &rules),
                    Judge::with_rules(&proposal, &rules),
                )
            } else {
                (Judge::schema(&today), Judge::schema(&proposal))
            };
            let mut r = Replayer::judging(t, p, 5).with_identity(Some("/generatorID"));
            let mut e = Entry {
                line: 0,
                producer: None,
                payload: Vec::new(),
            };
            while reader.read_into(&mut e).unwrap() {
                r.replay("bench", &e);
            }
            let result = r.finish();
            assert_eq!(result.total.payloads, n as u64);
            assert!(!result.by_producer.contains_key("(unknown)"));
            result
        };
        // The path `--replay` took before: a new buffer per line, and each line parsed into a
        // JSON value to find its producer before both checks.
        g.bench_function(format!("lines_parsing_producers/{name}"), |b| {
            b.iter(|| {
                let mut reader = Reader::new(&lines[..], "bench", Some("/generatorID")).unwrap();
                let mut r = Replayer::new(&today, &proposal, 5);
                while let Some(e) = reader.next_entry().unwrap() {
                    r.replay("bench", &e);
                }
                black_box(r.finish())
            })
        });
        g.bench_function(format!("lines_end_to_end/{name}"), |b| {
            b.iter(|| black_box(end_to_end(&lines, false)))
        });
        g.bench_function(format!("lines_end_to_end+rules/{name}"), |b| {
            b.iter(|| black_box(end_to_end(&lines, true)))
        });
        g.bench_function(format!("capture_end_to_end+rules/{name}"), |b| {
            b.iter(|| black_box(end_to_end(&capture, true)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
