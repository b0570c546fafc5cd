//! `audit --capture` through real brokers, then `check-compat --replay` on what it captured:
//! the simulator's fleet on both transports (Mosquitto and Tansu, the registry as a process),
//! two audits at once (one capturing everything, one sampling), and two proposals replayed on
//! the capture, every count checked against the simulator's manifest.

use super::{Audit, root, run_ok, schemactl};
use crate::common::fleet::Fleet;
use schemactl::capture::{Header, Payload, Record};
use schemactl::producer::manifest;
use schemactl::transport::TransportKind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A capture read back: its header and records.
fn read_capture(path: &std::path::Path) -> (Header, Vec<Record>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Header = serde_json::from_str(lines.next().expect("a header line")).unwrap();
    let records = lines
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (header, records)
}

fn replay(proposal: &str, capture: &str) -> (i32, Value) {
    let out = schemactl()
        .args(["check-compat", proposal, "--contract", "generator"])
        .args(["--replay", capture, "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc["replay"].clone())
}

#[test]
fn a_captured_fleet_on_both_transports_replays_against_two_proposals() {
    let fleet = Fleet::start();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (full, sampled, truth) = (
        path("full.jsonl"),
        path("sampled.jsonl"),
        path("truth.jsonl"),
    );
    let (generators, count, sample) = (6u64, 20u64, 5u64);
    let total = 2 * generators * count;
    let total_text = total.to_string();
    let mut full_args = fleet.audit_args(&total_text, None);
    full_args.extend(["--capture", &full]);
    let mut sampled_args = fleet.audit_args(&total_text, None);
    let sample_text = sample.to_string();
    sampled_args.extend(["--capture", &sampled, "--capture-sample", &sample_text]);
    // Two audits read the same traffic: both are read-only, so each sees all of it.
    let audit = Audit::start(&full_args);
    let second = Audit::start(&sampled_args);
    let (generators_text, count_text) = (generators.to_string(), count.to_string());
    let mut simulate = vec!["simulate"];
    simulate.extend(fleet.transports());
    simulate.extend([
        "--register",
        "--seed",
        "9",
        "--rate",
        "50",
        "--manifest",
        &truth,
    ]);
    simulate.extend(["--generators", &generators_text, "--count", &count_text]);
    run_ok(&simulate);
    for a in [audit, second] {
        let (code, stdout, stderr) = a.finish();
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stderr.contains("capture: "), "{stderr}");
    }
    let sent = manifest::read(std::path::Path::new(&truth)).unwrap();
    assert_eq!(sent.len() as u64, total);

    // The full capture: the header, then one record per message the simulator sent.
    let (header, records) = read_capture(std::path::Path::new(&full));
    assert_eq!(header.contract, "generator");
    assert_eq!(header.schema_version, Some(3));
    assert!(!header.sampled());
    assert!(header.taken_at.is_some());
    assert!(
        header.sources.iter().any(|s| s.starts_with("mqtt://"))
            && header.sources.iter().any(|s| s.starts_with("kafka://")),
        "{:?}",
        header.sources
    );
    assert_eq!(records.len() as u64, total);
    let per = |pick: &dyn Fn(&Record) -> bool| records.iter().filter(|r| pick(r)).count() as u64;
    assert_eq!(per(&|r| r.transport == "mqtt"), generators * count);
    assert_eq!(per(&|r| r.transport == "kafka"), generators * count);
    assert_eq!(per(&|r| r.verdict == Some(Value::from("valid"))), total);
    // Kafka: exactly the partitions and offsets the simulator's deliveries reported, each
    // with its key, its schema id, and the payload without the wire header.
    let kafka_sent: BTreeSet<(i32, i64)> = sent
        .iter()
        .filter(|m| m.transport == TransportKind::Kafka)
        .map(|m| (m.partition.unwrap(), m.offset.unwrap()))
        .collect();
    let kafka_got: BTreeSet<(i32, i64)> = records
        .iter()
        .filter(|r| r.transport == "kafka")
        .map(|r| (r.partition.unwrap(), r.offset.unwrap()))
        .collect();
    assert_eq!(kafka_got, kafka_sent);
    for r in records.iter().filter(|r| r.transport == "kafka") {
        assert!(r.key.is_some() && r.schema_id.is_some(), "{r:?}");
        assert!(matches!(r.payload, Payload::Json(_)), "{r:?}");
    }
    // MQTT: the payloads themselves, by the manifest's digests.
    let digests = |it: &mut dyn Iterator<Item = String>| {
        let mut d: Vec<String> = it.collect();
        d.sort();
        d
    };
    assert_eq!(
        digests(
            &mut records
                .iter()
                .filter(|r| r.transport == "mqtt")
                .map(|r| { manifest::digest(&r.payload.to_bytes().unwrap()) })
        ),
        digests(
            &mut sent
                .iter()
                .filter(|m| m.transport == TransportKind::Mqtt)
                .map(|m| m.digest.clone().unwrap())
        ),
    );
    let mut by_generator: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &sent {
        *by_generator.entry(m.generator.as_str()).or_default() += 1;
    }

    // The sampled capture: at most 5 per producer over both transports, the counts said.
    let (header, kept) = read_capture(std::path::Path::new(&sampled));
    assert!(header.sampled());
    assert_eq!(header.seen, Some(total));
    assert_eq!(header.kept, Some(generators * sample));
    assert_eq!(kept.len() as u64, generators * sample);
    for (g, n) in &by_generator {
        let c = header.by_producer[*g];
        assert_eq!((c.seen, c.kept), (*n, sample), "{g}");
    }

    // A harmless proposal refuses nothing of what was sent.
    let (code, r) = replay("tests/fixtures/generator/compatible-v4.json", &full);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["payloads"], total);
    assert_eq!(
        (r["rejected"].as_u64(), r["newly_accepted"].as_u64()),
        (Some(0), Some(0))
    );

    // A proposal that only admits generator1..generator3 refuses every reading of the others.
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/generator/v3.json")).unwrap(),
    )
    .unwrap();
    schema["properties"]["generatorID"]["pattern"] = Value::from("^generator[1-3]$");
    let narrow = path("first-three.json");
    std::fs::write(&narrow, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    let (code, r) = replay(&narrow, &full);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["payloads"], total);
    let refused: u64 = by_generator
        .iter()
        .filter(|(g, _)| !["generator1", "generator2", "generator3"].contains(g))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(r["rejected"], refused, "{r:#}");
    for (g, n) in &by_generator {
        let c = &r["by_producer"][*g];
        let expect = if ["generator1", "generator2", "generator3"].contains(g) {
            0
        } else {
            *n
        };
        assert_eq!(
            (c["payloads"].as_u64(), c["rejected"].as_u64()),
            (Some(*n), Some(expect)),
            "{g}"
        );
    }
    assert_eq!(r["producers_affected"], generators - 3);
    assert_eq!(r["examples"][0]["keyword"], "pattern");

    // The sampled capture replays too, its counts those it kept.
    let (_, r) = replay(&narrow, &sampled);
    assert_eq!(r["payloads"], generators * sample);
    assert_eq!(r["rejected"], (generators - 3) * sample);
}
