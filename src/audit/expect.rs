//! Scoring an audit against the simulator's ground truth: every message sent is matched to the
//! message seen (Kafka by partition and offset, MQTT by its order on its topic), then precision
//! and recall are computed per fault kind from each fault's signature.

use super::scorecard::Seen;
use crate::simulate::Fault;
use crate::simulate::manifest::ManifestLine;
use crate::transport::TransportKind;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Precision and recall for one fault kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultScore {
    /// The fault.
    pub fault: Fault,
    /// Messages sent with it (and seen).
    pub sent: u64,
    /// Of those, reported with its signature.
    pub detected: u64,
    /// Messages reported with its signature that did not carry it.
    pub false_positives: u64,
    /// detected / (detected + false positives); 1 when nothing was reported.
    pub precision: f64,
    /// detected / sent; 1 when nothing was sent.
    pub recall: f64,
}

/// The whole score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
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
}

impl Score {
    /// Every message counted once, every fault found, nothing reported wrongly.
    pub fn perfect(&self) -> bool {
        self.missing == 0
            && self.unexpected == 0
            && self.false_alarms == 0
            && self
                .faults
                .iter()
                .all(|f| f.detected == f.sent && f.false_positives == 0)
    }
}

/// Scores `seen` against `manifest`, over the transports audited.
pub fn score(manifest: &[ManifestLine], seen: &[Seen], audited: &BTreeSet<TransportKind>) -> Score {
    let lines: Vec<&ManifestLine> = manifest
        .iter()
        .filter(|l| audited.contains(&l.transport))
        .collect();
    let mut by_offset: HashMap<(&str, i32, i64), usize> = HashMap::new();
    let mut by_topic: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        match (l.transport, l.partition, l.offset) {
            (TransportKind::Kafka, Some(p), Some(o)) => {
                by_offset.insert((l.topic.as_str(), p, o), i);
            }
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
            _ => by_topic
                .get_mut(s.topic.as_str())
                .and_then(VecDeque::pop_front),
        };
        if let Some(i) = hit {
            used[i] = true;
        }
        truth_of_seen.push(hit);
    }
    let matched = used.iter().filter(|u| **u).count() as u64;
    let unexpected = truth_of_seen.iter().filter(|t| t.is_none()).count() as u64;
    let mut false_alarms = 0;
    let mut faults: Vec<FaultScore> = Vec::new();
    let kinds: BTreeSet<Fault> = lines.iter().filter_map(|l| l.fault).collect();
    let detects = |f: Fault, s: &Seen| {
        s.found
            .iter()
            .any(|(k, kw)| f.matches_kind(*k, kw.as_deref()))
    };
    for (s, truth) in seen.iter().zip(&truth_of_seen) {
        if let Some(i) = truth
            && lines[*i].fault.is_none()
            && !s.found.is_empty()
        {
            false_alarms += 1;
        }
    }
    let reported: BTreeSet<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| seen.iter().any(|s| detects(*f, s)))
        .collect();
    for fault in kinds.union(&reported) {
        let mut sent = 0;
        let mut detected = 0;
        let mut false_positives = 0;
        for (s, truth) in seen.iter().zip(&truth_of_seen) {
            let carries = truth.is_some_and(|i| lines[i].fault == Some(*fault));
            let found = detects(*fault, s);
            sent += u64::from(carries);
            detected += u64::from(carries && found);
            false_positives += u64::from(!carries && found);
        }
        let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        faults.push(FaultScore {
            fault: *fault,
            sent,
            detected,
            false_positives,
            precision: ratio(detected, detected + false_positives),
            recall: ratio(detected, sent),
        });
    }
    Score {
        sent: lines.len() as u64,
        seen: seen.len() as u64,
        matched,
        missing: lines.len() as u64 - matched,
        unexpected,
        false_alarms,
        faults,
    }
}
