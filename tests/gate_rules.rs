//! One fixture folder per finding id of the gate ([`schemactl::gate::Rule`]), as
//! `tests/compat_fixtures.rs` keeps one per change type.
//!
//! `tests/fixtures/gate/<ID>/` is a small project (`contracts/`, `schemas/`, a proposal) and a
//! `case.toml` saying how to raise the id: `run` (the schemactl arguments), `exit` (the code it
//! must end with), and as needed `registry = true` (a fresh `schemactl registry serve`, its URL
//! put where an argument says `{registry}`), `before` (schemactl runs that prepare the
//! registry), `git = true` (the project is committed as the branch `base` first, then `edited/`
//! is copied over it and the `deleted` files removed).
//!
//! The guard tests fail when a rule has no folder (unless listed in [`NOT_RAISED`] with the
//! reason), when a folder names no rule, and when a fixture does not raise its rule at the
//! rule's severity. `tests/snapshots/gate_rules__<ID>.snap` records what each fixture reports.

mod common;
use common::git::git;
use common::services;

use common::cli::{Run, root, schemactl_in};
use schemactl::gate::Rule;
use schemactl::report::Severity;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rules no fixture can raise against the embedded registry, each with the reason.
const NOT_RAISED: &[(Rule, &str)] = &[(
    Rule::RegistryInvalidSchema,
    "the embedded registry parses a proposal with the same engine as the local check, which \
     refuses an unparsable proposal first; a Confluent registry whose parser is stricter than \
     ours answers 42201 for schemas we accept",
)];

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/gate")
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    run: Vec<String>,
    exit: i32,
    #[serde(default)]
    registry: bool,
    #[serde(default)]
    before: Vec<Vec<String>>,
    #[serde(default)]
    git: bool,
    #[serde(default)]
    deleted: Vec<String>,
}

fn folders() -> BTreeSet<String> {
    std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_rule_has_a_fixture_and_every_fixture_names_a_rule() {
    let folders = folders();
    let exempt: BTreeSet<&str> = NOT_RAISED.iter().map(|(r, _)| r.id()).collect();
    for rule in Rule::ALL {
        let has = folders.contains(rule.id());
        assert!(
            has || exempt.contains(rule.id()),
            "rule {rule} has no fixture folder tests/fixtures/gate/{rule}/"
        );
        assert!(
            !(has && exempt.contains(rule.id())),
            "rule {rule} has a fixture: take it off NOT_RAISED"
        );
    }
    for folder in &folders {
        assert!(
            Rule::ALL.iter().any(|r| r.id() == folder),
            "tests/fixtures/gate/{folder}/ names no rule of schemactl::gate::Rule"
        );
    }
}

#[test]
fn every_fixture_raises_its_rule() {
    for folder in folders() {
        let rule = *Rule::ALL.iter().find(|r| r.id() == folder).unwrap();
        let (run, shown) = raise(&fixtures().join(&folder));
        let severity = match rule.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let wanted = format!("{severity}[{rule}]");
        assert!(
            run.stdout.contains(&wanted),
            "fixture {folder} does not report {wanted}:\n{}",
            run.text()
        );
        insta::assert_snapshot!(folder.as_str(), shown);
    }
}

/// Runs the fixture in `dir` from a copy of its project; returns the checked run and its
/// stdout with the registry's URL and the temporary folder (both change) replaced.
fn raise(dir: &Path) -> (Run, String) {
    let text = std::fs::read_to_string(dir.join("case.toml")).unwrap();
    let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let work = tempfile::tempdir().unwrap();
    copy_tree(dir, work.path(), &["case.toml", "edited"]);
    if case.git {
        git(work.path(), &["init", "-q", "-b", "base"]);
        git(work.path(), &["add", "."]);
        git(work.path(), &["commit", "-q", "-m", "published"]);
        if dir.join("edited").is_dir() {
            copy_tree(&dir.join("edited"), work.path(), &[]);
        }
        for file in &case.deleted {
            std::fs::remove_file(work.path().join(file)).unwrap();
        }
    }
    let registry = case.registry.then(services::Registry::start);
    let url = registry.as_ref().map(|r| r.url.clone()).unwrap_or_default();
    let args = |args: &[String]| -> Vec<String> {
        args.iter().map(|a| a.replace("{registry}", &url)).collect()
    };
    for before in &case.before {
        let before = args(before);
        let refs: Vec<&str> = before.iter().map(String::as_str).collect();
        let run = schemactl_in(work.path(), &refs);
        assert_eq!(run.code, 0, "{}: {before:?}\n{}", dir.display(), run.text());
    }
    let run_args = args(&case.run);
    let refs: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let run = schemactl_in(work.path(), &refs);
    assert_eq!(
        run.code,
        case.exit,
        "{}: {run_args:?}\n{}",
        dir.display(),
        run.text()
    );
    let mut shown = run
        .stdout
        .replace(&work.path().display().to_string(), "PROJECT");
    if !url.is_empty() {
        shown = shown.replace(&url, "http://REGISTRY");
    }
    (run, shown)
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
