//! `schemactl report merge`: the JSON reports of audit instances that split a fleet
//! (`audit --group`), read and added up into one, with the whole run's verdict.
//! [`merge_files`] returns a typed [`MergeOutcome`]; its JSON form is the merged report (which
//! merges again).

use super::outcome::{self as report, AuditReport, ReportError};
use crate::Exit;
use crate::validate::ViolationKind;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Several audit reports merged, and what the merge says of the whole run.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct MergeOutcome {
    /// The combined report.
    pub report: AuditReport,
    /// How many reports were merged.
    #[serde(skip)]
    pub count: usize,
    /// Set when some reports were scored (`--expect`) and others were not.
    #[serde(skip)]
    pub unscored: Option<String>,
    /// The violation kinds that fail the merge.
    #[serde(skip)]
    pub fail_on: BTreeSet<ViolationKind>,
}

/// Reads `files` and merges them; `fail_on` names the violation kinds that fail the run.
pub fn merge_files(
    files: &[PathBuf],
    fail_on: BTreeSet<ViolationKind>,
) -> Result<MergeOutcome, ReportError> {
    let reports = files
        .iter()
        .map(|p| report::read(p).map(|r| (p.display().to_string(), r)))
        .collect::<Result<Vec<(String, AuditReport)>, _>>()?;
    let count = reports.len();
    let report::Merged { report, unscored } = report::merge(reports)?;
    Ok(MergeOutcome {
        report,
        count,
        unscored,
        fail_on,
    })
}

impl MergeOutcome {
    /// The heading every format gives the merged scorecard.
    pub fn title(&self) -> String {
        format!(
            "{}, {} report(s) merged{}",
            self.report.title(),
            self.count,
            self.report
                .group
                .as_ref()
                .map(|g| format!(" from group \"{g}\""))
                .unwrap_or_default()
        )
    }

    /// The run's verdict, as one audit's: a transport still lost at some instance's end is an
    /// infrastructure failure; a transport no instance saw traffic on, an imperfect score
    /// against the manifest, or (unscored) a violation of the `fail_on` kinds are findings.
    pub fn exit(&self) -> Exit {
        self.report.exit(&self.fail_on)
    }
}

/// JSON is the merged report (which merges again); the text is the merged scorecard and the
/// merged score; the other formats render it as one audit's.
impl crate::report::Render for MergeOutcome {
    fn report(&self) -> crate::report::Report {
        crate::report::audit::checks(&self.report, &self.fail_on)
    }

    fn passed(&self) -> bool {
        self.exit() == Exit::Pass
    }

    fn exit(&self) -> Exit {
        MergeOutcome::exit(self)
    }

    fn text(&self, _color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut text = crate::report::audit::scorecard_text(&self.report.card, &self.title());
        if let Some(e) = &self.report.expect {
            text.push_str(&crate::report::audit::score_text(&e.score));
        }
        out.write_all(text.as_bytes())
    }

    fn markdown(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(crate::report::audit::markdown(&self.report, &self.title()).as_bytes())
    }

    fn html(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(crate::report::audit::html(&self.report, &self.title()).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Origin, Scorecard};
    use crate::transport::TransportKind;
    use crate::validate::Violation;

    /// Writes one instance's report with one message from `producer`, invalid when `bad`.
    fn write(dir: &std::path::Path, run: &str, producer: &str, bad: bool) -> PathBuf {
        let mut card = Scorecard::new(10, false);
        let v = [Violation::new(ViolationKind::NOT_JSON, "not JSON")];
        card.record(
            TransportKind::Kafka,
            &Origin {
                topic: "emergency_generator",
                ..Origin::default()
            },
            producer,
            Some(3),
            b"x",
            if bad { &v } else { &[] },
        );
        let report = AuditReport {
            contract: "generator".into(),
            subject: "emergency_generator-value".into(),
            group: Some("auditors".into()),
            runs: vec![run.into()],
            card,
            expect: None,
        };
        let path = dir.join(format!("{run}.json"));
        std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
        path
    }

    #[test]
    fn a_violation_in_any_instance_fails_the_merged_run_unless_its_kind_is_let_through() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            write(dir.path(), "a", "generator1", false),
            write(dir.path(), "b", "generator2", true),
        ];
        let all = ViolationKind::ALL.into_iter().collect();
        let merged = merge_files(&files, all).unwrap();
        assert_eq!(merged.count, 2);
        assert_eq!(merged.exit(), Exit::Findings);
        assert_eq!(
            merged.title(),
            "audit of contract \"generator\" (subject emergency_generator-value), 2 report(s) merged from group \"auditors\""
        );
        // The JSON form is the merged report itself, so it merges again.
        let doc = serde_json::to_value(&merged).unwrap();
        assert_eq!(doc, serde_json::to_value(&merged.report).unwrap());
        assert_eq!(doc["runs"], serde_json::json!(["a", "b"]));
        let lenient = merge_files(&files, BTreeSet::new()).unwrap();
        assert_eq!(lenient.exit(), Exit::Pass, "--fail-on none");
    }

    #[test]
    fn a_file_that_is_not_a_report_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.json");
        std::fs::write(&path, "[1, 2]").unwrap();
        let err = merge_files(&[path], BTreeSet::new()).unwrap_err();
        assert!(
            err.to_string()
                .contains("notes.json is not a schemactl audit report"),
            "{err}"
        );
    }
}
