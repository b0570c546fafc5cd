//! Wire types of the Confluent Schema Registry REST API. Unknown fields are ignored on input
//! (newer servers and clients add `metadata`, `ruleSet`, `guid`, ...); the `schema` field is
//! the schema as a string.

use serde::{Deserialize, Serialize};

/// The registry's content type.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A reference from one schema to another registered schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referring schema uses.
    pub name: String,
    /// The referenced subject.
    pub subject: String,
    /// The referenced version.
    pub version: i32,
}

/// Body of `POST /subjects/{s}/versions`, `POST /subjects/{s}` and the compatibility checks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// `JSON`, `AVRO` or `PROTOBUF`; absent means AVRO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// The schema text.
    pub schema: String,
    /// References to other subjects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Opaque metadata (kept, and read for `confluent:reserved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Opaque rule set (kept as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<serde_json::Value>,
    /// The id to register under; honoured only in IMPORT mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    /// The version to register as; honoured only in IMPORT mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// Answer of `POST /subjects/{s}/versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The global schema id.
    pub id: i32,
}

/// A registered schema under a subject (`GET /subjects/{s}/versions/{v}`, lookup).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version within the subject.
    pub version: i32,
    /// The global id.
    pub id: i32,
    /// The schema type (absent means AVRO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// The schema text.
    pub schema: String,
    /// References.
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    /// Metadata, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Rule set, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<serde_json::Value>,
    /// The schema's GUID (Confluent 8 and schemactl's registry; older registries omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

/// `GET /schemas/ids/{id}` and `GET /schemas/guids/{guid}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaById {
    /// The schema type (absent means AVRO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// The schema text.
    pub schema: String,
    /// References.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Rule set, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<serde_json::Value>,
    /// The schema's GUID, where the registry has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

/// `GET /schemas/guids/{guid}/ids`: the id a GUID has in a context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuidId {
    /// The context (`.` is the default one).
    pub context: String,
    /// The schema id.
    pub id: i32,
}

/// `GET /schemas/ids/{id}/versions`: one subject and version using an id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAndVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

/// Answer of the compatibility endpoints. `messages` are shown, never parsed: they are not JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityResponse {
    /// The registry's verdict.
    pub is_compatible: bool,
    /// Reasons, with `?verbose=true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// `GET /config[/{s}]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// The level (note: GET answers `compatibilityLevel`).
    pub compatibility_level: String,
    /// `STRICT` or `LENIENT` (schemactl's registry; others omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    /// Data-contract defaults and overrides.
    #[serde(flatten)]
    pub contract: ConfigContract,
}

/// Confluent's data-contract defaults and overrides in `/config`: a registration's metadata
/// and rule set are its own (or the previous version's) merged over the defaults, with the
/// overrides merged over that.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigContract {
    /// Metadata under a registration's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<serde_json::Value>,
    /// Metadata over a registration's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<serde_json::Value>,
    /// A rule set under a registration's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<serde_json::Value>,
    /// A rule set over a registration's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<serde_json::Value>,
}

impl ConfigContract {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == ConfigContract::default()
    }

    /// Each field `new` sets replaces this one's, as Confluent updates a config.
    pub fn update(&mut self, new: ConfigContract) {
        let keep = |old: &mut Option<serde_json::Value>, new: Option<serde_json::Value>| {
            if new.is_some() {
                *old = new;
            }
        };
        keep(&mut self.default_metadata, new.default_metadata);
        keep(&mut self.override_metadata, new.override_metadata);
        keep(&mut self.default_rule_set, new.default_rule_set);
        keep(&mut self.override_rule_set, new.override_rule_set);
    }
}

/// `PUT /config[/{s}]` (note: PUT takes `compatibility`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRequest {
    /// The level; empty when the update only sets the policy. Some clients send it as
    /// `compatibilityLevel`.
    #[serde(
        default,
        alias = "compatibilityLevel",
        skip_serializing_if = "String::is_empty"
    )]
    pub compatibility: String,
    /// `STRICT` or `LENIENT` (schemactl's registry; others ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    /// Data-contract defaults and overrides.
    #[serde(flatten)]
    pub contract: ConfigContract,
}

/// `GET|PUT /mode[/{s}]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeBody {
    /// READWRITE, READONLY, READONLY_OVERRIDE or IMPORT.
    pub mode: String,
}

/// A version as the REST API names it: a number 1..2^31-1, or `latest` (also written `-1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionRef {
    /// The newest live version.
    Latest,
    /// One version number (1 or more).
    Number(i32),
}

impl std::str::FromStr for VersionRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" | "-1" => Ok(VersionRef::Latest),
            _ => match s.parse::<i32>() {
                Ok(n) if n >= 1 => Ok(VersionRef::Number(n)),
                _ => Err(format!(
                    "invalid version \"{s}\": expected a number from 1 to {} or \"latest\"",
                    i32::MAX
                )),
            },
        }
    }
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionRef::Latest => f.write_str("latest"),
            VersionRef::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Every error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The Confluent error code; the HTTP status is its first three digits.
    pub error_code: i32,
    /// The message.
    pub message: String,
}

/// Confluent error codes.
pub mod codes {
    /// Subject not found.
    pub const SUBJECT_NOT_FOUND: i32 = 40401;
    /// Version not found.
    pub const VERSION_NOT_FOUND: i32 = 40402;
    /// Schema not found.
    pub const SCHEMA_NOT_FOUND: i32 = 40403;
    /// Subject soft-deleted.
    pub const SUBJECT_SOFT_DELETED: i32 = 40404;
    /// Subject not soft-deleted before a permanent delete.
    pub const SUBJECT_NOT_SOFT_DELETED: i32 = 40405;
    /// Version soft-deleted.
    pub const VERSION_SOFT_DELETED: i32 = 40406;
    /// Version not soft-deleted before a permanent delete.
    pub const VERSION_NOT_SOFT_DELETED: i32 = 40407;
    /// No subject-level compatibility configured.
    pub const SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: i32 = 40408;
    /// No subject-level mode configured.
    pub const SUBJECT_LEVEL_MODE_NOT_CONFIGURED: i32 = 40409;
    /// Incompatible schema (older servers answer plain 409).
    pub const INCOMPATIBLE_SCHEMA: i32 = 40901;
    /// Invalid schema.
    pub const INVALID_SCHEMA: i32 = 42201;
    /// Invalid version.
    pub const INVALID_VERSION: i32 = 42202;
    /// Invalid compatibility level.
    pub const INVALID_COMPATIBILITY_LEVEL: i32 = 42203;
    /// Invalid mode.
    pub const INVALID_MODE: i32 = 42204;
    /// Operation not permitted.
    pub const OPERATION_NOT_PERMITTED: i32 = 42205;
    /// Reference exists.
    pub const REFERENCE_EXISTS: i32 = 42206;
    /// Schema too large.
    pub const SCHEMA_TOO_LARGE: i32 = 42209;
    /// Invalid rule set.
    pub const INVALID_RULE_SET: i32 = 42210;
    /// Store error.
    pub const STORE_ERROR: i32 = 50001;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored() {
        let v: SubjectVersion = serde_json::from_str(
            r#"{"subject":"s","version":1,"id":7,"schemaType":"JSON","schema":"{}","guid":"x","ruleSet":{}}"#,
        )
        .unwrap();
        assert_eq!(v.id, 7);
        let r: RegisterResponse =
            serde_json::from_str(r#"{"id":3,"version":1,"schema":"{}"}"#).unwrap();
        assert_eq!(r.id, 3);
    }

    #[test]
    fn versions_parse_as_the_api_names_them() {
        assert_eq!("latest".parse(), Ok(VersionRef::Latest));
        assert_eq!("-1".parse(), Ok(VersionRef::Latest));
        assert_eq!("7".parse(), Ok(VersionRef::Number(7)));
        assert_eq!("2147483647".parse(), Ok(VersionRef::Number(i32::MAX)));
        for bad in ["0", "-2", "2147483648", "v1", "", "LATEST"] {
            assert!(bad.parse::<VersionRef>().is_err(), "{bad}");
        }
        assert_eq!(VersionRef::Number(3).to_string(), "3");
    }
}
