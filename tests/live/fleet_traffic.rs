//! The fleet's own producers (tests/interop/fleet_traffic.py, written as FLEET.md describes
//! them) against Mosquitto, Tansu and `schemactl registry serve`, audited through the CLI with
//! the shipped generator contract: their normal traffic breaks nothing but the fuel rule its
//! firmware's below-zero dip breaks, on either transport, and misbehaving producers beside them
//! are flagged exactly, by producer, with the counts the producers report they sent.

use super::{Audit, run_ok};
use crate::common::fleet::Fleet;
use crate::common::interop;
use serde_json::Value;
use std::collections::BTreeMap;

/// Runs the fleet producer with `args` and `envs`; returns its report of what it sent and its
/// stdout and stderr (for the credential checks). A missing library fails with the command
/// that installs it.
pub fn fleet_traffic(args: &[&str], envs: &[(&str, &str)]) -> (Value, String) {
    let out = interop::python("fleet_traffic.py", args, envs, String::new);
    (out.report(), format!("{}{}", out.stdout, out.stderr))
}

/// What the producer says it sent on `transport`: generator id → (messages, misbehaved).
pub fn sent_on(report: &Value, transport: &str) -> BTreeMap<String, (u64, u64)> {
    report["sent"][transport]
        .as_object()
        .unwrap_or_else(|| panic!("nothing sent on {transport}: {report}"))
        .iter()
        .map(|(id, s)| {
            (
                id.clone(),
                (
                    s["messages"].as_u64().unwrap(),
                    s["misbehaved"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The audit's producer cards on `transport`: producer → the card.
pub fn cards_on<'a>(doc: &'a Value, transport: &str) -> BTreeMap<&'a str, &'a Value> {
    doc["producers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["transport"] == transport)
        .map(|p| (p["producer"].as_str().unwrap(), p))
        .collect()
}

/// The services of one run: the registry (the contract registered first, as a team that
/// adopted schemactl runs it), Mosquitto and Tansu with the fleet's topic.
fn fleet_services() -> Fleet {
    let fleet = Fleet::start();
    run_ok(&["register", "--all", "--registry", &fleet.registry.url]);
    fleet
}

/// Starts an audit of both transports expecting `total` messages, then runs the fleet's
/// producers (`generators` of them, `count` readings each, then `extra`) on both; the audit and
/// the producers' report.
fn audit_the_fleet(fleet: &Fleet, generators: u64, count: u64, extra: &[&str]) -> (Audit, Value) {
    let total = (2 * generators * count).to_string();
    let audit = Audit::start(&fleet.audit_args(&total, None));
    // The producers take Mosquitto as host:port.
    let mqtt = format!("127.0.0.1:{}", fleet.mosquitto.port);
    let (generators, count) = (generators.to_string(), count.to_string());
    let mut args = vec!["--mqtt", &mqtt, "--kafka", &fleet.kafka];
    args.extend(["--registry", &fleet.registry.url]);
    args.extend(["--generators", &generators, "--count", &count]);
    args.extend(extra);
    let (report, _) = fleet_traffic(&args, &[]);
    (audit, report)
}

/// The fleet's normal traffic breaks nothing but the one rule FLEET.md's firmware defect breaks:
/// each reading that dipped below zero before a refill is a RULE_VIOLATION of
/// `fuel_not_negative`, on either transport, and nothing else is reported.
#[test]
fn the_fleets_normal_traffic_breaks_only_the_rule_its_below_zero_dip_breaks() {
    let fleet = fleet_services();
    // Enough readings for every tank to run dry once: the fleet's firmware reports a level
    // below zero before each refill, which its schema lets through (FLEET.md).
    let (generators, count) = (3u64, 250u64);
    let (audit, report) = audit_the_fleet(&fleet, generators, count, &[]);
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let mut dips_in_all = 0;
    for transport in ["mqtt", "kafka"] {
        let sent = sent_on(&report, transport);
        assert_eq!(sent.len() as u64, generators, "{report}");
        let dips = |id: &str| {
            report["sent"][transport][id]["below_zero"]
                .as_u64()
                .unwrap()
        };
        let totals = &doc["summary"][transport];
        assert_eq!(
            totals["messages"],
            generators * count,
            "{transport}: {doc:#}"
        );
        let all_dips: u64 = sent.keys().map(|id| dips(id)).sum();
        assert!(all_dips > 0, "no tank ran dry on {transport}: {report}");
        dips_in_all += all_dips;
        assert_eq!(totals["invalid"], all_dips, "{transport}: {doc:#}");
        assert_eq!(
            totals["violations"],
            serde_json::json!({"RULE_VIOLATION": all_dips}),
            "{transport}: {doc:#}"
        );
        assert_eq!(
            totals["rules"]["fuel_not_negative"]["violations"], all_dips,
            "{transport}: {doc:#}"
        );
        let cards = cards_on(&doc, transport);
        for (id, (messages, _)) in &sent {
            let card = cards
                .get(id.as_str())
                .unwrap_or_else(|| panic!("{id} has no {transport} card: {doc:#}"));
            assert_eq!(card["messages"], *messages, "{id} on {transport}: {card}");
            assert_eq!(card["invalid"], dips(id), "{id} on {transport}: {card}");
            if dips(id) > 0 {
                assert_eq!(
                    card["rules"],
                    serde_json::json!({"fuel_not_negative": dips(id)}),
                    "{id} on {transport}: {card}"
                );
            }
        }
        assert_eq!(cards.len(), sent.len(), "no other producer: {doc:#}");
    }
    // Each one names the rule, its expression and the level read, which is below zero.
    let listed = doc["violations"].as_array().unwrap();
    assert_eq!(listed.len() as u64, dips_in_all, "{doc:#}");
    for v in listed {
        assert_eq!(v["kind"], "RULE_VIOLATION", "{v}");
        assert_eq!(v["rule"]["rule"], "fuel_not_negative", "{v}");
        assert_eq!(v["rule"]["expr"], "message.fuel >= 0", "{v}");
        let fuel = v["rule"]["values"]["message.fuel"].as_i64().unwrap();
        assert!((-9..0).contains(&fuel), "{v}");
    }
    // The Kafka records name v1 (the fleet's producer registered nothing new), whose rules
    // are the newest version's: the scorecard says so.
    assert_eq!(
        doc["rules_borrowed"],
        serde_json::json!({"1": 3}),
        "{doc:#}"
    );
    assert_eq!(code, 1, "the firmware's defect is a finding: {stderr}");
    // The producer found the contract's v1 registered (default auto.register.schemas): the
    // subject holds only what `register --all` put there.
    let versions: Value = reqwest_get(
        &fleet
            .registry
            .at("/subjects/emergency_generator-value/versions"),
    );
    let shipped = std::fs::read_dir(super::root().join("schemas/generator"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .count();
    assert_eq!(
        versions.as_array().map(Vec::len),
        Some(shipped),
        "the fleet's producer registered a version of its own: {versions}"
    );
}

#[test]
fn misbehaving_producers_beside_the_fleet_are_flagged_exactly_by_producer() {
    let fleet = fleet_services();
    let (generators, count) = (6u64, 25u64);
    let (audit, report) = audit_the_fleet(
        &fleet,
        generators,
        count,
        &[
            "--misbehave",
            "generator2=fuel-as-string",
            "--misbehave",
            "generator4=drop-field:pressure",
            "--misbehave",
            "generator6=truncate",
        ],
    );
    let (code, stdout, stderr) = audit.finish();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    assert_eq!(code, 1, "findings exit 1: {stderr}");
    for transport in ["mqtt", "kafka"] {
        let sent = sent_on(&report, transport);
        let cards = cards_on(&doc, transport);
        let violations = |p: &str| -> BTreeMap<String, u64> {
            cards.get(p).map_or_else(BTreeMap::new, |c| {
                serde_json::from_value(c["violations"].clone()).unwrap()
            })
        };
        // Compliant generators: every message counted, none invalid.
        for id in ["generator1", "generator3", "generator5"] {
            assert_eq!(sent[id].1, 0);
            assert_eq!(cards[id]["messages"], sent[id].0, "{id} on {transport}");
            assert_eq!(
                cards[id]["invalid"], 0,
                "{id} on {transport}: {}",
                cards[id]
            );
        }
        // Fuel as a string and a dropped field: the payload names its producer.
        for id in ["generator2", "generator4"] {
            let (messages, misbehaved) = sent[id];
            assert_eq!(misbehaved, messages, "{report}");
            assert_eq!(cards[id]["messages"], messages, "{id} on {transport}");
            assert_eq!(cards[id]["invalid"], misbehaved, "{id} on {transport}");
            assert_eq!(
                violations(id),
                BTreeMap::from([("SCHEMA_VIOLATION".to_string(), misbehaved)]),
                "{id} on {transport}"
            );
        }
        // A payload cut short names nobody, and on the fleet's one topic with random keys the
        // transport names nobody either: it is counted under `unknown`, every one of them.
        let truncated = sent["generator6"].1;
        assert_eq!(truncated, count);
        assert!(!cards.contains_key("generator6"), "{doc:#}");
        assert_eq!(cards["unknown"]["invalid"], truncated, "{transport}");
        assert_eq!(
            violations("unknown"),
            BTreeMap::from([("NOT_JSON".to_string(), truncated)]),
            "{transport}"
        );
        // generator1..5 and `unknown`.
        assert_eq!(cards.len(), 6, "{transport}: {doc:#}");
        let invalid: u64 = sent.values().map(|s| s.1).sum();
        assert_eq!(doc["summary"][transport]["invalid"], invalid, "{transport}");
    }
    // Each violation is listed, and points where the producer went wrong.
    let listed = doc["violations"].as_array().unwrap();
    assert_eq!(doc["violations_not_shown"], 0);
    let invalid: u64 = ["mqtt", "kafka"]
        .iter()
        .map(|t| doc["summary"][t]["invalid"].as_u64().unwrap())
        .sum();
    assert_eq!(listed.len() as u64, invalid);
    for v in listed {
        let expected = match v["producer"].as_str().unwrap() {
            "generator2" => (Some("/fuel"), Some("type")),
            "generator4" => (Some(""), Some("required")),
            "unknown" => (None, Some("eof")), // NOT_JSON: the text ends early
            other => panic!("{other} was flagged: {v}"),
        };
        assert_eq!(
            (v["pointer"].as_str(), v["keyword"].as_str()),
            expected,
            "{v}"
        );
    }
}

/// GET a registry URL as JSON (plain HTTP on loopback).
fn reqwest_get(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::get(url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
            .json()
            .await
            .unwrap()
    })
}
