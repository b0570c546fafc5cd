//! Payload validation: bytes from a file or the wire, checked against a schema, with
//! violations of stable kinds.
//!
//! - [`fast`]: flat object schemas checked while parsing, without building a JSON value;
//! - [`offline`]: `schemactl validate`, JSON-lines files checked as the audit checks traffic;
//! - [`wire`]: Confluent's wire format (V0 id, V1 GUID, id in a header);
//! - [`resolver`]: schema ids → compiled validators, cached, checked against the contract's
//!   subject, behind the small [`resolver::SchemaLookup`] seam to the registry.

pub mod fast;
pub mod offline;
pub mod portability;
pub mod resolver;
pub mod rules;
pub mod wire;

use crate::compat::{Draft, Schema};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of violation a payload can show, with stable ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// The contract says the Kafka key is a random UUID, and it is not one.
    KEY_NOT_UUID,
    /// The payload is larger than allowed.
    OVERSIZE,
    /// The registry could not be asked about the schema id.
    UNRESOLVED,
    /// The record names a schema of the contract's subject that the contract's history
    /// (`schemas/…`) does not hold: registered outside the repository.
    UNGOVERNED_SCHEMA,
    /// A transport the audit watched delivered no message at all (not a payload: the run).
    NO_TRAFFIC,
    /// The payload passed the schema but breaks a data-contract rule (CEL condition).
    RULE_VIOLATION,
}

impl ViolationKind {
    /// Every kind.
    pub const ALL: [ViolationKind; 13] = [
        ViolationKind::NOT_UTF8,
        ViolationKind::NOT_JSON,
        ViolationKind::SCHEMA_VIOLATION,
        ViolationKind::MISSING_WIRE_HEADER,
        ViolationKind::UNKNOWN_SCHEMA_ID,
        ViolationKind::WRONG_SUBJECT,
        ViolationKind::IDENTITY_MISMATCH,
        ViolationKind::KEY_NOT_UUID,
        ViolationKind::OVERSIZE,
        ViolationKind::UNRESOLVED,
        ViolationKind::UNGOVERNED_SCHEMA,
        ViolationKind::NO_TRAFFIC,
        ViolationKind::RULE_VIOLATION,
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
            ViolationKind::KEY_NOT_UUID => "KEY_NOT_UUID",
            ViolationKind::OVERSIZE => "OVERSIZE",
            ViolationKind::UNRESOLVED => "UNRESOLVED",
            ViolationKind::UNGOVERNED_SCHEMA => "UNGOVERNED_SCHEMA",
            ViolationKind::NO_TRAFFIC => "NO_TRAFFIC",
            ViolationKind::RULE_VIOLATION => "RULE_VIOLATION",
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
    /// The JSON Schema keyword that failed, for schema violations; for `NOT_JSON`, `eof` when the
    /// payload ends early (truncated) rather than holding a syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// One sentence.
    pub message: String,
    /// For `RULE_VIOLATION`: the rule, its expression, the values it read, the action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Box<rules::RuleFailure>>,
}

impl Violation {
    /// A violation without a location in the payload.
    pub fn new(kind: ViolationKind, message: impl Into<String>) -> Self {
        Violation {
            kind,
            pointer: None,
            keyword: None,
            message: message.into(),
            rule: None,
        }
    }

    /// A failed data-contract rule.
    pub fn rule(failure: rules::RuleFailure) -> Self {
        Violation {
            kind: ViolationKind::RULE_VIOLATION,
            pointer: failure
                .field
                .as_ref()
                .map(|f| f.trim_start_matches('$').replace('.', "/")),
            keyword: Some(failure.rule.clone()),
            message: failure.message(),
            rule: Some(Box::new(failure)),
        }
    }

    /// Whether it makes the payload fail (a rule with `onFailure = "NONE"` only reports).
    pub fn fails(&self) -> bool {
        self.rule.as_ref().is_none_or(|r| r.action.fails())
    }
}

/// Payloads larger than this are reported as [`ViolationKind::OVERSIZE`] unless configured.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// Why a schema cannot be compiled into a [`PayloadValidator`]; always the schema's fault
/// (exit 2), whether it came from a file or from the registry.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// The schema text is not JSON.
    #[error("schema is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The JSON is not a JSON Schema schemactl reads.
    #[error(transparent)]
    Schema(#[from] crate::compat::SchemaError),
    /// The validator refused the schema (a keyword it cannot build), in its own words.
    #[error("{0}")]
    Validator(String),
}

impl crate::Classified for ValidatorError {
    /// The exit code: a schema that does not compile is the input's fault.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

/// A compiled validator for one schema.
pub struct PayloadValidator {
    validator: jsonschema::Validator,
    fast: Option<fast::FastPath>,
    max_bytes: usize,
}

impl fmt::Debug for PayloadValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadValidator")
            .field("max_bytes", &self.max_bytes)
            .field("fast_path", &self.fast.is_some())
            .finish_non_exhaustive()
    }
}

impl PayloadValidator {
    /// Compiles `schema` (already parsed and checked by [`Schema::parse`]).
    pub fn new(schema: &Schema) -> Result<PayloadValidator, ValidatorError> {
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
            .with_retriever(References(schema.references().clone()))
            .build(&doc)
            .map_err(|e| ValidatorError::Validator(e.to_string()))?;
        Ok(PayloadValidator {
            validator,
            fast: fast::FastPath::compile(&doc, schema.draft),
            max_bytes: DEFAULT_MAX_PAYLOAD,
        })
    }

    /// Compiles a schema given as text, as the registry returns it.
    pub fn from_text(text: &str) -> Result<PayloadValidator, ValidatorError> {
        let doc: serde_json::Value = serde_json::from_str(text)?;
        PayloadValidator::new(&Schema::parse(doc)?)
    }

    /// The size above which payloads are [`ViolationKind::OVERSIZE`].
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
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
                rule: None,
            })
            .collect()
    }

    /// Checks raw payload bytes: size, UTF-8, JSON, then the schema.
    pub fn check(&self, bytes: &[u8]) -> Vec<Violation> {
        match self.check_parsed(bytes) {
            Ok(value) => self.check_value(&value),
            Err(v) => vec![v],
        }
    }

    /// Whether raw payload bytes pass every check, without building messages (and, for flat
    /// schemas, without building a JSON value).
    pub fn is_valid(&self, bytes: &[u8]) -> bool {
        if self.certify(bytes, None).is_some() {
            return true;
        }
        match self.check_parsed(bytes) {
            Ok(value) => self.validator.is_valid(&value),
            Err(_) => false,
        }
    }

    /// `Some` when the fast path alone shows `bytes` valid, with the string at the top-level
    /// key `capture` if asked for; `None` means "use the full checks", not "invalid".
    pub fn certify(&self, bytes: &[u8], capture: Option<&str>) -> Option<Option<String>> {
        self.fast.as_ref()?.certify(bytes, self.max_bytes, capture)
    }

    /// [`Self::certify`] that also answers "invalid" where the fast path is sure of it
    /// ([`fast::Answer`]); [`fast::Answer::Unsure`] means "use the full checks".
    pub fn judge(&self, bytes: &[u8], capture: Option<&str>) -> fast::Answer {
        match &self.fast {
            Some(fast) => fast.judge(bytes, self.max_bytes, capture),
            None => fast::Answer::Unsure,
        }
    }

    /// Checks raw bytes and returns the parsed value for further checks (such as identity), or
    /// the violation that stopped parsing. Schema violations are left to [`Self::check_value`].
    pub fn check_parsed(&self, bytes: &[u8]) -> Result<serde_json::Value, Violation> {
        check_bytes(bytes, self.max_bytes)
    }

    /// Checks a parsed value that passed [`Self::check_parsed`], fast.
    pub fn value_is_valid(&self, value: &serde_json::Value) -> bool {
        self.validator.is_valid(value)
    }
}

/// The validator's only way to another document: the schemas the schema's references name.
/// Anything else is refused, never fetched (a `$ref` to a URL would be an SSRF hole); the
/// engine's parse has refused such `$ref`s already, so this is the second lock.
struct References(crate::compat::ResolvedReferences);

impl jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        self.0.retrieve(uri).cloned().ok_or_else(|| {
            format!("$ref \"{uri}\" names no reference of the schema; schemactl fetches nothing")
                .into()
        })
    }
}

/// Size, UTF-8 and JSON checks that need no schema, returning the parsed value.
pub fn check_bytes(bytes: &[u8], max_bytes: usize) -> Result<serde_json::Value, Violation> {
    {
        if bytes.len() > max_bytes {
            return Err(Violation::new(
                ViolationKind::OVERSIZE,
                format!(
                    "payload is {} bytes, more than the {max_bytes} allowed",
                    bytes.len(),
                ),
            ));
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            return Err(Violation::new(
                ViolationKind::NOT_UTF8,
                format!("invalid UTF-8 at byte offset {}", e.valid_up_to()),
            ));
        }
        serde_json::from_slice::<serde_json::Value>(bytes).map_err(|e| {
            let eof = e.classify() == serde_json::error::Category::Eof;
            Violation {
                kind: ViolationKind::NOT_JSON,
                pointer: None,
                keyword: eof.then(|| "eof".to_string()),
                rule: None,
                message: if eof {
                    format!("JSON ends early (truncated?) after {} bytes", bytes.len())
                } else {
                    format!("not JSON: {e}")
                },
            }
        })
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
        let truncated = &v.check(br#"{"fuel": 5"#)[0];
        assert_eq!(truncated.kind, ViolationKind::NOT_JSON);
        assert_eq!(truncated.keyword.as_deref(), Some("eof"));
        assert_eq!(v.check(b"{fuel}")[0].keyword, None);
        assert!(v.is_valid(br#"{"fuel": 50}"#));
        assert!(!v.is_valid(br#"{"fuel": 500}"#));
        assert_eq!(v.check(&[0xff, 0xfe])[0].kind, ViolationKind::NOT_UTF8);
        assert_eq!(v.check(b"[1,2]")[0].keyword.as_deref(), Some("type"));
        let small = validator().with_max_bytes(4);
        assert_eq!(
            small.check(br#"{"fuel": 1}"#)[0].kind,
            ViolationKind::OVERSIZE
        );
    }

    #[test]
    fn a_schema_that_does_not_compile_says_why_and_is_the_inputs_fault() {
        use crate::Classified;
        let not_json = PayloadValidator::from_text("{").unwrap_err();
        assert!(
            matches!(not_json, ValidatorError::NotJson(_)),
            "{not_json:?}"
        );
        assert!(
            not_json
                .to_string()
                .starts_with("schema is not JSON: EOF while parsing"),
            "{not_json}"
        );
        let not_schema = PayloadValidator::from_text("[1]").unwrap_err();
        assert!(
            matches!(not_schema, ValidatorError::Schema(_)),
            "{not_schema:?}"
        );
        assert!(
            not_schema.to_string().contains("not a JSON Schema"),
            "{not_schema}"
        );
        for e in [not_json, not_schema] {
            assert_eq!(e.exit(), crate::Exit::Usage);
        }
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
