//! Schema references through the real binary: a contract's history versions naming versions of
//! other contracts (tests/fixtures/references: a shared Location used by a site record),
//! checked offline, registered referenced-first against `schemactl registry serve`, and the
//! bad inputs references can meet.

mod common;
use common::services;

use common::cli::{Run, root, schemactl_in};
use serde_json::{Value, json};
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    root().join("tests/fixtures/references")
}

/// A copy of the fixture catalog to change.
fn copy_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["contracts", "schemas/location", "schemas/site"] {
        fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in fs::read_dir(fixture().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A contract `name` whose history is `versions` (schema texts), with `references` (TOML).
fn contract(dir: &Path, name: &str, versions: &[Value], references: &str) {
    write(
        dir,
        &format!("contracts/{name}.toml"),
        &format!("subject = \"{name}-value\"\nschemas = \"schemas/{name}\"\n{references}"),
    );
    for (i, v) in versions.iter().enumerate() {
        write(
            dir,
            &format!("schemas/{name}/v{}.json", i + 1),
            &v.to_string(),
        );
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    schemactl_in(dir, args)
}

#[test]
fn the_fixture_catalog_passes_with_its_references_resolved() {
    let r = run(&fixture(), &["test"]);
    assert_eq!(r.code, 0, "{}", r.text());
    // The examples' violations are found inside the referenced Location.
    assert!(
        r.stdout
            .contains("example \"a latitude past the pole\" is rejected by v2"),
        "{}",
        r.text()
    );
    let r = run(
        &fixture(),
        &["check-compat", "--contract", "site", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.text());
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let text = doc.to_string();
    // Location v1 → v2 added `altitude`; the site's v1 → v2 only changed which Location it names.
    assert!(
        text.contains("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
            && text.contains("#/properties/location/properties/altitude"),
        "{text}"
    );
}

#[test]
fn validate_checks_payloads_against_the_referenced_schema() {
    let dir = copy_fixture();
    write(
        dir.path(),
        "readings.jsonl",
        "{\"siteID\":\"s1\",\"location\":{\"lat\":1,\"lon\":2}}\n{\"siteID\":\"s2\",\"location\":{\"lat\":1,\"lon\":\"east\"}}\n",
    );
    let r = run(
        dir.path(),
        &[
            "validate",
            "--contract",
            "site",
            "readings.jsonl",
            "--format",
            "json",
        ],
    );
    r.exits_printing(1, &["/location/lon"]);
}

#[test]
fn a_change_in_a_referenced_schema_is_checked_where_it_is_used() {
    let dir = copy_fixture();
    // The location contract lets its latitude become text (its own level allows anything)...
    let toml = fs::read_to_string(dir.path().join("contracts/location.toml")).unwrap();
    write(
        dir.path(),
        "contracts/location.toml",
        &toml.replace("BACKWARD_TRANSITIVE", "NONE"),
    );
    let v2: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("schemas/location/v2.json")).unwrap(),
    )
    .unwrap();
    let mut v3 = v2.clone();
    v3["properties"]["lat"] = json!({"type": "string"});
    write(dir.path(), "schemas/location/v3.json", &v3.to_string());
    let r = run(dir.path(), &["check-compat", "--contract", "location"]);
    assert_eq!(r.code, 0, "{}", r.text());
    // ...and the site's v3, the same text as v2 naming location v3, is refused at BACKWARD.
    fs::copy(
        dir.path().join("schemas/site/v2.json"),
        dir.path().join("schemas/site/v3.json"),
    )
    .unwrap();
    let toml = fs::read_to_string(dir.path().join("contracts/site.toml")).unwrap();
    write(
        dir.path(),
        "contracts/site.toml",
        &toml.replace(
            "\n\n[[examples.valid]]",
            "\nv3 = [{ name = \"location.json\", contract = \"location\", version = 3 }]\n\n[[examples.valid]]",
        ),
    );
    let r = run(dir.path(), &["check-compat", "--contract", "site"]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(
        r.stdout.contains("error[TYPE_CHANGED]")
            && r.stdout.contains("#/properties/location/properties/lat"),
        "{}",
        r.text()
    );
}

#[test]
fn a_reference_to_a_missing_contract_or_version_is_an_input_error() {
    for (reference, says) in [
        (
            "{ name = \"location.json\", contract = \"location\", version = 9 }",
            "has no version 9",
        ),
        (
            "{ name = \"location.json\", contract = \"place\", version = 1 }",
            "contract \"place\"",
        ),
    ] {
        let dir = copy_fixture();
        let toml = fs::read_to_string(dir.path().join("contracts/site.toml")).unwrap();
        let toml = toml.replace(
            "v2 = [{ name = \"location.json\", contract = \"location\", version = 2 }]",
            &format!("v2 = [{reference}]"),
        );
        write(dir.path(), "contracts/site.toml", &toml);
        let r = run(dir.path(), &["check-compat", "--contract", "site"]);
        assert_eq!(r.code, 2, "{}", r.text());
        assert!(
            r.stderr.contains(says) && r.stderr.contains("site.toml"),
            "{}",
            r.text()
        );
    }
}

#[test]
fn bad_reference_tables_name_the_file_line_and_fix() {
    for (references, line, says) in [
        (
            "[references]\nv1 = [{ name = \"a.json\", contract = \"location\", version = 1 },\n      { name = \"a.json\", contract = \"location\", version = 2 }]\n",
            "line 5",
            "\"a.json\" is used twice",
        ),
        (
            "[references]\nv1 = [{ name = \"a.json\", contract = \"location\", versoin = 1 }]\n",
            "line 4",
            "unknown field `versoin`",
        ),
        (
            "[references]\nlatest = [{ name = \"a.json\", contract = \"location\", version = 1 }]\n",
            "line 4",
            "is not a history version",
        ),
        (
            "[references]\nv1 = [{ name = \"a.json#/x\", contract = \"location\", version = 1 }]\n",
            "line 4",
            "not a reference name",
        ),
    ] {
        let dir = copy_fixture();
        contract(dir.path(), "bad", &[json!({"type": "object"})], references);
        let r = run(dir.path(), &["check-compat", "--contract", "bad"]);
        assert_eq!(r.code, 2, "{}", r.text());
        assert!(
            r.stderr.contains("bad.toml") && r.stderr.contains(line) && r.stderr.contains(says),
            "{references}\n{}",
            r.text()
        );
        assert!(r.stderr.contains("help:"), "{}", r.text());
    }
}

#[test]
fn references_for_a_version_the_history_lacks_are_refused() {
    let dir = copy_fixture();
    contract(
        dir.path(),
        "ahead",
        &[json!({"type": "object"})],
        "[references]\nv9 = [{ name = \"location.json\", contract = \"location\", version = 1 }]\n",
    );
    let r = run(dir.path(), &["test", "--contract", "ahead"]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.stderr.contains("ahead.toml") && r.stderr.contains("the history has no version 9"),
        "{}",
        r.text()
    );
}

#[test]
fn a_reference_cycle_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let refs = |to: &str| {
        format!(
            "[references]\nv1 = [{{ name = \"{to}.json\", contract = \"{to}\", version = 1 }}]\n"
        )
    };
    contract(dir.path(), "a", &[json!({"$ref": "b.json"})], &refs("b"));
    contract(
        dir.path(),
        "b",
        &[json!({"properties": {"a": {"$ref": "a.json"}}})],
        &refs("a"),
    );
    let r = run(dir.path(), &["check-compat", "--contract", "a"]);
    r.exits_saying(2, &["a reference cycle: a v1 -> b v1 -> a v1"]);
}

#[test]
fn the_same_name_for_two_schemas_across_references_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    contract(
        dir.path(),
        "leaf",
        &[json!({"type": "string"}), json!({"type": "number"})],
        "",
    );
    contract(
        dir.path(),
        "mid",
        &[json!({"$ref": "leaf.json"})],
        "[references]\nv1 = [{ name = \"leaf.json\", contract = \"leaf\", version = 2 }]\n",
    );
    contract(
        dir.path(),
        "top",
        &[json!({"properties": {"a": {"$ref": "leaf.json"}, "b": {"$ref": "mid.json"}}})],
        "[references]\nv1 = [{ name = \"leaf.json\", contract = \"leaf\", version = 1 }, { name = \"mid.json\", contract = \"mid\", version = 1 }]\n",
    );
    let r = run(dir.path(), &["check-compat", "--contract", "top"]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.stderr
            .contains("\"leaf.json\" is used twice, for leaf v1 and leaf v2"),
        "{}",
        r.text()
    );
}

#[test]
fn a_chain_of_a_thousand_contract_references_is_followed_once_each() {
    let dir = tempfile::tempdir().unwrap();
    // Each link is only a reference to the one before: the longest chain there is.
    contract(
        dir.path(),
        "link0",
        &[json!({"type": "object", "required": ["id"]})],
        "",
    );
    for i in 1..=1000 {
        let prev = format!("link{}", i - 1);
        contract(
            dir.path(),
            &format!("link{i}"),
            &[json!({"$ref": format!("{prev}.json")})],
            &format!(
                "[references]\nv1 = [{{ name = \"{prev}.json\", contract = \"{prev}\", version = 1 }}]\n"
            ),
        );
    }
    write(dir.path(), "one.jsonl", "{\"id\": 1}\n");
    write(dir.path(), "bad.jsonl", "{\"di\": 1}\n");
    let r = run(
        dir.path(),
        &["validate", "--contract", "link1000", "one.jsonl"],
    );
    assert_eq!(r.code, 0, "{}", r.text());
    let r = run(
        dir.path(),
        &["validate", "--contract", "link1000", "bad.jsonl"],
    );
    assert_eq!(r.code, 1, "{}", r.text());
}

#[test]
fn a_ref_to_a_url_is_refused_and_nothing_is_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/location.json", listener.local_addr().unwrap());
    let dir = copy_fixture();
    let proposal = json!({"type": "object", "properties": {"location": {"$ref": url}}});
    write(dir.path(), "proposal.json", &proposal.to_string());
    write(
        dir.path(),
        "old.json",
        &json!({"type": "object"}).to_string(),
    );
    write(dir.path(), "one.jsonl", "{}\n");
    let checks: [&[&str]; 3] = [
        &["check-compat", "proposal.json", "--contract", "site"],
        &["check-compat", "proposal.json", "--against", "old.json"],
        &["diff", "old.json", "proposal.json"],
    ];
    for args in checks {
        let r = run(dir.path(), args);
        assert_eq!(r.code, 2, "{args:?}\n{}", r.text());
        assert!(
            r.stderr.contains(&url) && r.stderr.contains("never fetches"),
            "{}",
            r.text()
        );
    }
    // And as a version of a contract's history, for validate.
    contract(dir.path(), "remote", &[proposal], "");
    let r = run(
        dir.path(),
        &["validate", "--contract", "remote", "one.jsonl"],
    );
    assert_eq!(r.code, 2, "{}", r.text());
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("schemactl connected to the $ref's URL: {other:?}"),
    }
}

#[tokio::test]
async fn register_puts_referenced_contracts_first_with_their_references() {
    let registry = services::Registry::start();
    let url = registry.url.clone();
    // Asked for the site only, register registers the location it references first.
    let r = run(
        &fixture(),
        &[
            "register",
            "--contract",
            "site",
            "--registry",
            &url,
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.text());
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let order: Vec<&str> = doc["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contract"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["location", "site"]);
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .get(format!("{url}{path}"))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let site = get("/subjects/site_status-value/versions/2".into()).await;
    assert_eq!(
        site["references"],
        json!([{"name": "location.json", "subject": "com.example.Location", "version": 2}])
    );
    let by = get("/subjects/com.example.Location/versions/1/referencedby".into()).await;
    assert_eq!(by.as_array().map(Vec::len), Some(1), "{by}");
    // Again: everything is found, nothing registered twice.
    let r = run(
        &fixture(),
        &["register", "--all", "--registry", &url, "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.text());
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["summary"]["already_registered"], json!(4), "{doc}");
    assert_eq!(doc["summary"]["registered"], json!(0), "{doc}");
    // The gate against the registry: its versions are read with their references, and the
    // proposal is sent with the registry's numbers for the contract versions it references.
    let r = run(
        &fixture(),
        &["check-compat", "--contract", "site", "--registry", &url],
    );
    r.exits_printing(0, &["ok   registry:"]);
    assert!(!r.stderr.contains("warning"), "{}", r.text());
}
