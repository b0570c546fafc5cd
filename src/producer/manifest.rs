//! The simulator's ground truth: one JSON line per message sent, saying where it went, who sent
//! it and which fault (if any) it carries.

use super::Fault;
use crate::transport::TransportKind;
use crate::validate::ViolationKind;
use serde::{Deserialize, Serialize};

/// One message sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLine {
    /// The transport.
    pub transport: TransportKind,
    /// The topic.
    pub topic: String,
    /// The Kafka key, as text.
    #[serde(default)]
    pub key: Option<String>,
    /// Kafka partition, from the delivery report.
    #[serde(default)]
    pub partition: Option<i32>,
    /// Kafka offset, from the delivery report.
    #[serde(default)]
    pub offset: Option<i64>,
    /// The generator that sent it.
    pub generator: String,
    /// The fault it carries, or none.
    pub fault: Option<Fault>,
    /// The violation an audit must report, or none.
    pub expect: Option<ViolationKind>,
    /// The message's [`digest`]: how an audit finds it where there are no offsets (MQTT),
    /// whatever order it arrives in and whichever instance of a group reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The data-contract rules the reading itself breaks, as the fleet's firmware makes it
    /// (the generators' below-zero fuel level before a refill), where the audit checks its
    /// values: RULE_VIOLATIONs the audit must report as the fleet's, never false alarms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fleet_rules: Vec<String>,
}

/// A message body's fingerprint (the MQTT payload, the Kafka value): the first 8 bytes of its
/// SHA-256, in hex.
pub fn digest(body: &[u8]) -> String {
    hex(&openssl::sha::sha256(body)[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a manifest file.
pub fn read(path: &std::path::Path) -> Result<Vec<ManifestLine>, String> {
    read_with_digest(path).map(|(lines, _)| lines)
}

/// Reads a manifest file, with `sha256:` and the digest of its bytes: what names this ground
/// truth in a score, so that scores are only merged against the same one.
pub fn read_with_digest(path: &std::path::Path) -> Result<(Vec<ManifestLine>, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read manifest {}: {e}", path.display()))?;
    let lines = parse(&text, &path.display().to_string())?;
    Ok((
        lines,
        format!("sha256:{}", hex(&openssl::sha::sha256(text.as_bytes()))),
    ))
}

/// Parses a manifest's text; `name` names it in errors.
pub fn parse(text: &str, name: &str) -> Result<Vec<ManifestLine>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("{name}:{}: not a manifest line: {e}", n + 1))
        })
        .collect()
}
