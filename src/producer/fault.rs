//! The ways a producer misbehaves, what each does to a message, and the violation an audit must
//! report for it.

use crate::transport::TransportKind;
use crate::validate::{Violation, ViolationKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One kind of misbehaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// A required field is left out (`fuel`).
    MissingField,
    /// A field has the wrong type (`fuel` as a string, as old firmware sends it).
    WrongType,
    /// A value outside what the schema allows for a field: beyond the first `minimum`/`maximum`
    /// of the newest schema, or, where it bounds no number, outside the first `enum`.
    OutOfRange,
    /// Not JSON at all (a rogue script's `key=value` line).
    NotJson,
    /// JSON cut short (a bridge with a small buffer).
    Truncated,
    /// Binary garbage, not even UTF-8.
    Binary,
    /// Kafka only: the JSON value without Confluent's wire header.
    NoWireHeader,
    /// Kafka only: a schema id the registry does not know.
    UnknownSchemaId,
    /// Kafka only: the schema id of another subject.
    ForeignSchemaId,
    /// The topic level or key names one generator, the payload another.
    IdentityMismatch,
    /// Kafka only, where the contract says keys are UUIDs: the generator's id as the key, as a
    /// producer written before the fleet keyed its records by `uuid4()` does.
    KeyNotUuid,
    /// A payload larger than the audit's limit.
    Oversize,
    /// A reading the schema accepts but a data-contract rule refuses: a number the contract's
    /// `[simulator]` draws far outside its range (a broken sensor), where a rule of the contract
    /// catches it (for the generators: an implausible temperature or pressure).
    RuleBreak,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 13] = [
        Fault::MissingField,
        Fault::WrongType,
        Fault::OutOfRange,
        Fault::NotJson,
        Fault::Truncated,
        Fault::Binary,
        Fault::NoWireHeader,
        Fault::UnknownSchemaId,
        Fault::ForeignSchemaId,
        Fault::IdentityMismatch,
        Fault::KeyNotUuid,
        Fault::Oversize,
        Fault::RuleBreak,
    ];

    /// The kebab-case name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Fault::MissingField => "missing-field",
            Fault::WrongType => "wrong-type",
            Fault::OutOfRange => "out-of-range",
            Fault::NotJson => "not-json",
            Fault::Truncated => "truncated",
            Fault::Binary => "binary",
            Fault::NoWireHeader => "no-wire-header",
            Fault::UnknownSchemaId => "unknown-schema-id",
            Fault::ForeignSchemaId => "foreign-schema-id",
            Fault::IdentityMismatch => "identity-mismatch",
            Fault::KeyNotUuid => "key-not-uuid",
            Fault::Oversize => "oversize",
            Fault::RuleBreak => "rule-break",
        }
    }

    /// Looks a fault up by name.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the fault can happen on `transport` (the wire-format faults are Kafka's).
    pub fn applies_to(self, transport: TransportKind) -> bool {
        !matches!(
            (self, transport),
            (
                Fault::NoWireHeader
                    | Fault::UnknownSchemaId
                    | Fault::ForeignSchemaId
                    | Fault::KeyNotUuid,
                TransportKind::Mqtt
            )
        )
    }

    /// Whether the fault leaves nothing readable in the payload (not JSON, cut short, binary,
    /// oversized), so that where only the payload names its sender the audit cannot say who sent it.
    pub fn hides_the_sender(self) -> bool {
        matches!(
            self,
            Fault::NotJson | Fault::Truncated | Fault::Binary | Fault::Oversize
        )
    }

    /// The violation kind an audit must report for this fault.
    pub fn expected_kind(self) -> ViolationKind {
        match self {
            Fault::MissingField | Fault::WrongType | Fault::OutOfRange => {
                ViolationKind::SCHEMA_VIOLATION
            }
            Fault::NotJson | Fault::Truncated => ViolationKind::NOT_JSON,
            Fault::Binary => ViolationKind::NOT_UTF8,
            Fault::NoWireHeader => ViolationKind::MISSING_WIRE_HEADER,
            Fault::UnknownSchemaId => ViolationKind::UNKNOWN_SCHEMA_ID,
            Fault::ForeignSchemaId => ViolationKind::WRONG_SUBJECT,
            Fault::IdentityMismatch => ViolationKind::IDENTITY_MISMATCH,
            Fault::KeyNotUuid => ViolationKind::KEY_NOT_UUID,
            Fault::Oversize => ViolationKind::OVERSIZE,
            Fault::RuleBreak => ViolationKind::RULE_VIOLATION,
        }
    }

    /// Whether an audit still checks the reading's values against the contract's schema and
    /// rules: the fault is in the framing the audit resolves, the key or the producer's id, or
    /// is a rule break. So a rule the reading itself breaks is reported on it too.
    pub fn keeps_the_reading_checked(self) -> bool {
        matches!(
            self,
            Fault::IdentityMismatch | Fault::KeyNotUuid | Fault::ForeignSchemaId | Fault::RuleBreak
        )
    }

    /// Whether a reported violation is this fault's signature: the kind, and for faults sharing
    /// a kind, the keyword that tells them apart.
    pub fn matches(self, v: &Violation) -> bool {
        self.matches_kind(v.kind, v.keyword.as_deref())
    }

    /// [`Fault::matches`] over a violation's kind and keyword.
    pub fn matches_kind(self, kind: ViolationKind, keyword: Option<&str>) -> bool {
        if kind != self.expected_kind() {
            return false;
        }
        match self {
            Fault::MissingField => keyword == Some("required"),
            Fault::WrongType => keyword == Some("type"),
            Fault::OutOfRange => matches!(
                keyword,
                Some("minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "enum")
            ),
            Fault::NotJson => keyword != Some("eof"),
            Fault::Truncated => keyword == Some("eof"),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.name()));
        }
    }
}
