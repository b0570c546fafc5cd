//! Confluent's own OpenAPI document of the Schema Registry, used by schemathesis to test
//! `schemactl registry serve`: a fixed seed, a bounded time, and the checks that matter to a
//! client (no server error, the content types and the response shapes the document gives).
//!
//! The document is Confluent Community License test data: it is read from the shared
//! conformance kit beside the checkout (`../shared`), never copied into the project.

use crate::services::Registry;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The schemathesis release these checks were written against.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
const INSTALL: &str = "python3 -m pip install 'schemathesis==4.32.5'";

/// The time schemathesis may spend generating cases; the test gives up a minute later.
const BUDGET_SECONDS: u64 = 120;

/// The operations under test: subjects, schemas, config, mode and compatibility.
const PATHS: &str = "^/(subjects|schemas|config|mode|compatibility)";

/// Operations where Confluent's own server departs from its document, so that a faithful
/// registry cannot conform. Each is excluded alone, with the reason.
const DEPARTURES: [(&str, &str); 2] = [
    // The document answers a bare compatibility level (a string); Confluent's ConfigResource
    // answers the removed `Config` object, `{"compatibilityLevel": ...}`, as clients expect.
    (
        "deleteTopLevelConfig",
        "DELETE /config answers a Config object, not a string",
    ),
    // The same departure for the subject-level delete.
    (
        "deleteSubjectConfig",
        "DELETE /config/{subject} answers a Config object, not a string",
    ),
];

/// Operations of the document that `schemactl registry serve` does not serve, on purpose; any
/// other documented operation answered as an unknown route or method is a gap.
const NOT_SERVED: [(&str, &str); 1] = [
    // Schema tags belong to Confluent's Stream Catalog, which this registry does not have.
    ("POST", "/subjects/{subject}/versions/{version}/tags"),
];

fn api_document() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/confluent-openapi/schema-registry-api-spec.yaml")
}

#[test]
fn schemathesis_finds_no_gap_against_confluents_api_document() {
    let document = api_document();
    if !document.exists() {
        let message = format!(
            "Confluent's OpenAPI document is not at {}: this test needs the shared conformance kit beside the checkout (../shared)",
            document.display()
        );
        // CI always has the kit; a clone without it may run everything else.
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("note: {message}; the schemathesis conformance test did not run");
        return;
    }
    let version = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--version"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); install Python 3, then: {INSTALL}"));
    let version_text = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.status.success() && version_text.contains(SCHEMATHESIS_VERSION),
        "schemathesis {SCHEMATHESIS_VERSION} is not installed (found: {} {}); install it with: {INSTALL} (or run scripts/install-test-deps.sh)",
        version_text.trim(),
        String::from_utf8_lossy(&version.stderr).trim()
    );

    let registry = Registry::start();
    // Hypothesis keeps a database of examples in its working directory: a scratch one.
    let scratch = tempfile::tempdir().unwrap();
    let har = scratch.path().join("exchanges.har");
    let mut command = Command::new("python3");
    command
        .args(["-m", "schemathesis.cli", "run"])
        .arg(&document)
        .args(["--url", &registry.url])
        .args(["--seed", "20261201"])
        .args(["--max-time", &BUDGET_SECONDS.to_string()])
        // One worker: with more, Hypothesis parses lambdas' sources in several threads at once,
        // which CPython 3.11's `ast` module does not survive ("AST constructor recursion depth
        // mismatch"), and the run ends in a schemathesis error rather than a verdict.
        .args(["--workers", "1"])
        .args([
            "--checks",
            "not_a_server_error,content_type_conformance,response_schema_conformance",
        ])
        .args(["--include-path-regex", PATHS])
        .args(["--output-truncate", "false"])
        .args(["--warnings", "off"])
        .args(["--report", "har", "--report-har-path"])
        .arg(&har)
        .env("NO_COLOR", "1")
        .current_dir(scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (operation, _why) in DEPARTURES {
        command.args(["--exclude-operation-id", operation]);
    }
    let child = command.spawn().expect("cannot start schemathesis");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let limit = Duration::from_secs(BUDGET_SECONDS + 60);
    let output = match rx.recv_timeout(limit) {
        Ok(output) => output.expect("schemathesis output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("schemathesis ran past {}s and was stopped", limit.as_secs());
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found gaps between `schemactl registry serve` and Confluent's API document (status {:?})\nstdout:\n{stdout}\nstderr:\n{}\nserver log (tail):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        tail(&registry.stderr.text(), 40),
    );
    // It tested the operations: a run that selected nothing also exits 0.
    let tested = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no count of tested operations in:\n{stdout}"));
    assert!(tested >= 30, "only {tested} operations tested:\n{stdout}");
    assert!(stdout.contains("No issues found"), "{stdout}");
    if let Some(cases) = stdout.lines().find(|l| l.contains(" generated, ")) {
        eprintln!("schemathesis: {tested} operations, {}", cases.trim());
    }

    // The checks above pass when an operation is missing altogether (an undocumented 404 or 405
    // is not a wrong shape), so every exchange schemathesis recorded is read back: a documented
    // method on a documented path must never meet the server's "no such route" answers.
    let exchanges: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&har).expect("schemathesis wrote its HAR report"))
            .expect("the HAR report is JSON");
    let entries = exchanges["log"]["entries"].as_array().expect("HAR entries");
    assert!(
        entries.len() > 1000,
        "only {} exchanges recorded",
        entries.len()
    );
    let operations = documented_operations(&document);
    let mut gaps = std::collections::BTreeSet::new();
    for entry in entries {
        let method = entry["request"]["method"].as_str().unwrap_or_default();
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        let status = entry["response"]["status"].as_u64().unwrap_or_default();
        let body: serde_json::Value = serde_json::from_str(
            entry["response"]["content"]["text"]
                .as_str()
                .unwrap_or("null"),
        )
        .unwrap_or_default();
        // The router's own answers: 405, or 404 with the bare code 404 (a missing subject,
        // version or schema has a five-digit Confluent code).
        let unrouted = status == 405 || (status == 404 && body["error_code"] == 404);
        if !unrouted {
            continue;
        }
        let path = url_path(url);
        if let Some(template) = operations
            .iter()
            .find(|(m, t)| m == method && matches_template(t, path))
            .map(|(_, t)| t)
            && !NOT_SERVED
                .iter()
                .any(|(m, t)| *m == method && t == template)
        {
            gaps.insert(format!(
                "{method} {template} (answered {status} to {method} {path})"
            ));
        }
    }
    assert!(
        gaps.is_empty(),
        "documented operations the registry does not serve:\n{}",
        gaps.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// `(METHOD, path template)` of every operation in the document, read with PyYAML (which
/// schemathesis depends on).
fn documented_operations(document: &std::path::Path) -> Vec<(String, String)> {
    let out = crate::common::cli::stdout_of(
        Command::new("python3")
            .args([
                "-c",
                "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1]))['paths'], sys.stdout)",
            ])
            .arg(document),
        &format!("reading {} with PyYAML", document.display()),
    );
    let paths: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&out).expect("the document's paths as JSON");
    let methods = ["get", "put", "post", "delete", "patch"];
    paths
        .iter()
        .flat_map(|(template, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_ascii_uppercase(), template.clone()))
        })
        .collect()
}

/// The path of an absolute URL, without its query.
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// Whether a (percent-encoded) path fills a template such as `/subjects/{subject}/versions`.
fn matches_template(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

#[test]
fn templates_match_encoded_paths_segment_by_segment() {
    assert!(matches_template(
        "/subjects/{subject}/versions",
        "/subjects/a%2Fb/versions"
    ));
    assert!(matches_template("/mode", "/mode"));
    assert!(!matches_template("/mode/{subject}", "/mode"));
    assert!(!matches_template("/mode/{subject}", "/mode/"));
    assert!(!matches_template(
        "/schemas/ids/{id}",
        "/schemas/ids/1/schema"
    ));
    assert_eq!(url_path("http://127.0.0.1:1/schemas?x=1"), "/schemas");
    assert_eq!(url_path("http://127.0.0.1:1"), "/");
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
