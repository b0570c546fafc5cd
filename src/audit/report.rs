//! The audit's JSON report: the scorecard, what was audited, and which instance audited it.
//! Instances that split a fleet (`--group`) each write one; [`merge`] combines them.

use super::Scorecard;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// One audit instance's report (`schemactl audit --report FILE` or `--format json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The contract audited.
    pub contract: String,
    /// Its registry subject.
    pub subject: String,
    /// The consumer group and shared subscription the instance belonged to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Ids of the audit runs counted here: one for an instance's report, several once merged.
    /// The same run merged twice would count its messages twice.
    #[serde(default)]
    pub runs: Vec<String>,
    /// What was found.
    #[serde(flatten)]
    pub card: Scorecard,
    /// The score against a simulator manifest (`--expect`), if asked for; not mergeable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<serde_json::Value>,
}

/// Why reports could not be read or merged; each names the file at fault.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The file cannot be read.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The file is not an audit report.
    #[error(
        "{file} is not a schemactl audit report: {reason}\nhelp: write reports with `schemactl audit --report FILE`"
    )]
    NotAReport {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The reports cannot be added up.
    #[error("{file} cannot be merged with {first}: {reason}")]
    Mismatch {
        /// The first report.
        first: String,
        /// The report that does not fit.
        file: String,
        /// Why.
        reason: String,
    },
}

/// Reads one report.
pub fn read(path: &Path) -> Result<AuditReport, ReportError> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| ReportError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    serde_json::from_slice(&text).map_err(|e| ReportError::NotAReport {
        file,
        reason: e.to_string(),
    })
}

/// Adds reports up into one: same contract and subject, same group, each run counted once.
/// The score against a manifest is dropped (it needs every message, which reports do not keep).
pub fn merge(reports: Vec<(String, AuditReport)>) -> Result<AuditReport, ReportError> {
    let mut iter = reports.into_iter();
    let Some((first_name, mut merged)) = iter.next() else {
        return Err(ReportError::Read {
            file: "(none)".into(),
            reason: "no report to merge".into(),
        });
    };
    let mut runs: Vec<(String, String)> = merged
        .runs
        .iter()
        .map(|r| (r.clone(), first_name.clone()))
        .collect();
    let rest: Vec<(String, AuditReport)> = iter.collect();
    let cap = merged.card.violations.len()
        + rest
            .iter()
            .map(|(_, r)| r.card.violations.len())
            .sum::<usize>();
    merged.card.set_cap(cap);
    merged.expect = None;
    for (name, report) in rest {
        let mismatch = |reason: String| ReportError::Mismatch {
            first: first_name.clone(),
            file: name.clone(),
            reason,
        };
        if (&report.contract, &report.subject) != (&merged.contract, &merged.subject) {
            return Err(mismatch(format!(
                "it audits contract \"{}\" (subject {}), not \"{}\" (subject {})",
                report.contract, report.subject, merged.contract, merged.subject
            )));
        }
        if report.group != merged.group {
            let show = |g: &Option<String>| {
                g.as_ref()
                    .map_or("no group".to_string(), |g| format!("group \"{g}\""))
            };
            return Err(mismatch(format!(
                "it was audited in {}, not {} (instances outside one group see the same messages)",
                show(&report.group),
                show(&merged.group)
            )));
        }
        for run in &report.runs {
            if let Some((_, other)) = runs.iter().find(|(r, _)| r == run) {
                return Err(mismatch(format!(
                    "it holds run {run} again (also in {other}); its messages would count twice"
                )));
            }
            runs.push((run.clone(), name.clone()));
        }
        merged.card.merge(report.card);
    }
    merged.runs = runs.into_iter().map(|(r, _)| r).collect();
    merged.card.sort();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Origin;
    use crate::transport::TransportKind;
    use crate::validate::{Violation, ViolationKind};

    fn report(run: &str, producer: &str, bad: bool) -> AuditReport {
        let mut card = Scorecard::new(10, false);
        let v = [Violation::new(ViolationKind::NOT_JSON, "x")];
        card.record(
            TransportKind::Kafka,
            &Origin {
                topic: "t",
                ..Origin::default()
            },
            producer,
            Some(3),
            b"x",
            if bad { &v } else { &[] },
        );
        AuditReport {
            contract: "generator".into(),
            subject: "emergency_generator-value".into(),
            group: Some("g".into()),
            runs: vec![run.into()],
            card,
            expect: None,
        }
    }

    #[test]
    fn merges_round_tripped_reports_and_refuses_double_counting() {
        let a = report("a", "gen-0001", true);
        let text = serde_json::to_string(&a).unwrap();
        let a: AuditReport = serde_json::from_str(&text).unwrap();
        let b = report("b", "gen-0001", false);
        let c = report("c", "gen-0002", true);
        let m = merge(vec![
            ("a.json".into(), a.clone()),
            ("b.json".into(), b),
            ("c.json".into(), c),
        ])
        .unwrap();
        assert_eq!(m.card.messages(), 3);
        assert_eq!(m.card.producers.len(), 2);
        assert_eq!(m.card.producers[0].messages, 2);
        assert_eq!(m.card.violations.len(), 2);
        assert_eq!(m.runs, ["a", "b", "c"]);

        let err = merge(vec![("a.json".into(), a.clone()), ("again.json".into(), a)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("again.json") && err.contains("twice"), "{err}");
        let mut other = report("d", "gen-0001", false);
        other.group = None;
        let err = merge(vec![
            ("x.json".into(), report("x", "g", false)),
            ("d.json".into(), other),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("d.json cannot be merged with x.json"),
            "{err}"
        );
    }
}
