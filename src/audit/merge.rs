//! `schemactl report merge`: the JSON reports of audit instances that split a fleet
//! (`audit --group`), read and added up into one, with the whole run's verdict.
//! [`merge_files`] returns a typed [`MergeOutcome`]; its JSON form is the merged report (which
//! merges again).

use super::report::{self, AuditReport, ReportError};
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
        let merged = &self.report;
        format!(
            "audit of contract \"{}\" (subject {}), {} report(s) merged{}",
            merged.contract,
            merged.subject,
            self.count,
            merged
                .group
                .as_ref()
                .map(|g| format!(" from group \"{g}\""))
                .unwrap_or_default()
        )
    }

    /// The run's verdict: a transport still lost at some instance's end is an infrastructure
    /// failure; a transport no instance saw traffic on, an imperfect score against the
    /// manifest, or (unscored) a violation of the `fail_on` kinds are findings.
    pub fn exit(&self) -> Exit {
        let card = &self.report.card;
        let failing = card.has_violations_of(&self.fail_on) || card.has_no_traffic();
        match &self.report.expect {
            _ if card.has_open_gap() => Exit::Infrastructure,
            _ if card.has_no_traffic() => Exit::Findings,
            Some(e) if e.perfect => Exit::Pass,
            Some(_) => Exit::Findings,
            None if failing => Exit::Findings,
            None => Exit::Pass,
        }
    }
}
