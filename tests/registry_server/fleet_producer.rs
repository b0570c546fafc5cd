//! The fleet's own producer against the contract's history: `schemas/generator/v1.json` is the
//! schema the fleet registers, so a registry sees one schema whichever side comes first.
//! The registry runs as a process; the producer is confluent-kafka's JSONSerializer with its
//! default settings and the fleet's `schema_str` (tests/interop/fleet_producer.py).

use crate::common::{cli, interop};
use crate::services::Registry;
use serde_json::Value;
use std::path::Path;

const SUBJECT: &str = "emergency_generator-value";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the fleet's serializer once against `url`; its JSON report.
fn fleet_produces(url: &str) -> Value {
    interop::python("fleet_producer.py", &[url], &[], String::new).report()
}

/// `schemactl register --all --format json` from the project root; the generator contract's
/// version steps.
fn register_all(url: &str) -> Vec<Value> {
    let run = cli::schemactl(&["register", "--all", "--format", "json", "--registry", url]);
    assert_eq!(run.code, 0, "{}", run.text());
    let doc = run.json();
    let contract = doc["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == SUBJECT)
        .unwrap_or_else(|| panic!("no {SUBJECT} in {doc}"))
        .clone();
    contract["versions"].as_array().unwrap().clone()
}

fn history_len() -> usize {
    std::fs::read_dir(root().join("schemas/generator"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
        .count()
}

#[test]
fn the_fleets_producer_registers_nothing_new_after_register_all() {
    let registry = Registry::start();
    let steps = register_all(&registry.url);
    assert_eq!(steps.len(), history_len());
    assert!(
        steps.iter().all(|s| s["action"] == "registered"),
        "{steps:?}"
    );
    let v1 = &steps[0];
    assert_eq!(v1["file_version"], 1);
    let produced = fleet_produces(&registry.url);
    assert_eq!(produced["magic"], 0, "{produced}");
    assert_eq!(
        produced["schema_id"], v1["id"],
        "the fleet frames its records with v1's id: {produced}"
    );
    let versions: Vec<Value> = (1..=steps.len()).map(Value::from).collect();
    assert_eq!(
        produced["versions"],
        Value::from(versions),
        "the fleet's producer registered a version of its own"
    );
    assert!(
        uuid::Uuid::try_parse(produced["key"].as_str().unwrap()).is_ok(),
        "{produced}"
    );
}

#[test]
fn register_all_after_the_fleet_finds_v1_already_registered() {
    let registry = Registry::start();
    let produced = fleet_produces(&registry.url);
    assert_eq!(produced["versions"], serde_json::json!([1]), "{produced}");
    let steps = register_all(&registry.url);
    assert_eq!(steps[0]["file_version"], 1);
    assert_eq!(steps[0]["action"], "already_registered", "{steps:?}");
    assert_eq!(steps[0]["id"], produced["schema_id"]);
    assert_eq!(steps[0]["version"], 1);
    assert!(
        steps[1..].iter().all(|s| s["action"] == "registered"),
        "the rest of the history is new: {steps:?}"
    );
}
