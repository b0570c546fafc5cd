//! Scoring an audit against the simulator's ground truth: every message sent is matched to the
//! message seen (Kafka by partition and offset, MQTT by its order on its topic), then precision
//! and recall are computed per fault kind from each fault's signature.

use super::scorecard::Seen;
use crate::producer::Fault;
use crate::producer::manifest::ManifestLine;
use crate::transport::TransportKind;
use crate::validate::ViolationKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Precision and recall for one fault kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultScore {
    /// The fault.
    pub fault: Fault,
    /// Messages sent with it (and seen).
    pub sent: u64,
    /// Of those, reported with its signature.
    pub detected: u64,
    /// Messages reported with its signature that did not carry it.
    pub false_positives: u64,
    /// detected / (detected + false positives); none (null, "n/a") when nothing was reported.
    pub precision: Option<f64>,
    /// detected / sent; none (null, "n/a") when nothing was sent.
    pub recall: Option<f64>,
}

/// The fleet's own readings breaking one data-contract rule (the generators' below-zero dip):
/// expected findings, which the audit must report and which are no false alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetRuleScore {
    /// The rule.
    pub rule: String,
    /// Messages seen whose reading breaks it as the fleet makes it.
    pub expected: u64,
    /// Of those, reported with a RULE_VIOLATION of it.
    pub detected: u64,
}

/// The whole score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The manifest scored against (`sha256:` and its digest), so that only scores against the
    /// same ground truth are merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Manifest lines for the audited transports.
    pub sent: u64,
    /// Messages the audit counted.
    pub seen: u64,
    /// Sent and seen exactly once.
    pub matched: u64,
    /// Sent but never seen.
    pub missing: u64,
    /// Seen but not sent (or seen twice).
    pub unexpected: u64,
    /// Compliant messages that were reported with any violation.
    pub false_alarms: u64,
    /// Per fault kind sent or reported.
    pub faults: Vec<FaultScore>,
    /// Per rule the fleet's own readings break (the manifest's `fleet_rules`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fleet_rules: Vec<FleetRuleScore>,
}

/// Why two scores cannot be added up: they do not score the same run.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ScoreMismatch {
    /// Scored against another manifest.
    #[error("it was scored against manifest {theirs}, not {ours}")]
    OtherManifest {
        /// The other score's manifest.
        theirs: String,
        /// This score's.
        ours: String,
    },
    /// The same manifest over other transports.
    #[error(
        "its manifest holds {theirs} message(s) for the transports it audited, not {ours}: it audited other transports"
    )]
    OtherTransports {
        /// Messages the other score's manifest holds for its transports.
        theirs: u64,
        /// This score's.
        ours: u64,
    },
    /// Nothing to merge.
    #[error("no score to merge")]
    Nothing,
}

impl Score {
    /// Whether `other` scores the same run as this score: the same manifest, over the same
    /// transports. The reason when not.
    pub fn fits(&self, other: &Score) -> Result<(), ScoreMismatch> {
        if other.manifest != self.manifest {
            let name = |m: &Option<String>| m.clone().unwrap_or_else(|| "an unnamed one".into());
            return Err(ScoreMismatch::OtherManifest {
                theirs: name(&other.manifest),
                ours: name(&self.manifest),
            });
        }
        if other.sent != self.sent {
            return Err(ScoreMismatch::OtherTransports {
                theirs: other.sent,
                ours: self.sent,
            });
        }
        Ok(())
    }

    /// The scores of audit instances that split one run between them (`audit --group`), as one,
    /// once each [`fits`](Score::fits) the first.
    pub fn merge(scores: &[Score]) -> Result<Score, ScoreMismatch> {
        let Some(first) = scores.first() else {
            return Err(ScoreMismatch::Nothing);
        };
        scores.iter().try_for_each(|s| first.fits(s))?;
        Ok(Score::combine(first, scores))
    }

    /// Adds up `scores`, which all fit `first`: each instance matched the messages it saw
    /// against the whole manifest, so the counts of what was seen add up, and what is missing is
    /// what no instance matched. A message matched by two instances counts as unexpected once
    /// for each extra time.
    pub fn combine(first: &Score, scores: &[Score]) -> Score {
        let total = |f: fn(&Score) -> u64| scores.iter().map(f).sum::<u64>();
        let matched = total(|s| s.matched);
        let twice = matched.saturating_sub(first.sent);
        let mut faults: Vec<FaultScore> = Vec::new();
        for f in scores.iter().flat_map(|s| &s.faults) {
            match faults.iter_mut().find(|m| m.fault == f.fault) {
                Some(m) => {
                    m.sent += f.sent;
                    m.detected += f.detected;
                    m.false_positives += f.false_positives;
                }
                None => faults.push(f.clone()),
            }
        }
        faults.sort_by_key(|f| f.fault);
        for f in &mut faults {
            (f.precision, f.recall) = ratios(f.detected, f.false_positives, f.sent);
        }
        let mut fleet_rules: Vec<FleetRuleScore> = Vec::new();
        for r in scores.iter().flat_map(|s| &s.fleet_rules) {
            match fleet_rules.iter_mut().find(|m| m.rule == r.rule) {
                Some(m) => {
                    m.expected += r.expected;
                    m.detected += r.detected;
                }
                None => fleet_rules.push(r.clone()),
            }
        }
        fleet_rules.sort_by(|a, b| a.rule.cmp(&b.rule));
        Score {
            manifest: first.manifest.clone(),
            sent: first.sent,
            seen: total(|s| s.seen),
            matched: matched - twice,
            missing: first.sent - (matched - twice),
            unexpected: total(|s| s.unexpected) + twice,
            false_alarms: total(|s| s.false_alarms),
            faults,
            fleet_rules,
        }
    }

    /// Every message counted once, every fault found, nothing reported wrongly.
    pub fn perfect(&self) -> bool {
        self.missing == 0
            && self.unexpected == 0
            && self.false_alarms == 0
            && self
                .faults
                .iter()
                .all(|f| f.detected == f.sent && f.false_positives == 0)
            && self.fleet_rules.iter().all(|r| r.detected == r.expected)
    }
}

/// Precision and recall; each is none when there is nothing to divide: a score of nothing is
/// not 100%.
fn ratios(detected: u64, false_positives: u64, sent: u64) -> (Option<f64>, Option<f64>) {
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    (
        ratio(detected, detected + false_positives),
        ratio(detected, sent),
    )
}

/// How long an audit waits for the simulator to put its manifest in place.
pub const MANIFEST_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Scores `seen` against the manifest file at `path`, which the score then names by its digest.
/// The audit usually starts before the simulator finishes, and the simulator only puts the
/// manifest in place once it is complete: this waits (at most [`MANIFEST_WAIT`]) until the file
/// exists, calling `waiting` once if it is not there yet; reading it then says what is missing.
pub fn score_file(
    path: &std::path::Path,
    seen: &[Seen],
    audited: &BTreeSet<TransportKind>,
    waiting: impl FnOnce(std::time::Duration),
) -> Result<Score, super::AuditError> {
    let deadline = std::time::Instant::now() + MANIFEST_WAIT;
    let mut waiting = Some(waiting);
    while !path.exists() && std::time::Instant::now() < deadline {
        if let Some(tell) = waiting.take() {
            tell(MANIFEST_WAIT);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (manifest, digest) = crate::producer::manifest::read_with_digest(path)?;
    Ok(Score {
        manifest: Some(digest),
        ..score(&manifest, seen, audited)
    })
}

/// Scores `seen` against `manifest`, over the transports audited.
pub fn score(manifest: &[ManifestLine], seen: &[Seen], audited: &BTreeSet<TransportKind>) -> Score {
    let lines: Vec<&ManifestLine> = manifest
        .iter()
        .filter(|l| audited.contains(&l.transport))
        .collect();
    // Kafka records are found by partition and offset; messages without offsets (MQTT) by
    // their body's digest on their topic, so neither arrival order, a lost message nor a split
    // between the instances of a group shifts the matching; failing both, by order per topic
    // (manifests written before digests).
    let mut by_offset: HashMap<(&str, i32, i64), usize> = HashMap::new();
    let mut by_digest: HashMap<(&str, &str), VecDeque<usize>> = HashMap::new();
    let mut by_topic: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        match (l.transport, l.partition, l.offset, l.digest.as_deref()) {
            (TransportKind::Kafka, Some(p), Some(o), _) => {
                by_offset.insert((l.topic.as_str(), p, o), i);
            }
            (_, _, _, Some(d)) => by_digest
                .entry((l.topic.as_str(), d))
                .or_default()
                .push_back(i),
            _ => by_topic.entry(l.topic.as_str()).or_default().push_back(i),
        }
    }
    let mut truth_of_seen: Vec<Option<usize>> = Vec::with_capacity(seen.len());
    let mut used = vec![false; lines.len()];
    for s in seen {
        let hit = match (s.transport, s.partition, s.offset) {
            (TransportKind::Kafka, Some(p), Some(o)) => by_offset
                .get(&(s.topic.as_str(), p, o))
                .copied()
                .filter(|i| !used[*i]),
            _ => s
                .digest
                .as_deref()
                .and_then(|d| by_digest.get_mut(&(s.topic.as_str(), d)))
                .and_then(VecDeque::pop_front)
                .or_else(|| {
                    by_topic
                        .get_mut(s.topic.as_str())
                        .and_then(VecDeque::pop_front)
                }),
        };
        if let Some(i) = hit {
            used[i] = true;
        }
        truth_of_seen.push(hit);
    }
    let matched = used.iter().filter(|u| **u).count() as u64;
    let unexpected = truth_of_seen.iter().filter(|t| t.is_none()).count() as u64;
    // What each message was reported with, less the RULE_VIOLATIONs its reading owes to the
    // fleet itself: those are expected, and score apart.
    let unexplained: Vec<Vec<&(ViolationKind, Option<String>)>> = seen
        .iter()
        .zip(&truth_of_seen)
        .map(|(s, truth)| {
            let fleet = truth.map_or(&[][..], |i| lines[i].fleet_rules.as_slice());
            s.found
                .iter()
                .filter(|(k, kw)| {
                    !(*k == ViolationKind::RULE_VIOLATION
                        && kw.as_ref().is_some_and(|r| fleet.contains(r)))
                })
                .collect()
        })
        .collect();
    let mut false_alarms = 0;
    let mut faults: Vec<FaultScore> = Vec::new();
    let kinds: BTreeSet<Fault> = lines.iter().filter_map(|l| l.fault).collect();
    let detects = |f: Fault, found: &[&(ViolationKind, Option<String>)]| {
        found
            .iter()
            .any(|(k, kw)| f.matches_kind(*k, kw.as_deref()))
    };
    for (found, truth) in unexplained.iter().zip(&truth_of_seen) {
        if let Some(i) = truth
            && lines[*i].fault.is_none()
            && !found.is_empty()
        {
            false_alarms += 1;
        }
    }
    let reported: BTreeSet<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| unexplained.iter().any(|found| detects(*f, found)))
        .collect();
    for fault in kinds.union(&reported) {
        let mut sent = 0;
        let mut detected = 0;
        let mut false_positives = 0;
        for (found, truth) in unexplained.iter().zip(&truth_of_seen) {
            let carries = truth.is_some_and(|i| lines[i].fault == Some(*fault));
            let found = detects(*fault, found);
            sent += u64::from(carries);
            detected += u64::from(carries && found);
            false_positives += u64::from(!carries && found);
        }
        let (precision, recall) = ratios(detected, false_positives, sent);
        faults.push(FaultScore {
            fault: *fault,
            sent,
            detected,
            false_positives,
            precision,
            recall,
        });
    }
    let mut fleet_rules: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for (s, truth) in seen.iter().zip(&truth_of_seen) {
        let Some(i) = truth else { continue };
        for rule in &lines[*i].fleet_rules {
            let e = fleet_rules.entry(rule.as_str()).or_default();
            e.0 += 1;
            e.1 += u64::from(s.found.iter().any(|(k, kw)| {
                *k == ViolationKind::RULE_VIOLATION && kw.as_deref() == Some(rule.as_str())
            }));
        }
    }
    Score {
        manifest: None,
        sent: lines.len() as u64,
        seen: seen.len() as u64,
        matched,
        missing: lines.len() as u64 - matched,
        unexpected,
        false_alarms,
        faults,
        fleet_rules: fleet_rules
            .into_iter()
            .map(|(rule, (expected, detected))| FleetRuleScore {
                rule: rule.to_string(),
                expected,
                detected,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(offset: i64, fault: Option<Fault>) -> ManifestLine {
        ManifestLine {
            transport: TransportKind::Kafka,
            topic: "t".into(),
            key: None,
            partition: Some(0),
            offset: Some(offset),
            generator: "gen-0001".into(),
            fault,
            expect: fault.map(Fault::expected_kind),
            digest: None,
            fleet_rules: Vec::new(),
        }
    }

    fn seen(offset: i64, found: &[(ViolationKind, Option<&str>)]) -> Seen {
        Seen {
            transport: TransportKind::Kafka,
            topic: "t".into(),
            partition: Some(0),
            offset: Some(offset),
            found: found
                .iter()
                .map(|(k, kw)| (*k, kw.map(str::to_string)))
                .collect(),
            digest: None,
        }
    }

    #[test]
    fn scores_of_a_split_run_merge_into_the_whole_runs_score() {
        let manifest = [
            line(0, None),
            line(1, Some(Fault::NotJson)),
            line(2, None),
            line(3, Some(Fault::NotJson)),
            line(4, Some(Fault::Binary)),
        ];
        let not_json = [(ViolationKind::NOT_JSON, None)];
        let all = [
            seen(0, &[]),
            seen(1, &not_json),
            seen(2, &not_json), // a false alarm, for NotJson a false positive
            seen(3, &not_json),
            seen(4, &[]), // Binary missed
        ];
        let kafka: BTreeSet<TransportKind> = [TransportKind::Kafka].into();
        let whole = score(&manifest, &all, &kafka);
        let mut a = score(&manifest, &all[..2], &kafka);
        let mut b = score(&manifest, &all[2..], &kafka);
        assert_eq!(
            (a.missing, b.missing),
            (3, 2),
            "each instance misses the other's share"
        );

        let merged = Score::merge(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(merged, whole);
        assert_eq!(
            (merged.matched, merged.missing, merged.false_alarms),
            (5, 0, 1)
        );
        let not_json = merged
            .faults
            .iter()
            .find(|f| f.fault == Fault::NotJson)
            .unwrap();
        assert_eq!(
            (not_json.sent, not_json.detected, not_json.false_positives),
            (2, 2, 1)
        );
        assert!((not_json.precision.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let binary = merged
            .faults
            .iter()
            .find(|f| f.fault == Fault::Binary)
            .unwrap();
        assert_eq!(
            (binary.sent, binary.detected, binary.recall),
            (1, 0, Some(0.0))
        );
        assert_eq!(binary.precision, None, "nothing reported: no precision");

        // The same message matched by two instances is not matched twice.
        let twice = Score::merge(&[whole.clone(), a.clone()]).unwrap();
        assert_eq!((twice.matched, twice.missing, twice.unexpected), (5, 0, 2));
        assert!(!twice.perfect());

        // Only scores against the same manifest.
        a.manifest = Some("sha256:aa".into());
        b.manifest = Some("sha256:bb".into());
        let err = Score::merge(&[a, b]).unwrap_err();
        assert_eq!(
            err,
            ScoreMismatch::OtherManifest {
                theirs: "sha256:bb".into(),
                ours: "sha256:aa".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "it was scored against manifest sha256:bb, not sha256:aa"
        );
        assert_eq!(Score::merge(&[]).unwrap_err(), ScoreMismatch::Nothing);
    }

    #[test]
    fn nothing_sent_scores_nothing_not_a_hundred_percent() {
        let manifest = [line(0, None)];
        let kafka: BTreeSet<TransportKind> = [TransportKind::Kafka].into();
        // A fault reported on a compliant message: precision 0, and no recall (none was sent).
        let s = score(
            &manifest,
            &[seen(0, &[(ViolationKind::NOT_JSON, None)])],
            &kafka,
        );
        let f = &s.faults[0];
        assert_eq!((f.sent, f.precision, f.recall), (0, Some(0.0), None));
        let json = serde_json::to_value(f).unwrap();
        assert_eq!(json["recall"], serde_json::Value::Null);
        // Nothing seen of what was sent: nothing matched, not perfect.
        let s = score(&manifest, &[], &kafka);
        assert_eq!((s.sent, s.matched, s.missing), (1, 0, 1));
        assert!(!s.perfect());
    }

    #[test]
    fn messages_without_offsets_are_found_by_digest_in_any_order() {
        let mqtt = |body: &str, fault: Option<Fault>| ManifestLine {
            transport: TransportKind::Mqtt,
            topic: "generators/gen-0001/telemetry".into(),
            key: None,
            partition: None,
            offset: None,
            generator: "gen-0001".into(),
            fault,
            expect: fault.map(Fault::expected_kind),
            digest: Some(crate::producer::manifest::digest(body.as_bytes())),
            fleet_rules: Vec::new(),
        };
        let seen_mqtt = |body: &str, found: &[(ViolationKind, Option<&str>)]| Seen {
            transport: TransportKind::Mqtt,
            topic: "generators/gen-0001/telemetry".into(),
            partition: None,
            offset: None,
            found: found
                .iter()
                .map(|(k, kw)| (*k, kw.map(str::to_string)))
                .collect(),
            digest: Some(crate::producer::manifest::digest(body.as_bytes())),
        };
        let manifest = [
            mqtt("{\"fuel\":1}", None),
            mqtt("fuel=2", Some(Fault::NotJson)),
            mqtt("{\"fuel\":3}", None),
        ];
        let mqtt_only: BTreeSet<TransportKind> = [TransportKind::Mqtt].into();
        // One instance of a shared subscription got the first and the third, the other the
        // second: by order alone the first instance's second message would be taken for the
        // faulty one.
        let a = [
            seen_mqtt("{\"fuel\":3}", &[]),
            seen_mqtt("{\"fuel\":1}", &[]),
        ];
        let b = [seen_mqtt("fuel=2", &[(ViolationKind::NOT_JSON, None)])];
        let merged = Score::merge(&[
            score(&manifest, &a, &mqtt_only),
            score(&manifest, &b, &mqtt_only),
        ])
        .unwrap();
        assert!(merged.perfect(), "{merged:#?}");
        assert_eq!((merged.matched, merged.missing), (3, 0));
    }

    #[test]
    fn the_fleets_own_rule_findings_are_expected_not_false_alarms() {
        let dip = |offset: i64, fault: Option<Fault>| ManifestLine {
            fleet_rules: vec!["fuel_not_negative".into()],
            ..line(offset, fault)
        };
        let manifest = [
            line(0, None),
            dip(1, None),
            line(2, Some(Fault::RuleBreak)),
            dip(3, Some(Fault::KeyNotUuid)),
            dip(4, None),
        ];
        let rule = |name: &'static str| (ViolationKind::RULE_VIOLATION, Some(name));
        let kafka: BTreeSet<TransportKind> = [TransportKind::Kafka].into();
        let all = [
            seen(0, &[]),
            seen(1, &[rule("fuel_not_negative")]),
            seen(2, &[rule("temperature_plausible")]),
            seen(
                3,
                &[
                    rule("fuel_not_negative"),
                    (ViolationKind::KEY_NOT_UUID, None),
                ],
            ),
            seen(4, &[rule("fuel_not_negative")]),
        ];
        let s = score(&manifest, &all, &kafka);
        assert!(s.perfect(), "{s:#?}");
        assert_eq!(s.false_alarms, 0);
        let rb = s
            .faults
            .iter()
            .find(|f| f.fault == Fault::RuleBreak)
            .unwrap();
        assert_eq!((rb.sent, rb.detected, rb.false_positives), (1, 1, 0));
        assert_eq!(
            s.fleet_rules,
            [FleetRuleScore {
                rule: "fuel_not_negative".into(),
                expected: 3,
                detected: 3
            }]
        );
        // A dip the audit did not report is missed, and a rule-break's violation on a
        // compliant reading is a false alarm and a false positive.
        let short = [
            seen(0, &[rule("temperature_plausible")]),
            seen(1, &[]),
            all[2].clone(),
            all[3].clone(),
            all[4].clone(),
        ];
        let s = score(&manifest, &short, &kafka);
        assert!(!s.perfect());
        assert_eq!(s.false_alarms, 1);
        assert_eq!(
            (s.fleet_rules[0].expected, s.fleet_rules[0].detected),
            (3, 2)
        );
        let rb = s
            .faults
            .iter()
            .find(|f| f.fault == Fault::RuleBreak)
            .unwrap();
        assert_eq!(rb.false_positives, 1);
        // Scores of a split run add their fleet rules up.
        let merged = Score::merge(&[
            score(&manifest, &all[..2], &kafka),
            score(&manifest, &all[2..], &kafka),
        ])
        .unwrap();
        assert_eq!(
            merged.fleet_rules,
            score(&manifest, &all, &kafka).fleet_rules
        );
    }
}
