//! The contract model: what a data product promises, read from TOML with unknown keys refused.

use super::CatalogError;
use super::reading_model::{At, RawModel, ReadingModel};
use super::rules::{self, Metadata, RawRule, Rule};
use crate::compat::{Level, Policy};
use crate::validate::PayloadValidator;
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
    /// How the contract's fleet makes its readings (`[simulator]`), for the simulator.
    pub simulator: Option<ReadingModel>,
    /// Payloads that must validate.
    pub valid: Vec<Example>,
    /// Payloads that must not, with the expected violation.
    pub invalid: Vec<Example>,
    /// The data-contract rules of the newest version (`[[rules]]`), defaults filled in.
    pub rules: Vec<Rule>,
    /// Confluent's schema metadata (`[metadata]`).
    pub metadata: Option<Metadata>,
    /// The folder holding `contracts/` and `schemas/`, where referenced contracts are found.
    pub root: PathBuf,
    /// Per history version, the schemas of other contracts its `$ref`s point into
    /// (`[references] vN = [...]`).
    pub references: std::collections::BTreeMap<u32, Vec<ContractReference>>,
}

/// One reference of a history version: `$ref`s whose URI is `name` point into version
/// `version` of contract `contract` (registered under that contract's subject).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractReference {
    /// The name `$ref`s use, e.g. `location.json`.
    pub name: String,
    /// The referenced contract (its file stem in `contracts/`).
    pub contract: String,
    /// The referenced contract's history version (`vN.json`).
    pub version: u32,
}

/// MQTT side of a contract.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSpec {
    /// Topic filters the fleet publishes on (`+` and `#` allowed).
    pub topics: Vec<String>,
}

/// Kafka side of a contract.
#[derive(Clone, Debug)]
pub struct KafkaSpec {
    /// The topic.
    pub topic: String,
    /// What the record key is.
    pub key: KafkaKey,
}

/// What a Kafka record's key holds, as the contract's `[kafka] key` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KafkaKey {
    /// The producer's id: a key naming another producer than the payload is `IDENTITY_MISMATCH`.
    Producer,
    /// A random UUID per record (`str(uuid4())`): it names no producer; a key that is not a UUID
    /// is `KEY_NOT_UUID`.
    Uuid,
    /// No key, or one that means nothing: not checked.
    #[default]
    None,
}

impl KafkaKey {
    /// Every kind, as written in a contract.
    pub const ALL: [KafkaKey; 3] = [KafkaKey::Producer, KafkaKey::Uuid, KafkaKey::None];

    /// The name written in a contract.
    pub fn name(self) -> &'static str {
        match self {
            KafkaKey::Producer => "producer",
            KafkaKey::Uuid => "uuid",
            KafkaKey::None => "none",
        }
    }

    /// Looks a kind up by the name written in a contract.
    pub fn from_name(name: &str) -> Option<KafkaKey> {
        KafkaKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKafka {
    topic: String,
    key: Option<toml::Spanned<String>>,
}

/// Where a message says who produced it.
#[derive(Clone, Debug, Default)]
pub struct IdentitySpec {
    /// JSON pointer into the payload (`/generatorID`).
    pub pointer: Option<String>,
    /// The MQTT topic level (0-based) that names the producer, for per-producer topics.
    pub mqtt_topic_level: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    pointer: Option<String>,
    mqtt_topic_level: Option<usize>,
    /// Replaced by `[kafka] key`; refused with a hint saying so.
    kafka_key: Option<toml::Spanned<toml::Value>>,
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
    kafka: Option<RawKafka>,
    #[serde(default)]
    identity: RawIdentity,
    simulator: Option<RawModel>,
    #[serde(default)]
    examples: RawExamples,
    #[serde(default)]
    rules: Vec<RawRule>,
    metadata: Option<Metadata>,
    #[serde(default)]
    references:
        std::collections::BTreeMap<toml::Spanned<String>, Vec<toml::Spanned<ContractReference>>>,
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
        let place = |at: usize| At::of(&text, at).to_string();
        let raw: RawContract = toml::from_str(&text).map_err(|e| {
            let place = e.span().map(|s| place(s.start)).unwrap_or_default();
            err(format!(
                "{place}{}\nhelp: keys a contract takes: description, subject, schemas, level, policy, [mqtt] topics, [kafka] topic/key, [identity] pointer/mqtt_topic_level, [simulator] producer_id/interval and [[simulator.fields]], [[examples.valid]] and [[examples.invalid]] name/payload/raw/violation, [[rules]], [metadata], [references] vN = [{{ name, contract, version }}]\nhelp: {}",
                e.message(),
                rules::HINT
            ))
        })?;
        let contract_rules =
            rules::check_rules(&text, raw.rules).map_err(|e| err(e.to_string()))?;
        let mut references = std::collections::BTreeMap::new();
        for (key, list) in raw.references {
            let Some(version) = super::history::version_of(&format!("{}.json", key.get_ref()))
            else {
                return Err(err(format!(
                    "{}[references] key \"{}\" is not a history version\nhelp: name the version whose schema uses the references, as its file is named without \".json\": v1 = [{{ name = \"location.json\", contract = \"location\", version = 1 }}]",
                    place(key.span().start),
                    key.get_ref()
                )));
            };
            let mut names = std::collections::HashSet::new();
            let mut checked = Vec::with_capacity(list.len());
            for r in list {
                let at = place(r.span().start);
                let r = r.into_inner();
                if r.name.trim().is_empty() || r.name.contains('#') {
                    return Err(err(format!(
                        "{at}[references] {}: name \"{}\" is not a reference name\nhelp: a name is the URI `$ref`s use for the other schema, without a \"#\" fragment, e.g. \"location.json\"",
                        key.get_ref(),
                        r.name
                    )));
                }
                if r.version == 0 {
                    return Err(err(format!(
                        "{at}[references] {}: version 0 of \"{}\" does not exist\nhelp: versions count from 1 (v1.json)",
                        key.get_ref(),
                        r.contract
                    )));
                }
                if !names.insert(r.name.clone()) {
                    return Err(err(format!(
                        "{at}[references] {}: the reference name \"{}\" is used twice\nhelp: each reference of a version needs its own name",
                        key.get_ref(),
                        r.name
                    )));
                }
                checked.push(r);
            }
            references.insert(version, checked);
        }
        if let Some(m) = &raw.metadata {
            rules::check_metadata(m).map_err(|e| err(e.to_string()))?;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if raw.subject.trim().is_empty() {
            return Err(err("subject must not be empty".into()));
        }
        if let Some(old) = &raw.identity.kafka_key {
            return Err(err(format!(
                "{}[identity] kafka_key is no longer read\nhelp: say what the Kafka key is in [kafka]: key = \"producer\" (the key is the producer's id and must agree with the payload), \"uuid\" (a random UUID per record, naming no one) or \"none\"",
                place(old.span().start)
            )));
        }
        let kafka = match raw.kafka {
            None => None,
            Some(k) => {
                let key = match &k.key {
                    // Unsaid, the key is not taken to name anyone: no false IDENTITY_MISMATCH.
                    None => KafkaKey::None,
                    Some(name) => KafkaKey::from_name(name.get_ref()).ok_or_else(|| {
                        err(format!(
                            "{}[kafka] key = \"{}\" is not a key kind\nhelp: key is one of {} (\"producer\": the key is the producer's id; \"uuid\": a random UUID per record; \"none\": the key means nothing)",
                            place(name.span().start),
                            name.get_ref(),
                            KafkaKey::ALL.map(|k| format!("\"{}\"", k.name())).join(", ")
                        ))
                    })?,
                };
                Some(KafkaSpec {
                    topic: k.topic,
                    key,
                })
            }
        };
        let simulator = raw
            .simulator
            .map(|m| m.check(&text))
            .transpose()
            .map_err(|source| CatalogError::ReadingModel {
                path: path.to_path_buf(),
                source: Box::new(source),
            })?;
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
        let (contract_rules, metadata) =
            super::rule_history::newest_from_history(&schemas, contract_rules, raw.metadata)
                .map_err(|source| CatalogError::InContract {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?;
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
            kafka,
            identity: IdentitySpec {
                pointer: raw.identity.pointer,
                mqtt_topic_level: raw.identity.mqtt_topic_level,
            },
            simulator,
            valid: convert(raw.examples.valid, false)?,
            invalid: convert(raw.examples.invalid, true)?,
            rules: contract_rules,
            metadata,
            root: root.to_path_buf(),
            references,
        })
    }
}

/// A contract's newest schema version, compiled to check payloads.
pub struct NewestSchema {
    /// Its version number (`v3.json` → 3).
    pub version: u32,
    /// Its exact text.
    pub text: String,
    /// The payload validator, with the payload size limit asked for.
    pub validator: PayloadValidator,
}

impl Contract {
    /// The newest version of the contract's history, compiled; payloads above `max_payload`
    /// bytes are OVERSIZE.
    pub fn newest(&self, max_payload: usize) -> Result<NewestSchema, CatalogError> {
        let newest = self
            .history()?
            .pop()
            .ok_or_else(|| CatalogError::EmptyHistory {
                dir: self.schemas.clone(),
            })?;
        let validator = PayloadValidator::new(&newest.schema).map_err(|source| {
            CatalogError::DoesNotCompile {
                path: newest.path.clone(),
                source: Box::new(source),
            }
        })?;
        Ok(NewestSchema {
            version: newest.version,
            text: newest.text,
            validator: validator.with_max_bytes(max_payload),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Contract {
        crate::catalog::load_contract(Path::new("."), "generator").expect("the generator contract")
    }

    #[test]
    fn the_fleets_readings_validate_against_every_version() {
        let contract = generator();
        let history = crate::catalog::load_history(&contract.schemas).unwrap();
        assert!(history.len() >= 2);
        // FLEET.md's example reading, and the dip below zero before a refill (found by data
        // contract rules, never by the schema).
        let fleet: [&[u8]; 2] = [
            br#"{"generatorID": "generator1", "lat": 40.68066, "lon": -73.47429, "temperature": 36, "pressure": 500, "fuel": 400}"#,
            br#"{"generatorID": "generator2", "lat": 40.68066, "lon": -73.47429, "temperature": -10, "pressure": 100, "fuel": -9}"#,
        ];
        for file in &history {
            let v = PayloadValidator::new(&file.schema).unwrap();
            for payload in fleet {
                assert!(
                    v.check(payload).is_empty(),
                    "v{}: {:?}",
                    file.version,
                    v.check(payload)
                );
            }
            // v1 and v2 are open, so even the example with v3's fields is theirs to accept.
            for e in &contract.valid {
                assert!(
                    v.check(&e.payload).is_empty(),
                    "v{}: {}",
                    file.version,
                    e.name
                );
            }
        }
    }

    #[test]
    fn the_generator_contract_says_its_key_is_a_uuid_and_its_topic_is_one() {
        let contract = generator();
        assert_eq!(contract.kafka.as_ref().map(|k| k.key), Some(KafkaKey::Uuid));
        assert_eq!(
            contract.mqtt.as_ref().map(|m| m.topics.clone()),
            Some(vec!["emergency_generator".to_string()])
        );
        assert_eq!(contract.identity.mqtt_topic_level, None);
    }
}
