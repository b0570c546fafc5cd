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

/// Why a manifest cannot be read; each names the file (and the line) at fault.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("cannot read manifest {}: {reason}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why (not a `source`: the message already says it).
        reason: std::io::Error,
    },
    /// A line that is not a manifest line.
    #[error("{name}:{line}: not a manifest line: {reason}")]
    Line {
        /// The manifest's name.
        name: String,
        /// The line number, from 1.
        line: usize,
        /// Why (not a `source`: the message already says it).
        reason: serde_json::Error,
    },
}

impl crate::Classified for ManifestError {
    /// The exit code: a manifest that cannot be read is the input's fault.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

/// Reads a manifest file.
pub fn read(path: &std::path::Path) -> Result<Vec<ManifestLine>, ManifestError> {
    read_with_digest(path).map(|(lines, _)| lines)
}

/// Reads a manifest file, with `sha256:` and the digest of its bytes: what names this ground
/// truth in a score, so that scores are only merged against the same one.
pub fn read_with_digest(
    path: &std::path::Path,
) -> Result<(Vec<ManifestLine>, String), ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|reason| ManifestError::Read {
        path: path.to_path_buf(),
        reason,
    })?;
    let lines = parse(&text, &path.display().to_string())?;
    Ok((
        lines,
        format!("sha256:{}", hex(&openssl::sha::sha256(text.as_bytes()))),
    ))
}

/// Parses a manifest's text; `name` names it in errors.
pub fn parse(text: &str, name: &str) -> Result<Vec<ManifestLine>, ManifestError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map_err(|reason| ManifestError::Line {
                name: name.to_string(),
                line: n + 1,
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let good =
            r#"{"transport":"mqtt","topic":"t","generator":"g1","fault":null,"expect":null}"#;
        let lines = parse(&format!("{good}\n\n{good}\n"), "truth.jsonl").unwrap();
        assert_eq!(lines.len(), 2);
        let err = parse(&format!("{good}\nnot json\n"), "truth.jsonl").unwrap_err();
        assert!(matches!(err, ManifestError::Line { line: 2, .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("truth.jsonl:2: not a manifest line: "),
            "{err}"
        );
        let missing = read(std::path::Path::new("no/such/truth.jsonl")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot read manifest no/such/truth.jsonl: "),
            "{missing}"
        );
    }
}
