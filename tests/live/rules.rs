//! The audit evaluates the contract's data-contract rules on live traffic (Mosquitto, Tansu and
//! `schemactl registry serve`, through the CLI): a generator sending readings only a rule
//! refuses is flagged with RULE_VIOLATION, the compliant ones only for the rule their own
//! below-zero dip breaks, which the simulator's manifest expects; `--expect` scores both;
//! `--fail-on` knows the kind; onFailure NONE reports without failing and DLQ names its topic.

use super::brokers::Mosquitto;
use super::fleet_traffic::cards_on as cards;
use super::{Audit, publish, root, run_ok, schemactl};
use crate::common::fleet::Fleet;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn json_of(stdout: &str, stderr: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"))
}

#[test]
fn a_rule_breaking_generator_is_flagged_and_the_fleets_own_dips_are_expected() {
    let fleet = Fleet::start();
    let (registry, tansu) = (&fleet.registry, &fleet.tansu);
    run_ok(&["register", "--all", "--registry", &registry.url]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl");
    let manifest = manifest.to_str().unwrap();
    // 250 readings each: every tank runs dry once, and (with this seed) each lands below zero
    // before its refill, the firmware's dip (FLEET.md), beside generator3's implausible readings.
    let (generators, count) = (4u64, 250u64);
    let total = 2 * generators * count;
    let total_text = total.to_string();
    let audit = Audit::start(&fleet.audit_args(&total_text, Some(manifest)));
    let (generators_text, count_text) = (generators.to_string(), count.to_string());
    let mut simulate = vec!["simulate"];
    simulate.extend(fleet.transports());
    simulate.extend(["--faults", "rule-break=3:0.3", "--seed", "6"]);
    simulate.extend(["--generators", &generators_text, "--count", &count_text]);
    simulate.extend(["--rate", "500"]);
    simulate.extend(["--manifest", manifest]);
    run_ok(&simulate);
    let (code, stdout, stderr) = audit.finish();
    let doc = json_of(&stdout, &stderr);
    let score = &doc["expect"]["score"];
    assert_eq!(doc["expect"]["perfect"], true, "{score:#}");
    assert_eq!(code, 0, "a perfect score: {stderr}");
    assert_eq!(score["matched"], total, "{score:#}");
    assert_eq!(score["false_alarms"], 0, "{score:#}");
    let faults = score["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{score:#}");
    let rule_break = &faults[0];
    assert_eq!(rule_break["fault"], "rule-break");
    assert!(rule_break["sent"].as_u64().unwrap() > 20, "{rule_break}");
    assert_eq!(rule_break["detected"], rule_break["sent"], "{rule_break}");
    assert_eq!(
        (&rule_break["precision"], &rule_break["recall"]),
        (&json!(1.0), &json!(1.0))
    );
    // The fleet's own readings: every dip the manifest expects was reported, and nothing else.
    let fleet = score["fleet_rules"].as_array().unwrap();
    assert_eq!(fleet.len(), 1, "{score:#}");
    assert_eq!(fleet[0]["rule"], "fuel_not_negative");
    let dips = fleet[0]["expected"].as_u64().unwrap();
    assert!(dips > 0, "no tank dipped below zero: {score:#}");
    assert_eq!(fleet[0]["detected"], dips);

    let manifest = schemactl::producer::manifest::read(std::path::Path::new(manifest)).unwrap();
    let mut rule_breaks = 0;
    for transport in ["mqtt", "kafka"] {
        let cards = cards(&doc, transport);
        assert_eq!(cards.len() as u64, generators, "{transport}: {doc:#}");
        for (id, card) in &cards {
            let lines: Vec<_> = manifest
                .iter()
                .filter(|l| l.transport.name() == transport && l.generator == *id)
                .collect();
            let dipped = lines.iter().filter(|l| !l.fleet_rules.is_empty()).count() as u64;
            let broke = lines.iter().filter(|l| l.fault.is_some()).count() as u64;
            assert_eq!(card["messages"], lines.len() as u64, "{id} on {transport}");
            let rules: BTreeMap<String, u64> =
                serde_json::from_value(card["rules"].clone()).unwrap_or_default();
            if *id == "generator3" {
                assert!(broke > 0, "{id} on {transport}");
                rule_breaks += broke;
                let plausibility = rules.get("temperature_plausible").unwrap_or(&0)
                    + rules.get("pressure_plausible").unwrap_or(&0);
                assert_eq!(plausibility, broke, "{id} on {transport}: {card}");
            } else {
                // Compliant: flagged for its dips only, each a fuel_not_negative.
                assert_eq!(broke, 0);
                assert_eq!(card["invalid"], dipped, "{id} on {transport}: {card}");
                let expected: BTreeMap<String, u64> = if dipped > 0 {
                    [("fuel_not_negative".to_string(), dipped)].into()
                } else {
                    BTreeMap::new()
                };
                assert_eq!(rules, expected, "{id} on {transport}: {card}");
                assert_eq!(
                    card["violations"],
                    if dipped > 0 {
                        json!({"RULE_VIOLATION": dipped})
                    } else {
                        json!({})
                    },
                    "{id} on {transport}: {card}"
                );
            }
        }
        // Per rule over the transport: the producers' counts add up.
        for (rule, tally) in doc["summary"][transport]["rules"].as_object().unwrap() {
            let per_producer: u64 = cards
                .values()
                .filter_map(|c| c["rules"][rule].as_u64())
                .sum();
            assert_eq!(tally["violations"], per_producer, "{rule} on {transport}");
            assert_eq!(tally["action"], "ERROR", "{rule}");
        }
    }
    assert_eq!(rule_breaks, rule_break["sent"].as_u64().unwrap());
    // Each violation names its rule, its expression and the values it read: a plausibility
    // rule the value lies outside of, or the fuel rule on a level below zero.
    let listed = doc["violations"].as_array().unwrap();
    assert!(!listed.is_empty());
    for v in listed {
        assert_eq!(v["kind"], "RULE_VIOLATION", "{v}");
        let rule = &v["rule"];
        assert_eq!(rule["rule"], v["keyword"], "{v}");
        let read = |f: &str| rule["values"][f].as_f64().unwrap();
        match rule["rule"].as_str().unwrap() {
            "fuel_not_negative" => {
                assert_eq!(rule["expr"], "message.fuel >= 0");
                // Every generator's own dip, generator3's included.
                assert!(read("message.fuel") < 0.0, "{v}");
            }
            "temperature_plausible" => {
                let t = read("message.temperature");
                assert!(!(-10.0..=90.0).contains(&t), "{v}");
            }
            "pressure_plausible" => {
                let p = read("message.pressure");
                assert!(!(100.0..=1000.0).contains(&p), "{v}");
            }
            other => panic!("an unexpected rule {other}: {v}"),
        }
    }

    // The same records read again from Kafka: --fail-on knows the kind.
    let mut reports = Vec::new();
    for (fail_on, exit) in [("RULE_VIOLATION", 1), ("SCHEMA_VIOLATION,NOT_JSON", 0)] {
        let report = dir.path().join(format!("{}.json", reports.len()));
        let out = schemactl()
            .args(["audit", "--kafka", &tansu.bootstrap(), "--registry"])
            .args([&registry.url, "--from-beginning", "--max-messages"])
            .args([&(generators * count).to_string(), "--duration", "60s"])
            .args(["--fail-on", fail_on, "--report", report.to_str().unwrap()])
            .output()
            .unwrap();
        reports.push(report);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(exit),
            "--fail-on {fail_on}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The scorecard's text counts violations per rule and names the producers.
        assert!(
            text.lines().any(|l| (l.starts_with("temperature_plausible")
                || l.starts_with("pressure_plausible"))
                && l.contains("generator3/kafka×")),
            "{text}"
        );
    }
    // `report merge` adds the per-rule counts up, per transport and per producer.
    let out = schemactl()
        .args(["report", "merge", "--format", "json"])
        .args(reports.iter().map(|r| r.to_str().unwrap()))
        .output()
        .unwrap();
    let merged = json_of(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    );
    for (rule, tally) in doc["summary"]["kafka"]["rules"].as_object().unwrap() {
        assert_eq!(
            merged["summary"]["kafka"]["rules"][rule]["violations"].as_u64(),
            tally["violations"].as_u64().map(|n| 2 * n),
            "{rule}: {merged:#}"
        );
    }
    let merged_cards = cards(&merged, "kafka");
    for (id, card) in cards(&doc, "kafka") {
        for (rule, n) in card["rules"].as_object().into_iter().flatten() {
            assert_eq!(
                merged_cards[id]["rules"][rule].as_u64(),
                n.as_u64().map(|n| 2 * n),
                "{id} {rule}"
            );
        }
    }
}

/// onFailure NONE reports without failing; DLQ is reported with the topic its params name; a
/// rule that cannot be evaluated on a payload (no such key) is a failed rule, with the error.
#[test]
fn rule_actions_none_and_dlq_and_evaluation_errors_are_reported() {
    let fixture = root().join("tests/fixtures/rule-actions");
    let fixture = fixture.to_str().unwrap();
    let reading = |fuel: i64, pressure: i64, status: Option<&str>| {
        let mut r = json!({"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429,
            "temperature": 36, "pressure": pressure, "fuel": fuel});
        if let Some(s) = status {
            r["status"] = json!(s);
        }
        serde_json::to_vec(&r).unwrap()
    };
    let mosquitto = Mosquitto::start();
    let audit = |payloads: Vec<Vec<u8>>, fail_on: &str| {
        let n = payloads.len().to_string();
        let audit = Audit::start(&[
            "--root",
            fixture,
            "--mqtt",
            &mosquitto.url(),
            "--max-messages",
            &n,
            "--duration",
            "60s",
            "--fail-on",
            fail_on,
            "--format",
            "json",
        ]);
        publish(&mosquitto.url(), payloads);
        let (code, stdout, stderr) = audit.finish();
        (code, json_of(&stdout, &stderr))
    };

    let (code, doc) = audit(
        vec![
            reading(-5, 500, Some("running")),
            reading(400, 2000, Some("running")),
            reading(400, 500, None),
            reading(400, 500, Some("running")),
        ],
        "any",
    );
    assert_eq!(code, 1, "DLQ and ERROR fail: {doc:#}");
    let totals = &doc["summary"]["mqtt"];
    assert_eq!(totals["messages"], 4, "{doc:#}");
    assert_eq!(
        totals["invalid"], 2,
        "the NONE rule's reading is not invalid: {doc:#}"
    );
    assert_eq!(
        totals["rules"],
        json!({
            "fuel_not_negative": {"violations": 1, "action": "NONE"},
            "pressure_plausible": {"violations": 1, "action": "DLQ", "dlq_topic": "emergency_generator-dlq"},
            "status_known": {"violations": 1, "errors": 1, "action": "ERROR"},
        }),
        "{doc:#}"
    );
    let by_rule: BTreeMap<&str, &Value> = doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["rule"]["rule"].as_str().unwrap(), v))
        .collect();
    let none = by_rule["fuel_not_negative"];
    assert_eq!(none["rule"]["action"], "NONE");
    assert_eq!(none["rule"]["values"], json!({"message.fuel": -5}));
    assert!(
        none["message"].as_str().unwrap().contains("reported only"),
        "{none}"
    );
    let dlq = by_rule["pressure_plausible"];
    assert_eq!(dlq["rule"]["dlq_topic"], "emergency_generator-dlq");
    assert!(
        dlq["message"]
            .as_str()
            .unwrap()
            .contains("emergency_generator-dlq"),
        "{dlq}"
    );
    let error = by_rule["status_known"];
    assert!(error["rule"]["error"].as_str().is_some(), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("evaluation error"),
        "{error}"
    );

    // Only the NONE rule broken: reported, and the run passes even where RULE_VIOLATION fails.
    let (code, doc) = audit(vec![reading(-5, 500, Some("running"))], "RULE_VIOLATION");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["mqtt"]["invalid"], 0, "{doc:#}");
    assert_eq!(
        doc["summary"]["mqtt"]["violations"],
        json!({"RULE_VIOLATION": 1})
    );
    assert_eq!(doc["violations"][0]["rule"]["rule"], "fuel_not_negative");
}
