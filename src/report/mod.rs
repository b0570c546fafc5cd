//! Rendering: a use case's typed outcome as people and machines read it: text, JSON, JUnit XML,
//! SARIF, GitHub Actions workflow commands and markdown. An outcome implements [`Render`]: its
//! serde form is the JSON document, and its [`Report`] (checks holding findings) is what every
//! other format renders, so the formats cannot drift apart. This module only renders.

pub mod audit;
pub mod demo;
pub mod init;
pub mod location;
pub mod progress;
pub mod publish;
pub mod registry;
pub mod shell;
pub mod simulate;

pub use location::LineCol;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
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
    /// Markdown, for a pull-request comment or `$GITHUB_STEP_SUMMARY`: headings and tables.
    Markdown,
    /// One self-contained html page (audits: `audit`, `report merge`).
    Html,
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

impl Item {
    /// A finding about no place in a file (the run, the traffic, a whole count): no file,
    /// pointer or help.
    pub fn new(rule: impl Into<String>, severity: Severity, message: impl Into<String>) -> Item {
        Item {
            rule: rule.into(),
            severity,
            file: None,
            pointer: None,
            at: None,
            message: message.into(),
            help: None,
        }
    }

    /// The same finding, with what to do.
    pub fn with_help(self, help: impl Into<String>) -> Item {
        Item {
            help: Some(help.into()),
            ..self
        }
    }
}

/// One check (one test case in JUnit terms).
#[derive(Clone, Debug)]
pub struct Case {
    /// What was checked.
    pub name: String,
    /// What it found.
    pub items: Vec<Item>,
    /// Why the check could not run, when it did not: a skipped check is neither passed nor
    /// failed, and every format says so.
    pub skipped: Option<String>,
}

impl Case {
    /// A check that ran and found `items`.
    pub fn new(name: impl Into<String>, items: Vec<Item>) -> Case {
        Case {
            name: name.into(),
            items,
            skipped: None,
        }
    }

    /// A check that could not run, and why.
    pub fn skipped(name: impl Into<String>, reason: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            items: Vec::new(),
            skipped: Some(reason.into()),
        }
    }

    /// Whether the check ran and passed (no error items). A skipped check did not pass.
    pub fn passed(&self) -> bool {
        self.skipped.is_none() && !self.failed()
    }

    /// Whether the check ran and found an error.
    pub fn failed(&self) -> bool {
        self.items.iter().any(|i| i.severity == Severity::Error)
    }
}

/// A command's checks, as every format but JSON renders them.
#[derive(Clone, Debug)]
pub struct Report {
    /// The command (`check-compat`, `test`).
    pub command: &'static str,
    /// Lines printed before the cases in text form.
    pub header: Vec<String>,
    /// The checks.
    pub cases: Vec<Case>,
}

/// A use case's typed outcome, renderable in every format: `--format json` is its serde form,
/// the other formats render its [`Report`].
pub trait Render: Serialize {
    /// The outcome as checks.
    fn report(&self) -> Report;

    /// Whether the outcome passes (exit 0); by default, no check failed.
    fn passed(&self) -> bool {
        self.report().passed()
    }

    /// The exit code the outcome earns; by default 0 when it passed, else 1 (findings).
    fn exit(&self) -> crate::Exit {
        if self.passed() {
            crate::Exit::Pass
        } else {
            crate::Exit::Findings
        }
    }

    /// The text form; by default the checks'.
    fn text(&self, color: bool, out: &mut dyn Write) -> io::Result<()> {
        text(&self.report(), color, out)
    }

    /// The markdown form; by default the checks'.
    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(markdown(&self.report()).as_bytes())
    }

    /// The html page; by default none (only audits write one), which is an error naming the
    /// command.
    fn html(&self, out: &mut dyn Write) -> io::Result<()> {
        render_checks(&self.report(), Format::Html, false, out)
    }
}

impl Report {
    /// A report of `cases` with no header.
    pub fn new(command: &'static str, cases: Vec<Case>) -> Report {
        Report {
            command,
            header: Vec::new(),
            cases,
        }
    }

    /// Whether no case failed (skipped cases do not fail a report; they are counted apart).
    pub fn passed(&self) -> bool {
        !self.cases.iter().any(Case::failed)
    }

    /// The checks that ran and passed, failed, and could not run.
    pub fn counts(&self) -> Counts {
        let skipped = self.cases.iter().filter(|c| c.skipped.is_some()).count();
        let failed = self.cases.iter().filter(|c| c.failed()).count();
        Counts {
            checks: self.cases.len(),
            passed: self.cases.len() - failed - skipped,
            failed,
            skipped,
            errors: self.errors(),
        }
    }

    fn errors(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|c| &c.items)
            .filter(|i| i.severity == Severity::Error)
            .count()
    }
}

/// How many checks a report holds, by outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Every check.
    pub checks: usize,
    /// Ran and passed.
    pub passed: usize,
    /// Ran and found an error.
    pub failed: usize,
    /// Could not run.
    pub skipped: usize,
    /// Error items over all checks.
    pub errors: usize,
}

impl Counts {
    /// The summary line: `N checks, P passed, F failed[, S skipped], E errors` (`1 check`,
    /// `1 error` for one).
    pub fn line(&self) -> String {
        let skipped = if self.skipped > 0 {
            format!(", {} skipped", self.skipped)
        } else {
            String::new()
        };
        format!(
            "{}, {} passed, {} failed{skipped}, {}",
            plural(self.checks, "check"),
            self.passed,
            self.failed,
            plural(self.errors, "error")
        )
    }
}

/// `1 check`, `2 checks`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The styles the text forms share.
pub mod styles {
    use anstyle::{AnsiColor, Style};
    /// Something failed.
    pub const RED: Style = Style::new()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
        .bold();
    /// Something changed as asked.
    pub const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
    /// Something would change.
    pub const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
    /// Nothing to do.
    pub const DIM: Style = Style::new().dimmed();
    /// A heading.
    pub const BOLD: Style = Style::new().bold();
}

/// `text` in `style` when `color`, else as it is.
pub fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Writes `outcome` in `format`: JSON is its serde form, text its own, the others its checks.
pub fn render<O: Render + ?Sized>(
    outcome: &O,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json_document(outcome, out),
        Format::Text => outcome.text(color, out),
        Format::Markdown => outcome.markdown(out),
        Format::Html => outcome.html(out),
        format => render_checks(&outcome.report(), format, color, out),
    }
}

/// Writes `value` as one pretty-printed JSON document and a line break, streamed through a
/// buffer rather than built whole in memory first (an audit of a thousand producers is a
/// document of megabytes). A write error keeps its kind, so a closed pipe stays a closed pipe.
pub fn json_document<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()
}

/// Writes `report`'s checks in `format` (not JSON: a report's JSON is its outcome's).
pub fn render_checks(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text(report, color, out),
        Format::Json => Err(io::Error::other(format!(
            "`schemactl {}`: a report's JSON is its outcome's",
            report.command
        ))),
        Format::Junit => junit(report, out),
        Format::Sarif => json_document(&sarif(report), out),
        Format::Github => github(report, out),
        Format::Markdown => out.write_all(markdown(report).as_bytes()),
        Format::Html => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`schemactl {}` does not write --format html (audits do: `audit`, `report merge`); --format markdown is a summary for a pull request",
                report.command
            ),
        )),
    }
}

/// A markdown table cell: no pipe or line break ends it early.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// The report as markdown: a heading, one table row per check, then each finding with its
/// place and `help:`.
fn markdown(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let counts = report.counts();
    let _ = writeln!(out, "## schemactl {}\n", report.command);
    for line in report.header.iter().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "{}  ", line.trim_end());
    }
    if !report.header.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "| Result | Check | Errors | Warnings |");
    let _ = writeln!(out, "|---|---|--:|--:|");
    for case in &report.cases {
        let result = if case.skipped.is_some() {
            "skipped"
        } else if case.passed() {
            "ok"
        } else {
            "**FAIL**"
        };
        let n = |s: Severity| case.items.iter().filter(|i| i.severity == s).count();
        let _ = writeln!(
            out,
            "| {result} | {} | {} | {} |",
            md_cell(&case.name),
            n(Severity::Error),
            n(Severity::Warning)
        );
    }
    let _ = writeln!(out, "\n**{}**", counts.line());
    for case in &report.cases {
        let shown: Vec<&Item> = case
            .items
            .iter()
            .filter(|i| i.severity != Severity::Note)
            .collect();
        if shown.is_empty() && case.skipped.is_none() {
            continue;
        }
        let _ = writeln!(out, "\n### {}\n", case.name.replace('\n', " "));
        if let Some(reason) = &case.skipped {
            let _ = writeln!(out, "- skipped: {}", reason.replace('\n', " "));
        }
        for item in shown {
            let label = if item.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let _ = write!(
                out,
                "- **{label}** `{}`: {}",
                item.rule,
                item.message.replace('\n', " ")
            );
            if let Some(loc) = location(item) {
                let _ = write!(out, "  \n  at `{loc}`");
            }
            if let Some(help) = &item.help {
                let _ = write!(out, "  \n  help: {}", help.replace('\n', " "));
            }
            out.push('\n');
        }
    }
    out
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp with milliseconds.
pub fn rfc3339(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
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
        let mark = if case.skipped.is_some() {
            paint(color, yellow, "skip")
        } else if case.passed() {
            paint(color, green, "ok  ")
        } else {
            paint(color, red, "FAIL")
        };
        writeln!(out, "{mark} {}", case.name)?;
        if let Some(reason) = &case.skipped {
            writeln!(out, "  {} {reason}", paint(color, yellow, "skipped:"))?;
        }
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
    let counts = report.counts();
    let style = if counts.failed > 0 {
        red
    } else if counts.skipped > 0 {
        yellow
    } else {
        green
    };
    writeln!(out, "{}", paint(color, style, &counts.line()))
}

fn junit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("schemactl {}", report.command));
    for case in &report.cases {
        let status = if let Some(reason) = &case.skipped {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.clone());
            status
        } else if !case.failed() {
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
        // Warnings fail nothing, but a reader of the XML should still see them (notes, being
        // information only, stay out).
        let others: Vec<String> = case
            .items
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .map(|i| format!("warning[{}] {}", i.rule, i.message))
            .collect();
        if !others.is_empty() {
            test.set_system_out(others.join("\n"));
        }
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
            } else if let Some(p) = &i.pointer {
                // No file (an audit's finding is about traffic): the pointer is still a place.
                result["locations"] =
                    json!([{ "logicalLocations": [{ "fullyQualifiedName": p }] }]);
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
        if let Some(reason) = &case.skipped {
            writeln!(
                out,
                "::notice title={}::{}",
                gh_escape(&format!("skipped: {}", case.name), true),
                gh_escape(reason, false)
            )?;
        }
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
    let counts = report.counts();
    let skipped = if counts.skipped > 0 {
        format!(", {} skipped", counts.skipped)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{}, {} failed{skipped}",
        plural(counts.checks, "check"),
        counts.failed
    )
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
                skipped: None,
            }],
        }
    }

    fn with_a_skipped_check() -> Report {
        let mut report = sample();
        report.cases[0].items.clear();
        report
            .cases
            .push(Case::skipped("simulator sample", "no reading model"));
        report
    }

    #[test]
    fn skipped_checks_are_neither_passed_nor_failed() {
        let report = with_a_skipped_check();
        assert!(!report.cases[1].passed());
        assert!(!report.cases[1].failed());
        assert!(report.passed(), "a skip fails no report");
        let counts = report.counts();
        assert_eq!((counts.passed, counts.failed, counts.skipped), (1, 0, 1));
        let mut out = Vec::new();
        render_checks(&report, Format::Text, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("skip simulator sample\n  skipped: no reading model\n"),
            "{text}"
        );
        assert!(
            text.ends_with("2 checks, 1 passed, 0 failed, 1 skipped, 0 errors\n"),
            "{text}"
        );
    }

    #[test]
    fn one_check_and_one_error_are_singular() {
        let counts = sample().counts();
        assert_eq!(counts.line(), "1 check, 0 passed, 1 failed, 1 error");
        let mut out = Vec::new();
        render_checks(&sample(), Format::Github, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("\n1 check, 1 failed\n"), "{text}");
        let mut out = Vec::new();
        render_checks(&sample(), Format::Markdown, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("**1 check, 0 passed, 1 failed, 1 error**"),
            "{text}"
        );
    }

    /// An outcome whose document says more than its checks: JSON is the document, the other
    /// formats the checks.
    #[derive(serde::Serialize)]
    struct Checked {
        passed: bool,
        note: &'static str,
    }

    impl Render for Checked {
        fn report(&self) -> Report {
            sample()
        }
    }

    #[test]
    fn json_is_the_outcome_and_the_other_formats_its_checks() {
        let outcome = Checked {
            passed: false,
            note: "only in the document",
        };
        let mut out = Vec::new();
        render(&outcome, Format::Json, false, &mut out).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            doc,
            json!({"passed": false, "note": "only in the document"})
        );
        let mut out = Vec::new();
        render(&outcome, Format::Text, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("FAIL v2 against v1\n"), "{text}");
        assert!(!Render::passed(&outcome), "the checks failed");
        let mut out = Vec::new();
        let err = render(&outcome, Format::Html, false, &mut out).unwrap_err();
        assert!(
            err.to_string().contains("does not write --format html"),
            "{err}"
        );
    }

    #[test]
    fn junit_marks_skipped_cases_skipped() {
        let mut out = Vec::new();
        render_checks(&with_a_skipped_check(), Format::Junit, false, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains("skipped=\"1\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"no reading model\""),
            "{xml}"
        );
        assert!(!xml.contains("<failure"), "{xml}");
    }

    #[test]
    fn github_annotations_escape_properties_and_newlines() {
        let mut out = Vec::new();
        render_checks(&sample(), Format::Github, false, &mut out).unwrap();
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
        render_checks(&sample(), Format::Junit, false, &mut out).unwrap();
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
