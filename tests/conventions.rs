//! The conventions of a Rust CLI, through the binary: findings located where CI tools read
//! them (text `-->`, SARIF region, GitHub `line=`/`col=`, JUnit), shell completions and the
//! manual page.

mod common;
use common::cli::{Run, root, schemactl};

use std::process::{Command, Stdio};

/// The proposal lowers a `maximum` 20 lines down, inside a tuple `items` array and under a
/// property whose name holds a `/`.
const PROPOSED: &str = "tests/fixtures/locations/proposed.json";
/// Where that keyword is in the proposal (line, column).
const DEEP: (usize, usize) = (20, 19);

fn deep_check(format: &str) -> Run {
    let run = schemactl(&[
        "check-compat",
        PROPOSED,
        "--against",
        "tests/fixtures/locations/v1.json",
        "--format",
        format,
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run
}

#[test]
fn the_fixture_keyword_is_where_the_tests_say() {
    let text = std::fs::read_to_string(root().join(PROPOSED)).unwrap();
    let line = text.lines().nth(DEEP.0 - 1).unwrap();
    assert_eq!(&line[DEEP.1 - 1..], "\"maximum\": 5000", "{line}");
}

#[test]
fn text_arrow_points_at_the_deep_keyword() {
    let run = deep_check("text");
    assert!(
        run.stdout.contains(&format!(
            "--> {PROPOSED}:{}:{} #/properties/",
            DEEP.0, DEEP.1
        )),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("deep_keyword_text", run.stdout);
}

#[test]
fn github_annotation_carries_line_and_col() {
    let run = deep_check("github");
    assert!(
        run.stdout.starts_with(&format!(
            "::error file={PROPOSED},line={},col={},title=MAXIMUM_DECREASED",
            DEEP.0, DEEP.1
        )),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("deep_keyword_github", run.stdout);
}

#[test]
fn markdown_finding_names_file_line_and_column() {
    let run = deep_check("markdown");
    assert!(
        run.stdout.contains(&format!(
            "at `{PROPOSED}:{}:{} #/properties/maintenance/items/1/properties/oil~1filter/",
            DEEP.0, DEEP.1
        )),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("deep_keyword_markdown", run.stdout);
}

#[test]
fn sarif_region_is_the_keyword() {
    let run = deep_check("sarif");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let physical = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], PROPOSED);
    assert_eq!(
        physical["region"],
        serde_json::json!({"startLine": DEEP.0, "startColumn": DEEP.1})
    );
    assert_eq!(doc["runs"][0]["columnKind"], "unicodeCodePoints");
    insta::assert_snapshot!("deep_keyword_sarif", run.stdout);
}

#[test]
fn junit_failure_names_file_line_and_column() {
    let run = deep_check("junit");
    assert!(
        run.stdout
            .contains(&format!("({PROPOSED}:{}:{} #/properties/", DEEP.0, DEEP.1)),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("deep_keyword_junit", run.stdout);
}

#[test]
fn validate_github_keeps_the_line_out_of_the_file_name() {
    let file = "tests/fixtures/generator/captured.jsonl";
    let run = schemactl(&[
        "validate",
        file,
        "--contract",
        "generator",
        "--format",
        "github",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("captured.jsonl%3A2"), "{}", run.stdout);
    // Line 2 sends `fuel` as a string: the annotation is on line 2, at the `"fuel"` member.
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let column = text.lines().nth(1).unwrap().find("\"fuel\"").unwrap() + 1;
    let expected = format!("::error file={file},line=2,col={column},title=");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&expected)),
        "{expected}\n{}",
        run.stdout
    );
    let sarif = schemactl(&[
        "validate",
        file,
        "--contract",
        "generator",
        "--format",
        "sarif",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let physical = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], file);
    assert_eq!(physical["region"]["startLine"], 2);
    assert_eq!(physical["region"]["startColumn"], column);
}

/// The subcommands a completion script must offer.
const COMMANDS: &[&str] = &[
    "check-compat",
    "validate",
    "audit",
    "registry",
    "completions",
    "man",
];

#[test]
fn completions_offer_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let run = schemactl(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for command in COMMANDS {
            assert!(
                run.stdout.contains(command),
                "{shell} completion lacks {command}"
            );
        }
    }
    let bash = schemactl(&["completions", "bash"]);
    assert!(
        bash.stdout.contains("complete -F _schemactl"),
        "{}",
        bash.stdout
    );
    // The bash script parses.
    let mut check = Command::new("bash")
        .args(["-n", "/dev/stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("bash");
    use std::io::Write;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(bash.stdout.as_bytes())
        .unwrap();
    assert!(check.wait().unwrap().success());
    let bad = schemactl(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// Renders roff with groff, warnings on; returns (plain text, warnings).
fn groff(roff: &str) -> (String, String) {
    use std::io::Write;
    let mut child = Command::new("groff")
        // Plain text: no bold or underline by overstriking (grotty -c -b -o -u).
        .args(["-man", "-Tutf8", "-ww", "-P-c", "-P-b", "-P-o", "-P-u"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("groff not found ({e}): install it with `apt-get install groff-base` or scripts/install-test-deps.sh")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(roff.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn man_page_is_roff_naming_the_commands() {
    let run = schemactl(&["man"]);
    run.exits_printing(0, &[".TH schemactl 1"]);
    let (page, warnings) = groff(&run.stdout);
    assert_eq!(warnings, "", "groff warnings");
    for section in ["NAME", "SYNOPSIS", "SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }
    for command in COMMANDS {
        assert!(
            page.contains(&format!("schemactl-{command}(1)")),
            "{command} missing:\n{page}"
        );
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = schemactl(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for command in COMMANDS {
        let page = std::fs::read_to_string(out.join(format!("schemactl-{command}.1")))
            .unwrap_or_else(|e| panic!("schemactl-{command}.1: {e}"));
        assert!(
            page.contains(&format!(".TH schemactl-{command} 1")),
            "{page}"
        );
    }
    let page = std::fs::read_to_string(out.join("schemactl-check-compat.1")).unwrap();
    let (text, warnings) = groff(&page);
    assert_eq!(warnings, "");
    assert!(text.contains("--against"), "{text}");
    // A file where the directory should be is an input error.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let bad = schemactl(&["man", "--dir", blocker.join("x").to_str().unwrap()]);
    bad.exits_saying(2, &["cannot create"]);
}
