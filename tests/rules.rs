//! Data-contract rules through the real binary: `[[rules]]` in a contract, evaluated by
//! `validate` and `test` on payloads that passed the schema, and bad rules refused with the
//! file, the rule's name, the line and the column.

#[path = "common/cli.rs"]
mod cli_run;
use cli_run::{Run, schemactl_in};

use std::path::Path;
use std::process::Command;

/// The schema the fleet registered (FLEET.md), without descriptions.
const FLEET_SCHEMA: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Generator",
  "type": "object",
  "properties": {
    "generatorID": {"type": "string"},
    "lat": {"type": "number"},
    "lon": {"type": "number"},
    "temperature": {"type": "number"},
    "pressure": {"type": "number"},
    "fuel": {"type": "number"}
  },
  "required": ["generatorID", "lat", "lon", "temperature", "pressure", "fuel"]
}"#;

const HEAD: &str = "subject = \"emergency_generator-value\"\nschemas = \"schemas/g\"\n";

/// A project with the fleet's schema and a contract whose tail is `rules`.
fn project(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schemas/g")).unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    std::fs::write(dir.path().join("schemas/g/v1.json"), FLEET_SCHEMA).unwrap();
    std::fs::write(
        dir.path().join("contracts/g.toml"),
        format!("{HEAD}{rules}"),
    )
    .unwrap();
    dir
}

const RULES: &str = r#"
[metadata]
properties = { owner = "fleet-ops" }

[[rules]]
name = "fuel_not_negative"
doc = "The firmware reports a negative level once per refill cycle (FLEET.md)."
expr = "message.fuel >= 0"

[[rules]]
name = "temperature_plausible"
expr = "message.temperature >= -10 && message.temperature <= 90"
onFailure = "NONE"

[[rules]]
name = "pressure_plausible"
expr = "message.pressure >= 100 && message.pressure <= 1000"
onFailure = "DLQ"
params = { "dlq.topic" = "emergency_generator-dlq" }

[[rules]]
name = "migrate"
type = "JSONATA"
mode = "UPGRADE"
expr = "$"
"#;

fn reading(temperature: i64, pressure: i64, fuel: i64) -> String {
    format!(
        r#"{{"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": {temperature}, "pressure": {pressure}, "fuel": {fuel}}}"#
    )
}

#[test]
fn validate_reports_rule_violations_with_rule_expression_and_values() {
    let dir = project(RULES);
    let lines = [
        reading(36, 500, 400),  // the write-up's example: keeps every rule
        reading(36, 500, -9),   // the firmware's dip below zero
        reading(95, 500, 400),  // NONE: reported, not failing
        reading(36, 1500, 400), // DLQ
        r#"{"generatorID": "generator1", "lat": 1, "lon": 1, "temperature": 1, "pressure": 500}"#
            .to_string(), // schema violation: rules not run
    ];
    std::fs::write(dir.path().join("in.jsonl"), lines.join("\n")).unwrap();
    let run = schemactl_in(dir.path(), &["validate", "in.jsonl", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["payloads"], 5);
    // -9 fuel, the DLQ'd pressure and the schema violation fail; the NONE rule does not.
    assert_eq!(doc["invalid"], 3);
    assert_eq!(doc["violations_by_kind"]["RULE_VIOLATION"], 3);
    assert_eq!(doc["violations_by_kind"]["SCHEMA_VIOLATION"], 1);
    assert_eq!(doc["violations_by_rule"]["fuel_not_negative"], 1);
    assert_eq!(doc["violations_by_rule"]["temperature_plausible"], 1);
    assert_eq!(doc["violations_by_rule"]["pressure_plausible"], 1);
    assert_eq!(doc["rules_evaluated"], 3);
    assert_eq!(doc["rules_not_evaluated"], serde_json::json!(["migrate"]));
    let v: Vec<&serde_json::Value> = doc["violations"].as_array().unwrap().iter().collect();
    let fuel = v.iter().find(|x| x["line"] == 2).unwrap();
    assert_eq!(fuel["kind"], "RULE_VIOLATION");
    assert_eq!(fuel["rule"]["rule"], "fuel_not_negative");
    assert_eq!(fuel["rule"]["expr"], "message.fuel >= 0");
    assert_eq!(fuel["rule"]["values"]["message.fuel"], -9);
    assert_eq!(fuel["rule"]["action"], "ERROR");
    let dlq = v.iter().find(|x| x["line"] == 4).unwrap();
    assert_eq!(dlq["rule"]["action"], "DLQ");
    assert_eq!(dlq["rule"]["dlq_topic"], "emergency_generator-dlq");
    let none = v.iter().find(|x| x["line"] == 3).unwrap();
    assert_eq!(none["rule"]["action"], "NONE");
    assert_eq!(none["rule"]["values"]["message.temperature"], 95);
    assert!(v.iter().all(|x| x["line"] != 1));

    // The text report names the rule, its expression and the value read.
    let text = schemactl_in(dir.path(), &["validate", "in.jsonl"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains(
            "rule \"fuel_not_negative\" failed: message.fuel >= 0 (with message.fuel = -9)"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("emergency_generator-dlq"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_rule_with_on_failure_none_only_reports() {
    let dir = project(RULES);
    std::fs::write(dir.path().join("in.jsonl"), reading(95, 500, 400)).unwrap();
    let run = schemactl_in(dir.path(), &["validate", "in.jsonl", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["invalid"], 0);
    assert_eq!(
        doc["violations"][0]["rule"]["rule"],
        "temperature_plausible"
    );
}

#[test]
fn an_evaluation_error_is_a_failed_rule() {
    // `status` is not in the schema: a reading without it fails the rule with the error.
    let dir = project(
        "[[rules]]\nname = \"status_known\"\nexpr = \"message.status in ['running', 'stopped']\"\n",
    );
    std::fs::write(dir.path().join("in.jsonl"), reading(36, 500, 400)).unwrap();
    let run = schemactl_in(dir.path(), &["validate", "in.jsonl", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let error = doc["violations"][0]["rule"]["error"].as_str().unwrap();
    assert!(error.contains("status"), "{error}");
}

#[test]
fn test_runs_examples_against_the_rules_and_names_rules_it_does_not_evaluate() {
    let examples = r#"
[[examples.valid]]
name = "the write-up's reading"
payload = { generatorID = "generator1", lat = 40.68066, lon = -73.47429, temperature = 36, pressure = 500, fuel = 400 }

[[examples.invalid]]
name = "fuel below zero before a refill"
payload = { generatorID = "generator1", lat = 40.68066, lon = -73.47429, temperature = 36, pressure = 500, fuel = -9 }
violation = { kind = "RULE_VIOLATION", keyword = "fuel_not_negative" }
"#;
    let dir = project(&format!("{RULES}{examples}"));
    let run = schemactl_in(dir.path(), &["test", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = schemactl_in(dir.path(), &["test"]);
    assert!(
        text.stdout.contains("skip g: rule \"migrate\""),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("not evaluated"), "{}", text.stdout);
    let doc = json_of(&run);
    // The rule, and the simulator sample (this contract has no [simulator] model).
    assert_eq!(doc["summary"]["skipped"], 2, "{doc}");

    // A must-fail example the rules let through fails the test.
    let lax = examples.replace("fuel = -9", "fuel = 9");
    let dir = project(&format!("{RULES}{lax}"));
    let run = schemactl_in(dir.path(), &["test"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("EXAMPLE_NOT_REJECTED"),
        "{}",
        run.stdout
    );
}

/// Exit 2, no panic, and stderr holds every needle.
fn refused(rules: &str, needles: &[&str]) {
    let dir = project(rules);
    let run = schemactl_in(dir.path(), &["validate", "-"]);
    assert_eq!(run.code, 2, "{rules}\n{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "{rules}: no {n:?} in\n{}",
            run.stderr
        );
    }
}

#[test]
fn bad_rules_are_refused_naming_the_rule_line_and_column() {
    // The contract's head is two lines, and each rules table starts on line 3.
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"message.fuel >= && true\"\n",
        &[
            "g.toml",
            "rule \"r\"",
            "line 5, column 25",
            "does not parse",
        ],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"sqrt(message.fuel) > 1\"\n",
        &["rule \"r\"", "unknown function `sqrt`", "line 5, column 8"],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"msg.fuel >= 0\"\n",
        &["rule \"r\"", "unknown variable `msg`", "message"],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"message.fuel * 2\"\n",
        &["rule \"r\"", "not a bool"],
    );
    let long = format!(
        "[[rules]]\nname = \"long\"\nexpr = \"message.fuel >= 0{}\"\n",
        " && true".repeat(100 * 1024 / 8)
    );
    refused(&long, &["rule \"long\"", "102", "bytes long", "line 5"]);
    let deep = format!(
        "[[rules]]\nname = \"deep\"\nexpr = \"{}true{}\"\n",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    refused(&deep, &["rule \"deep\"", "nests 2000 levels deep"]);
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"true\"\n[[rules]]\nname = \"r\"\nexpr = \"true\"\n",
        &[
            "duplicate rule name \"r\"",
            "line 7, column 8",
            "first at line 4, column 8",
        ],
    );
    refused(
        "[[rules]]\nname = \"r\"\ntype = \"PYTHON\"\nexpr = \"True\"\n",
        &[
            "rule \"r\"",
            "unknown rule type \"PYTHON\"",
            "line 5",
            "CEL, CEL_FIELD",
        ],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"true\"\nonFaliure = \"NONE\"\n",
        &["line 6", "onFaliure", "onFailure"],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"true\"\nkind = \"CHECK\"\n",
        &["line 6", "CHECK", "CONDITION"],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"true\"\nonFailure = \"PANIC\"\n",
        &["rule \"r\"", "line 6", "PANIC", "NONE, ERROR or DLQ"],
    );
    refused(
        "[[rules]]\nname = \"r\"\nexpr = \"true\"\nonFailure = \"DLQ\"\n",
        &["rule \"r\"", "dlq.topic"],
    );
    refused(
        "[[rules]]\nname = \"r\"\n",
        &["rule \"r\"", "needs an `expr`"],
    );
    refused(
        "[metadata]\nproperties = { owner = \"x\" }\nsecret = [\"owner\"]\n",
        &["line 5", "secret", "sensitive"],
    );
}

#[path = "services/mod.rs"]
mod services;

const PIP_INSTALL: &str = "python3 -m pip install 'confluent-kafka[schemaregistry,json,rules]'";

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON\n{}{}", run.stdout, run.stderr))
}

/// The ruleSet's rule names of one registered version.
fn registered_rules(registry: &services::Registry, version: u32) -> Vec<String> {
    let url = registry.at(&format!(
        "/subjects/emergency_generator-value/versions/{version}"
    ));
    let body = get_json(&url);
    body["ruleSet"]["domainRules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A GET on loopback, answered as JSON.
fn get_json(url: &str) -> serde_json::Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::get(url)
                .await
                .expect("GET")
                .json()
                .await
                .expect("JSON")
        })
}

#[test]
fn register_sends_the_rules_and_confluents_serializer_enforces_them() {
    let registry = services::Registry::start();
    let rules = r#"
[metadata]
properties = { owner = "fleet-ops" }

[[rules]]
name = "fuel_not_negative"
expr = "message.fuel >= 0"

[[rules]]
name = "pressure_plausible"
expr = "message.pressure >= 100 && message.pressure <= 1000"
"#;
    let dir = project(rules);
    let register = |dir: &Path| {
        let run = schemactl_in(
            dir,
            &[
                "register",
                "--contract",
                "g",
                "--registry",
                &registry.url,
                "--format",
                "json",
            ],
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        json_of(&run)
    };
    let first = register(dir.path());
    let step = &first["contracts"][0]["versions"][0];
    assert_eq!(step["action"], "registered", "{first}");
    assert_eq!(step["rules"], 2, "{first}");
    assert_eq!(
        registered_rules(&registry, 1),
        ["fuel_not_negative", "pressure_plausible"]
    );
    // Idempotent.
    let again = register(dir.path());
    assert_eq!(
        again["contracts"][0]["versions"][0]["action"], "already_registered",
        "{again}"
    );

    // Confluent's serializer reads the stored rules: refuses fuel -9, serializes fuel 400.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/rules_python.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&registry.url)
        .arg("emergency_generator")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); install Python 3, then: {PIP_INSTALL}")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {
            assert!(
                stdout.contains("all rule interop checks passed"),
                "{stdout}"
            );
            assert!(stdout.contains("refused to serialize fuel -9"), "{stdout}");
            assert!(stdout.contains("'owner': 'fleet-ops'"), "{stdout}");
        }
        Some(2) => panic!("confluent-kafka with rules is missing: run `{PIP_INSTALL}`\n{stderr}"),
        _ => panic!("the Python rule checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}"),
    }

    // A change to the rules alone registers a new version of the same schema; version 1
    // keeps the rule set it was registered with.
    std::fs::write(
        dir.path().join("contracts/g.toml"),
        format!(
            "{HEAD}{rules}\n[[rules]]\nname = \"temperature_plausible\"\nexpr = \"message.temperature >= -10 && message.temperature <= 90\"\n[[rules]]\nname = \"from_v0\"\ntype = \"JSONATA\"\nmode = \"UPGRADE\"\nexpr = \"$\"\n"
        ),
    )
    .unwrap();
    let changed = register(dir.path());
    let step = &changed["contracts"][0]["versions"][0];
    assert_eq!(step["action"], "registered", "{changed}");
    assert_eq!(step["version"], 2, "{changed}");
    assert_eq!(step["rules"], 4, "{changed}");
    assert_eq!(registered_rules(&registry, 1).len(), 2);
    assert_eq!(
        registered_rules(&registry, 2),
        [
            "fuel_not_negative",
            "pressure_plausible",
            "temperature_plausible"
        ]
    );

    // `show` brings the rules back, the migration rule schemactl does not run included.
    let show = schemactl_in(
        dir.path(),
        &[
            "show",
            "emergency_generator-value",
            "--registry",
            &registry.url,
        ],
    );
    assert_eq!(show.code, 0, "{}{}", show.stdout, show.stderr);
    assert!(
        show.stdout
            .contains("fuel_not_negative (CEL WRITEREAD): message.fuel >= 0"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .contains("from_v0 (JSONATA UPGRADE): $ [not evaluated by schemactl]"),
        "{}",
        show.stdout
    );
    let json = json_of(&schemactl_in(
        dir.path(),
        &[
            "show",
            "emergency_generator-value@1",
            "--registry",
            &registry.url,
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        json["ruleSet"]["domainRules"][0]["expr"],
        "message.fuel >= 0"
    );
    assert_eq!(json["metadata"]["properties"]["owner"], "fleet-ops");
    assert!(json["ruleSet"].get("migrationRules").is_none());
}
