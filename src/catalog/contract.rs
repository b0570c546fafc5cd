//! The contract model: what a data product promises, read from TOML with unknown keys refused.

use super::CatalogError;
use super::rules::{self, Metadata, RawRule, Rule};
use crate::compat::{Level, Policy};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A data product's contract.
#[derive(Clone, Debug)]
pub struct Contract {
    /// The contract's name (the file stem).
    pub name: String,
    /// The contract file.
    pub file: PathBuf,
    /// What it describes.
    pub description: Option<String>,
    /// The registry subject (TopicNameStrategy: `<topic>-value`).
    pub subject: String,
    /// The folder holding `v1.json`, `v2.json`, ...
    pub schemas: PathBuf,
    /// The compatibility level every new version must pass.
    pub level: Level,
    /// The compatibility policy.
    pub policy: Policy,
    /// MQTT topics.
    pub mqtt: Option<MqttSpec>,
    /// Kafka topic.
    pub kafka: Option<KafkaSpec>,
    /// Where a producer's identity lives.
    pub identity: IdentitySpec,
    /// Payloads that must validate.
    pub valid: Vec<Example>,
    /// Payloads that must not, with the expected violation.
    pub invalid: Vec<Example>,
    /// The data-contract rules of the newest version (`[[rules]]`), defaults filled in.
    pub rules: Vec<Rule>,
    /// Confluent's schema metadata (`[metadata]`).
    pub metadata: Option<Metadata>,
}

/// MQTT side of a contract.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSpec {
    /// Topic filters the fleet publishes on (`+` and `#` allowed).
    pub topics: Vec<String>,
}

/// Kafka side of a contract.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// The topic.
    pub topic: String,
    /// What the record key holds: `producer` (the producer's id) or `uuid`.
    #[serde(default = "default_key")]
    pub key: String,
}

fn default_key() -> String {
    "producer".into()
}

/// Where a message says who produced it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    /// JSON pointer into the payload (`/generatorID`).
    pub pointer: Option<String>,
    /// Whether the Kafka key names the producer.
    #[serde(default)]
    pub kafka_key: bool,
    /// The MQTT topic level (0-based) that names the producer, for per-producer topics.
    pub mqtt_topic_level: Option<usize>,
}

/// A payload example.
#[derive(Clone, Debug)]
pub struct Example {
    /// A short name for reports.
    pub name: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// For must-fail examples: what must be reported.
    pub violation: Option<ExpectedViolation>,
}

/// The violation a must-fail example must produce.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedViolation {
    /// The violation kind (`SCHEMA_VIOLATION`, `NOT_JSON`, ...).
    pub kind: String,
    /// The JSON pointer into the payload, for schema violations.
    pub pointer: Option<String>,
    /// The failing JSON Schema keyword, for schema violations.
    pub keyword: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    description: Option<String>,
    subject: String,
    schemas: PathBuf,
    #[serde(default = "default_level")]
    level: Level,
    #[serde(default = "default_policy")]
    policy: Policy,
    mqtt: Option<MqttSpec>,
    kafka: Option<KafkaSpec>,
    #[serde(default)]
    identity: IdentitySpec,
    #[serde(default)]
    examples: RawExamples,
    #[serde(default)]
    rules: Vec<RawRule>,
    metadata: Option<Metadata>,
}

fn default_level() -> Level {
    Level::Backward
}

fn default_policy() -> Policy {
    Policy::Strict
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExamples {
    #[serde(default)]
    valid: Vec<RawExample>,
    #[serde(default)]
    invalid: Vec<RawExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    name: String,
    /// A payload written as TOML (converted to JSON).
    payload: Option<toml::Value>,
    /// A payload given as exact text (for payloads that are not JSON).
    raw: Option<String>,
    violation: Option<ExpectedViolation>,
}

impl Contract {
    /// Reads and checks a contract file; paths in it are relative to `root`.
    pub fn load(root: &Path, path: &Path) -> Result<Contract, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let err = |message: String| CatalogError::Contract {
            path: path.to_path_buf(),
            message,
        };
        let raw: RawContract = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    let col = s.start - text[..s.start].rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {col}: ")
                })
                .unwrap_or_default();
            err(format!(
                "{place}{}\nhelp: keys a contract takes: description, subject, schemas, level, policy, [mqtt] topics, [kafka] topic/key, [identity] pointer/kafka_key/mqtt_topic_level, [[examples.valid]] and [[examples.invalid]] name/payload/raw/violation, [[rules]], [metadata]\nhelp: {}",
                e.message(),
                rules::HINT
            ))
        })?;
        let contract_rules = rules::check_rules(&text, raw.rules).map_err(&err)?;
        if let Some(m) = &raw.metadata {
            rules::check_metadata(m).map_err(&err)?;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if raw.subject.trim().is_empty() {
            return Err(err("subject must not be empty".into()));
        }
        if let Some(pointer) = &raw.identity.pointer
            && !pointer.starts_with('/')
        {
            return Err(err(format!(
                "identity.pointer \"{pointer}\" is not a JSON pointer (it must start with '/')"
            )));
        }
        // Keep paths as the user wrote them when working from the project root.
        let schemas = if root == Path::new(".") {
            raw.schemas.clone()
        } else {
            root.join(&raw.schemas)
        };
        if !schemas.is_dir() {
            return Err(err(format!(
                "schemas = \"{}\": no such folder ({})",
                raw.schemas.display(),
                schemas.display()
            )));
        }
        let convert =
            |list: Vec<RawExample>, must_fail: bool| -> Result<Vec<Example>, CatalogError> {
                list.into_iter()
                .map(|e| {
                    let payload = match (e.payload, e.raw) {
                        (Some(v), None) => serde_json::to_vec(&v)
                            .map_err(|x| err(format!("example \"{}\": {x}", e.name)))?,
                        (None, Some(raw)) => raw.into_bytes(),
                        _ => {
                            return Err(err(format!(
                                "example \"{}\" needs exactly one of `payload` or `raw`",
                                e.name
                            )));
                        }
                    };
                    if must_fail && e.violation.is_none() {
                        return Err(err(format!(
                            "invalid example \"{}\" needs a `violation` (kind, pointer, keyword)",
                            e.name
                        )));
                    }
                    if !must_fail && e.violation.is_some() {
                        return Err(err(format!(
                            "valid example \"{}\" must not declare a `violation`",
                            e.name
                        )));
                    }
                    Ok(Example {
                        name: e.name,
                        payload,
                        violation: e.violation,
                    })
                })
                .collect()
            };
        Ok(Contract {
            name,
            file: path.to_path_buf(),
            description: raw.description,
            subject: raw.subject,
            schemas,
            level: raw.level,
            policy: raw.policy,
            mqtt: raw.mqtt,
            kafka: raw.kafka,
            identity: raw.identity,
            valid: convert(raw.examples.valid, false)?,
            invalid: convert(raw.examples.invalid, true)?,
            rules: contract_rules,
            metadata: raw.metadata,
        })
    }
}
