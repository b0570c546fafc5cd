//! The registry commands end to end against schemactl's own registry (`schemactl registry
//! serve`), each test on its own in-memory registry on a free loopback port. Text outputs are
//! snapshot-tested with the registry URL replaced.

use crate::common::cli::root;
use crate::services::Registry;
use crate::{Run, schemactl_env};
use serde_json::Value;
use std::path::Path;

const SUBJECT: &str = "emergency_generator-value";

/// Runs `schemactl` in `dir` against `registry` (through `SCHEMA_REGISTRY_URL`).
fn run_in(dir: &Path, registry: &Registry, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec![("SCHEMA_REGISTRY_URL", registry.url.as_str())];
    all.extend_from_slice(env);
    schemactl_env(dir, args, &all)
}

/// The output with the registry's URL (its port changes) replaced.
fn shown(run: &Run, registry: &Registry) -> String {
    run.stdout.replace(&registry.url, "http://REGISTRY")
}

fn run(registry: &Registry, args: &[&str]) -> Run {
    run_in(&root(), registry, args, &[])
}

#[track_caller]
fn ok(run: Run) -> Run {
    assert_eq!(run.code, 0, "{}", run.text());
    run
}

/// A project with one contract `name` for `subject` at `level`, and these history files.
fn project(name: &str, subject: &str, level: &str, history: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), name, subject, level, history);
    dir
}

fn write_project(root: &Path, name: &str, subject: &str, level: &str, history: &[&str]) {
    let schemas = root.join("schemas").join(name);
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::create_dir_all(root.join("contracts")).unwrap();
    std::fs::write(
        root.join("contracts").join(format!("{name}.toml")),
        format!(
            "subject = {}\nschemas = \"schemas/{name}\"\nlevel = \"{level}\"\n",
            serde_json::json!(subject)
        ),
    )
    .unwrap();
    for (i, text) in history.iter().enumerate() {
        std::fs::write(schemas.join(format!("v{}.json", i + 1)), text).unwrap();
    }
}

/// A `fleet` project (subject `fleet-value`, BACKWARD) whose v1 ([`FUEL_NUMBER`]) is
/// registered, its history then rewritten to `history`: what a later `register --all` meets.
fn registered_then_rewritten(registry: &Registry, history: &[&str]) -> tempfile::TempDir {
    let dir = project("fleet", "fleet-value", "BACKWARD", &[FUEL_NUMBER]);
    ok(run_in(dir.path(), registry, &["register", "--all"], &[]));
    write_project(dir.path(), "fleet", "fleet-value", "BACKWARD", history);
    dir
}

const FUEL_NUMBER: &str = r#"{"type":"object","properties":{"generatorID":{"type":"string"},"fuel":{"type":"number"}},"required":["generatorID"]}"#;
const FUEL_AND_STATUS: &str = r#"{"type":"object","properties":{"generatorID":{"type":"string"},"fuel":{"type":"number"},"status":{"type":"string"}},"required":["generatorID"]}"#;
const FUEL_DESCRIBED: &str = r#"{"type":"object","description":"A generator's reading","properties":{"generatorID":{"type":"string"},"fuel":{"type":"number"}},"required":["generatorID"]}"#;
const FUEL_STRING: &str = r#"{"type":"object","properties":{"generatorID":{"type":"string"},"fuel":{"type":"string"}},"required":["generatorID"]}"#;

#[test]
fn register_is_idempotent_and_sets_the_contracts_level() {
    let registry = Registry::start();

    let dry = ok(run(
        &registry,
        &["register", "--contract", "generator", "--dry-run"],
    ));
    insta::assert_snapshot!("register_dry_run", shown(&dry, &registry));
    let subjects = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(
        subjects["subjects"],
        serde_json::json!([]),
        "a dry run changes nothing"
    );

    let first = ok(run(&registry, &["register", "--contract", "generator"]));
    insta::assert_snapshot!("register_first", shown(&first, &registry));

    let again = ok(run(&registry, &["register", "--all", "--format", "json"])).json();
    let versions = &again["contracts"][0]["versions"];
    assert_eq!(versions.as_array().unwrap().len(), 3);
    for (i, v) in versions.as_array().unwrap().iter().enumerate() {
        assert_eq!(v["action"], "already_registered", "{again}");
        assert_eq!(v["version"], i + 1, "{again}");
        assert_eq!(v["file_version"], i + 1, "{again}");
    }
    assert_eq!(again["contracts"][0]["level"]["action"], "unchanged");
    assert_eq!(again["summary"]["registered"], 0);
    assert_eq!(again["summary"]["already_registered"], 3);

    let level = ok(run(&registry, &["config", "get", SUBJECT]));
    assert_eq!(
        level.stdout.trim(),
        "BACKWARD_TRANSITIVE, policy lenient (set on subject \"emergency_generator-value\")"
    );

    // With --normalize the same versions are found, and nothing is posted again.
    let normalized = ok(run(
        &registry,
        &["register", "--all", "--normalize", "--format", "json"],
    ));
    assert_eq!(
        normalized.json()["summary"]["already_registered"],
        3,
        "{}",
        normalized.text()
    );
}

#[test]
fn a_version_refused_as_incompatible_exits_1_with_the_registrys_reasons() {
    let registry = Registry::start();
    // Later, someone rewrites the history with a breaking change and one more version after it.
    let dir = registered_then_rewritten(&registry, &[FUEL_NUMBER, FUEL_STRING, FUEL_AND_STATUS]);
    let refused = run_in(dir.path(), &registry, &["register", "--all"], &[]);
    assert_eq!(refused.code, 1, "{}", refused.text());
    let text = shown(&refused, &registry);
    assert!(text.contains("v1.json  already registered"), "{text}");
    assert!(
        text.contains("v2.json  REFUSED as incompatible by the registry"),
        "{text}"
    );
    assert!(text.contains("incompatible"), "{text}");
    assert!(
        text.contains("help: see each change with `schemactl check-compat"),
        "{text}"
    );
    assert!(text.contains("v3.json  not attempted"), "{text}");
    assert!(text.contains("1 refused"), "{text}");

    let json = run_in(
        dir.path(),
        &registry,
        &["register", "--all", "--format", "json"],
        &[],
    );
    assert_eq!(json.code, 1, "{}", json.text());
    let doc = json.json();
    let v2 = &doc["contracts"][0]["versions"][1];
    assert_eq!(v2["action"], "refused");
    assert!(!v2["messages"][0].as_str().unwrap().is_empty(), "{doc}");
    assert_eq!(doc["summary"]["refused"], 1);
}

#[test]
fn check_compat_against_the_registry_shows_both_verdicts() {
    let registry = Registry::start();
    // A subject that does not exist yet: the proposal is its first version.
    let first = ok(run(
        &registry,
        &[
            "check-compat",
            "schemas/generator/v1.json",
            "--registry",
            &registry.url,
            "--subject",
            SUBJECT,
        ],
    ));
    assert!(
        first.stdout.contains("will be its first version"),
        "{}",
        first.text()
    );

    ok(run(&registry, &["register", "--contract", "generator"]));

    let good = ok(run(
        &registry,
        &[
            "check-compat",
            "tests/fixtures/generator/compatible-v4.json",
            "--contract",
            "generator",
            "--registry",
        ],
    ));
    insta::assert_snapshot!("check_compat_registry_ok", shown(&good, &registry));

    let bad = run(
        &registry,
        &[
            "check-compat",
            "tests/fixtures/generator/pressure-as-string.json",
            "--registry",
            &registry.url,
            "--subject",
            SUBJECT,
            "--format",
            "json",
        ],
    );
    assert_eq!(bad.code, 1, "{}", bad.text());
    let doc = bad.json();
    assert_eq!(doc["compatible"], false);
    assert_eq!(doc["agree"], true, "{doc}");
    assert_eq!(doc["local"]["compatible"], false);
    assert_eq!(doc["remote"]["is_compatible"], false);
    assert_eq!(doc["remote"]["scope"], "level");
    assert_eq!(doc["registry_level"], "BACKWARD_TRANSITIVE");
    assert!(
        !doc["remote"]["messages"].as_array().unwrap().is_empty(),
        "{doc}"
    );
    assert_eq!(doc["versions"], serde_json::json!([1, 2, 3]));
    let text = run(
        &registry,
        &[
            "check-compat",
            "tests/fixtures/generator/pressure-as-string.json",
            "--contract",
            "generator",
            "--registry",
        ],
    );
    assert_eq!(text.code, 1, "{}", text.text());
    // One finding carrying the registry's messages as it wrote them, long ones shortened.
    assert_eq!(
        text.stdout.matches("error[REGISTRY_INCOMPATIBLE]").count(),
        1,
        "{}",
        text.text()
    );
    assert!(
        text.stdout.contains("errorType:\"TYPE_CHANGED\""),
        "{}",
        text.text()
    );
    assert!(
        text.stdout
            .contains("more characters; --format json has them all"),
        "{}",
        text.text()
    );

    // The registry's level goes down to NONE; the contract still promises BACKWARD.
    ok(run(&registry, &["config", "set-level", SUBJECT, "NONE"]));
    let split = run(
        &registry,
        &[
            "check-compat",
            "tests/fixtures/generator/pressure-as-string.json",
            "--contract",
            "generator",
            "--registry",
        ],
    );
    assert_eq!(split.code, 1, "{}", split.text());
    let text = shown(&split, &registry);
    assert!(text.contains("warning[VERDICTS_DISAGREE]: the local engine says incompatible, the registry says compatible"), "{text}");
    assert!(
        text.contains("different levels (BACKWARD_TRANSITIVE here, NONE there)"),
        "{text}"
    );
    assert!(
        text.contains("note: the local engine checks at BACKWARD_TRANSITIVE (contract generator"),
        "{text}"
    );
}

#[test]
fn subjects_show_pull_and_delete_manage_versions() {
    let registry = Registry::with_generator();
    ok(run(&registry, &["config", "set-level", "FULL"]));

    let listed = ok(run(&registry, &["subjects"]));
    insta::assert_snapshot!("subjects", shown(&listed, &registry));
    let doc = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(doc["global_level"], "FULL");
    assert_eq!(doc["subjects"][0]["level"], "BACKWARD_TRANSITIVE");
    assert_eq!(doc["subjects"][0]["level_source"], "subject");

    let shown = ok(run(&registry, &["show", &format!("{SUBJECT}@2")]));
    assert!(
        shown
            .stdout
            .starts_with("subject    emergency_generator-value\nversion    2\n"),
        "{}",
        shown.text()
    );
    assert!(
        shown.stdout.contains("\n{\n  \"$schema\""),
        "pretty-printed: {}",
        shown.text()
    );
    let latest = ok(run(&registry, &["show", SUBJECT, "--format", "json"])).json();
    assert_eq!(latest["version"], 3);
    assert_eq!(latest["schemaType"], "JSON");
    assert!(latest["schema"].is_object());
    run(&registry, &["show", "no-such-value"])
        .exits_saying(2, &["subject \"no-such-value\" not found"]);

    // Adopt the subject in a new repository: pull, then register finds every version.
    let adopt = tempfile::tempdir().unwrap();
    run_in(
        adopt.path(),
        &registry,
        &["pull", SUBJECT, "--into", "schemas/gen"],
        &[],
    )
    .exits_printing(0, &["v3.json  ← version 3", "schemas = \"schemas/gen\""]);
    for n in 1..=3 {
        let ours: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("schemas/generator/v{n}.json"))).unwrap(),
        )
        .unwrap();
        let theirs: Value = serde_json::from_str(
            &std::fs::read_to_string(adopt.path().join(format!("schemas/gen/v{n}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(ours, theirs, "v{n}");
    }
    std::fs::create_dir(adopt.path().join("contracts")).unwrap();
    std::fs::write(
        adopt.path().join("contracts/gen.toml"),
        format!("subject = \"{SUBJECT}\"\nschemas = \"schemas/gen\"\nlevel = \"BACKWARD\"\n"),
    )
    .unwrap();
    let registered = ok(run_in(
        adopt.path(),
        &registry,
        &["register", "--all", "--format", "json"],
        &[],
    ));
    assert_eq!(
        registered.json()["summary"]["already_registered"],
        3,
        "{}",
        registered.text()
    );
    let again = ok(run_in(
        adopt.path(),
        &registry,
        &["pull", SUBJECT, "--into", "schemas/gen"],
        &[],
    ));
    // Three schemas and the newest one's rule set (the generator contract's rules).
    assert_eq!(
        again.stdout.matches("unchanged").count(),
        4,
        "{}",
        again.text()
    );

    // Delete version 2: the next pull numbers the files 1..2 and says which version each is.
    let deleted = ok(run(
        &registry,
        &["delete", &format!("{SUBJECT}@2"), "--yes"],
    ));
    assert!(
        deleted
            .stdout
            .starts_with("soft-deleted version 2 of subject"),
        "{}",
        deleted.text()
    );
    let gap = tempfile::tempdir().unwrap();
    let pulled = ok(run_in(
        gap.path(),
        &registry,
        &["pull", SUBJECT, "--into", "h", "--format", "json"],
        &[],
    ));
    let files = pulled.json()["files"].clone();
    assert_eq!(files.as_array().unwrap().len(), 2);
    assert_eq!(files[1]["version"], 3);
    assert!(files[1]["file"].as_str().unwrap().ends_with("v2.json"));

    // A pull over different files refuses unless forced.
    let conflict = run_in(
        adopt.path(),
        &registry,
        &["pull", SUBJECT, "--into", "schemas/gen"],
        &[],
    );
    conflict.exits_saying(2, &["--force"]);

    // Permanent: soft first, then for good; then the subject is gone.
    let gone = ok(run(
        &registry,
        &[
            "delete",
            SUBJECT,
            "--permanent",
            "--yes",
            "--format",
            "json",
        ],
    ))
    .json();
    assert_eq!(gone["soft_deleted"], serde_json::json!([1, 3]));
    // The permanent delete takes the soft-deleted version 2 too.
    assert_eq!(gone["permanently_deleted"], serde_json::json!([1, 2, 3]));
    let doc = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(doc["subjects"], serde_json::json!([]));
}

#[test]
fn subject_names_with_slashes_spaces_and_unicode_round_trip() {
    let registry = Registry::start();
    for subject in [
        "fleet/gen 1 – température-value",
        "a..b?c#d%20e-value",
        "../etc-value",
    ] {
        let dir = project("odd", subject, "FULL", &[FUEL_NUMBER, FUEL_DESCRIBED]);
        let first = ok(run_in(
            dir.path(),
            &registry,
            &["register", "--all", "--format", "json"],
            &[],
        ));
        assert_eq!(first.json()["contracts"][0]["subject"], subject);
        assert_eq!(first.json()["summary"]["registered"], 2, "{}", first.text());

        let shown = ok(run(
            &registry,
            &["show", &format!("{subject}@1"), "--format", "json"],
        ))
        .json();
        assert_eq!(shown["subject"], subject);
        let level = ok(run(&registry, &["config", "get", subject]));
        assert!(
            level.stdout.starts_with("FULL (set on subject"),
            "{}",
            level.text()
        );
        let checked = ok(run_in(
            dir.path(),
            &registry,
            &[
                "check-compat",
                "--contract",
                "odd",
                "--registry",
                "--format",
                "json",
            ],
            &[],
        ));
        assert_eq!(checked.json()["subject"], subject);
        assert_eq!(checked.json()["agree"], true);
    }
    let listed = ok(run(&registry, &["subjects", "--format", "json"])).json();
    let names: Vec<&str> = listed["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "../etc-value",
            "a..b?c#d%20e-value",
            "fleet/gen 1 – température-value"
        ]
    );
    ok(run(
        &registry,
        &[
            "delete",
            "fleet/gen 1 – température-value",
            "--yes",
            "--permanent",
        ],
    ));
}

#[test]
fn a_registry_requiring_credentials_gets_them_from_the_environment() {
    let registry =
        Registry::start_with(&[], &[("SCHEMACTL_REGISTRY_BASIC_AUTH", "fleet:s3cr3t-pw")]);
    let refused = run(&registry, &["subjects"]);
    refused.exits_saying(3, &["HTTP 401", "no credentials were sent"]);

    let wrong = run_in(
        &root(),
        &registry,
        &["-v", "register", "--all"],
        &[("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "fleet:wr0ng-pw")],
    );
    assert_eq!(wrong.code, 3, "{}", wrong.text());
    assert!(!wrong.text().contains("wr0ng-pw"), "{}", wrong.text());

    let right = run_in(
        &root(),
        &registry,
        &["-v", "register", "--all"],
        &[("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "fleet:s3cr3t-pw")],
    );
    assert_eq!(right.code, 0, "{}", right.text());
    assert!(
        right
            .stderr
            .contains("POST /subjects/emergency_generator-value/versions"),
        "{}",
        right.text()
    );
    assert!(!right.text().contains("s3cr3t-pw"), "{}", right.text());
}

#[test]
fn a_lenient_contract_sets_the_registrys_policy_too() {
    let registry = Registry::start();
    // Adding a typed property to an open model breaks the strict policy, not the lenient one.
    let strict = project(
        "open",
        "strict-value",
        "BACKWARD",
        &[FUEL_NUMBER, FUEL_AND_STATUS],
    );
    let refused = run_in(strict.path(), &registry, &["register", "--all"], &[]);
    assert_eq!(refused.code, 1, "{}", refused.text());

    let lenient = project(
        "open",
        "lenient-value",
        "BACKWARD",
        &[FUEL_NUMBER, FUEL_AND_STATUS],
    );
    let contract = lenient.path().join("contracts/open.toml");
    let text = std::fs::read_to_string(&contract).unwrap() + "policy = \"lenient\"\n";
    std::fs::write(&contract, text).unwrap();
    let done = ok(run_in(
        lenient.path(),
        &registry,
        &["register", "--all", "--format", "json"],
        &[],
    ));
    let doc = done.json();
    assert_eq!(doc["summary"]["registered"], 2, "{doc}");
    assert_eq!(doc["contracts"][0]["level"]["action"], "set");
    assert_eq!(doc["contracts"][0]["level"]["registry_policy"], "strict");
    let level = ok(run(&registry, &["config", "get", "lenient-value"]));
    assert_eq!(
        level.stdout.trim(),
        "BACKWARD, policy lenient (set on subject \"lenient-value\")"
    );
    let again = ok(run_in(
        lenient.path(),
        &registry,
        &["register", "--all", "--format", "json"],
        &[],
    ));
    assert_eq!(again.json()["contracts"][0]["level"]["action"], "unchanged");
}

#[test]
fn kafka_traffic_resolves_schema_ids_through_the_registry() {
    // The simulator, asked to (--register), registers the contract's schema and writes its id in
    // the wire format; the audit resolves every id through the same client against the same
    // registry.
    let registry = Registry::start();
    let broker = crate::brokers::Tansu::start();
    broker.create_topic("emergency_generator", 2);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("truth.jsonl").display().to_string();
    let simulated = ok(run(
        &registry,
        &[
            "simulate",
            "--register",
            "--kafka",
            &broker.bootstrap(),
            // One generator per fault kind and one well-behaved.
            "--generators",
            "14",
            "--count",
            "20",
            "--rate",
            "200",
            "--faults",
            "all:0.3",
            "--seed",
            "7",
            "--manifest",
            &manifest,
        ],
    ));
    assert!(
        simulated.stderr.contains("280 Kafka record(s)"),
        "{}",
        simulated.text()
    );
    assert!(
        simulated.stderr.contains("Kafka values carry schema id 1"),
        "{}",
        simulated.text()
    );
    let subjects = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(subjects["subjects"][0]["subject"], SUBJECT, "{subjects}");

    let audited = run(
        &registry,
        &[
            "audit",
            "--kafka",
            &broker.bootstrap(),
            "--from-beginning",
            "--max-messages",
            "280",
            "--duration",
            "60s",
            "--expect",
            &manifest,
            "--format",
            "json",
        ],
    );
    // Faults were sent on purpose; with --expect the audit passes when it finds exactly them.
    assert_eq!(audited.code, 0, "{}", audited.text());
    let doc = audited.json();
    assert_eq!(doc["expect"]["perfect"], true, "{}", audited.text());
    assert_eq!(doc["expect"]["score"]["matched"], 280, "{}", audited.text());
    // Ids the registry does not know, and ids registered under another subject, are told
    // apart only by asking the registry.
    let faults = doc["expect"]["score"]["faults"].as_array().unwrap();
    for kind in ["unknown-schema-id", "foreign-schema-id"] {
        let f = faults
            .iter()
            .find(|f| f["fault"] == kind)
            .unwrap_or_else(|| panic!("{kind} was not sent: {faults:?}"));
        assert!(f["sent"].as_u64().unwrap() > 0, "{kind}: {f}");
        assert_eq!(f["detected"], f["sent"], "{kind}: {f}");
    }
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    // `schemactl show S | head -3`: the reader is gone before schemactl writes.
    let registry = Registry::with_generator();
    for args in [["show", SUBJECT], ["subjects", "--format=json"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(crate::services::schemactl())
            .args(args)
            .current_dir(root())
            .env("SCHEMA_REGISTRY_URL", &registry.url)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// `register --dry-run` asks the registry's own compatibility check for each version the
/// subject lacks: one it would refuse is shown with the registry's reasons (exit 1), and the
/// dry run registers nothing.
#[test]
fn a_dry_run_says_what_the_registry_would_refuse_and_changes_nothing() {
    let registry = Registry::start();
    let dir = registered_then_rewritten(&registry, &[FUEL_NUMBER, FUEL_DESCRIBED]);
    let accepted = ok(run_in(
        dir.path(),
        &registry,
        &["register", "--all", "--dry-run"],
        &[],
    ));
    let text = shown(&accepted, &registry);
    assert!(
        text.contains("v2.json  would register      as version 2"),
        "{text}"
    );
    assert!(
        text.contains("0 registered, 1 already registered, 1 would register, 0 would be refused"),
        "{text}"
    );

    write_project(
        dir.path(),
        "fleet",
        "fleet-value",
        "BACKWARD",
        &[FUEL_NUMBER, FUEL_STRING, FUEL_AND_STATUS],
    );
    let refused = run_in(
        dir.path(),
        &registry,
        &["register", "--all", "--dry-run"],
        &[],
    );
    assert_eq!(refused.code, 1, "{}", refused.text());
    let text = shown(&refused, &registry);
    insta::assert_snapshot!("register_dry_run_refused", text);
    assert!(text.contains("v2.json  would be refused:"), "{text}");
    // The registry's own reasons, as it gives them with ?verbose=true.
    assert!(text.contains("TYPE_CHANGED"), "{text}");
    assert!(text.contains("v3.json  not attempted"), "{text}");
    let json = run_in(
        dir.path(),
        &registry,
        &["register", "--all", "--dry-run", "--format", "json"],
        &[],
    );
    assert_eq!(json.code, 1);
    let doc = json.json();
    assert_eq!(
        doc["contracts"][0]["versions"][1]["action"],
        "would_be_refused"
    );
    assert_eq!(doc["summary"]["would_be_refused"], 1);
    let versions = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(
        versions["subjects"][0]["versions"].as_array().map(Vec::len),
        Some(1),
        "a dry run registers nothing: {versions}"
    );
}

/// `simulate` looks its schema up and registers nothing unless `--register`: against a
/// registry without the contract's schema it stops (exit 2) with the way out, and the
/// foreign-schema fault without another subject to borrow an id from is refused, not served
/// by creating a subject in the user's registry.
#[test]
fn simulate_only_looks_schemas_up_unless_asked_to_register() {
    let registry = Registry::start();
    let broker = crate::brokers::Tansu::start();
    broker.create_topic("emergency_generator", 1);
    let base = [
        "simulate",
        "--kafka",
        &broker.bootstrap(),
        "--count",
        "2",
        "--rate",
        "100",
    ];
    let missing = run(&registry, &base);
    assert_eq!(missing.code, 2, "{}", missing.text());
    assert!(
        missing
            .stderr
            .contains("does not hold contract \"generator\"'s newest schema")
            && missing
                .stderr
                .contains("schemactl register --contract generator")
            && missing.stderr.contains("--register"),
        "{}",
        missing.text()
    );
    let subjects = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(
        subjects["subjects"],
        serde_json::json!([]),
        "nothing registered"
    );

    ok(run(&registry, &["register", "--contract", "generator"]));
    let before = ok(run(&registry, &["subjects", "--format", "json"])).json();
    let plain = ok(run(&registry, &base));
    assert!(
        plain.stderr.contains("nothing registered"),
        "{}",
        plain.text()
    );
    let foreign = run(
        &registry,
        &[
            &base[..],
            &["--generators", "3", "--faults", "foreign-schema-id=2"],
        ]
        .concat(),
    );
    assert_eq!(foreign.code, 2, "{}", foreign.text());
    assert!(
        foreign.stderr.contains("foreign-schema-id") && foreign.stderr.contains("--register"),
        "{}",
        foreign.text()
    );
    let after = ok(run(&registry, &["subjects", "--format", "json"])).json();
    assert_eq!(before, after, "simulate registered nothing");

    // With --register, it says what it registered.
    let registering = ok(run(
        &registry,
        &[
            &base[..],
            &[
                "--generators",
                "3",
                "--faults",
                "foreign-schema-id=2",
                "--register",
            ],
        ]
        .concat(),
    ));
    let said = registering
        .stderr
        .lines()
        .find(|l| l.starts_with("registered schema id "))
        .unwrap_or_else(|| panic!("no registration said: {}", registering.text()));
    assert!(
        said.ends_with("under \"schemactl-simulator-foreign-value\""),
        "{said}"
    );
}

/// Registry publishing is a library use case: what `schemactl::registry::publish` returns is,
/// as JSON, the document `register --format json` prints, and a second publication of the same
/// contract finds every version registered.
#[test]
fn the_library_publication_is_the_register_json_document() {
    use schemactl::registry::RegistryClient;
    use schemactl::registry::publish::{Action, Options, Plan, Selection};
    let registry = Registry::start();
    let client = RegistryClient::new(&schemactl::config::RegistrySettings {
        url: Some(registry.url.clone()),
        ..Default::default()
    })
    .unwrap();
    // Read from the root as the command reads it (cargo runs tests in the package root), so
    // that the files are named alike.
    assert_eq!(std::env::current_dir().unwrap(), root());
    let plan = Plan::read(Path::new("."), &Selection::Contract("generator".into())).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dry_run = Options {
        dry_run: true,
        normalize: false,
    };
    let mut seen = Vec::new();
    let dry = runtime
        .block_on(plan.publish(&client, dry_run, |c| seen.push(c.contract.clone())))
        .unwrap();
    assert_eq!(
        seen,
        ["generator"],
        "each contract is reported as it is done"
    );
    let printed = ok(run(
        &registry,
        &[
            "register",
            "--contract",
            "generator",
            "--dry-run",
            "--format",
            "json",
        ],
    ))
    .json();
    assert_eq!(serde_json::to_value(&dry).unwrap(), printed);
    assert_eq!(dry.summary.would_register, 3, "{printed}");

    let first = runtime
        .block_on(plan.publish(&client, Options::default(), |_| {}))
        .unwrap();
    assert_eq!(first.summary.registered, 3);
    assert!(!first.refused());
    let again = runtime
        .block_on(plan.publish(&client, Options::default(), |_| {}))
        .unwrap();
    assert!(
        again.contracts[0]
            .versions
            .iter()
            .all(|v| v.action == Action::AlreadyRegistered),
        "{again:?}"
    );
    assert_eq!(again.summary.already_registered, 3);
}
