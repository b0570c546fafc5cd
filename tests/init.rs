//! `schemactl init` through the binary: adopting a subject from `schemactl registry serve` (run
//! as a process, filled by the fleet's own producer code or by `register`), drafting from
//! samples, and the bad input it refuses with nothing written.

mod common;
use common::cli::{Run, root, schemactl_in};
use common::{interop, services};

use serde_json::Value;
use services::Registry;
use std::path::{Path, PathBuf};

/// Runs schemactl and insists on exit 0.
fn pass(dir: &Path, args: &[&str]) -> Run {
    let run = schemactl_in(dir, args);
    assert_eq!(run.code, 0, "schemactl {args:?}\n{}", run.text());
    run
}

/// `init --from-registry` of the fleet generator's subject, from `registry` into `dir`.
fn init_generator(dir: &Path, registry: &str) -> Run {
    schemactl_in(
        dir,
        &[
            "init",
            "--from-registry",
            "emergency_generator-value",
            "--registry",
            registry,
        ],
    )
}

/// Every file under `dir`, relative, with its content: what "nothing was written" compares.
fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path.strip_prefix(base).unwrap().to_path_buf(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn toml_file(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fleet's producer (tests/interop/fleet_producer.py: confluent-kafka's JSONSerializer with
/// default settings and FLEET.md's schema_str) fills the registry; returns the schema id its
/// frame carries.
fn fleet_producer(registry: &Registry) -> i64 {
    let report = interop::python("fleet_producer.py", &[&registry.url], &[], || {
        format!("registry log:\n{}", registry.stderr.text())
    })
    .report();
    assert_eq!(report["magic"], 0, "Confluent's wire format V0: {report}");
    report["schema_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no schema id in the producer's report: {report}"))
}

#[test]
fn from_registry_adopts_what_the_fleets_producer_registered() {
    let registry = Registry::start();
    let scratch = tempfile::tempdir().unwrap();
    // A global level that is not the default, to see it carried into the contract.
    pass(
        scratch.path(),
        &[
            "config",
            "set-level",
            "FORWARD",
            "--registry",
            &registry.url,
        ],
    );
    let id = fleet_producer(&registry);

    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let run = init_generator(dir, &registry.url);
    run.exits_printing(0, &[&format!("version 1, id {id}")]);

    // v1 is the fleet's schema (the project's schemas/generator/v1.json is FLEET.md's, and the
    // registry takes the two for one): the same document, keys in the same order.
    let v1 = json_file(&dir.join("schemas/emergency_generator/v1.json"));
    let fleets = json_file(&root().join("schemas/generator/v1.json"));
    assert_eq!(v1.to_string(), fleets.to_string());
    assert!(!dir.join("schemas/emergency_generator/v2.json").exists());

    let contract_path = dir.join("contracts/emergency_generator.toml");
    let contract = toml_file(&contract_path);
    assert_eq!(
        contract["subject"].as_str(),
        Some("emergency_generator-value")
    );
    assert_eq!(
        contract["schemas"].as_str(),
        Some("schemas/emergency_generator")
    );
    assert_eq!(contract["level"].as_str(), Some("FORWARD"));
    assert_eq!(contract["policy"].as_str(), Some("strict"));
    assert_eq!(
        contract["kafka"]["topic"].as_str(),
        Some("emergency_generator")
    );
    assert_eq!(
        contract["identity"]["pointer"].as_str(),
        Some("/generatorID")
    );
    let text = std::fs::read_to_string(&contract_path).unwrap();
    assert!(text.contains("A guess by schemactl init"), "{text}");
    assert!(text.contains("# No examples yet"), "{text}");
    insta::assert_snapshot!(
        "from_registry_fleet_contract",
        text.replace(&registry.url, "http://REGISTRY")
    );

    // Right after init: the offline gate and the contract test pass, and the registry already
    // holds everything.
    pass(dir, &["test"]);
    pass(dir, &["check-compat", "--contract", "emergency_generator"]);
    let run = pass(dir, &["register", "--all", "--registry", &registry.url]);
    assert!(
        run.stdout.contains("0 registered, 1 already registered"),
        "{}",
        run.text()
    );
    assert!(
        run.stdout.contains(&format!("version 1, id {id}")),
        "{}",
        run.text()
    );
}

#[test]
fn from_registry_writes_every_version_oldest_first_at_the_subjects_level() {
    // The project's own history, registered by `register` (which sets the subject's level).
    let registry = Registry::with_generator();
    let shipped = toml_file(&root().join("contracts/generator.toml"));
    let subject = shipped["subject"].as_str().unwrap();
    let history = root().join(shipped["schemas"].as_str().unwrap());
    let count = std::fs::read_dir(&history).unwrap().count();
    assert!(count > 1, "the shipped history has several versions");

    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    pass(
        dir,
        &[
            "init",
            "--from-registry",
            subject,
            "--name",
            "adopted",
            "--registry",
            &registry.url,
        ],
    );
    for n in 1..=count {
        let ours = json_file(&history.join(format!("v{n}.json")));
        let adopted = json_file(&dir.join(format!("schemas/adopted/v{n}.json")));
        assert_eq!(adopted.to_string(), ours.to_string(), "v{n}.json");
    }
    assert!(
        !dir.join(format!("schemas/adopted/v{}.json", count + 1))
            .exists()
    );
    let contract = toml_file(&dir.join("contracts/adopted.toml"));
    assert_eq!(contract["level"].as_str(), shipped["level"].as_str());
    // The shipped contract's policy, which `register` set on the subject (schemactl's registry
    // keeps policies), or strict, the default of both.
    assert_eq!(
        contract["policy"].as_str(),
        Some(
            shipped
                .get("policy")
                .and_then(|p| p.as_str())
                .unwrap_or("strict")
        )
    );
    let text = std::fs::read_to_string(dir.join("contracts/adopted.toml")).unwrap();
    assert!(text.contains("the subject's own level"), "{text}");

    pass(dir, &["test", "--contract", "adopted"]);
    pass(dir, &["check-compat", "--contract", "adopted"]);
    let run = pass(dir, &["register", "--all", "--registry", &registry.url]);
    assert!(
        run.stdout
            .contains(&format!("0 registered, {count} already registered")),
        "{}",
        run.text()
    );
}

/// Readings made as FLEET.md says the fleet's simulator makes them: ids `generator1..N`, fixed
/// positions, integer temperature −10..90 and pressure 100..1000, integer fuel in litres that
/// drains by 1–10 and dips below zero before a refill of 500–1000. A fixed LCG keeps it
/// reproducible without a crate.
fn fleet_readings(count: usize) -> Vec<Value> {
    let positions = [
        (40.68066, -73.47429),
        (34.05223, -118.24368),
        (41.87811, -87.6298),
    ];
    let mut state: u64 = 7;
    let mut draw = |lo: i64, hi: i64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + ((state >> 33) as i64).rem_euclid(hi - lo + 1)
    };
    let mut fuel: Vec<i64> = positions.iter().map(|_| 0).collect();
    for f in &mut fuel {
        *f = draw(900, 1000);
    }
    (0..count)
        .map(|n| {
            let g = n % positions.len();
            if fuel[g] <= 0 {
                fuel[g] += draw(500, 1000);
            }
            fuel[g] -= draw(1, 10);
            let (lat, lon) = positions[g];
            serde_json::json!({
                "generatorID": format!("generator{}", g + 1),
                "lat": lat,
                "lon": lon,
                "temperature": draw(-10, 90),
                "pressure": draw(100, 1000),
                "fuel": fuel[g],
            })
        })
        .collect()
}

#[test]
fn from_samples_drafts_a_schema_every_sample_validates_against() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let readings = fleet_readings(600);
    assert!(
        readings.iter().any(|r| r["fuel"].as_i64() < Some(0)),
        "the samples include the fuel dip below zero"
    );
    let mut lines: Vec<String> = readings.iter().map(Value::to_string).collect();
    // A bridge that adds a field, and an old firmware sending fuel as a fraction.
    lines.push(r#"{"generatorID": "generator9", "lat": 47.6, "lon": -122.3, "temperature": 20, "pressure": 300, "fuel": 55.5, "bridge": "eu-1"}"#.into());
    std::fs::write(dir.join("captured.jsonl"), lines.join("\n") + "\n").unwrap();

    let run = pass(
        dir,
        &[
            "init",
            "--from-samples",
            "captured.jsonl",
            "--name",
            "generator",
            "--subject",
            "emergency_generator-value",
        ],
    );
    assert!(run.stdout.contains("601 sample(s)"), "{}", run.text());

    let v1 = json_file(&dir.join("schemas/generator/v1.json"));
    assert_eq!(v1["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(v1["type"], "object");
    assert!(
        v1.get("additionalProperties").is_none(),
        "open content model: {v1}"
    );
    let types: Vec<(String, Value)> = v1["properties"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["type"].clone()))
        .collect();
    assert_eq!(
        types,
        [
            ("generatorID", "string"),
            ("lat", "number"),
            ("lon", "number"),
            ("temperature", "integer"),
            ("pressure", "integer"),
            ("fuel", "number"),
            ("bridge", "string"),
        ]
        .map(|(k, t)| (k.to_string(), Value::from(t)))
    );
    assert_eq!(
        v1["required"],
        serde_json::json!([
            "generatorID",
            "lat",
            "lon",
            "temperature",
            "pressure",
            "fuel"
        ])
    );
    let contract = toml_file(&dir.join("contracts/generator.toml"));
    assert_eq!(
        contract["identity"]["pointer"].as_str(),
        Some("/generatorID")
    );
    assert_eq!(
        contract["kafka"]["topic"].as_str(),
        Some("emergency_generator")
    );
    let examples = contract["examples"]["valid"].as_array().unwrap();
    assert_eq!(
        examples.len(),
        2,
        "the first sample and the one with a new field"
    );

    // Every sample validates against what was written, checked as the audit checks payloads.
    let run = pass(
        dir,
        &["validate", "captured.jsonl", "--contract", "generator"],
    );
    assert!(
        run.stdout.contains("601 payload(s), 0 invalid"),
        "{}",
        run.text()
    );
    // The drafted reading model makes readings the drafted schema accepts.
    let text = std::fs::read_to_string(dir.join("contracts/generator.toml")).unwrap();
    assert!(text.contains("[simulator]"), "{text}");
    insta::assert_snapshot!("from_samples_fleet_contract", text);
    let run = pass(dir, &["test"]);
    assert!(
        run.stdout
            .contains("ok   generator: a sample of 1000 simulator payloads validates against v1"),
        "{}",
        run.text()
    );
    pass(dir, &["check-compat", "--contract", "generator"]);
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::write(
        dir.join("s.jsonl"),
        "{\"deviceId\": \"p1\", \"flow\": 1.5}\n",
    )
    .unwrap();
    let args = ["init", "--from-samples", "s.jsonl", "--name", "pumps"];
    pass(dir, &args);
    let contract = dir.join("contracts/pumps.toml");
    std::fs::write(&contract, "# edited by the team\n").unwrap();
    let before = tree(dir);

    let run = schemactl_in(dir, &args);
    run.exits_saying(
        2,
        &["contracts/pumps.toml", "schemas/pumps/v1.json", "--force"],
    );
    assert_eq!(tree(dir), before, "nothing written");

    let run = pass(dir, &[&args[..], &["--force", "--format", "json"]].concat());
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let actions: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["overwritten", "overwritten"], "{}", run.text());
    assert_eq!(doc["identity_guess"]["pointer"], "/deviceId");
    let text = std::fs::read_to_string(&contract).unwrap();
    assert!(!text.contains("edited by the team"), "{text}");
    pass(dir, &["test", "--contract", "pumps"]);
}

#[test]
fn a_folder_that_already_holds_the_subjects_contract_is_refused() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    // The project as shipped: its generator contract names emergency_generator-value.
    for sub in ["contracts", "schemas/generator"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::copy(
        root().join("contracts/generator.toml"),
        dir.join("contracts/generator.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("s.jsonl"), "{\"generatorID\": \"generator1\"}\n").unwrap();
    let before = tree(dir);
    let run = schemactl_in(
        dir,
        &[
            "init",
            "--from-samples",
            "s.jsonl",
            "--name",
            "fleet",
            "--subject",
            "emergency_generator-value",
            "--force",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(
        run.stderr
            .contains("contracts/generator.toml already holds the contract for subject \"emergency_generator-value\""),
        "{}",
        run.text()
    );
    assert_eq!(tree(dir), before, "nothing written");
}

#[test]
fn bad_samples_are_refused_naming_the_file_and_line() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    for (content, expected) in [
        ("", "empty.jsonl: no samples"),
        (
            "{\"a\": 1}\n\"just a string\"\n",
            "empty.jsonl:2: a sample must be a JSON object, this is a string",
        ),
        ("{\"a\": 1}\n\n{\"a\": 2\n", "empty.jsonl:3: not JSON"),
    ] {
        std::fs::write(dir.join("empty.jsonl"), content).unwrap();
        let before = tree(dir);
        let run = schemactl_in(
            dir,
            &["init", "--from-samples", "empty.jsonl", "--name", "x"],
        );
        assert_eq!(run.code, 2, "{content:?}: {}", run.text());
        assert!(run.stderr.contains(expected), "{content:?}: {}", run.text());
        assert_eq!(tree(dir), before, "nothing written");
    }
    let run = schemactl_in(
        dir,
        &["init", "--from-samples", "missing.jsonl", "--name", "x"],
    );
    run.exits_saying(2, &["missing.jsonl"]);
}

#[test]
fn an_unknown_subject_and_an_unreachable_registry_write_nothing() {
    let registry = Registry::start();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let run = schemactl_in(
        dir,
        &[
            "init",
            "--from-registry",
            "nobody-value",
            "--registry",
            &registry.url,
        ],
    );
    run.exits_saying(2, &["subject \"nobody-value\" not found"]);
    assert!(tree(dir).is_empty(), "nothing written");
    drop(registry);

    // A port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let run = schemactl_in(
        dir,
        &[
            "init",
            "--from-registry",
            "emergency_generator-value",
            "--registry",
            &closed,
            "--timeout",
            "2",
        ],
    );
    assert_eq!(run.code, 3, "{}", run.text());
    assert!(tree(dir).is_empty(), "nothing written");
}

#[test]
fn registry_credentials_stay_out_of_the_files_and_the_output() {
    let secret = "s3cr3t-pw-for-init";
    let registry = Registry::start_with(
        &[],
        &[("SCHEMACTL_REGISTRY_BASIC_AUTH", &format!("fleet:{secret}"))],
    );
    let with_credentials = registry
        .url
        .replacen("http://", &format!("http://fleet:{secret}@"), 1);
    pass(
        &root(),
        &[
            "register",
            "--contract",
            "generator",
            "--registry",
            &with_credentials,
        ],
    );
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    // Refused without credentials: the registry really asks for them.
    let run = init_generator(dir, &registry.url);
    assert_eq!(run.code, 3, "{}", run.text());
    let run = init_generator(dir, &with_credentials);
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(!run.text().contains(secret), "{}", run.text());
    let files = tree(dir);
    assert!(!files.is_empty());
    for (path, text) in files {
        assert!(
            !text.contains(secret),
            "{} holds the secret",
            path.display()
        );
    }
}

#[test]
fn a_deleted_version_leaves_no_gap_on_disk_and_each_file_names_its_version() {
    let registry = Registry::with_generator();
    pass(
        &root(),
        &[
            "delete",
            "emergency_generator-value@2",
            "--yes",
            "--registry",
            &registry.url,
        ],
    );
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    init_generator(dir, &registry.url).exits_printing(0, &["v2.json  ← version 3"]);
    let shipped_v3 = json_file(&root().join("schemas/generator/v3.json"));
    let adopted_v2 = json_file(&dir.join("schemas/emergency_generator/v2.json"));
    assert_eq!(adopted_v2.to_string(), shipped_v3.to_string());
    assert!(!dir.join("schemas/emergency_generator/v3.json").exists());
    pass(dir, &["test"]);
    let run = pass(dir, &["register", "--all", "--registry", &registry.url]);
    assert!(
        run.stdout.contains("0 registered, 2 already registered"),
        "{}",
        run.text()
    );
}
