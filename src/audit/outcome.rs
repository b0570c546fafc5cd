//! The audit's JSON report: the scorecard, what was audited, and which instance audited it.
//! Instances that split a fleet (`--group`) each write one; [`merge`] combines them.

use super::Scorecard;
use super::score::Score;
use crate::validate::ViolationKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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
    /// The score against a simulator manifest (`--expect`), if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
}

/// A score against the simulator's manifest, with its verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// Every message counted once and every fault found, with nothing reported wrongly.
    pub perfect: bool,
    /// The counts.
    pub score: Score,
}

impl From<Score> for Expectation {
    fn from(score: Score) -> Self {
        Expectation {
            perfect: score.perfect(),
            score,
        }
    }
}

impl AuditReport {
    /// The report of one audit run of `contract`: a fresh run id, the scorecard, and the score
    /// against a manifest when one was asked for.
    pub fn of_run(
        contract: &crate::catalog::Contract,
        group: Option<String>,
        card: Scorecard,
        score: Option<Score>,
    ) -> AuditReport {
        AuditReport {
            contract: contract.name.clone(),
            subject: contract.subject.clone(),
            group,
            runs: vec![uuid::Uuid::new_v4().to_string()],
            card,
            expect: score.map(Into::into),
        }
    }

    /// What the report is about, as every rendering heads it.
    pub fn title(&self) -> String {
        format!(
            "audit of contract \"{}\" (subject {})",
            self.contract, self.subject
        )
    }

    /// The audit's exit code: 3 when a transport is still lost at the end (what the window held
    /// is not known), 1 for NO_TRAFFIC whatever `fail_on` says (a gate that saw nothing has
    /// checked nothing), then with a score the score's verdict, else 1 for a violation of a
    /// kind in `fail_on`.
    pub fn exit(&self, fail_on: &BTreeSet<ViolationKind>) -> crate::Exit {
        use crate::Exit;
        let card = &self.card;
        match &self.expect {
            _ if card.has_open_gap() => Exit::Infrastructure,
            _ if card.has_no_traffic() => Exit::Findings,
            Some(e) if e.perfect => Exit::Pass,
            Some(_) => Exit::Findings,
            None if card.has_violations_of(fail_on) => Exit::Findings,
            None => Exit::Pass,
        }
    }

    /// Writes the report as JSON (`--report FILE`, the input of `report merge`).
    pub fn write(&self, path: &Path) -> Result<(), super::AuditError> {
        std::fs::write(path, serde_json::to_string_pretty(self).unwrap_or_default()).map_err(
            |reason| super::AuditError::WriteReport {
                path: path.to_path_buf(),
                reason,
            },
        )
    }
}

/// One audit's outcome: its report, and the violation kinds that fail it (`--fail-on`). Its
/// JSON form is the report itself (the input of `report merge`); every other format renders
/// the report through [`crate::report::audit`].
#[derive(Clone, Debug)]
pub struct AuditOutcome {
    /// The report.
    pub report: AuditReport,
    /// The violation kinds that fail the run.
    pub fail_on: BTreeSet<ViolationKind>,
}

impl Serialize for AuditOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(serializer)
    }
}

impl crate::report::Render for AuditOutcome {
    fn report(&self) -> crate::report::Report {
        crate::report::audit::checks(&self.report, &self.fail_on)
    }

    fn passed(&self) -> bool {
        self.exit() == crate::Exit::Pass
    }

    fn exit(&self) -> crate::Exit {
        self.report.exit(&self.fail_on)
    }

    fn text(&self, _color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let text = crate::report::audit::text(&self.report, &self.report.title());
        out.write_all(text.as_bytes())
    }

    fn markdown(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let text = crate::report::audit::markdown(&self.report, &self.report.title());
        out.write_all(text.as_bytes())
    }

    fn html(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(crate::report::audit::html(&self.report, &self.report.title()).as_bytes())
    }
}

/// Merged reports, and why a score against a manifest could not be carried over, if so.
#[derive(Debug)]
pub struct Merged {
    /// The combined report.
    pub report: AuditReport,
    /// Set when some reports were scored (`--expect`) and others were not.
    pub unscored: Option<String>,
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

impl crate::Classified for ReportError {
    /// The exit code: reports that cannot be read or merged are the input's fault.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
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
/// Scores against a manifest merge too when every report has one, against the same manifest.
pub fn merge(reports: Vec<(String, AuditReport)>) -> Result<Merged, ReportError> {
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
    let mut scores: Vec<Score> = merged.expect.take().map(|e| e.score).into_iter().collect();
    let mut unscored: Vec<&str> = Vec::new();
    if scores.is_empty() {
        unscored.push(&first_name);
    }
    for (name, report) in &rest {
        match &report.expect {
            Some(e) => {
                if let Some(first) = scores.first() {
                    first
                        .fits(&e.score)
                        .map_err(|reason| ReportError::Mismatch {
                            first: first_name.clone(),
                            file: name.clone(),
                            reason: reason.to_string(),
                        })?;
                }
                scores.push(e.score.clone());
            }
            None => unscored.push(name),
        }
    }
    let unscored = (!scores.is_empty() && !unscored.is_empty()).then(|| {
        format!(
            "the score against the manifest is left out: {} not scored (audit --expect)",
            unscored.join(", ")
        )
    });
    if unscored.is_none()
        && let Some(first) = scores.first()
    {
        merged.expect = Some(Score::combine(first, &scores).into());
    }
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
    Ok(Merged {
        report: merged,
        unscored,
    })
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
        .unwrap()
        .report;
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

    #[test]
    fn no_traffic_survives_a_merge_only_when_no_instance_saw_traffic() {
        let quiet = |run: &str| {
            let mut r = report(run, "gen-0001", false);
            r.card = Scorecard::new(10, false);
            r.card
                .no_traffic(TransportKind::Kafka, "topic emergency_generator", 4.0);
            r
        };
        assert!(quiet("q").card.has_no_traffic());
        // One instance of the group got every record: the fleet's traffic was seen.
        let m = merge(vec![
            ("q.json".into(), quiet("q")),
            ("busy.json".into(), report("b", "gen-0001", false)),
        ])
        .unwrap()
        .report;
        assert!(!m.card.has_no_traffic(), "{:?}", m.card);
        assert!(m.card.violations.is_empty(), "{:?}", m.card.violations);
        // No instance saw anything: reported once.
        let m = merge(vec![
            ("q1.json".into(), quiet("q1")),
            ("q2.json".into(), quiet("q2")),
        ])
        .unwrap()
        .report;
        assert!(m.card.has_no_traffic());
        let kafka = &m.card.summary[&TransportKind::Kafka];
        assert_eq!(kafka.violations[&ViolationKind::NO_TRAFFIC], 1);
        assert_eq!((kafka.messages, kafka.invalid), (0, 0));
        assert_eq!(m.card.violations.len(), 1);
        assert!(m.card.violations[0].message.contains("emergency_generator"));
    }

    fn scored(run: &str, manifest: &str, seen: u64) -> AuditReport {
        let mut r = report(run, "gen-0001", false);
        r.expect = Some(
            Score {
                manifest: Some(manifest.into()),
                sent: 4,
                seen,
                matched: seen,
                missing: 4 - seen,
                unexpected: 0,
                false_alarms: 0,
                faults: Vec::new(),
                fleet_rules: Vec::new(),
            }
            .into(),
        );
        r
    }

    #[test]
    fn merges_scores_against_one_manifest_and_says_when_it_cannot() {
        let m = merge(vec![
            ("a.json".into(), scored("a", "sha256:1", 1)),
            ("b.json".into(), scored("b", "sha256:1", 3)),
        ])
        .unwrap();
        assert!(m.unscored.is_none());
        let e = m.report.expect.unwrap();
        assert!(e.perfect, "{e:?}");
        assert_eq!((e.score.seen, e.score.matched, e.score.missing), (4, 4, 0));

        let m = merge(vec![
            ("a.json".into(), scored("a", "sha256:1", 1)),
            ("plain.json".into(), report("p", "gen-0001", false)),
        ])
        .unwrap();
        assert!(m.report.expect.is_none());
        assert!(m.unscored.unwrap().contains("plain.json"));

        let err = merge(vec![
            ("a.json".into(), scored("a", "sha256:1", 1)),
            ("other.json".into(), scored("b", "sha256:2", 3)),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("other.json cannot be merged with a.json"),
            "{err}"
        );
    }

    #[test]
    fn an_audit_outcome_is_its_report_in_json_and_fails_on_the_kinds_asked_for() {
        use crate::report::{Format, Render};
        let bad = report("a", "gen-0001", true);
        let fails = AuditOutcome {
            report: bad.clone(),
            fail_on: [ViolationKind::NOT_JSON].into(),
        };
        let mut json = Vec::new();
        crate::report::render(&fails, Format::Json, false, &mut json).unwrap();
        let written: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            written,
            serde_json::to_value(&bad).unwrap(),
            "the JSON is the report's own, mergeable again"
        );
        assert_eq!(Render::exit(&fails), crate::Exit::Findings);
        assert!(!fails.passed());
        let tolerated = AuditOutcome {
            report: bad,
            fail_on: BTreeSet::new(),
        };
        assert_eq!(Render::exit(&tolerated), crate::Exit::Pass);
        let mut text = Vec::new();
        crate::report::render(&tolerated, Format::Text, false, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with("audit of contract \"generator\" (subject emergency_generator-value)"),
            "{text}"
        );
    }
}
