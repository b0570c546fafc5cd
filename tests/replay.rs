//! `check-compat --replay` against the real binary: a proposal checked against payloads
//! producers sent (tests/fixtures/replay, readings in FLEET.md's shape), in every format, and the
//! bad inputs a replay can meet.

mod common;
use common::cli::{Run, root, schemactl, schemactl_in};
use common::services;

use serde_json::Value;

const PERCENT: &str = "tests/fixtures/generator/fuel-as-percentage.json";
const HARMLESS: &str = "tests/fixtures/generator/compatible-v4.json";
const NO_NEGATIVE_FUEL: &str = "tests/fixtures/generator/tightens-fuel-range.json";
const DAY: &str = "tests/fixtures/replay/day.jsonl";
const CAPTURE: &str = "tests/fixtures/replay/capture.jsonl";

/// `check-compat PROPOSAL --contract generator --replay ARGS...`.
fn check_replay(proposal: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "check-compat",
        proposal,
        "--contract",
        "generator",
        "--replay",
    ];
    all.extend_from_slice(args);
    schemactl(&all)
}

/// [`check_replay`] with `--format json`, and the document it printed.
fn replay_json(proposal: &str, args: &[&str]) -> (Run, Value) {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let run = check_replay(proposal, &all);
    let doc = run.json();
    (run, doc)
}

fn counts(v: &Value) -> (u64, u64, u64) {
    (
        v["payloads"].as_u64().unwrap(),
        v["rejected"].as_u64().unwrap(),
        v["newly_accepted"].as_u64().unwrap(),
    )
}

#[test]
fn the_percentage_proposal_refuses_the_litres_producers_send() {
    let (run, doc) = replay_json(PERCENT, &[DAY]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replay = &doc["replay"];
    assert_eq!(doc["compatible"], false);
    // day.jsonl: 7 readings; 400, 394 (generator1) and -9 (generator3) are refused by 0..100.
    // generator2's reading without fuel is refused today already, and so is generator3's -9:
    // v3's schema lets it through, but the contract's rule fuel_not_negative refuses it, for
    // both versions. Neither is "rejected".
    assert_eq!(counts(replay), (7, 2, 0));
    let by = &replay["by_producer"];
    assert_eq!(counts(&by["generator1"]), (3, 2, 0));
    assert_eq!(counts(&by["generator2"]), (3, 0, 0));
    assert_eq!(counts(&by["generator3"]), (1, 0, 0));
    assert_eq!(replay["producers_affected"], 1);
    assert_eq!(replay["rules"]["today"], 3);
    assert_eq!(replay["rules"]["proposal"], 3);
    let first = &replay["examples"][0];
    assert_eq!(first["at"], format!("{DAY}:1"));
    assert_eq!(first["pointer"], "/fuel");
    assert_eq!(first["keyword"], "maximum");
    assert_eq!(first["value"], 400);
    assert_eq!(replay["examples"].as_array().unwrap().len(), 2);
    assert_eq!(replay["passed"], false);
    assert_eq!(
        replay["summary"][0],
        "the proposal refuses 2 of 3 readings (66.7%) that generator1 sent; /fuel 400 is greater than the maximum of 100"
    );

    let text = check_replay(PERCENT, &[DAY]);
    text.exits_printing(1, &["the proposal refuses 2 of 3 readings (66.7%) that generator1 sent; /fuel 400 is greater than the maximum of 100"]);
    assert!(
        !text.stdout.contains("that generator3 sent"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("note[REPLAY_RULES]: each payload is judged by the schema, then by the data-contract rules (3 for v3, 3 for the proposal)"),
        "{}",
        text.stdout
    );
    insta::assert_snapshot!("replay_percentage_text", text.stdout);
}

#[test]
fn every_format_carries_the_replay() {
    // Text has its own test above; html is for audits only (below).
    for format in ["json", "junit", "sarif", "github", "markdown"] {
        let run = check_replay(PERCENT, &[DAY, "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
        // GitHub's workflow commands escape `%` as `%25`.
        let percent = if format == "github" { "%25" } else { "%" };
        assert!(
            run.stdout.contains(&format!(
                "the proposal refuses 2 of 3 readings (66.7{percent}) that generator1 sent; /fuel 400 is greater than the maximum of 100"
            )),
            "{format}: {}",
            run.stdout
        );
        insta::assert_snapshot!(format!("replay_percentage_{format}"), run.stdout);
    }
    // `check-compat` writes no html page: a usage error that names the formats it does write,
    // and no report half-written on stdout.
    let html = check_replay(PERCENT, &[DAY, "--format", "html"]);
    html.exits_saying(
        2,
        &["`schemactl check-compat` does not write --format html"],
    );
    assert!(html.stdout.is_empty(), "{}", html.stdout);
}

#[test]
fn a_harmless_proposal_passes_and_max_rejected_is_a_threshold() {
    let (run, doc) = replay_json(HARMLESS, &[DAY, CAPTURE]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(doc["compatible"], true);
    // 7 lines + 4 complete capture records (the cut-off fifth is not counted).
    assert_eq!(counts(&doc["replay"]), (11, 0, 0));
    let text = check_replay(HARMLESS, &[DAY]);
    text.exits_printing(
        0,
        &["the proposal refuses none of the 7 replayed payloads that v3 accepts"],
    );

    // An empty file is no evidence: said, not silently passed off as "none refused".
    let (_, doc) = replay_json(HARMLESS, &["/dev/null"]);
    assert_eq!(doc["replay"]["payloads"], 0);
    assert!(
        doc["replay"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no payload was replayed"),
        "{doc}"
    );

    // The proposal is the newest version itself: replaying against v2 shows what v3 changed.
    let (run, doc) = {
        let run = schemactl(&[
            "check-compat",
            "--contract",
            "generator",
            "--replay",
            DAY,
            "--max-rejected",
            "5",
            "--format",
            "json",
        ]);
        let doc = run.json();
        (run, doc)
    };
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(doc["replay"]["today"], "schemas/generator/v2.json");
}

#[test]
fn an_incompatible_change_no_reading_notices_still_fails_but_says_so() {
    // A minimum of 0: incompatible (the fleet's fuel dips to -9), but this day's readings
    // never go below zero (the -9 line is left out).
    let dir = tempfile::tempdir().unwrap();
    let calm: String = std::fs::read_to_string(root().join(DAY))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"fuel\": -9"))
        .map(|l| format!("{l}\n"))
        .collect();
    let calm_path = dir.path().join("calm.jsonl");
    std::fs::write(&calm_path, calm).unwrap();
    let calm_path = calm_path.display().to_string();
    let run = check_replay(NO_NEGATIVE_FUEL, &[&calm_path]);
    run.exits_printing(1, &["error[MINIMUM_ADDED]", "the evidence shows no producer affected: the proposal refuses none of the 6 replayed payloads"]);
    // With the -9 reading the schema change would refuse generator3's reading, but today's
    // version refuses it already through the rule fuel_not_negative: still no producer
    // affected.
    let (_, doc) = replay_json(NO_NEGATIVE_FUEL, &[DAY]);
    assert_eq!(
        counts(&doc["replay"]["by_producer"]["generator3"]),
        (1, 0, 0)
    );
    assert_eq!(doc["replay"]["rejected"], 0);
    assert_eq!(doc["replay"]["producers_affected"], 0);
}

#[test]
fn a_capture_names_producers_and_tolerates_a_cut_off_end_and_binary_payloads() {
    let (run, doc) = replay_json(PERCENT, &[CAPTURE, "--max-rejected", "2"]);
    // Within --max-rejected, but the change is still incompatible.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replay = &doc["replay"];
    assert_eq!(counts(replay), (4, 2, 0));
    assert_eq!(counts(&replay["by_producer"]["generator1"]), (1, 1, 0));
    // The record without an attributed producer is named by its payload's generatorID.
    assert_eq!(counts(&replay["by_producer"]["generator2"]), (2, 1, 0));
    // The binary payload: refused by both versions, its producer unknown.
    assert_eq!(counts(&replay["by_producer"]["(unknown)"]), (1, 0, 0));
    assert_eq!(replay["files"][0]["kind"], "capture");
    assert!(
        run.stderr
            .contains(&format!("warning: {CAPTURE}:6: the last line is cut off")),
        "{}",
        run.stderr
    );
    assert_eq!(replay["warnings"].as_array().unwrap().len(), 1);

    // The same file twice counts each payload twice, never more.
    let (_, doc) = replay_json(HARMLESS, &[CAPTURE, CAPTURE]);
    assert_eq!(counts(&doc["replay"]), (8, 0, 0));
}

#[test]
fn a_capture_of_another_contract_is_replayed_with_a_warning_naming_both() {
    let (run, doc) = replay_json(HARMLESS, &["tests/fixtures/replay/other-contract.jsonl"]);
    run.exits_saying(0, &["this capture was taken for contract \"meter\", and is replayed against contract \"generator\""]);
    assert_eq!(counts(&doc["replay"]), (1, 0, 0));
    assert_eq!(counts(&doc["replay"]["by_producer"]["meter-1"]), (1, 0, 0));
}

#[test]
fn without_an_identity_pointer_plain_lines_have_unknown_producers() {
    let dir = tempfile::tempdir().unwrap();
    let meters = root().join("tests/fixtures/meters");
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    let toml = std::fs::read_to_string(meters.join("contracts/meter.toml")).unwrap();
    let toml = toml.replace("pointer = \"/meter\"", "");
    std::fs::write(dir.path().join("contracts/meter.toml"), toml).unwrap();
    let schemas = dir.path().join("schemas/meter");
    std::fs::create_dir_all(&schemas).unwrap();
    for e in std::fs::read_dir(meters.join("schemas/meter")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), schemas.join(e.file_name())).unwrap();
    }
    let lines = dir.path().join("lines.jsonl");
    std::fs::write(&lines, "{\"meter\": \"meter-1\"}\n{}\n").unwrap();
    let lines = lines.display().to_string();
    let run = schemactl_in(
        dir.path(),
        &[
            "check-compat",
            "schemas/meter/v1.json",
            "--contract",
            "meter",
            "--replay",
            &lines,
            "--format",
            "json",
        ],
    );
    assert!(
        run.stderr.contains("contract \"meter\" has no [identity] pointer: producers are unknown, all payloads are counted as (unknown)"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let by = doc["replay"]["by_producer"].as_object().unwrap();
    assert_eq!(by.keys().collect::<Vec<_>>(), vec!["(unknown)"]);
    assert_eq!(doc["replay"]["payloads"], 2);
}

#[test]
fn bad_replay_input_is_an_input_error_naming_the_file() {
    let run = check_replay(PERCENT, &["no/such/day.jsonl"]);
    run.exits_saying(2, &["cannot read replay file no/such/day.jsonl"]);
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"schemactl_capture\":1,\"contract\":\"generator\"}\n{\"transport\":\n{}\n",
    )
    .unwrap();
    let broken = broken.display().to_string();
    let run = check_replay(PERCENT, &[&broken]);
    run.exits_saying(2, &[&format!("{broken}:2: not a capture record")]);
    // --replay needs a contract: the producer pointer and today's version come from it.
    let run = schemactl(&[
        "check-compat",
        PERCENT,
        "--against",
        "schemas/generator/v3.json",
        "--replay",
        DAY,
    ]);
    run.exits_saying(2, &["--replay needs --contract NAME"]);
}

#[test]
fn validate_reads_a_capture_and_names_each_producer() {
    let run = schemactl(&[
        "validate",
        CAPTURE,
        "--contract",
        "generator",
        "--format",
        "json",
    ]);
    // The binary payload is NOT_UTF8: a finding.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["payloads"], 4);
    assert_eq!(doc["invalid"], 1);
    assert_eq!(doc["violations_by_kind"]["NOT_UTF8"], 1);
    let producers = &doc["files"][0]["producers"];
    assert_eq!(producers["generator1"]["payloads"], 1);
    assert_eq!(producers["generator2"]["payloads"], 2);
    assert_eq!(producers["(unknown)"]["invalid"], 1);
    // Line 4 is the binary record; line 6, cut off, is dropped with a warning.
    assert_eq!(doc["violations"][0]["line"], 4);
    assert!(
        run.stderr
            .contains(&format!("warning: {CAPTURE}:6: the last line is cut off")),
        "{}",
        run.stderr
    );
    // Plain lines still read as before: line numbers count blank lines.
    let run = schemactl(&[
        "validate",
        DAY,
        "--contract",
        "generator",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["payloads"], 7);
    // Line 4's fuel -9 breaks the contract's fuel_not_negative rule; line 8 lacks fuel.
    let at = |kind: &str| {
        doc["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["kind"] == kind)
            .map(|v| v["line"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(at("RULE_VIOLATION"), [4]);
    assert_eq!(at("SCHEMA_VIOLATION"), [8]);
    assert!(doc["files"][0].get("producers").is_none());
}

#[test]
fn a_looser_proposal_counts_what_it_newly_accepts() {
    // v3 with `fuel` no longer required: generator2's reading without fuel (day.jsonl:8) is
    // refused today.
    let dir = tempfile::tempdir().unwrap();
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/generator/v3.json")).unwrap(),
    )
    .unwrap();
    schema["required"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r != "fuel");
    let proposal = dir.path().join("fuel-optional.json");
    std::fs::write(&proposal, schema.to_string()).unwrap();
    let (run, doc) = replay_json(proposal.to_str().unwrap(), &[DAY]);
    let replay = &doc["replay"];
    // The proposal's schema accepts it, but its rules do not: fuel_not_negative cannot be
    // evaluated on a reading without fuel, and a rule that cannot be evaluated fails.
    assert_eq!(counts(replay), (7, 0, 0), "{}", run.stderr);
    assert_eq!(counts(&replay["by_producer"]["generator2"]), (3, 0, 0));

    // `lat` no longer required, and a reading without it (no rule reads lat): refused by v3,
    // accepted by the proposal.
    schema["required"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r != "lat");
    std::fs::write(&proposal, schema.to_string()).unwrap();
    let lines = dir.path().join("no-lat.jsonl");
    std::fs::write(
        &lines,
        "{\"generatorID\": \"generator2\", \"lon\": -97.2, \"temperature\": 20, \"pressure\": 400, \"fuel\": 30}\n",
    )
    .unwrap();
    let lines = lines.to_str().unwrap();
    let (run, doc) = replay_json(proposal.to_str().unwrap(), &[lines]);
    assert_eq!(counts(&doc["replay"]), (1, 0, 1), "{}", run.stderr);
    let run = check_replay(proposal.to_str().unwrap(), &[lines]);
    assert!(
        run.stdout
            .contains("the proposal accepts 1 replayed payload(s) that v3 refuses"),
        "{}",
        run.stdout
    );
}

/// `--replay --registry`: "today" is the registry subject's newest version, judged by the rules
/// it carries there; the proposal by the contract's rules.
#[test]
fn with_a_registry_today_is_the_subjects_newest_version_with_its_rules() {
    let registry = services::Registry::start();
    let url = registry.url.as_str();
    // Nothing registered yet: nothing to replay against, an input error.
    let run = schemactl(&[
        "check-compat",
        PERCENT,
        "--contract",
        "generator",
        "--registry",
        url,
        "--replay",
        DAY,
    ]);
    run.exits_saying(
        2,
        &["nothing to replay against: subject \"emergency_generator-value\" has no version"],
    );

    // The subject's versions registered from a copy of the contract without its rules.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    let toml = std::fs::read_to_string(root().join("contracts/generator.toml")).unwrap();
    let without_rules = toml.split("[[rules]]").next().unwrap();
    std::fs::write(dir.path().join("contracts/generator.toml"), without_rules).unwrap();
    let schemas = dir.path().join("schemas/generator");
    std::fs::create_dir_all(&schemas).unwrap();
    for e in std::fs::read_dir(root().join("schemas/generator")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), schemas.join(e.file_name())).unwrap();
    }
    let reg = schemactl_in(
        dir.path(),
        &["register", "--contract", "generator", "--registry", url],
    );
    assert_eq!(reg.code, 0, "{}{}", reg.stdout, reg.stderr);

    let (run, doc) = replay_json(PERCENT, &[DAY, "--registry", url]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replay = &doc["replay"];
    assert_eq!(replay["rules"]["today"], 0, "{replay:#}");
    assert_eq!(replay["rules"]["proposal"], 3);
    assert!(
        replay["rules"]["today_from"]
            .as_str()
            .unwrap()
            .starts_with("registry subject \"emergency_generator-value\" version "),
        "{replay:#}"
    );
    // The registry's newest version has no rule: generator3's -9 passes today, and the
    // proposal refuses it.
    assert_eq!(counts(replay), (7, 3, 0), "{replay:#}");
    assert_eq!(counts(&replay["by_producer"]["generator3"]), (1, 1, 0));

    // A harmless schema change still refuses the -9 reading, through the contract's rule.
    let (run, doc) = replay_json(HARMLESS, &[DAY, "--registry", url]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replay = &doc["replay"];
    assert_eq!(counts(replay), (7, 1, 0), "{replay:#}");
    let example = &replay["examples"][0];
    assert_eq!(example["at"], format!("{DAY}:4"));
    assert_eq!(example["keyword"], "fuel_not_negative");
    assert_eq!(example["value"], serde_json::json!({"message.fuel": -9}));
    assert!(
        replay["summary"][0]
            .as_str()
            .unwrap()
            .starts_with("the proposal refuses 1 of 1 readings (100.0%) that generator3 sent; rule \"fuel_not_negative\" failed: message.fuel >= 0"),
        "{replay:#}"
    );

    // Once the registry's newest version carries the contract's rules, they refuse the -9
    // reading today as well: nothing rejected.
    let reg = schemactl(&["register", "--contract", "generator", "--registry", url]);
    assert_eq!(reg.code, 0, "{}{}", reg.stdout, reg.stderr);
    let (run, doc) = replay_json(HARMLESS, &[DAY, "--registry", url]);
    let replay = &doc["replay"];
    assert_eq!(replay["rules"]["today"], 3, "{replay:#}");
    assert_eq!(counts(replay), (7, 0, 0), "{replay:#}");
    assert_eq!(replay["passed"], true);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// Ten producers are named one by one; the rest are counted in one note, so every affected
/// producer is accounted for in the text.
#[test]
fn past_ten_producers_the_rest_are_counted_in_one_note() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (1..=12)
        .map(|g| {
            format!(
                "{{\"generatorID\": \"generator{g}\", \"lat\": 40.0, \"lon\": -73.0, \"temperature\": 36, \"pressure\": 500, \"fuel\": 400}}\n"
            )
        })
        .collect();
    let path = dir.path().join("twelve.jsonl");
    std::fs::write(&path, lines).unwrap();
    let run = check_replay(PERCENT, &[path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let named = run
        .stdout
        .lines()
        .filter(|l| l.contains("error[REPLAY_REJECTED]"))
        .count();
    assert_eq!(named, 10, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "note[REPLAY_REJECTED]: and 2 more producer(s) (--format json lists them all)"
        ),
        "{}",
        run.stdout
    );
}
