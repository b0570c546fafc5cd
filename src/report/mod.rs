//! Findings as people and machines read them: text, JSON, JUnit XML, SARIF and GitHub Actions
//! workflow commands. Commands build a [`Report`]; this module only renders it.

pub mod location;

pub use location::LineCol;

use anstyle::{AnsiColor, Style};
use serde_json::{Value, json};
use std::io::{self, Write};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Sentences for a person, with `help:` lines.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML, one test case per check.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations (`::error file=...::`).
    Github,
}

/// How bad an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Worth a look; does not fail.
    Warning,
    /// For information (e.g. a compatible change).
    Note,
}

/// One finding in a report.
#[derive(Clone, Debug)]
pub struct Item {
    /// Stable rule id (a change type, a violation kind).
    pub rule: String,
    /// How bad.
    pub severity: Severity,
    /// The file it concerns.
    pub file: Option<String>,
    /// The JSON pointer / path within the file.
    pub pointer: Option<String>,
    /// Where in `file` (the keyword a schema finding is about, the payload's line).
    pub at: Option<LineCol>,
    /// One sentence.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
}

/// One check (one test case in JUnit terms).
#[derive(Clone, Debug)]
pub struct Case {
    /// What was checked.
    pub name: String,
    /// What it found.
    pub items: Vec<Item>,
}

impl Case {
    /// Whether the check passed (no error items).
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.severity != Severity::Error)
    }
}

/// A command's whole report.
#[derive(Clone, Debug)]
pub struct Report {
    /// The command (`check-compat`, `test`).
    pub command: &'static str,
    /// Lines printed before the cases in text form.
    pub header: Vec<String>,
    /// The checks.
    pub cases: Vec<Case>,
    /// The command's JSON document for `--format json`.
    pub json: Value,
}

impl Report {
    /// Whether every case passed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(Case::passed)
    }

    fn errors(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|c| &c.items)
            .filter(|i| i.severity == Severity::Error)
            .count()
    }
}

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Writes `report` in `format`.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text(report, color, out),
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report.json).unwrap_or_default()
        ),
        Format::Junit => junit(report, out),
        Format::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&sarif(report)).unwrap_or_default()
        ),
        Format::Github => github(report, out),
    }
}

fn location(item: &Item) -> Option<String> {
    let file = item.file.as_ref().map(|f| match item.at {
        Some(at) => format!("{f}:{}:{}", at.line, at.column),
        None => f.clone(),
    });
    match (file, &item.pointer) {
        (Some(f), Some(p)) => Some(format!("{f} {p}")),
        (Some(f), None) => Some(f),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => None,
    }
}

fn text(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let green = Style::new().fg_color(Some(AnsiColor::Green.into())).bold();
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
    let dim = Style::new().dimmed();
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into())).bold();
    for line in &report.header {
        writeln!(out, "{line}")?;
    }
    for case in &report.cases {
        let mark = if case.passed() {
            paint(color, green, "ok  ")
        } else {
            paint(color, red, "FAIL")
        };
        writeln!(out, "{mark} {}", case.name)?;
        for item in &case.items {
            let (label, style) = match item.severity {
                Severity::Error => ("error", red),
                Severity::Warning => ("warning", yellow),
                Severity::Note => ("note", dim),
            };
            writeln!(
                out,
                "  {}: {}",
                paint(color, style, &format!("{label}[{}]", item.rule)),
                item.message
            )?;
            if item.severity != Severity::Note {
                if let Some(loc) = location(item) {
                    writeln!(out, "    {} {loc}", paint(color, cyan, "-->"))?;
                }
                if let Some(help) = &item.help {
                    writeln!(out, "    {} {help}", paint(color, cyan, "help:"))?;
                }
            }
        }
    }
    let failed = report.cases.iter().filter(|c| !c.passed()).count();
    let summary = format!(
        "{} checks, {} passed, {} failed, {} errors",
        report.cases.len(),
        report.cases.len() - failed,
        failed,
        report.errors()
    );
    let style = if failed == 0 { green } else { red };
    writeln!(out, "{}", paint(color, style, &summary))
}

fn junit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("schemactl {}", report.command));
    for case in &report.cases {
        let status = if case.passed() {
            TestCaseStatus::success()
        } else {
            let errors: Vec<&Item> = case
                .items
                .iter()
                .filter(|i| i.severity == Severity::Error)
                .collect();
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("{} breaking: {}", errors.len(), errors[0].message));
            status.set_type(errors[0].rule.clone());
            let description = errors
                .iter()
                .map(|i| {
                    let loc = location(i).map(|l| format!(" ({l})")).unwrap_or_default();
                    let help = i
                        .help
                        .as_ref()
                        .map(|h| format!("\n  help: {h}"))
                        .unwrap_or_default();
                    format!("[{}] {}{loc}{help}", i.rule, i.message)
                })
                .collect::<Vec<_>>()
                .join("\n");
            status.set_description(description);
            status
        };
        let mut test = TestCase::new(case.name.clone(), status);
        test.set_classname(format!("schemactl.{}", report.command));
        suite.add_test_case(test);
    }
    let mut junit = JReport::new("schemactl");
    junit.add_test_suite(suite);
    let xml = junit.to_string().map_err(io::Error::other)?;
    writeln!(out, "{xml}")
}

fn sarif(report: &Report) -> Value {
    let mut rules: Vec<String> = report
        .cases
        .iter()
        .flat_map(|c| &c.items)
        .map(|i| i.rule.clone())
        .collect();
    rules.sort();
    rules.dedup();
    let results: Vec<Value> = report
        .cases
        .iter()
        .flat_map(|c| &c.items)
        .filter(|i| i.severity != Severity::Note)
        .map(|i| {
            let mut text = i.message.clone();
            if let Some(help) = &i.help {
                text.push_str(&format!(" help: {help}"));
            }
            let mut result = json!({
                "ruleId": i.rule,
                "level": if i.severity == Severity::Error { "error" } else { "warning" },
                "message": { "text": text },
            });
            if let Some(file) = &i.file {
                let mut physical = json!({ "artifactLocation": { "uri": file } });
                // A finding about the whole file (a deleted version) points at its start.
                let at = i.at.unwrap_or(LineCol { line: 1, column: 1 });
                physical["region"] = json!({ "startLine": at.line, "startColumn": at.column });
                let mut loc = json!({ "physicalLocation": physical });
                if let Some(p) = &i.pointer {
                    loc["logicalLocations"] = json!([{ "fullyQualifiedName": p }]);
                }
                result["locations"] = json!([loc]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "schemactl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/schemactl/schemactl",
                "rules": rules.iter().map(|r| json!({"id": r})).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Escapes a GitHub workflow-command property or message.
fn gh_escape(s: &str, property: bool) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

fn github(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for case in &report.cases {
        for item in &case.items {
            let level = match item.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => continue,
            };
            let mut props = Vec::new();
            if let Some(file) = &item.file {
                props.push(format!("file={}", gh_escape(file, true)));
                if let Some(at) = item.at {
                    props.push(format!("line={},col={}", at.line, at.column));
                }
            }
            props.push(format!(
                "title={}",
                gh_escape(&format!("{} ({})", item.rule, case.name), true)
            ));
            let mut message = item.message.clone();
            if let Some(help) = &item.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            writeln!(
                out,
                "::{level} {}::{}",
                props.join(","),
                gh_escape(&message, false)
            )?;
        }
    }
    let failed = report.cases.iter().filter(|c| !c.passed()).count();
    writeln!(out, "{} checks, {} failed", report.cases.len(), failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            command: "check-compat",
            header: vec![],
            cases: vec![Case {
                name: "v2 against v1".into(),
                items: vec![Item {
                    rule: "TYPE_CHANGED".into(),
                    severity: Severity::Error,
                    file: Some("schemas/a, b.json".into()),
                    pointer: Some("#/properties/fuel".into()),
                    at: Some(LineCol {
                        line: 12,
                        column: 7,
                    }),
                    message: "type changed: number → string\nsecond line".into(),
                    help: Some("keep it".into()),
                }],
            }],
            json: json!({}),
        }
    }

    #[test]
    fn github_annotations_escape_properties_and_newlines() {
        let mut out = Vec::new();
        render(&sample(), Format::Github, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "::error file=schemas/a%2C b.json,line=12,col=7,title=TYPE_CHANGED (v2 against v1)::"
            ),
            "{text}"
        );
        assert!(text.contains("%0Asecond line%0Ahelp: keep it"), "{text}");
    }

    #[test]
    fn junit_marks_failed_cases() {
        let mut out = Vec::new();
        render(&sample(), Format::Junit, false, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains("<failure"), "{xml}");
        assert!(xml.contains("tests=\"1\""), "{xml}");
        assert!(
            xml.contains("(schemas/a, b.json:12:7 #/properties/fuel)"),
            "{xml}"
        );
    }

    #[test]
    fn sarif_lists_rules_and_results() {
        let doc = sarif(&sample());
        assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "TYPE_CHANGED");
        assert_eq!(doc["runs"][0]["results"][0]["level"], "error");
        let physical = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["region"],
            json!({"startLine": 12, "startColumn": 7})
        );
        assert_eq!(physical["artifactLocation"]["uri"], "schemas/a, b.json");
    }
}
