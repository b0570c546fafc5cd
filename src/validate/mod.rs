//! Payload validation: bytes from a file or the wire, checked against a schema, with
//! violations of stable kinds.

use crate::compat::{Draft, Schema};
use serde::Serialize;
use std::fmt;

/// The kinds of violation a payload can show, with stable ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[allow(non_camel_case_types)]
pub enum ViolationKind {
    /// The payload is not valid UTF-8.
    NOT_UTF8,
    /// The payload is not JSON.
    NOT_JSON,
    /// The payload is JSON but breaks the schema.
    SCHEMA_VIOLATION,
    /// A Kafka value lacks Confluent's wire-format header.
    MISSING_WIRE_HEADER,
    /// The schema id in the header is not in the registry.
    UNKNOWN_SCHEMA_ID,
    /// The schema id belongs to another subject.
    WRONG_SUBJECT,
    /// The topic or key names one producer and the payload another.
    IDENTITY_MISMATCH,
    /// The payload is larger than allowed.
    OVERSIZE,
    /// The registry could not be asked about the schema id.
    UNRESOLVED,
}

impl ViolationKind {
    /// Every kind.
    pub const ALL: [ViolationKind; 9] = [
        ViolationKind::NOT_UTF8,
        ViolationKind::NOT_JSON,
        ViolationKind::SCHEMA_VIOLATION,
        ViolationKind::MISSING_WIRE_HEADER,
        ViolationKind::UNKNOWN_SCHEMA_ID,
        ViolationKind::WRONG_SUBJECT,
        ViolationKind::IDENTITY_MISMATCH,
        ViolationKind::OVERSIZE,
        ViolationKind::UNRESOLVED,
    ];

    /// The stable id.
    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::NOT_UTF8 => "NOT_UTF8",
            ViolationKind::NOT_JSON => "NOT_JSON",
            ViolationKind::SCHEMA_VIOLATION => "SCHEMA_VIOLATION",
            ViolationKind::MISSING_WIRE_HEADER => "MISSING_WIRE_HEADER",
            ViolationKind::UNKNOWN_SCHEMA_ID => "UNKNOWN_SCHEMA_ID",
            ViolationKind::WRONG_SUBJECT => "WRONG_SUBJECT",
            ViolationKind::IDENTITY_MISMATCH => "IDENTITY_MISMATCH",
            ViolationKind::OVERSIZE => "OVERSIZE",
            ViolationKind::UNRESOLVED => "UNRESOLVED",
        }
    }

    /// Looks a kind up by its id.
    pub fn from_name(name: &str) -> Option<ViolationKind> {
        ViolationKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing wrong with a payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// What kind of problem.
    pub kind: ViolationKind,
    /// Where in the payload (JSON pointer), for schema violations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The JSON Schema keyword that failed, for schema violations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// One sentence.
    pub message: String,
}

impl Violation {
    /// A violation without a location in the payload.
    pub fn new(kind: ViolationKind, message: impl Into<String>) -> Self {
        Violation {
            kind,
            pointer: None,
            keyword: None,
            message: message.into(),
        }
    }
}

/// Payloads larger than this are reported as [`ViolationKind::OVERSIZE`] unless configured.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// A compiled validator for one schema.
pub struct PayloadValidator {
    validator: jsonschema::Validator,
    max_bytes: usize,
}

impl fmt::Debug for PayloadValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadValidator")
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl PayloadValidator {
    /// Compiles `schema` (already parsed and checked by [`Schema::parse`]).
    pub fn new(schema: &Schema) -> Result<PayloadValidator, String> {
        let draft = match schema.draft {
            Draft::Draft4 => jsonschema::Draft::Draft4,
            Draft::Draft6 => jsonschema::Draft::Draft6,
            Draft::Draft7 => jsonschema::Draft::Draft7,
            Draft::Draft201909 => jsonschema::Draft::Draft201909,
            Draft::Draft202012 => jsonschema::Draft::Draft202012,
        };
        let mut doc = schema.document().clone();
        if !schema.warnings.is_empty()
            && let Some(map) = doc.as_object_mut()
        {
            // A non-canonical `$schema` URL was read as a known draft: say so to the validator
            // instead of letting it try to fetch the URL.
            map.remove("$schema");
        }
        let validator = jsonschema::options()
            .with_draft(draft)
            .build(&doc)
            .map_err(|e| e.to_string())?;
        Ok(PayloadValidator {
            validator,
            max_bytes: DEFAULT_MAX_PAYLOAD,
        })
    }

    /// Changes the size above which payloads are [`ViolationKind::OVERSIZE`].
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Checks a parsed JSON value.
    pub fn check_value(&self, value: &serde_json::Value) -> Vec<Violation> {
        self.validator
            .iter_errors(value)
            .map(|e| Violation {
                kind: ViolationKind::SCHEMA_VIOLATION,
                pointer: Some(e.instance_path().to_string()),
                keyword: Some(e.kind().keyword().to_string()),
                message: e.to_string(),
            })
            .collect()
    }

    /// Checks raw payload bytes: size, UTF-8, JSON, then the schema.
    pub fn check(&self, bytes: &[u8]) -> Vec<Violation> {
        if bytes.len() > self.max_bytes {
            return vec![Violation::new(
                ViolationKind::OVERSIZE,
                format!(
                    "payload is {} bytes, more than the {} allowed",
                    bytes.len(),
                    self.max_bytes
                ),
            )];
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            return vec![Violation::new(
                ViolationKind::NOT_UTF8,
                format!("invalid UTF-8 at byte offset {}", e.valid_up_to()),
            )];
        }
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Err(e) => vec![Violation::new(
                ViolationKind::NOT_JSON,
                format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
            )],
            Ok(value) => self.check_value(&value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validator() -> PayloadValidator {
        let schema = Schema::parse(json!({
            "type": "object",
            "properties": {"fuel": {"type": "number", "minimum": 0, "maximum": 100}},
            "required": ["fuel"]
        }))
        .unwrap();
        PayloadValidator::new(&schema).unwrap()
    }

    #[test]
    fn classifies_payloads() {
        let v = validator();
        assert!(v.check(br#"{"fuel": 50}"#).is_empty());
        let bad = v.check(br#"{"fuel": 150}"#);
        assert_eq!(bad[0].kind, ViolationKind::SCHEMA_VIOLATION);
        assert_eq!(bad[0].pointer.as_deref(), Some("/fuel"));
        assert_eq!(bad[0].keyword.as_deref(), Some("maximum"));
        assert_eq!(v.check(br#"{"fuel": 5"#)[0].kind, ViolationKind::NOT_JSON);
        assert_eq!(v.check(&[0xff, 0xfe])[0].kind, ViolationKind::NOT_UTF8);
        assert_eq!(v.check(b"[1,2]")[0].keyword.as_deref(), Some("type"));
        let small = validator().with_max_bytes(4);
        assert_eq!(
            small.check(br#"{"fuel": 1}"#)[0].kind,
            ViolationKind::OVERSIZE
        );
    }

    #[test]
    fn deep_nesting_is_not_json_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            validator().check(deep.as_bytes())[0].kind,
            ViolationKind::NOT_JSON
        );
    }
}
