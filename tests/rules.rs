//! Data-contract rules through the real binary: `[[rules]]` in a contract, evaluated by
//! `validate` and `test` on payloads that passed the schema, and bad rules refused with the
//! file, the rule's name, the line and the column.

mod common;
use common::cli::{Run, schemactl_in};
use common::git::git;
use common::{interop, services};

use std::path::Path;

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
    text.exits_printing(
        1,
        &[
            "rule \"fuel_not_negative\" failed: message.fuel >= 0 (with message.fuel = -9)",
            "emergency_generator-dlq",
        ],
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
    run.exits_printing(1, &["EXAMPLE_NOT_REJECTED"]);
}

/// Exit 2, no panic, and stderr holds every needle.
fn refused(rules: &str, needles: &[&str]) {
    let dir = project(rules);
    schemactl_in(dir.path(), &["validate", "-"]).exits_saying(2, needles);
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
    interop::python(
        "rules_python.py",
        &[&registry.url, "emergency_generator"],
        &[],
        String::new,
    )
    .says(&[
        "all rule interop checks passed",
        "refused to serialize fuel -9",
        "'owner': 'fleet-ops'",
    ]);

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
    show.exits_printing(0, &["fuel_not_negative (CEL WRITEREAD): message.fuel >= 0"]);
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

/// A POST on loopback with a JSON body, answered as JSON.
fn post_json(url: &str, body: &serde_json::Value) -> serde_json::Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let response = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .json(body)
                .send()
                .await
                .expect("POST");
            let status = response.status();
            let json: serde_json::Value = response.json().await.expect("JSON");
            assert!(status.is_success(), "{status}: {json}");
            json
        })
}

fn versions_of(registry: &services::Registry) -> Vec<i64> {
    get_json(&registry.at("/subjects/emergency_generator-value/versions"))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

fn register_json(dir: &Path, contract: &str, registry: &services::Registry) -> serde_json::Value {
    let run = schemactl_in(
        dir,
        &[
            "register",
            "--contract",
            contract,
            "--registry",
            &registry.url,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.text());
    json_of(&run)
}

#[test]
fn pull_and_init_bring_every_versions_rule_set_back_and_registering_again_adds_nothing() {
    let registry = services::Registry::start();
    let dir = project(RULES);
    let first = register_json(dir.path(), "g", &registry);
    assert_eq!(first["summary"]["registered"], 1, "{first}");

    // A client other than schemactl registers a rules-only version carrying rule types
    // schemactl does not run: an executor it has never heard of, and Confluent's encryption.
    let vendor_rule = serde_json::json!({
        "name": "vendor_check",
        "kind": "CONDITION",
        "mode": "WRITE",
        "type": "ACME_RULES",
        "expr": "fuel in [0, 5000]",
        "params": {"acme.level": "3"},
        "onFailure": "ERROR"
    });
    let encrypt_rule = serde_json::json!({
        "name": "encrypt_location",
        "kind": "TRANSFORM",
        "mode": "WRITEREAD",
        "type": "ENCRYPT",
        "tags": ["PII"],
        "params": {"encrypt.kek.name": "fleet-kek"},
        "onFailure": "ERROR,NONE"
    });
    let rule_set = serde_json::json!({
        "domainRules": [
            {"name": "fuel_not_negative", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL", "expr": "message.fuel >= 0", "onFailure": "ERROR"},
            vendor_rule,
            encrypt_rule
        ],
        "migrationRules": [
            {"name": "migrate", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "expr": "$"}
        ]
    });
    post_json(
        &registry.at("/subjects/emergency_generator-value/versions"),
        &serde_json::json!({
            "schemaType": "JSON",
            "schema": FLEET_SCHEMA,
            "metadata": {"properties": {"owner": "fleet-ops", "acme.team": "sensors"}},
            "ruleSet": rule_set
        }),
    );
    assert_eq!(versions_of(&registry), [1, 2]);
    let stored = get_json(&registry.at("/subjects/emergency_generator-value/versions/2"));

    // pull: each version's rule set beside it, as the registry holds it.
    let adopted = tempfile::tempdir().unwrap();
    let a = adopted.path();
    let pull = schemactl_in(
        a,
        &[
            "pull",
            "emergency_generator-value",
            "--into",
            "schemas/p",
            "--registry",
            &registry.url,
        ],
    );
    pull.exits_printing(0, &["v2.rules.json"]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("schemas/p/v2.rules.json")).unwrap())
            .unwrap();
    assert_eq!(file["ruleSet"], stored["ruleSet"]);
    assert_eq!(file["metadata"], stored["metadata"]);
    assert!(a.join("schemas/p/v1.rules.json").is_file());
    assert_eq!(
        std::fs::read_to_string(a.join("schemas/p/v1.json")).unwrap(),
        std::fs::read_to_string(a.join("schemas/p/v2.json")).unwrap(),
        "a rules-only version is the same schema again"
    );
    std::fs::create_dir_all(a.join("contracts")).unwrap();
    std::fs::write(
        a.join("contracts/p.toml"),
        "subject = \"emergency_generator-value\"\nschemas = \"schemas/p\"\n",
    )
    .unwrap();

    // test: the rules it does not run are named as not evaluated, never dropped.
    let test = schemactl_in(a, &["test", "--contract", "p"]);
    assert_eq!(test.code, 0, "{}", test.text());
    for name in ["vendor_check", "encrypt_location", "migrate"] {
        assert!(
            test.stdout.contains(&format!("rule \"{name}\"")),
            "{name}: {}",
            test.stdout
        );
    }
    assert!(test.stdout.contains("not evaluated"), "{}", test.stdout);

    // register again: nothing new, every version already holds its rule set.
    let again = register_json(a, "p", &registry);
    assert_eq!(again["summary"]["registered"], 0, "{again}");
    assert_eq!(again["summary"]["already_registered"], 2, "{again}");
    assert_eq!(
        again["contracts"][0]["versions"][1]["version"], 2,
        "{again}"
    );
    assert_eq!(versions_of(&registry), [1, 2]);

    // init --from-registry writes the same history and rule sets, and registers nothing new.
    let initialised = tempfile::tempdir().unwrap();
    let i = initialised.path();
    let init = schemactl_in(
        i,
        &[
            "init",
            "--from-registry",
            "emergency_generator-value",
            "--registry",
            &registry.url,
        ],
    );
    assert_eq!(init.code, 0, "{}", init.text());
    for v in 1..=2 {
        assert_eq!(
            std::fs::read_to_string(i.join(format!("schemas/emergency_generator/v{v}.rules.json")))
                .unwrap(),
            std::fs::read_to_string(a.join(format!("schemas/p/v{v}.rules.json"))).unwrap()
        );
    }
    let again = register_json(i, "emergency_generator", &registry);
    assert_eq!(again["summary"]["registered"], 0, "{again}");
    assert_eq!(versions_of(&registry), [1, 2]);
    let v2 = get_json(&registry.at("/subjects/emergency_generator-value/versions/2"));
    assert_eq!(v2["ruleSet"], stored["ruleSet"], "byte-faithful round trip");

    // A contract with [[rules]] of its own beside the newest version's file has two rule sets
    // for one version: refused, naming both.
    std::fs::write(
        a.join("contracts/p.toml"),
        format!("subject = \"emergency_generator-value\"\nschemas = \"schemas/p\"\n{RULES}"),
    )
    .unwrap();
    let both = schemactl_in(a, &["test", "--contract", "p"]);
    both.exits_saying(2, &["p.toml", "v2.rules.json"]);
}

#[test]
fn a_published_rule_set_edited_in_place_is_caught_by_base_and_a_new_version_is_not() {
    let dir = project(RULES);
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1 with its rules published"]);
    let check = |d: &Path| {
        schemactl_in(
            d,
            &[
                "check-compat",
                "--contract",
                "g",
                "--base",
                "main",
                "--format",
                "json",
            ],
        )
    };
    let run = check(d);
    assert_eq!(run.code, 0, "{}", run.text());

    // A new schema version with the contract's rules unchanged: v1 keeps them, nothing moves.
    std::fs::write(d.join("schemas/g/v2.json"), FLEET_SCHEMA).unwrap();
    let run = check(d);
    assert_eq!(run.code, 0, "{}", run.text());
    std::fs::remove_file(d.join("schemas/g/v2.json")).unwrap();

    // Editing v1's rule (the contract's, since v1 is the newest) in place.
    let contract = d.join("contracts/g.toml");
    let published = std::fs::read_to_string(&contract).unwrap();
    std::fs::write(
        &contract,
        published.replace("message.fuel >= 0", "message.fuel >= -10"),
    )
    .unwrap();
    let run = check(d);
    assert_eq!(run.code, 1, "{}", run.text());
    let doc = json_of(&run);
    assert_eq!(doc["compatible"], false, "{doc}");
    assert_eq!(
        doc["published"]["findings"][0]["type"], "RULES_REWRITTEN",
        "{doc}"
    );
    let message = doc["published"]["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("version 1's rule set"), "{message}");

    // The same change made as a new version: v2 is v1's schema again with the new rules, and
    // v1's rule set stays as published, in v1.rules.json.
    let v1_rules = serde_json::json!({
        "metadata": {"properties": {"owner": "fleet-ops"}},
        "ruleSet": {
            "domainRules": [
                {"name": "fuel_not_negative", "doc": "The firmware reports a negative level once per refill cycle (FLEET.md).", "type": "CEL", "expr": "message.fuel >= 0"},
                {"name": "temperature_plausible", "type": "CEL", "expr": "message.temperature >= -10 && message.temperature <= 90", "onFailure": "NONE"},
                {"name": "pressure_plausible", "type": "CEL", "expr": "message.pressure >= 100 && message.pressure <= 1000", "onFailure": "DLQ", "params": {"dlq.topic": "emergency_generator-dlq"}}
            ],
            "migrationRules": [{"name": "migrate", "type": "JSONATA", "mode": "UPGRADE", "expr": "$"}]
        }
    });
    std::fs::write(
        d.join("schemas/g/v1.rules.json"),
        serde_json::to_string_pretty(&v1_rules).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("schemas/g/v2.json"), FLEET_SCHEMA).unwrap();
    let run = check(d);
    assert_eq!(run.code, 0, "{}", run.text());

    // Dropping v1's rule set from the history is an edit of a published version too.
    std::fs::remove_file(d.join("schemas/g/v1.rules.json")).unwrap();
    let run = check(d);
    run.exits_printing(1, &["RULES_REWRITTEN"]);
}

/// Both Confluent clients' verdicts on a corpus (Python's, then JavaScript's):
/// {rule: {payload: "pass" | "fail"}}.
fn client_verdicts(corpus: &Path) -> (serde_json::Value, serde_json::Value) {
    let corpus = corpus.to_str().unwrap();
    (
        interop::python("rules_corpus_python.py", &[corpus], &[], String::new).report(),
        interop::node("rules_corpus.js", &[corpus], String::new).report(),
    )
}

fn cel_rule(name: &str, expr: &str) -> schemactl::catalog::Rule {
    serde_json::from_value(serde_json::json!({"name": name, "type": "CEL", "expr": expr})).unwrap()
}

/// schemactl's verdict on every payload of the corpus.
fn our_verdicts(
    rule: &schemactl::catalog::Rule,
    schema: &serde_json::Value,
    payloads: &[serde_json::Value],
) -> Vec<(String, &'static str)> {
    let engine =
        schemactl::validate::rules::RuleEngine::new(std::slice::from_ref(rule), schema, None)
            .unwrap_or_else(|e| panic!("{}: {e:?}", rule.name));
    payloads
        .iter()
        .map(|p| {
            let verdict = if engine.check(&p["payload"]).is_empty() {
                "pass"
            } else {
                "fail"
            };
            (p["name"].as_str().unwrap().to_string(), verdict)
        })
        .collect()
}

#[test]
fn on_the_rule_corpus_schemactl_agrees_with_both_confluent_clients_and_follows_the_spec_where_they_differ()
 {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules-corpus/corpus.json");
    let corpus: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let schema = &corpus["schema"];
    let payloads = corpus["payloads"].as_array().unwrap();
    let rules = corpus["rules"].as_array().unwrap();
    assert!(
        rules.len() * payloads.len() >= 200,
        "a corpus of 200+ cases"
    );
    let (python, node) = client_verdicts(&path);
    let mut agreed = 0;
    let mut differed = Vec::new();
    for r in rules {
        let name = r["name"].as_str().unwrap();
        let rule = cel_rule(name, r["expr"].as_str().unwrap());
        let mut clients_differ = false;
        for (payload, ours) in our_verdicts(&rule, schema, payloads) {
            let py = python[name][&payload].as_str().unwrap();
            let js = node[name][&payload].as_str().unwrap();
            if py == js {
                agreed += 1;
                assert_eq!(ours, py, "{name} on {payload}: both clients say {py}");
                continue;
            }
            clients_differ = true;
            let follows = r["when_clients_differ"]["follows"].as_str().unwrap_or_else(|| {
                panic!("{name} on {payload}: Python says {py}, JavaScript {js}, and the corpus does not say which the CEL spec gives")
            });
            let spec = if follows == "python" { py } else { js };
            assert_eq!(
                ours, spec,
                "{name} on {payload}: the CEL spec gives {spec} ({})",
                r["when_clients_differ"]["why"]
            );
            differed.push(format!("{name} on {payload}"));
        }
        // The lint warns exactly about the rules the clients disagree on here.
        let findings = schemactl::validate::portability::lint(std::slice::from_ref(&rule), schema);
        assert_eq!(
            !findings.is_empty(),
            clients_differ,
            "{name}: clients differ: {clients_differ}, lint: {findings:?}"
        );
    }
    assert!(agreed > 0 && !differed.is_empty());
    eprintln!(
        "{agreed} cases on which both clients agree; {} on which they differ",
        differed.len()
    );

    // Every portable form the lint suggests: both clients agree on it, and so does schemactl.
    let mut suggested = Vec::new();
    for r in rules {
        let mut expr = r["expr"].as_str().unwrap().to_string();
        let mut changed = false;
        for _ in 0..3 {
            let findings = schemactl::validate::portability::lint(&[cel_rule("r", &expr)], schema);
            let Some(first) = findings.first() else { break };
            expr = first.portable_form.clone();
            changed = true;
        }
        if changed {
            suggested.push(serde_json::json!({"name": format!("{}_portable", r["name"].as_str().unwrap()), "expr": expr}));
        }
    }
    assert!(suggested.len() >= 5, "{suggested:?}");
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("portable.json");
    std::fs::write(
        &second,
        serde_json::json!({"schema": schema, "rules": suggested, "payloads": payloads}).to_string(),
    )
    .unwrap();
    let (python, node) = client_verdicts(&second);
    for r in &suggested {
        let name = r["name"].as_str().unwrap();
        let expr = r["expr"].as_str().unwrap();
        let rule = cel_rule(name, expr);
        assert!(
            schemactl::validate::portability::lint(std::slice::from_ref(&rule), schema).is_empty()
        );
        for (payload, ours) in our_verdicts(&rule, schema, payloads) {
            let py = python[name][&payload].as_str().unwrap();
            let js = node[name][&payload].as_str().unwrap();
            assert_eq!(
                py, js,
                "suggested `{expr}` on {payload}: Python {py}, JavaScript {js}"
            );
            assert_eq!(ours, py, "suggested `{expr}` on {payload}");
        }
    }
}

#[test]
fn diff_lists_rule_changes_with_old_and_new_expressions_in_every_format() {
    let dir = project(
        r#"
[[rules]]
name = "fuel_not_negative"
expr = "message.fuel >= -10"
onFailure = "NONE"

[[rules]]
name = "temperature_plausible"
expr = "message.temperature >= -10 && message.temperature <= 90"
"#,
    );
    let d = dir.path();
    // v2 is v1's schema again, registered with the contract's new rules; v1 keeps its own.
    std::fs::write(d.join("schemas/g/v2.json"), FLEET_SCHEMA).unwrap();
    std::fs::write(
        d.join("schemas/g/v1.rules.json"),
        r#"{"ruleSet": {"domainRules": [
            {"name": "fuel_not_negative", "type": "CEL", "expr": "message.fuel >= 0"},
            {"name": "pressure_plausible", "type": "CEL", "expr": "message.pressure >= 100"}
        ]}}"#,
    )
    .unwrap();
    let diff = |format: &str| {
        schemactl_in(
            d,
            &[
                "diff",
                "schemas/g/v1.json",
                "schemas/g/v2.json",
                "--new-rules",
                "contracts/g.toml",
                "--format",
                format,
            ],
        )
    };
    let json = diff("json");
    assert_eq!(json.code, 0, "{}", json.text());
    let doc = json_of(&json);
    assert_eq!(doc["identical"], false);
    let changes = doc["rule_changes"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("RULE_CHANGED", "fuel_not_negative"),
            ("RULE_REMOVED", "pressure_plausible"),
            ("RULE_ADDED", "temperature_plausible")
        ]
    );
    assert_eq!(changes[0]["old_expr"], "message.fuel >= 0");
    assert_eq!(changes[0]["new_expr"], "message.fuel >= -10");
    assert_eq!(changes[0]["changes"][1]["field"], "onFailure");
    let text = diff("text");
    assert!(
        text.stdout.contains(
            "RULE_CHANGED rule \"fuel_not_negative\" changed: expr message.fuel >= 0 → message.fuel >= -10; onFailure \"ERROR\" → \"NONE\""
        ),
        "{}",
        text.stdout
    );
    for format in ["github", "junit", "sarif", "markdown", "html"] {
        let run = diff(format);
        assert!(run.code == 0 || run.code == 2, "{format}: {}", run.text());
        if run.code == 2 {
            // A format another branch adds; the three that exist here must speak.
            continue;
        }
        for kind in ["RULE_CHANGED", "RULE_REMOVED", "RULE_ADDED"] {
            assert!(
                run.stdout.contains(kind),
                "{format}: no {kind}\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains("= -10"), "{format}: {}", run.stdout);
    }
    // The rule set beside each file is found without being named.
    std::fs::write(
        d.join("schemas/g/v2.rules.json"),
        r#"{"ruleSet": {"domainRules": [{"name": "fuel_not_negative", "type": "CEL", "expr": "message.fuel >= 0"}]}}"#,
    )
    .unwrap();
    let beside = schemactl_in(
        d,
        &[
            "diff",
            "schemas/g/v1.json",
            "schemas/g/v2.json",
            "--format",
            "json",
        ],
    );
    let doc = json_of(&beside);
    assert_eq!(doc["rule_changes"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["rule_changes"][0]["type"], "RULE_REMOVED", "{doc}");
}

#[test]
fn test_and_register_dry_run_warn_about_rules_confluents_clients_disagree_on() {
    let registry = services::Registry::start();
    let dir = project(
        r#"
[[rules]]
name = "fuel_not_negative"
expr = "message.fuel >= 0.0"

[[rules]]
name = "not_in_fault"
expr = "message.status != 'fault'"

[[rules]]
name = "pressure_plausible"
expr = "message.pressure >= 100 && message.pressure <= 1000"
"#,
    );
    let d = dir.path();
    let test = schemactl_in(d, &["test", "--contract", "g"]);
    // Warnings, not failures: the rules are valid CEL, only not portable.
    test.exits_printing(
        0,
        &[
            "RULE_NOT_PORTABLE",
            "double(message.fuel) >= 0.0",
            "has(message.status) && (message.status != 'fault')",
        ],
    );
    let json = json_of(&schemactl_in(
        d,
        &["test", "--contract", "g", "--format", "json"],
    ));
    let found = json["contracts"][0]["portability"].as_array().unwrap();
    let names: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["class"].as_str().unwrap()))
        .collect();
    // The portable rule gets no warning.
    assert_eq!(
        names,
        [
            ("fuel_not_negative", "double_literal"),
            ("not_in_fault", "optional_without_has")
        ]
    );
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("confluent-kafka-python"),
        "{json}"
    );

    let dry = schemactl_in(
        d,
        &[
            "register",
            "--contract",
            "g",
            "--registry",
            &registry.url,
            "--dry-run",
        ],
    );
    dry.exits_printing(0, &["RULE_NOT_PORTABLE: rule \"fuel_not_negative\""]);
    assert!(
        dry.stdout
            .contains("help: write `double(message.fuel) >= 0.0`"),
        "{}",
        dry.stdout
    );
    assert!(
        !dry.stdout.contains("pressure_plausible\" compares"),
        "{}",
        dry.stdout
    );

    // The generator contract's own rules are portable.
    let ours = json_of(&common::cli::schemactl(&[
        "test",
        "--contract",
        "generator",
        "--format",
        "json",
    ]));
    assert_eq!(
        ours["contracts"][0]["portability"],
        serde_json::json!([]),
        "{ours}"
    );
}

#[test]
fn a_bad_rule_set_in_the_history_is_refused_naming_the_file_and_rule() {
    let dir = project(RULES);
    let d = dir.path();
    std::fs::write(d.join("schemas/g/v2.json"), FLEET_SCHEMA).unwrap();
    let bad = |text: &str, needles: &[&str]| {
        std::fs::write(d.join("schemas/g/v1.rules.json"), text).unwrap();
        let run = schemactl_in(d, &["test", "--contract", "g"]);
        assert_eq!(run.code, 2, "{text}\n{}", run.text());
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        for n in needles {
            assert!(
                run.stderr.contains(n),
                "{text}: no {n:?} in\n{}",
                run.stderr
            );
        }
    };
    bad("{\"ruleSet\": ", &["v1.rules.json", "line 1"]);
    bad(
        r#"{"ruleSet": {"domainRules": [{"name": "r", "type": "CEL", "expr": "message.fuel >= && true"}]}}"#,
        &["v1.rules.json", "rule \"r\"", "does not parse"],
    );
    bad(
        r#"{"ruleSet": {"domainRules": [{"name": "r", "type": "CEL", "expr": "true"}, {"name": "r", "type": "JSONATA", "expr": "$"}]}}"#,
        &["v1.rules.json", "duplicate rule name \"r\""],
    );
    bad(
        r#"{"ruleSet": {"domainRules": [{"name": "r", "type": "CEL", "expr": "message.fuel * 2"}]}}"#,
        &["v1.rules.json", "rule \"r\"", "not a bool"],
    );
    // A rule set for a version the history does not have.
    std::fs::remove_file(d.join("schemas/g/v1.rules.json")).unwrap();
    std::fs::write(d.join("schemas/g/v7.rules.json"), "{}").unwrap();
    let run = schemactl_in(d, &["test", "--contract", "g"]);
    run.exits_saying(2, &["no v7.json"]);
}

#[test]
fn a_rules_only_version_made_as_the_readme_says_registers_once_and_keeps_the_old_rule_set() {
    let registry = services::Registry::start();
    let rules = "[[rules]]\nname = \"fuel_not_negative\"\nexpr = \"message.fuel >= 0\"\n";
    let dir = project(rules);
    let d = dir.path();
    let first = register_json(d, "g", &registry);
    assert_eq!(first["summary"]["registered"], 1, "{first}");
    // v1's rule set written by hand, without the defaults the contract spelled out; v2 is v1's
    // schema with the new rules.
    std::fs::write(
        d.join("schemas/g/v1.rules.json"),
        r#"{"ruleSet": {"domainRules": [{"name": "fuel_not_negative", "type": "CEL", "expr": "message.fuel >= 0"}]}}"#,
    )
    .unwrap();
    std::fs::write(d.join("schemas/g/v2.json"), FLEET_SCHEMA).unwrap();
    std::fs::write(
        d.join("contracts/g.toml"),
        format!("{HEAD}{rules}[[rules]]\nname = \"pressure_plausible\"\nexpr = \"message.pressure >= 100\"\n"),
    )
    .unwrap();
    let second = register_json(d, "g", &registry);
    let steps = &second["contracts"][0]["versions"];
    assert_eq!(steps[0]["action"], "already_registered", "{second}");
    assert_eq!(steps[0]["version"], 1, "{second}");
    assert_eq!(steps[1]["action"], "registered", "{second}");
    assert_eq!(versions_of(&registry), [1, 2]);
    assert_eq!(registered_rules(&registry, 1), ["fuel_not_negative"]);
    assert_eq!(
        registered_rules(&registry, 2),
        ["fuel_not_negative", "pressure_plausible"]
    );
    let third = register_json(d, "g", &registry);
    assert_eq!(third["summary"]["registered"], 0, "{third}");
    assert_eq!(versions_of(&registry), [1, 2]);
}
