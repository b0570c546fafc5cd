//! Command-line tests against the real binary: outputs are snapshot-tested (colour off) together
//! with their exit codes; bad input must exit 2 with an error naming the file and position.

mod common;
use common::cli::{Run, root, schemactl, schemactl_in};
use common::git::git;

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn contract_history_passes_the_gate() {
    let run = schemactl(&["check-compat", "--contract", "generator"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("check_compat_contract_ok", run.stdout);
}

#[test]
fn breaking_proposals_fail_with_reasons_and_help() {
    for (file, change) in [
        (
            "adds-required-field",
            "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        ),
        ("narrows-fuel-to-integer", "TYPE_NARROWED"),
        // The fleet's fuel dips to -9 before each refill: old data breaks a minimum of 0.
        ("tightens-fuel-range", "MINIMUM_ADDED"),
        ("pressure-as-string", "TYPE_CHANGED"),
        // The invented contract's percent: the fleet sends litres, up to about 2000.
        ("fuel-as-percentage", "MAXIMUM_ADDED"),
    ] {
        let path = format!("tests/fixtures/generator/{file}.json");
        let run = schemactl(&["check-compat", &path, "--contract", "generator"]);
        assert_eq!(run.code, 1, "{file}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains(&format!("error[{change}]")),
            "{file}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("help: "), "{file}: {}", run.stdout);
        insta::assert_snapshot!(format!("check_compat_{file}"), run.stdout);
    }
}

/// Whether a change was found against `schemas/generator/<version>.json`.
fn against(change: &serde_json::Value, version: &str) -> bool {
    change["against"]
        .as_str()
        .is_some_and(|a| a.ends_with(&format!("generator/{version}.json")))
}

#[test]
fn json_output_carries_the_verdict_and_changes() {
    let run = schemactl(&[
        "check-compat",
        "tests/fixtures/generator/tightens-fuel-range.json",
        "--against",
        "schemas/generator/v1.json",
        "--against",
        "schemas/generator/v3.json",
        "--level",
        "FULL_TRANSITIVE",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["compatible"], false);
    assert_eq!(doc["level"], "FULL_TRANSITIVE");
    assert_eq!(doc["policy"], "strict");
    let changes = doc["changes"].as_array().unwrap();
    let breaking: Vec<_> = changes
        .iter()
        .filter(|c| c["compatible"] == false)
        .collect();
    // Against v1 and v3, backward: fuel gained a minimum (the fleet's fuel dips below zero).
    // Against v1 under the strict policy: the properties v2 and v3 added to v1's open model.
    assert!(
        breaking.iter().any(|c| c["type"] == "MINIMUM_ADDED"
            && against(c, "v3")
            && c["direction"] == "backward")
    );
    assert!(
        breaking
            .iter()
            .any(|c| c["type"] == "MINIMUM_ADDED" && against(c, "v1"))
    );
    assert!(breaking.iter().any(
        |c| c["type"] == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            && against(c, "v1")
            && c["direction"] == "backward"
    ));
    for c in changes {
        for field in [
            "type",
            "path",
            "compatible",
            "message",
            "against",
            "direction",
        ] {
            assert!(!c[field].is_null(), "{field} missing in {c}");
        }
    }
}

#[test]
fn non_transitive_levels_check_only_the_latest_version() {
    // Narrowing v3's temperature maximum back to v1's passes against v1 but not v3.
    let args = [
        "check-compat",
        "tests/fixtures/generator/compatible-v4.json",
        "--against",
        "schemas/generator/v1.json",
        "--against",
        "schemas/generator/v3.json",
    ];
    let run = schemactl(&[&args[..], &["--level", "FORWARD", "--format", "json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| against(c, "v3"))
    );
    let run = schemactl(
        &[
            &args[..],
            &["--level", "FORWARD_TRANSITIVE", "--format", "json"],
        ]
        .concat(),
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| against(c, "v1"))
    );
}

#[test]
fn contract_test_passes_and_reports_every_check() {
    let run = schemactl(&["test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("test_all_contracts", run.stdout);
    let run = schemactl(&["test", "--contract", "generator", "--format", "junit"]);
    run.exits_printing(0, &["<testsuite name=\"schemactl test\" tests=\"11\""]);
}

#[test]
fn ci_formats_render_breaking_changes() {
    let args = [
        "check-compat",
        "tests/fixtures/generator/tightens-fuel-range.json",
        "--contract",
        "generator",
        "--format",
    ];
    let github = schemactl(&[&args[..], &["github"]].concat());
    assert_eq!(github.code, 1);
    assert!(
        github.stdout.starts_with(
            "::error file=tests/fixtures/generator/tightens-fuel-range.json,line=30,col=13,title=MINIMUM_ADDED"
        ),
        "{}",
        github.stdout
    );
    let junit = schemactl(&[&args[..], &["junit"]].concat());
    junit.exits_printing(1, &["<failure", "MINIMUM_ADDED"]);
    let sarif = schemactl(&[&args[..], &["sarif"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "MINIMUM_ADDED");
}

#[test]
fn diff_shows_changes_verdicts_and_a_unified_diff() {
    let run = schemactl(&[
        "diff",
        "schemas/generator/v2.json",
        "schemas/generator/v3.json",
    ]);
    // v3 adds `status` to an open model: compatible under the contract's lenient policy, but
    // `diff` exits by the strict verdict, and shows both.
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("diff_v2_v3", run.stdout);
    let run = schemactl(&[
        "diff",
        "schemas/generator/v3.json",
        "tests/fixtures/generator/tightens-fuel-range.json",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["backward"]["strict"], false);
    assert!(doc["unified_diff"].as_str().unwrap().contains(
        "-      \"type\": \"number\"\n+      \"type\": \"number\",\n+      \"minimum\": 0"
    ));
}

#[test]
fn lenient_policy_accepts_a_property_added_to_an_open_model() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.json",
        r#"{"type":"object","properties":{"fuel":{"type":"number"}}}"#,
    );
    let new = write(
        dir.path(),
        "new.json",
        r#"{"type":"object","properties":{"fuel":{"type":"number"},"firmware":{"type":"string"}}}"#,
    );
    let strict = schemactl(&["check-compat", &new, "--against", &old]);
    assert_eq!(strict.code, 1);
    assert!(
        strict
            .stdout
            .contains("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
    );
    let lenient = schemactl(&[
        "check-compat",
        &new,
        "--against",
        &old,
        "--policy",
        "lenient",
    ]);
    assert_eq!(lenient.code, 0, "{}", lenient.stdout);
}

#[test]
fn reserved_properties_in_metadata_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.json",
        r#"{"type":"object","properties":{"fuel":{"type":"number"}},"additionalProperties":false}"#,
    );
    let new = write(
        dir.path(),
        "new.json",
        r#"{"type":"object","properties":{"fuel":{"type":"number"},"cost":{"type":"number"}},"additionalProperties":false}"#,
    );
    let meta = write(
        dir.path(),
        "meta.json",
        r#"{"properties":{"confluent:reserved":"cost"}}"#,
    );
    let run = schemactl(&[
        "check-compat",
        &new,
        "--against",
        &old,
        "--metadata",
        &meta,
        "--against-metadata",
        &meta,
    ]);
    run.exits_printing(1, &["RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY"]);
}

// ---- bad input: exit 2, the file and position named, no panic ----

#[track_caller]
fn assert_input_error(run: &Run, needles: &[&str]) {
    run.exits_saying(2, needles);
}

/// `check-compat` of a proposal written to a scratch folder as `name` with `text`, against the
/// generator's v1: refused as bad input with an error that says every one of `needles`.
#[track_caller]
fn refused_as_input(name: &str, text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let proposal = write(dir.path(), name, text);
    let run = schemactl(&[
        "check-compat",
        &proposal,
        "--against",
        "schemas/generator/v1.json",
    ]);
    assert_input_error(&run, needles);
}

#[test]
fn invalid_json_names_file_line_and_column() {
    refused_as_input(
        "bad.json",
        "{\n  \"type\": \"object\",\n  \"properties\": {\n}",
        &["bad.json", "line 4"],
    );
}

#[test]
fn a_file_that_is_not_a_schema_is_refused() {
    refused_as_input(
        "array.json",
        "[1, 2, 3]",
        &["array.json", "not a JSON Schema at #"],
    );
    refused_as_input(
        "bad-type.json",
        r#"{"properties": {"fuel": {"type": "decimal"}}}"#,
        &["bad-type.json", "#/properties/fuel/type", "decimal"],
    );
}

#[test]
fn unknown_schema_url_is_read_as_draft_07_with_a_warning() {
    let run = schemactl(&[
        "check-compat",
        "tests/fixtures/generator/mirror-schema-url.json",
        "--against",
        "schemas/generator/v1.json",
    ]);
    run.exits_saying(0, &["warning:", "read as draft-07"]);
}

#[test]
fn unresolvable_and_self_referencing_refs_are_input_errors() {
    refused_as_input(
        "dangling.json",
        r##"{"properties": {"fuel": {"$ref": "#/definitions/level"}}}"##,
        &[
            "dangling.json",
            "#/definitions/level",
            "#/properties/fuel/$ref",
        ],
    );
    refused_as_input(
        "remote.json",
        r#"{"$ref": "https://example.com/generator.json"}"#,
        &["remote.json", "inline"],
    );
    refused_as_input(
        "itself.json",
        r##"{"$ref": "#"}"##,
        &["itself.json", "refers to itself"],
    );
}

#[test]
fn recursive_schemas_get_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let tree = r##"{"definitions":{"node":{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/definitions/node"}}}}},"$ref":"#/definitions/node"}"##;
    let old = write(dir.path(), "old.json", tree);
    let new = write(
        dir.path(),
        "new.json",
        &tree.replace(r#""name":{"type":"string"}"#, r#""name":{"type":"number"}"#),
    );
    let run = schemactl(&["check-compat", &new, "--against", &old, "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["changes"][0]["type"], "TYPE_CHANGED");
    assert_eq!(doc["changes"][0]["path"], "#/properties/name");
    let same = schemactl(&["check-compat", &old, "--against", &old]);
    assert_eq!(same.code, 0);
}

#[test]
fn a_ten_megabyte_schema_gets_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let mut props = serde_json::Map::new();
    // Each property serialises to about 120 bytes: 90,000 of them make a schema over 10 MB.
    for i in 0..90_000 {
        props.insert(format!("sensor_{i:07}"), serde_json::json!({"type": "number", "minimum": 0, "maximum": i, "description": "a reading of one of many sensors on the generator"}));
    }
    let old =
        serde_json::json!({"type": "object", "properties": props, "additionalProperties": false});
    let old_path = write(dir.path(), "big-old.json", &old.to_string());
    let mut new = old.clone();
    new["properties"]["sensor_0000005"]["maximum"] = serde_json::json!(1);
    let new_path = write(dir.path(), "big-new.json", &new.to_string());
    assert!(std::fs::metadata(&new_path).unwrap().len() >= 10_000_000);
    let run = schemactl(&[
        "check-compat",
        &new_path,
        "--against",
        &old_path,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["changes"].as_array().unwrap().len(), 1);
    assert_eq!(doc["changes"][0]["type"], "MAXIMUM_DECREASED");
}

#[test]
fn missing_files_and_bad_contracts_are_input_errors() {
    assert_input_error(
        &schemactl(&[
            "check-compat",
            "nope.json",
            "--against",
            "schemas/generator/v1.json",
        ]),
        &["nope.json"],
    );
    assert_input_error(
        &schemactl(&["check-compat", "--contract", "nope"]),
        &["no contract named \"nope\"", "generator"],
    );
    assert_input_error(
        &schemactl(&["check-compat", "schemas/generator/v1.json"]),
        &["--against"],
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    for (contract, expected) in [
        (
            "subject = \"x-value\"\nschemas = \"schemas/missing\"\n",
            ["missing.toml", "schemas/missing", "no such folder"],
        ),
        (
            "subject = \"x-value\"\nschemas = \"schemas\"\nlevle = \"FULL\"\n",
            ["missing.toml", "line 3", "levle"],
        ),
        (
            "subject = \"x-value\"\nschemas = \"schemas\"\nlevel = \"SIDEWAYS\"\n",
            ["missing.toml", "SIDEWAYS", "BACKWARD_TRANSITIVE"],
        ),
    ] {
        write(&dir.path().join("contracts"), "missing.toml", contract);
        assert_input_error(&schemactl_in(dir.path(), &["test"]), &expected);
    }
}

#[test]
fn an_unknown_kafka_key_kind_and_the_old_kafka_key_are_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    write(
        &dir.path().join("contracts"),
        "meters.toml",
        "subject = \"meters-value\"\nschemas = \"schemas\"\n\n[kafka]\ntopic = \"meters\"\nkey = \"serial\"\n",
    );
    assert_input_error(
        &schemactl_in(dir.path(), &["test"]),
        &[
            "meters.toml",
            "line 6, column 7",
            "\"serial\" is not a key kind",
            "help: key is one of \"producer\", \"uuid\", \"none\"",
        ],
    );
    write(
        &dir.path().join("contracts"),
        "meters.toml",
        "subject = \"meters-value\"\nschemas = \"schemas\"\n\n[identity]\npointer = \"/id\"\nkafka_key = true\n",
    );
    assert_input_error(
        &schemactl_in(dir.path(), &["test"]),
        &[
            "meters.toml",
            "line 6",
            "kafka_key is no longer read",
            "help: say what the Kafka key is in [kafka]: key = \"producer\"",
        ],
    );
}

#[test]
fn a_reading_model_with_an_impossible_range_is_refused_naming_file_field_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    let contract = std::fs::read_to_string(root().join("contracts/generator.toml"))
        .unwrap()
        .replace("range = [-10, 90]", "range = [90, -10]")
        .replace("schemas = \"schemas/generator\"", "schemas = \"schemas\"");
    let line = contract
        .lines()
        .position(|l| l.starts_with("range = [90, -10]"))
        .expect("the temperature range")
        + 1;
    write(&dir.path().join("contracts"), "generator.toml", &contract);
    for command in [&["test"][..], &["check-compat", "--contract", "generator"]] {
        assert_input_error(
            &schemactl_in(dir.path(), command),
            &[
                "generator.toml",
                &format!("line {line}, column 9"),
                "field \"temperature\"",
                "range = [90, -10] has its low end above its high end",
                "help: write the low end first: range = [-10, 90]",
            ],
        );
    }
}

#[test]
fn a_second_contract_gets_its_own_simulator_without_code() {
    // tests/fixtures/meters: tank level meters with a reading model of their own, one MQTT topic
    // per meter and Kafka keys naming the meter.
    let meters = root().join("tests/fixtures/meters");
    let run = schemactl_in(&meters, &["test"]);
    run.exits_printing(
        0,
        &["ok   meter: a sample of 1000 simulator payloads validates against v1"],
    );
    let run = schemactl_in(
        &meters,
        &[
            "demo",
            "--duration",
            "2s",
            "--generators",
            "4",
            "--rate",
            "20",
            "--faults",
            "identity-mismatch=2:0.5,out-of-range=3:0.5,not-json=4:0.3",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let row = |producer: &str, transport: &str| {
        run.stdout
            .lines()
            .find(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some(producer) && words.next() == Some(transport)
            })
            .unwrap_or_else(|| panic!("no {producer} {transport} row:\n{}", run.stdout))
            .to_string()
    };
    for transport in ["mqtt", "kafka"] {
        assert!(row("meter-1", transport).ends_with(" -"), "{}", run.stdout);
        // The topic level and the key name the meter, so a payload naming another is caught,
        // and even junk is attributed.
        assert!(row("meter-2", transport).contains("IDENTITY_MISMATCH×"));
        assert!(row("meter-3", transport).contains("SCHEMA_VIOLATION×"));
        assert!(row("meter-4", transport).contains("NOT_JSON×"));
    }
    assert!(!run.stdout.contains("generator1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("found 3 of 3 misbehaving generator(s): meter-2 (identity-mismatch), meter-3 (out-of-range), meter-4 (not-json)"),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let run = schemactl(&["check-compat", "--levl", "FULL"]);
    run.exits_saying(2, &["--levl"]);
    let run = schemactl(&[
        "check-compat",
        "a.json",
        "--against",
        "b.json",
        "--level",
        "SIDEWAYS",
    ]);
    assert_eq!(run.code, 2);
    let help = schemactl(&["--help"]);
    help.exits_printing(0, &["Exit codes: 0 pass, 1 findings"]);
}

// ---- published versions are immutable ----

#[test]
fn base_ref_catches_rewritten_and_deleted_versions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("contracts")).unwrap();
    std::fs::create_dir_all(d.join("schemas/generator")).unwrap();
    std::fs::copy(
        root().join("contracts/generator.toml"),
        d.join("contracts/generator.toml"),
    )
    .unwrap();
    for v in 1..=2 {
        std::fs::copy(
            root().join(format!("schemas/generator/v{v}.json")),
            d.join(format!("schemas/generator/v{v}.json")),
        )
        .unwrap();
    }
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1 and v2 published"]);

    // A new compatible version passes.
    std::fs::copy(
        root().join("schemas/generator/v3.json"),
        d.join("schemas/generator/v3.json"),
    )
    .unwrap();
    let run = schemactl_in(
        d,
        &["check-compat", "--contract", "generator", "--base", "main"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // Editing a published version in place is caught even when it stays compatible.
    let v2 = d.join("schemas/generator/v2.json");
    let edited = std::fs::read_to_string(&v2)
        .unwrap()
        .replace("controller firmware version", "firmware");
    std::fs::write(&v2, edited).unwrap();
    let run = schemactl_in(
        d,
        &[
            "check-compat",
            "--contract",
            "generator",
            "--base",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["compatible"], false);
    assert_eq!(doc["published"]["findings"][0]["type"], "VERSION_REWRITTEN");

    // Deleting the newest published version is caught.
    git(d, &["checkout", "-q", "--", "schemas/generator/v2.json"]);
    std::fs::remove_file(d.join("schemas/generator/v3.json")).unwrap();
    std::fs::remove_file(&v2).unwrap();
    let run = schemactl_in(
        d,
        &["check-compat", "--contract", "generator", "--base", "main"],
    );
    run.exits_printing(1, &["VERSION_DELETED"]);

    let run = schemactl_in(
        d,
        &[
            "check-compat",
            "--contract",
            "generator",
            "--base",
            "no-such-ref",
        ],
    );
    assert_input_error(&run, &["no-such-ref"]);
}

#[test]
fn diff_speaks_the_ci_formats() {
    // v1 -> v2 is the open-content-model trap: `diff` judges by the strict policy, under which
    // an optional property added to an open model breaks backward compatibility.
    let run = schemactl(&[
        "diff",
        "schemas/generator/v1.json",
        "schemas/generator/v2.json",
        "--format",
        "github",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("::error file=schemas/generator/v2.json,line=31,col=9,title=OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"), "{}", run.stdout);
    // Forward-breaking changes are warnings: the exit code follows the backward verdict.
    // Dropping v3's `status` is fine for new readers; old readers may meet any `status`.
    let dir = tempfile::tempdir().unwrap();
    let mut v3: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/generator/v3.json")).unwrap(),
    )
    .unwrap();
    v3["properties"].as_object_mut().unwrap().remove("status");
    let dropped = write(dir.path(), "no-status.json", &v3.to_string());
    let run = schemactl(&[
        "diff",
        "schemas/generator/v3.json",
        &dropped,
        "--format",
        "github",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // `status` is gone from the new file: the annotation sits on its parent, `properties`.
    let col = v3.to_string().find("\"properties\"").unwrap() + 1;
    assert!(
        run.stdout.starts_with(&format!(
            "::warning file={dropped},line=1,col={col},title=OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
        )),
        "{}",
        run.stdout
    );
    let run = schemactl(&[
        "diff",
        "schemas/generator/v3.json",
        "tests/fixtures/generator/tightens-fuel-range.json",
        "--format",
        "junit",
    ]);
    run.exits_printing(1, &["<failure", "MINIMUM_ADDED"]);
}

#[test]
fn a_payload_passed_as_a_schema_is_refused() {
    refused_as_input(
        "payload.json",
        r#"{"generatorID": "gen-1", "fuel": 40}"#,
        &[
            "payload.json",
            "without any JSON Schema keyword",
            "generatorID",
        ],
    );
}

#[test]
fn report_merge_refuses_bad_reports_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = |run: &str, contract: &str, messages: u64| {
        serde_json::json!({
            "contract": contract, "subject": "emergency_generator-value", "group": "g",
            "runs": [run],
            "summary": {"mqtt": {"messages": messages, "invalid": 0, "violations": {}}},
            "producers": [{
                "transport": "mqtt", "producer": "gen-0001", "messages": messages,
                "invalid": 0, "violations": {}, "schema_versions": [3],
                "first_seen_millis": 1, "last_seen_millis": 2
            }],
            "violations": [], "violations_not_shown": 0
        })
        .to_string()
    };
    let a = write(dir.path(), "a.json", &report("run-a", "generator", 3));
    let b = write(dir.path(), "b.json", &report("run-b", "generator", 4));
    let ok = schemactl(&["report", "merge", &a, &b, "--format", "json"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let merged: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(merged["summary"]["mqtt"]["messages"], 7);
    assert_eq!(merged["producers"][0]["messages"], 7);

    let missing = dir.path().join("missing.json").display().to_string();
    let not_json = write(dir.path(), "notes.json", "scorecard: fine");
    let not_report = write(dir.path(), "other.json", r#"{"passed": true}"#);
    let other = write(
        dir.path(),
        "other-contract.json",
        &report("run-c", "pump", 1),
    );
    for (bad, says) in [
        (&missing, "cannot read"),
        (&not_json, "not a schemactl audit report"),
        (&not_report, "not a schemactl audit report"),
        (&other, "contract \"pump\""),
        (&a, "twice"),
    ] {
        let run = schemactl(&["report", "merge", &a, bad]);
        assert_input_error(&run, &[bad.as_str(), says]);
    }
}

#[test]
fn demo_names_the_misbehaving_generators() {
    let run = schemactl(&[
        "demo",
        "--duration",
        "3s",
        "--generators",
        "6",
        "--rate",
        "20",
        "--faults",
        "wrong-type=2:0.5,unknown-schema-id=4:0.5,not-json=5:0.3",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let row = |producer: &str, transport: &str| {
        run.stdout
            .lines()
            .find(|l| {
                l.split_whitespace().next() == Some(producer)
                    && l.split_whitespace().nth(1) == Some(transport)
            })
            .unwrap_or_else(|| panic!("no {producer} {transport} row:\n{}", run.stdout))
            .to_string()
    };
    for transport in ["mqtt", "kafka"] {
        assert!(row("generator2", transport).ends_with(|c: char| c.is_ascii_digit()));
        assert!(row("generator2", transport).contains("SCHEMA_VIOLATION×"));
        assert!(row("unknown", transport).contains("NOT_JSON×"));
    }
    assert!(row("generator4", "kafka").contains("UNKNOWN_SCHEMA_ID×"));
    // Nine compliant rows are one line. One topic and UUID keys: a payload that is not JSON
    // names no sender, so generator5 is compliant; MQTT carries no schema ids, so generator4's
    // faults show on Kafka only.
    let compliant = run
        .stdout
        .lines()
        .find(|l| l.contains("compliant producer(s)"))
        .unwrap_or_else(|| panic!("no compliant line:\n{}", run.stdout));
    assert!(
        compliant.starts_with("9 compliant producer(s), ")
            && compliant.ends_with(
                "none invalid: 5 on mqtt (generator1, generator3, generator4, generator5, generator6); 4 on kafka (generator1, generator3, generator5, generator6)"
            ),
        "{}",
        run.stdout
    );
    // The worst producer first, its most frequent violation named with an example.
    let wrong = run
        .stdout
        .split("what is wrong, worst first:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no what-is-wrong lines:\n{}", run.stdout));
    assert!(wrong.starts_with("  unknown on "), "{}", run.stdout);
    let generator2 = wrong
        .lines()
        .find(|l| l.starts_with("  generator2 on mqtt: /"))
        .unwrap_or_else(|| panic!("no generator2 line:\n{}", run.stdout));
    // wrong-type sends a number as text.
    assert!(
        generator2.contains(" is a string in ") && generator2.contains("% of readings, e.g. \""),
        "{generator2}"
    );
    assert!(
        wrong.contains("generator4 on kafka: UNKNOWN_SCHEMA_ID in "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "found 3 of 3 misbehaving generator(s): generator2 (wrong-type), generator4 (unknown-schema-id), generator5 (not-json, reported as \"unknown\")"
        ),
        "{}",
        run.stdout
    );
}

/// A check `test` could not run is reported as skipped, with its reason, in every format —
/// never as passed. Here the simulator cannot produce for a contract that is not generator
/// telemetry.
#[test]
fn test_reports_a_check_it_could_not_run_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["contracts", "schemas/invoice"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    write(
        &dir.path().join("schemas/invoice"),
        "v1.json",
        r#"{"type":"object","properties":{"amount":{"type":"number"}},"required":["amount"]}"#,
    );
    write(
        &dir.path().join("contracts"),
        "invoice.toml",
        "subject = \"invoice-value\"\nschemas = \"schemas/invoice\"\n\n[[examples.valid]]\nname = \"an invoice\"\npayload = { amount = 12.5 }\n",
    );
    let text = schemactl_in(dir.path(), &["test"]);
    assert_eq!(
        text.code, 0,
        "a skip fails nothing: {}{}",
        text.stdout, text.stderr
    );
    let skip_line = text
        .stdout
        .lines()
        .position(|l| l.starts_with("skip ") && l.contains("simulator payloads"))
        .unwrap_or_else(|| panic!("no skip line: {}", text.stdout));
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(
        lines[skip_line + 1].starts_with("  skipped: SIMULATOR_NOT_APPLICABLE"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains("ok   invoice: a sample"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .ends_with("2 checks, 1 passed, 0 failed, 1 skipped, 0 errors\n"),
        "{}",
        text.stdout
    );

    let junit = schemactl_in(dir.path(), &["test", "--format", "junit"]);
    junit.exits_printing(
        0,
        &[
            "skipped=\"1\"",
            "<skipped message=\"SIMULATOR_NOT_APPLICABLE",
        ],
    );

    let json = schemactl_in(dir.path(), &["test", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["summary"]["skipped"], 1, "{doc}");
    assert_eq!(doc["summary"]["passed"], 1, "{doc}");
    let sample = &doc["contracts"][0]["examples"][1];
    assert_eq!(sample["skipped"], true, "{doc}");
    assert!(
        sample["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("SIMULATOR_NOT_APPLICABLE: ")),
        "{doc}"
    );
}

/// `check-compat PROPOSAL --against tests/fixtures/directions/BASE.json --level LEVEL [extra]`.
fn check_direction(proposal: &str, base: &str, level: &str, extra: &[&str]) -> Run {
    let proposal = format!("tests/fixtures/directions/{proposal}.json");
    let base = format!("tests/fixtures/directions/{base}.json");
    schemactl(
        &[
            &[
                "check-compat",
                &proposal,
                "--against",
                &base,
                "--level",
                level,
            ][..],
            extra,
        ]
        .concat(),
    )
}

/// Closing an open content model, read in each direction: at BACKWARD the new schema refuses
/// what old data may carry; at FORWARD old readers accept everything new writers send, and the
/// sentence says that, not "now permits".
#[test]
fn closing_a_content_model_reads_right_in_each_direction() {
    let backward = check_direction("closed", "open-v1", "BACKWARD", &[]);
    assert_eq!(backward.code, 1, "{}{}", backward.stdout, backward.stderr);
    assert!(
        backward
            .stdout
            .contains("error[ADDITIONAL_PROPERTIES_REMOVED]")
    );
    insta::assert_snapshot!("direction_closing_backward", backward.stdout);

    let forward = check_direction("closed", "open-v1", "FORWARD", &[]);
    forward.exits_printing(0, &["note[ADDITIONAL_PROPERTIES_ADDED]: The new schema forbids additional properties the old one permits"]);
    assert!(
        !forward.stdout.contains("now permits"),
        "{}",
        forward.stdout
    );
    insta::assert_snapshot!("direction_closing_forward", forward.stdout);
}

/// Adding a property to an open model, in each direction: the BACKWARD help names the trap and
/// the ways out, and each way out it names passes the gate as it says.
#[test]
fn the_open_content_model_trap_is_named_with_ways_out_that_pass() {
    let backward = check_direction("open-adds-optional", "open-v1", "BACKWARD", &[]);
    assert_eq!(backward.code, 1, "{}{}", backward.stdout, backward.stderr);
    for needle in [
        "error[OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL]",
        "even an optional property added to an open model breaks BACKWARD",
        "empty schema {}",
        "FORWARD",
        "lenient",
    ] {
        assert!(
            backward.stdout.contains(needle),
            "{needle}: {}",
            backward.stdout
        );
    }
    insta::assert_snapshot!("direction_open_model_backward", backward.stdout);

    let forward = check_direction("open-adds-optional", "open-v1", "FORWARD", &[]);
    assert_eq!(forward.code, 0, "way out: FORWARD: {}", forward.stdout);
    insta::assert_snapshot!("direction_open_model_forward", forward.stdout);

    // The other ways out the help names, each checked as the help states it.
    let empty = check_direction("open-adds-empty", "open-v1", "BACKWARD", &[]);
    empty.exits_printing(
        0,
        &["note[PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL]"],
    );
    let lenient = check_direction(
        "open-adds-optional",
        "open-v1",
        "BACKWARD",
        &["--policy", "lenient"],
    );
    assert_eq!(lenient.code, 0, "way out: lenient: {}", lenient.stdout);
    // "Closing an existing open model is itself refused at BACKWARD (strict)", and passes at
    // FORWARD: the closing test above checks both.
}

/// A required property with a default passes Confluent's check, but JSON Schema's default
/// fills nothing in: the finding is a warning saying so, with the fix (make it optional).
#[test]
fn a_default_is_not_called_safe_for_old_payloads() {
    let run = check_direction(
        "closed-adds-required-with-default",
        "closed",
        "BACKWARD",
        &[],
    );
    run.exits_printing(
        0,
        &["warning[REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL]"],
    );
    assert!(run.stdout.contains("fills nothing in"), "{}", run.stdout);
    assert!(
        run.stdout.contains("make the property optional"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("direction_required_with_default_backward", run.stdout);
    let forward = check_direction(
        "closed",
        "closed-adds-required-with-default",
        "FORWARD",
        &[],
    );
    insta::assert_snapshot!(
        "direction_required_with_default_forward",
        format!("exit {}\n{}", forward.code, forward.stdout)
    );

    // And the warning is true: an old payload without the property fails the new schema.
    let dir = tempfile::tempdir().unwrap();
    for folder in ["contracts", "schemas/g"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    std::fs::copy(
        root().join("tests/fixtures/directions/closed-adds-required-with-default.json"),
        dir.path().join("schemas/g/v1.json"),
    )
    .unwrap();
    write(
        &dir.path().join("contracts"),
        "g.toml",
        "subject = \"g-value\"\nschemas = \"schemas/g\"\n",
    );
    let old = write(
        dir.path(),
        "old.jsonl",
        "{\"generatorID\": \"generator1\", \"lat\": 40.68066, \"lon\": -73.47429, \"temperature\": 36, \"pressure\": 500, \"fuel\": 400}\n",
    );
    let validated = schemactl_in(dir.path(), &["validate", &old]);
    validated.exits_printing(1, &["required"]);
}

/// Every `--help` example that names a registry subject names the contract's real one.
#[test]
fn help_examples_name_the_contracts_real_subject() {
    let contract = std::fs::read_to_string(root().join("contracts/generator.toml")).unwrap();
    let subject = contract
        .lines()
        .find_map(|l| l.strip_prefix("subject = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("the generator contract names its subject");
    assert_eq!(subject, "emergency_generator-value");
    let mut named = 0;
    for command in [
        &["check-compat"][..],
        &["diff"],
        &["test"],
        &["register"],
        &["subjects"],
        &["show"],
        &["pull"],
        &["delete"],
        &["config", "set-level"],
        &["simulate"],
        &["audit"],
        &["validate"],
        &["demo"],
    ] {
        let run = schemactl(&[command, &["--help"]].concat());
        assert_eq!(run.code, 0, "{command:?}: {}", run.stderr);
        for word in run.stdout.split(|c: char| c.is_whitespace() || c == '@') {
            // The simulator's decoy subject is named as what it is, not as an example.
            if word.ends_with("-value")
                && !word.starts_with('-')
                && word != "schemactl-simulator-foreign-value"
            {
                assert_eq!(word, subject, "{command:?} --help: {}", run.stdout);
                named += 1;
            }
        }
    }
    assert!(named >= 5, "the registry commands' examples name a subject");
}

/// A fault plan that does not fit `--generators` is a usage error naming the spec and the
/// counts, checked before any broker is contacted (the port here is closed); never a quietly
/// larger fleet.
#[test]
fn faults_that_do_not_fit_the_fleet_are_a_usage_error() {
    // `all`: generator 1 stays compliant, then one generator per fault.
    let all = (schemactl::simulate::Fault::ALL.len() + 1).to_string();
    for (spec, generators, needed) in [("all", "6", all.as_str()), ("wrong-type=3", "2", "3")] {
        let run = schemactl(&[
            "simulate",
            "--mqtt",
            "mqtt://127.0.0.1:1",
            "--faults",
            spec,
            "--generators",
            generators,
            "--count",
            "1",
        ]);
        assert_eq!(run.code, 2, "{spec}: {}{}", run.stdout, run.stderr);
        for needle in [
            format!("--faults {spec}: names generator {needed}, but --generators is {generators}"),
            format!("help: pass --generators {needed} or more"),
        ] {
            assert!(run.stderr.contains(&needle), "{needle}: {}", run.stderr);
        }
    }
}

/// Transport errors earn the exit code of whoever is at fault: a URL the user got wrong is 2, a
/// broker that cannot be reached is 3, and both name the broker.
#[test]
fn a_bad_broker_url_exits_2_and_an_unreachable_broker_exits_3() {
    let bad = schemactl(&["simulate", "--mqtt", "ftp://127.0.0.1", "--count", "1"]);
    bad.exits_saying(2, &["ftp://127.0.0.1"]);
    // A port nothing listens on: taken from the system, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("mqtt://127.0.0.1:{port}");
    let down = schemactl(&["simulate", "--mqtt", &url, "--count", "1", "--timeout", "5"]);
    down.exits_saying(
        3,
        &[
            &format!("cannot connect to the MQTT broker at {url}"),
            "help: check the URL, that the broker runs",
        ],
    );
}

/// Every command that talks to a registry takes the one `--registry URL` flag, under one
/// "Schema registry" heading that holds the registry's flags and nothing else (the commands
/// whose only service is the registry add `--timeout`; audit and simulate have their own).
#[test]
fn every_registry_command_takes_the_one_registry_flag_under_one_heading() {
    for (command, flags) in [
        (&["register"][..], &["--registry", "--timeout"][..]),
        (&["subjects"], &["--registry", "--timeout"]),
        (&["show"], &["--registry", "--timeout"]),
        (&["pull"], &["--registry", "--timeout"]),
        (&["delete"], &["--registry", "--timeout"]),
        (&["config", "get"], &["--registry", "--timeout"]),
        (&["config", "set-level"], &["--registry", "--timeout"]),
        (&["init"], &["--registry", "--timeout"]),
        (&["audit"], &["--registry"]),
        (&["simulate"], &["--registry"]),
    ] {
        let run = schemactl(&[command, &["--help"]].concat());
        assert_eq!(run.code, 0, "{command:?}: {}", run.stderr);
        let section: Vec<&str> = run
            .stdout
            .lines()
            .skip_while(|l| *l != "Schema registry:")
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect();
        let listed: Vec<&str> = section
            .iter()
            .map(|l| l.trim_start())
            .filter(|l| l.starts_with('-'))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(listed, flags, "{command:?} --help:\n{}", run.stdout);
    }
}
