//! One fixture folder per change type, as cargo-semver-checks keeps one per lint.
//!
//! `tests/fixtures/compat/<CHANGE_TYPE>/` holds `previous.json` and `current.json` (and, where
//! the change lives in Confluent schema metadata, `previous-metadata.json` /
//! `current-metadata.json`). Read in the BACKWARD direction, previous → current must report
//! the folder's change type. `tests/snapshots/compat_fixtures__<CHANGE_TYPE>.snap` records every
//! change found and the strict and lenient BACKWARD verdicts.
//!
//! The guard tests fail when a change type has no folder, when a folder names no change type,
//! and when the list of change types without a folder is stale. Every fixture is run under the
//! strict and the lenient policy, and each verdict is checked against Confluent's own sets of
//! compatible change types, copied below from Confluent's source rather than from the table in
//! `src/compat/change.rs`.
//!
//! `tests/fixtures/compat-dialects/<CASE>/` holds cases where Confluent's model of a draft
//! decides what is reported (json-sKema for 2020-12, everit for draft-07, and a few of
//! Confluent's own quirks): each has `previous.json`, `current.json`, optional metadata, and
//! `expected.json` with the changes Confluent reports, its verdict under each policy, and why.

use schemactl::compat::{self, Change, ChangeType, Level, Metadata, Policy, Schema, Version};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Change types that Confluent's current diff never emits, so no schema pair can show them,
/// each with the reason.
const NOT_EMITTED: &[(ChangeType, &str)] = &[(
    ChangeType::PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    "deprecated since Confluent 8.0: a property added to an open content model is reported as \
     REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, \
     REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL, \
     OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL or \
     PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL instead; the type stays in the \
     enum only so that 7.x reports still parse",
)];

/// `SchemaDiff.COMPATIBLE_CHANGES_STRICT` in confluentinc/schema-registry's
/// json-schema-provider (`io/confluent/kafka/schemaregistry/json/diff/SchemaDiff.java`, the
/// static block), copied by hand from that source. Names, not `ChangeType`s, so that this list
/// owes nothing to the table it checks.
const CONFLUENT_STRICT: &[&str] = &[
    "ID_CHANGED",
    "DESCRIPTION_CHANGED",
    "TITLE_CHANGED",
    "DEFAULT_CHANGED",
    "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_REMOVED",
    "MIN_LENGTH_DECREASED",
    "MIN_LENGTH_REMOVED",
    "PATTERN_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_REMOVED",
    "MINIMUM_DECREASED",
    "MINIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED",
    "MIN_ITEMS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED",
    "MIN_CONTAINS_REMOVED",
    "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "COMBINED_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
];

/// What `COMPATIBLE_CHANGES_LENIENT` adds to the strict set, from the same static block
/// (`PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL`, which Confluent adds again there, is already
/// strict).
const CONFLUENT_LENIENT_EXTRA: &[&str] = &[
    "ADDITIONAL_PROPERTIES_NARROWED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_REMOVED",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
];

/// Whether Confluent counts `kind` as compatible under `policy`.
fn confluent_compatible(kind: ChangeType, policy: Policy) -> bool {
    let name = kind.name();
    CONFLUENT_STRICT.contains(&name)
        || (policy == Policy::Lenient && CONFLUENT_LENIENT_EXTRA.contains(&name))
}

/// The files a fixture folder may hold.
const FIXTURE_FILES: [&str; 4] = [
    "previous.json",
    "current.json",
    "previous-metadata.json",
    "current-metadata.json",
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat")
}

fn dialects_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat-dialects")
}

/// The fixture folder names, sorted.
fn folder_names() -> Vec<String> {
    subfolders(&fixtures_dir())
}

/// The names of the folders in `dir`, sorted.
fn subfolders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable fixture entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn not_emitted(kind: ChangeType) -> bool {
    NOT_EMITTED.iter().any(|&(k, _)| k == kind)
}

struct Fixture {
    name: String,
    /// The change type the folder is named after (a change-type fixture), if any.
    kind: Option<ChangeType>,
    previous: Schema,
    current: Schema,
    previous_metadata: Option<Metadata>,
    current_metadata: Option<Metadata>,
}

impl Fixture {
    fn load(name: &str) -> Fixture {
        let kind = ChangeType::from_name(name)
            .unwrap_or_else(|| panic!("fixture folder {name} names no change type"));
        Fixture::load_from(&fixtures_dir(), name, Some(kind))
    }

    fn load_from(root: &Path, name: &str, kind: Option<ChangeType>) -> Fixture {
        let dir = root.join(name);
        let read = |file: &str| -> Option<serde_json::Value> {
            let path = dir.join(file);
            let text = fs::read_to_string(&path).ok()?;
            Some(serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("{}: invalid JSON: {e}", path.display());
            }))
        };
        let schema = |file: &str| {
            let doc = read(file).unwrap_or_else(|| panic!("{name}/{file} is missing"));
            Schema::parse(doc).unwrap_or_else(|e| panic!("{name}/{file}: {e}"))
        };
        let metadata = |file: &str| {
            read(file).map(|doc| {
                Metadata::from_json(&doc).unwrap_or_else(|e| panic!("{name}/{file}: {e}"))
            })
        };
        Fixture {
            name: name.to_string(),
            kind,
            previous: schema("previous.json"),
            current: schema("current.json"),
            previous_metadata: metadata("previous-metadata.json"),
            current_metadata: metadata("current-metadata.json"),
        }
    }

    fn previous(&self) -> Version<'_> {
        Version {
            label: "previous",
            schema: &self.previous,
            metadata: self.previous_metadata.as_ref(),
        }
    }

    fn current(&self) -> Version<'_> {
        Version {
            label: "current",
            schema: &self.current,
            metadata: self.current_metadata.as_ref(),
        }
    }

    /// previous → current in the BACKWARD direction: metadata changes, then the schema diff.
    fn changes(&self, policy: Policy) -> Vec<Change> {
        compat::diff_versions(&self.previous(), &self.current(), policy)
    }

    fn compatible(&self, policy: Policy) -> bool {
        compat::check(&self.current(), &[self.previous()], Level::Backward, policy).compatible
    }

    /// The change type the folder is named after.
    fn kind(&self) -> ChangeType {
        self.kind.expect("a change-type fixture")
    }
}

fn all_fixtures() -> Vec<Fixture> {
    folder_names()
        .iter()
        .filter(|name| ChangeType::from_name(name).is_some_and(|kind| !not_emitted(kind)))
        .map(|name| Fixture::load(name))
        .collect()
}

#[test]
fn every_change_type_has_a_fixture_folder() {
    let folders: BTreeSet<String> = folder_names().into_iter().collect();
    let missing: Vec<&str> = ChangeType::ALL
        .iter()
        .filter(|&&kind| !not_emitted(kind) && !folders.contains(kind.name()))
        .map(|kind| kind.name())
        .collect();
    assert!(
        missing.is_empty(),
        "change types without a folder in tests/fixtures/compat (add previous.json and \
         current.json, or list the type in NOT_EMITTED with the reason): {missing:?}"
    );
}

#[test]
fn every_fixture_folder_names_a_change_type() {
    let mut problems = Vec::new();
    for name in folder_names() {
        let dir = fixtures_dir().join(&name);
        match ChangeType::from_name(&name) {
            None => problems.push(format!("{name}: names no change type")),
            Some(kind) if not_emitted(kind) => {
                problems.push(format!(
                    "{name}: listed in NOT_EMITTED, so it has no fixture"
                ));
            }
            Some(_) => {}
        }
        for required in ["previous.json", "current.json"] {
            if !dir.join(required).is_file() {
                problems.push(format!("{name}: {required} is missing"));
            }
        }
        for entry in fs::read_dir(&dir).expect("readable fixture folder") {
            let file = entry.expect("readable entry").file_name();
            let file = file.to_string_lossy();
            if !FIXTURE_FILES.contains(&file.as_ref()) {
                problems.push(format!(
                    "{name}: unexpected file {file} (a fixture holds only {FIXTURE_FILES:?})"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn not_emitted_list_is_honest() {
    let mut seen = BTreeSet::new();
    for &(kind, reason) in NOT_EMITTED {
        assert!(seen.insert(kind), "{kind} is listed twice");
        assert!(
            !reason.trim().is_empty(),
            "{kind} is listed without a reason"
        );
        assert!(
            !fixtures_dir().join(kind.name()).exists(),
            "{kind} is listed as never emitted but has a fixture folder"
        );
    }
    // The engine must agree: no fixture, under either policy, reports a listed type.
    for fixture in all_fixtures() {
        for policy in [Policy::Strict, Policy::Lenient] {
            for change in fixture.changes(policy) {
                assert!(
                    !not_emitted(change.kind),
                    "{}: reports {} at {}, which NOT_EMITTED says is never emitted",
                    fixture.name,
                    change.kind,
                    change.path
                );
            }
        }
    }
}

#[test]
fn each_fixture_reports_its_change_type() {
    let mut problems = Vec::new();
    for fixture in all_fixtures() {
        let changes = fixture.changes(Policy::Strict);
        if !changes.iter().any(|c| c.kind == fixture.kind()) {
            let found: Vec<String> = changes
                .iter()
                .map(|c| format!("{} {}", c.kind, c.path))
                .collect();
            problems.push(format!("{}: reports {found:?}", fixture.name));
        }
    }
    assert!(
        problems.is_empty(),
        "fixtures that do not report their change type: {problems:#?}"
    );
}

/// What a fixture's snapshot records.
#[derive(Serialize)]
struct Snapshot {
    /// Every change from previous to current under the strict policy.
    changes: Vec<Change>,
    /// The BACKWARD verdict under each policy.
    compatible: Verdicts,
    /// The changes under the lenient policy, where they differ (the policy decides whether a
    /// subschema fits a union or a partially open content model).
    #[serde(skip_serializing_if = "Option::is_none")]
    lenient_changes: Option<Vec<Change>>,
}

#[derive(Serialize)]
struct Verdicts {
    strict: bool,
    lenient: bool,
}

#[test]
fn fixture_snapshots() {
    let mut failed = Vec::new();
    for fixture in all_fixtures() {
        let strict = fixture.changes(Policy::Strict);
        let lenient = fixture.changes(Policy::Lenient);
        let snapshot = Snapshot {
            compatible: Verdicts {
                strict: fixture.compatible(Policy::Strict),
                lenient: fixture.compatible(Policy::Lenient),
            },
            lenient_changes: (lenient != strict).then_some(lenient),
            changes: strict,
        };
        let mut settings = insta::Settings::clone_current();
        settings.set_description(fixture.kind().purpose());
        settings.set_omit_expression(true);
        settings.set_prepend_module_to_snapshot(true);
        // Check every fixture before failing, so one run shows every snapshot that moved.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_json_snapshot!(fixture.name.as_str(), snapshot));
        }));
        if outcome.is_err() {
            failed.push(fixture.name);
        }
    }
    assert!(failed.is_empty(), "snapshots that changed: {failed:?}");
}

#[test]
fn every_snapshot_has_a_fixture() {
    let folders: BTreeSet<String> = folder_names().into_iter().collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let orphans: Vec<String> = fs::read_dir(dir)
        .expect("tests/snapshots exists")
        .map(|entry| entry.expect("readable entry").file_name())
        .filter_map(|file| {
            let file = file.to_string_lossy();
            let name = file
                .strip_prefix("compat_fixtures__")?
                .strip_suffix(".snap")?;
            (!folders.contains(name)).then(|| file.into_owned())
        })
        .collect();
    assert!(
        orphans.is_empty(),
        "snapshots whose fixture folder is gone (delete them): {orphans:?}"
    );
}

#[test]
fn confluents_sets_name_known_change_types() {
    let mut seen = BTreeSet::new();
    for &name in CONFLUENT_STRICT.iter().chain(CONFLUENT_LENIENT_EXTRA) {
        assert!(
            ChangeType::from_name(name).is_some(),
            "{name} is not a change type"
        );
        assert!(seen.insert(name), "{name} is listed twice");
    }
}

/// The guard on the table: every fixture, under both policies, gets the verdict that
/// Confluent's sets give to the changes it reports, and its own change type is judged as
/// Confluent judges it. A row of the table that disagrees with Confluent fails here, on the
/// fixture that shows it.
#[test]
fn every_fixture_under_both_policies_follows_confluents_sets() {
    let mut problems = Vec::new();
    let mut judged = BTreeSet::new();
    for fixture in all_fixtures() {
        for policy in [Policy::Strict, Policy::Lenient] {
            let changes = fixture.changes(policy);
            for change in &changes {
                if change.kind.is_compatible(policy) != confluent_compatible(change.kind, policy) {
                    problems.push(format!(
                        "{}: {} under {}: schemactl says {}, Confluent {}",
                        fixture.name,
                        change.kind,
                        policy.name(),
                        verdict(change.kind.is_compatible(policy)),
                        verdict(confluent_compatible(change.kind, policy)),
                    ));
                }
                if change.kind == fixture.kind() {
                    judged.insert((fixture.kind(), policy.name()));
                }
            }
            let expected = changes.iter().all(|c| confluent_compatible(c.kind, policy));
            if fixture.compatible(policy) != expected {
                problems.push(format!(
                    "{}: the {} verdict is {}, Confluent's sets make it {}",
                    fixture.name,
                    policy.name(),
                    verdict(fixture.compatible(policy)),
                    verdict(expected),
                ));
            }
        }
    }
    for fixture in all_fixtures() {
        for policy in [Policy::Strict, Policy::Lenient] {
            if !judged.contains(&(fixture.kind(), policy.name())) {
                problems.push(format!(
                    "{}: does not report {} under {}",
                    fixture.name,
                    fixture.kind(),
                    policy.name()
                ));
            }
        }
    }
    // Types no schema pair can show are still judged, from the table directly.
    for &(kind, _) in NOT_EMITTED {
        for policy in [Policy::Strict, Policy::Lenient] {
            assert_eq!(
                kind.is_compatible(policy),
                confluent_compatible(kind, policy),
                "{kind} under {}",
                policy.name()
            );
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

fn verdict(compatible: bool) -> &'static str {
    if compatible { "compatible" } else { "breaking" }
}

/// What a dialect case expects, in the form of Confluent's own test cases.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// Why Confluent reports what it reports, with the source that decides it.
    confluent: String,
    /// `TYPE #/path` for each change, in any order.
    changes: Vec<String>,
    compatible: ExpectedVerdicts,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedVerdicts {
    strict: bool,
    lenient: bool,
}

#[test]
fn dialect_cases_report_what_confluent_reports() {
    let names = subfolders(&dialects_dir());
    assert!(
        !names.is_empty(),
        "no cases in tests/fixtures/compat-dialects"
    );
    let mut problems = Vec::new();
    for name in names {
        let path = dialects_dir().join(&name).join("expected.json");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected: Expected =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !expected.confluent.trim().is_empty(),
            "{name}: says not why"
        );
        let fixture = Fixture::load_from(&dialects_dir(), &name, None);
        for (policy, want) in [
            (Policy::Strict, expected.compatible.strict),
            (Policy::Lenient, expected.compatible.lenient),
        ] {
            let mut found: Vec<String> = fixture
                .changes(policy)
                .iter()
                .map(|c| format!("{} {}", c.kind, c.path))
                .collect();
            let mut wanted = expected.changes.clone();
            found.sort();
            wanted.sort();
            if found != wanted {
                problems.push(format!(
                    "{name} ({}): reports {found:?}, Confluent {wanted:?}",
                    policy.name()
                ));
            }
            if fixture.compatible(policy) != want {
                problems.push(format!(
                    "{name} ({}): {}, Confluent says {}",
                    policy.name(),
                    verdict(fixture.compatible(policy)),
                    verdict(want)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
