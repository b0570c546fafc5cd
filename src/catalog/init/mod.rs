//! `schemactl init`: adopting what a team already has as a contract and a schema history.
//!
//! Two sources: a registry subject's history ([`from_registry`]) and captured sample payloads
//! ([`from_samples`], for fleets that have had no schema, as MQTT fleets usually have not).
//! Either gives a [`Draft`]: the files to write, decided in full before anything is written,
//! so that [`Draft::check`] can refuse a conflict while the folder is still as it was.
//!
//! Naming: the contract's default name is the subject without its `-value` suffix
//! (TopicNameStrategy: `<topic>-value`), every character other than ASCII letters, digits,
//! `_`, `-` and `.` replaced by `_`. A `-key` subject keeps its suffix, so a topic's key and
//! value contracts do not collide.

mod infer;
mod reading;

pub use infer::infer;

use super::CatalogError;
use crate::compat::{Level, Policy, Schema};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why `init` refuses; always the input's fault.
#[derive(Debug, Error)]
pub enum InitError {
    /// A registered version is not a JSON Schema.
    #[error(
        "subject \"{subject}\" version {version} is a {schema_type} schema; schemactl governs JSON Schema only\nhelp: adopt a subject whose versions are all JSON Schemas"
    )]
    NotJsonSchema {
        /// The subject.
        subject: String,
        /// The registry's version number.
        version: i32,
        /// The type the registry gave.
        schema_type: String,
    },
    /// A registered JSON Schema the engine cannot read.
    #[error("subject \"{subject}\" version {version} cannot be read by schemactl: {message}")]
    UnreadableSchema {
        /// The subject.
        subject: String,
        /// The registry's version number.
        version: i32,
        /// What the engine said.
        message: Unreadable,
    },
    /// The subject has no versions.
    #[error("subject \"{0}\" has no versions to adopt")]
    NoVersions(String),
    /// A samples file holds no payload.
    #[error(
        "{0}: no samples (the file is empty)\nhelp: capture payloads one per line, e.g. `mosquitto_sub -h BROKER -t TOPIC -C 1000 > samples.jsonl`"
    )]
    EmptySamples(PathBuf),
    /// A sample line is not JSON.
    #[error("{path}:{line}: not JSON: {message}\nhelp: one JSON payload per line")]
    SampleNotJson {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The parser's words.
        message: String,
    },
    /// A sample line is JSON but not an object.
    #[error("{path}:{line}: a sample must be a JSON object, this is {found}")]
    SampleNotObject {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What it is instead (`an array`, `a string`, ...).
        found: &'static str,
    },
    /// The contract name cannot be a file name.
    #[error(
        "contract name \"{0}\" cannot be used: {1}\nhelp: pass --name NAME (letters, digits, `_`, `-`, `.`)"
    )]
    BadName(String, &'static str),
    /// Files `init` would overwrite.
    #[error("{}\nhelp: pass --force to overwrite, or choose another --name", exists(.0))]
    Exists(Vec<PathBuf>),
    /// Another contract already governs the subject.
    #[error(
        "{contract} already holds the contract for subject \"{subject}\"\nhelp: edit that contract, or remove it first; init does not write a second contract for one subject"
    )]
    SubjectTaken {
        /// The subject.
        subject: String,
        /// The contract file that has it.
        contract: PathBuf,
    },
    /// The history folder holds files that are not part of the history being written.
    #[error("{}: in {dir}, and not part of the history init writes (it would join the history)\nhelp: move these files away, or choose another --name", list(.files))]
    Stray {
        /// The history folder.
        dir: PathBuf,
        /// The files.
        files: Vec<PathBuf>,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// What was written does not load back (a bug in init, reported rather than hidden).
    #[error("the files init wrote do not load back: {0}")]
    Catalog(#[from] CatalogError),
}

impl crate::Classified for InitError {
    /// The exit code: `init` refuses only because of its input.
    fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

fn exists(paths: &[PathBuf]) -> String {
    match paths {
        [one] => format!("{} already exists", one.display()),
        many => format!("these files already exist: {}", list(many)),
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One version as the registry holds it.
#[derive(Clone, Debug)]
pub struct RegisteredVersion {
    /// The registry's version number.
    pub version: i32,
    /// The global schema id.
    pub id: i32,
    /// The schema type (`None` means AVRO, as the registry API has it).
    pub schema_type: Option<String>,
    /// The schema text as registered.
    pub text: String,
    /// Its `metadata`, as the registry returns it.
    pub metadata: Option<Value>,
    /// Its `ruleSet`, as the registry returns it.
    pub rule_set: Option<Value>,
}

/// What the registry says about a subject, as `init --from-registry` adopts it.
#[derive(Clone, Debug)]
pub struct RegistrySubject {
    /// The subject.
    pub subject: String,
    /// The registry's URL (without credentials), for the contract's comment.
    pub url: String,
    /// Every live version, oldest first.
    pub versions: Vec<RegisteredVersion>,
    /// The level the registry applies to the subject.
    pub level: Level,
    /// Whether the level is the subject's own (`false`: the global default).
    pub level_is_subjects: bool,
    /// The policy the registry reports (`compatibilityPolicy`), if any.
    pub policy: Option<Policy>,
}

/// A file `init` writes.
#[derive(Clone, Debug, Serialize)]
pub struct DraftFile {
    /// Where, relative to the project root.
    pub path: PathBuf,
    /// The content.
    #[serde(skip)]
    pub text: String,
    /// Where it came from (`version 1, id 7`; `contract`).
    pub from: String,
}

/// The identity pointer `init` guessed.
#[derive(Clone, Debug, Serialize)]
pub struct IdentityGuess {
    /// The JSON pointer (`/generatorID`).
    pub pointer: String,
    /// Why this one.
    pub reason: String,
}

/// Everything `init` will write, decided before anything is.
#[derive(Clone, Debug, Serialize)]
pub struct Draft {
    /// The contract's name.
    pub name: String,
    /// The subject the contract names.
    pub subject: String,
    /// The level written.
    pub level: Level,
    /// The policy written.
    pub policy: Policy,
    /// Where the level came from.
    pub level_source: String,
    /// Where the policy came from.
    pub policy_source: String,
    /// The Kafka topic, when the subject follows TopicNameStrategy for values.
    pub kafka_topic: Option<String>,
    /// The identity pointer guessed, if any.
    pub identity: Option<IdentityGuess>,
    /// How many example payloads the contract carries.
    pub examples: usize,
    /// The schema versions, oldest first, then the contract.
    pub files: Vec<DraftFile>,
}

/// The contract name for a subject when `--name` is not given (see the module docs).
pub fn default_name(subject: &str) -> String {
    let stem = subject.strip_suffix("-value").unwrap_or(subject);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Refuses names that are not plain file stems.
pub fn check_name(name: &str) -> Result<(), InitError> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('.') {
        Some("it starts with `.`")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Some("only ASCII letters, digits, `_`, `-` and `.` may be used")
    } else {
        None
    };
    match why {
        Some(why) => Err(InitError::BadName(name.to_string(), why)),
        None => Ok(()),
    }
}

/// The Kafka topic of a value subject under TopicNameStrategy (`<topic>-value`).
fn value_topic(subject: &str) -> Option<&str> {
    subject.strip_suffix("-value").filter(|t| !t.is_empty())
}

/// Whether a property name reads as an identifier: `id`, `generatorID`, `deviceId`,
/// `device_id` (but not `valid` or `paid`).
fn id_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id"
        || name.ends_with("ID")
        || name.ends_with("Id")
        || lower.ends_with("_id")
        || lower.ends_with("-id")
}

/// Words that name a message rather than its producer (`messageId`, `event_id`).
fn names_a_message(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "message",
        "msg",
        "event",
        "record",
        "trace",
        "request",
        "correlation",
        "span",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Guesses the payload field naming the producer: a top-level string property named like an
/// identifier; one that names a message (`messageId`) last, required ones before optional ones.
pub fn guess_identity(schema: &Value) -> Option<IdentityGuess> {
    let properties = schema.get("properties")?.as_object()?;
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let is_string = |s: &Value| match s.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    let (name, _) = properties
        .iter()
        .filter(|(name, s)| id_like(name) && is_string(s))
        .min_by_key(|(name, _)| (names_a_message(name), !required.contains(&name.as_str())))?;
    let required = required.contains(&name.as_str());
    Some(IdentityGuess {
        pointer: format!("/{}", name.replace('~', "~0").replace('/', "~1")),
        reason: format!(
            "`{name}` is {} string property named like an id",
            if required {
                "a required"
            } else {
                "an optional"
            }
        ),
    })
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The schema text written to `vN.json`: the registered document, keys in their registered
/// order, indented for people (a registry compares the parsed document, not its whitespace).
fn schema_text(doc: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(doc).unwrap_or_else(|_| doc.to_string())
    )
}

/// Why a registered schema text is not one the catalog could read.
#[derive(Debug, Error)]
pub enum Unreadable {
    /// Not JSON.
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// JSON, but not a JSON Schema the engine reads.
    #[error(transparent)]
    Schema(crate::compat::SchemaError),
    /// Its rule set or metadata is not one a contract could hold.
    #[error("its rule set: {0}")]
    RuleSet(CatalogError),
}

/// Parses and checks one schema text as the catalog would read it.
fn readable(text: &str) -> Result<Value, Unreadable> {
    let doc: Value = serde_json::from_str(text).map_err(Unreadable::NotJson)?;
    Schema::parse(doc.clone()).map_err(Unreadable::Schema)?;
    Ok(doc)
}

/// The parts of a contract both sources write.
struct ContractText<'a> {
    header: Vec<String>,
    description: Option<&'a str>,
    subject: &'a str,
    subject_note: Option<String>,
    name: &'a str,
    level: Level,
    policy: Policy,
    level_note: Vec<String>,
    mqtt: Option<String>,
    identity: &'a Option<IdentityGuess>,
    /// The `[simulator]` section, or why there is none.
    simulator: Result<String, reading::NoDraft>,
    examples: Vec<(String, String)>,
}

impl ContractText<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        for h in &self.header {
            line(&format!("# {h}"));
        }
        if let Some(d) = self.description {
            line(&format!("description = {}", quoted(d)));
        }
        if let Some(note) = &self.subject_note {
            line(&format!("# {note}"));
        }
        line(&format!("subject = {}", quoted(self.subject)));
        line(&format!(
            "schemas = {}   # v1.json, v2.json, ... oldest first",
            quoted(&format!("schemas/{}", self.name))
        ));
        for n in &self.level_note {
            line(&format!("# {n}"));
        }
        line(&format!("level = {}", quoted(self.level.name())));
        line(&format!("policy = {}", quoted(self.policy.name())));
        line("");
        match &self.mqtt {
            Some(section) => line(section),
            None => {
                line("# MQTT: add the topic filters the fleet publishes on, e.g.");
                line("# [mqtt]");
                line("# topics = [\"fleet/+/telemetry\"]");
            }
        }
        line("");
        match value_topic(self.subject) {
            Some(topic) => {
                line("[kafka]");
                line(&format!(
                    "topic = {}   # TopicNameStrategy: the subject is <topic>-value",
                    quoted(topic)
                ));
                line("# What the record key holds is not known to init. \"none\" claims nothing;");
                line(
                    "# say \"producer\" if the key is the producer's id (the audit then checks it),",
                );
                line("# or \"uuid\" if every record gets a fresh random UUID.");
                line("key = \"none\"");
            }
            None if self.subject.ends_with("-key") => {
                line(
                    "# Kafka: this subject holds a topic's record keys (<topic>-key); the audit checks",
                );
                line("# record values, so no [kafka] section is written.");
            }
            None => {
                line(
                    "# Kafka: the subject does not follow TopicNameStrategy (<topic>-value), so the",
                );
                line("# topic is not known; add it if the fleet writes to Kafka:");
                line("# [kafka]");
                line("# topic = \"...\"");
                line(
                    "# key = \"none\"      # or \"producer\" (the key is the producer's id), \"uuid\"",
                );
            }
        }
        line("");
        line("[identity]");
        match self.identity {
            Some(guess) => {
                line(&format!("# A guess by schemactl init: {}.", guess.reason));
                line(
                    "# Check that it names the producer (the audit attributes every finding to it);",
                );
                line("# remove it if not.");
                line(&format!("pointer = {}", quoted(&guess.pointer)));
            }
            None => {
                line(
                    "# No property looks like a producer id (a string named like `deviceId`, `device_id`).",
                );
                line(
                    "# Point at the field naming the producer, so the audit can say who sent a bad payload:",
                );
                line("# pointer = \"/deviceId\"");
            }
        }
        line("");
        match &self.simulator {
            Ok(section) => {
                line(
                    "# The reading model `simulate` and `test` use, drafted from the samples: numbers are",
                );
                line(
                    "# drawn in the range seen; make one a `walk` or a `counter` where it moves that way.",
                );
                for l in section.lines() {
                    line(l);
                }
            }
            Err(why) => {
                line(&format!("# No [simulator] reading model: {why}."));
                line("# With one, `schemactl simulate` produces this fleet's readings and");
                line("# `schemactl test` checks a sample of them:");
                line("# [simulator]");
                line("# producer_id = \"device{n}\"");
                line("# [[simulator.fields]]");
                line("# name = \"deviceId\"");
                line("# kind = \"id\"");
            }
        }
        line("");
        if self.examples.is_empty() {
            line("# No examples yet: `schemactl test` checks them against the newest version. Add");
            line(
                "# payloads that must pass, and ones that must fail with the violation they must get:",
            );
            line("# [[examples.valid]]");
            line("# name = \"a normal reading\"");
            line("# payload = { deviceId = \"d1\", value = 1.5 }");
        } else {
            line(
                "# Samples init was given; `schemactl test` checks them against the newest version.",
            );
            for (name, raw) in &self.examples {
                line("[[examples.valid]]");
                line(&format!("name = {}", quoted(name)));
                line(&format!("raw = {}", quoted(raw)));
                line("");
            }
            line("# Add payloads that must fail, with the violation they must get:");
        }
        line("# [[examples.invalid]]");
        line("# name = \"value sent as a string\"");
        line("# payload = { deviceId = \"d1\", value = \"1.5\" }");
        line(
            "# violation = { kind = \"SCHEMA_VIOLATION\", pointer = \"/value\", keyword = \"type\" }",
        );
        out
    }
}

/// The draft for a registry subject's history: every version, oldest first, and a contract at
/// the registry's level and policy.
pub fn from_registry(source: &RegistrySubject, name: Option<&str>) -> Result<Draft, InitError> {
    let subject = &source.subject;
    if source.versions.is_empty() {
        return Err(InitError::NoVersions(subject.clone()));
    }
    if let Some(other) = source.versions.iter().find(|v| {
        !v.schema_type
            .as_deref()
            .unwrap_or("AVRO")
            .eq_ignore_ascii_case("JSON")
    }) {
        return Err(InitError::NotJsonSchema {
            subject: subject.clone(),
            version: other.version,
            schema_type: other.schema_type.clone().unwrap_or_else(|| "AVRO".into()),
        });
    }
    let name = name.map_or_else(|| default_name(subject), str::to_string);
    check_name(&name)?;
    let mut files = Vec::new();
    let mut newest = Value::Null;
    let mut with_rules = 0;
    for (i, v) in source.versions.iter().enumerate() {
        let doc = readable(&v.text).map_err(|message| InitError::UnreadableSchema {
            subject: subject.clone(),
            version: v.version,
            message,
        })?;
        files.push(DraftFile {
            path: PathBuf::from(format!("schemas/{name}/v{}.json", i + 1)),
            text: schema_text(&doc),
            from: format!("version {}, id {}", v.version, v.id),
        });
        // Each version's rule set and metadata beside it, as the registry holds them (rule
        // types schemactl does not run included); the newest one's stands in for [[rules]].
        let own = super::VersionRules {
            version: (i + 1) as u32,
            source: None,
            metadata: v.metadata.clone(),
            rule_set: v.rule_set.clone(),
        };
        if !own.is_empty() {
            let path = PathBuf::from(format!("schemas/{name}/v{}.rules.json", i + 1));
            let text = own.file_text();
            super::rule_history::parse_rules_text(&path, &text, own.version).map_err(|e| {
                InitError::UnreadableSchema {
                    subject: subject.clone(),
                    version: v.version,
                    message: Unreadable::RuleSet(e),
                }
            })?;
            files.push(DraftFile {
                path,
                text,
                from: format!("version {}'s rule set and metadata", v.version),
            });
            with_rules += 1;
        }
        newest = doc;
    }
    let identity = guess_identity(&newest);
    let policy = source.policy.unwrap_or(Policy::Strict);
    let level_source = if source.level_is_subjects {
        "the subject's own level in the registry"
    } else {
        "the registry's global level; the subject has none of its own"
    }
    .to_string();
    let policy_source = if source.policy.is_some() {
        "the registry's compatibilityPolicy for the subject"
    } else {
        "the registry reports none, and Confluent's registries judge JSON Schemas strictly"
    }
    .to_string();
    let numbers: Vec<String> = source
        .versions
        .iter()
        .map(|v| format!("{} (id {})", v.version, v.id))
        .collect();
    let contract = ContractText {
        header: vec![
            format!(
                "Adopted by `schemactl init --from-registry {subject}` from {}.",
                source.url
            ),
            format!(
                "schemas/{name}/v1.json... hold its versions {}, oldest first,",
                numbers.join(", ")
            ),
            "as registered (indented; keys in their registered order).".into(),
        ]
        .into_iter()
        .chain((with_rules > 0).then(|| {
            format!(
                "{with_rules} version(s) carry data-contract rules or metadata, kept as registered in schemas/{name}/vN.rules.json; the newest one's are this contract's rules (move them into [[rules]] and delete that file to edit them here)."
            )
        }))
        .collect(),
        description: newest.get("description").and_then(Value::as_str),
        subject,
        subject_note: None,
        name: &name,
        level: source.level,
        policy,
        level_note: vec![
            format!("level: {level_source};"),
            format!("policy: {policy_source}."),
        ],
        mqtt: None,
        identity: &identity,
        simulator: Err(reading::NoDraft::NoReadings),
        examples: vec![],
    }
    .render();
    files.push(DraftFile {
        path: PathBuf::from(format!("contracts/{name}.toml")),
        text: contract,
        from: "contract".into(),
    });
    Ok(Draft {
        name,
        subject: subject.clone(),
        level: source.level,
        policy,
        level_source,
        policy_source,
        kafka_topic: value_topic(subject).map(str::to_string),
        identity,
        examples: 0,
        files,
    })
}

/// One payload read from a samples file.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The line as captured.
    pub raw: String,
    /// The parsed object.
    pub value: Value,
}

/// Reads JSON lines (blank lines skipped); every line must be a JSON object, and the file must
/// hold at least one.
pub fn read_samples(path: &Path) -> Result<Vec<Sample>, InitError> {
    let text = std::fs::read_to_string(path).map_err(|source| InitError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut samples = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(raw).map_err(|e| InitError::SampleNotJson {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        let found = match &value {
            Value::Object(_) => None,
            Value::Array(_) => Some("an array"),
            Value::String(_) => Some("a string"),
            Value::Number(_) => Some("a number"),
            Value::Bool(_) => Some("a boolean"),
            Value::Null => Some("null"),
        };
        if let Some(found) = found {
            return Err(InitError::SampleNotObject {
                path: path.to_path_buf(),
                line: i + 1,
                found,
            });
        }
        samples.push(Sample {
            path: path.to_path_buf(),
            line: i + 1,
            raw: raw.to_string(),
            value,
        });
    }
    if samples.is_empty() {
        return Err(InitError::EmptySamples(path.to_path_buf()));
    }
    Ok(samples)
}

/// How many samples become the contract's valid examples, at most.
const EXAMPLES: usize = 3;

/// The draft for a fleet with no schema yet: a draft-07 v1 inferred from `samples` (see
/// [`infer`]) and a contract, at Confluent's default level (BACKWARD, strict).
pub fn from_samples(
    samples: &[Sample],
    files: &[PathBuf],
    name: &str,
    subject: Option<&str>,
) -> Result<Draft, InitError> {
    check_name(name)?;
    let subject_given = subject.is_some();
    let subject = subject.map_or_else(|| format!("{name}-value"), str::to_string);
    let sources = list(files);
    let schema = infer(
        name,
        &format!(
            "Inferred by schemactl init from {} sample(s) in {sources}",
            samples.len()
        ),
        samples.iter().map(|s| &s.value),
    );
    let identity = guess_identity(&schema);
    // Examples: the first sample, then each one whose top-level fields differ from those taken.
    let mut examples: Vec<&Sample> = Vec::new();
    let keys = |s: &Sample| -> Vec<String> {
        s.value
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    for s in samples {
        if examples.len() == EXAMPLES {
            break;
        }
        if examples.iter().all(|e| keys(e) != keys(s)) {
            examples.push(s);
        }
    }
    let examples: Vec<(String, String)> = examples
        .iter()
        .map(|s| {
            (
                format!("sample {}:{}", s.path.display(), s.line),
                s.raw.clone(),
            )
        })
        .collect();
    let level_source = "Confluent's default; no registry was asked".to_string();
    let policy_source = level_source.clone();
    let kafka_topic = value_topic(&subject).map(str::to_string);
    // The identity field, when it is a top-level one.
    let id_field = identity
        .as_ref()
        .and_then(|g| g.pointer.strip_prefix('/'))
        .filter(|f| !f.contains(['/', '~']));
    let values: Vec<&Value> = samples.iter().map(|s| &s.value).collect();
    let simulator = reading::draft(&values, id_field);
    let contract = ContractText {
        header: vec![
            format!(
                "Drafted by `schemactl init --from-samples` from {} sample(s) in {sources}.",
                samples.len()
            ),
            format!("schemas/{name}/v1.json accepts every sample: inferred types, required = the"),
            "fields every sample carried, an open content model (no additionalProperties).".into(),
            "Tighten it as you learn, before it is registered.".into(),
        ],
        description: None,
        subject: &subject,
        subject_note: (!subject_given).then(|| {
            "The subject, and so the Kafka topic below, default to <name>-value (--subject chooses)."
                .to_string()
        }),
        name,
        level: Level::Backward,
        policy: Policy::Strict,
        level_note: vec![
            "Confluent's default level and policy. Under the strict policy, adding even an optional".into(),
            "property to an open content model is PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, which breaks".into(),
            "compatibility; `policy = \"lenient\"`, or closing v1 (additionalProperties: false) before it".into(),
            "is registered, lets later versions add optional properties.".into(),
        ],
        mqtt: None,
        identity: &identity,
        simulator,
        examples: examples.clone(),
    }
    .render();
    Ok(Draft {
        name: name.to_string(),
        subject,
        level: Level::Backward,
        policy: Policy::Strict,
        level_source,
        policy_source,
        kafka_topic,
        identity,
        examples: examples.len(),
        files: vec![
            DraftFile {
                path: PathBuf::from(format!("schemas/{name}/v1.json")),
                text: schema_text(&schema),
                from: format!("{} sample(s)", samples.len()),
            },
            DraftFile {
                path: PathBuf::from(format!("contracts/{name}.toml")),
                text: contract,
                from: "contract".into(),
            },
        ],
    })
}

/// `path` under `root`, as the user wrote the root (`.` stays out of the way).
fn under(root: &Path, path: &Path) -> PathBuf {
    if root == Path::new(".") {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

impl Draft {
    /// Refuses to go on when writing would overwrite a file (unless `force`), leave foreign
    /// files in the history folder, or give a subject a second contract. Reads only.
    pub fn check(&self, root: &Path, force: bool) -> Result<(), InitError> {
        let contract_file = format!("{}.toml", self.name);
        let contracts = under(root, Path::new("contracts"));
        if let Ok(entries) = std::fs::read_dir(&contracts) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter(|p| p.file_name().is_none_or(|n| *n != *contract_file))
                .collect();
            paths.sort();
            for path in paths {
                // Only the subject matters here; a contract that does not parse is another
                // command's finding.
                let subject = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
                    .and_then(|t| {
                        t.get("subject")
                            .and_then(|s| s.as_str().map(str::to_string))
                    });
                if subject.as_deref() == Some(self.subject.as_str()) {
                    return Err(InitError::SubjectTaken {
                        subject: self.subject.clone(),
                        contract: path,
                    });
                }
            }
        }
        let history = under(root, &PathBuf::from(format!("schemas/{}", self.name)));
        if let Ok(entries) = std::fs::read_dir(&history) {
            let ours: Vec<PathBuf> = self.files.iter().map(|f| under(root, &f.path)).collect();
            let mut stray: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| !ours.contains(p))
                .collect();
            stray.sort();
            if !stray.is_empty() {
                return Err(InitError::Stray {
                    dir: history,
                    files: stray,
                });
            }
        }
        let existing: Vec<PathBuf> = self
            .files
            .iter()
            .map(|f| under(root, &f.path))
            .filter(|p| p.exists())
            .collect();
        if !existing.is_empty() && !force {
            return Err(InitError::Exists(existing));
        }
        Ok(())
    }

    /// Writes the files (schemas first, then the contract that points at them) and loads the
    /// result back as `test` will.
    pub fn write(&self, root: &Path) -> Result<Vec<PathBuf>, InitError> {
        let mut written = Vec::new();
        for file in &self.files {
            let path = under(root, &file.path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| InitError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, &file.text).map_err(|source| InitError::Write {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
        let contract = super::load_contract(root, &self.name)?;
        super::load_history(&contract.schemas)?;
        super::rule_history::load_rule_files(&contract.schemas)?;
        Ok(written)
    }
}

/// What `init` wrote: the `--format json` document of `schemactl init`.
#[derive(Clone, Debug, Serialize)]
pub struct Adopted {
    /// `registry` or `samples`.
    pub source: &'static str,
    /// The contract's name.
    pub name: String,
    /// The subject the contract names.
    pub subject: String,
    /// The level written.
    pub level: Level,
    /// The policy written.
    pub policy: &'static str,
    /// Where the level came from.
    pub level_source: String,
    /// Where the policy came from.
    pub policy_source: String,
    /// The Kafka topic, when the subject follows TopicNameStrategy for values.
    pub kafka_topic: Option<String>,
    /// The identity pointer guessed, if any.
    pub identity_guess: Option<IdentityGuess>,
    /// How many example payloads the contract carries.
    pub examples: usize,
    /// The files written, schemas first, then the contract.
    pub files: Vec<WrittenFile>,
}

/// One file `init` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct WrittenFile {
    /// Where.
    pub file: String,
    /// Where it came from (`version 1, id 7`; `contract`).
    pub from: String,
    /// `written`, or `overwritten` (with `--force`).
    pub action: &'static str,
}

impl Draft {
    /// The whole of `init` once drafted: checks the draft under `root` (nothing is overwritten
    /// without `force`), writes it, and says what was written; `source` names where the draft
    /// came from (`registry`, `samples`).
    pub fn adopt(
        &self,
        root: &Path,
        force: bool,
        source: &'static str,
    ) -> Result<Adopted, InitError> {
        let existed: Vec<bool> = self
            .files
            .iter()
            .map(|f| root.join(&f.path).exists())
            .collect();
        self.check(root, force)?;
        let written = self.write(root)?;
        Ok(Adopted {
            source,
            name: self.name.clone(),
            subject: self.subject.clone(),
            level: self.level,
            policy: self.policy.name(),
            level_source: self.level_source.clone(),
            policy_source: self.policy_source.clone(),
            kafka_topic: self.kafka_topic.clone(),
            identity_guess: self.identity.clone(),
            examples: self.examples,
            files: self
                .files
                .iter()
                .zip(written)
                .zip(existed)
                .map(|((f, path), existed)| WrittenFile {
                    file: path.display().to_string(),
                    from: f.from.clone(),
                    action: if existed { "overwritten" } else { "written" },
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fleet_v1() -> String {
        // FLEET.md's schema_str, as the producer registers it.
        r#"{
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Generator",
    "description": "A fuel engines health data",
    "type": "object",
    "properties": {
        "generatorID": {"description": "UniqueID of generator", "type": "string"},
        "lat": {"description": "latitude", "type": "number"},
        "lon": {"description": "longitude", "type": "number"},
        "temperature": {"description": "temperature", "type": "number"},
        "pressure": {"description": "pressure", "type": "number"},
        "fuel": {"description": "fuel", "type": "number"}
    },
    "required": [ "generatorID", "lat", "lon", "temperature", "pressure", "fuel" ]
}"#
        .into()
    }

    fn subject(versions: Vec<RegisteredVersion>) -> RegistrySubject {
        RegistrySubject {
            subject: "emergency_generator-value".into(),
            url: "http://127.0.0.1:1".into(),
            versions,
            level: Level::Full,
            level_is_subjects: false,
            policy: None,
        }
    }

    fn json_version(version: i32, text: String) -> RegisteredVersion {
        RegisteredVersion {
            version,
            id: version + 10,
            schema_type: Some("JSON".into()),
            text,
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn default_names_drop_the_value_suffix_and_keep_the_key_suffix() {
        assert_eq!(
            default_name("emergency_generator-value"),
            "emergency_generator"
        );
        assert_eq!(
            default_name("emergency_generator-key"),
            "emergency_generator-key"
        );
        assert_eq!(
            default_name("com.acme/Reading value"),
            "com.acme_Reading_value"
        );
        assert!(check_name(&default_name("a/b")).is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("../x").is_err());
        assert!(check_name(".hidden").is_err());
    }

    #[test]
    fn identity_guess_prefers_required_producer_ids() {
        let schema = json!({
            "properties": {
                "messageId": {"type": "string"},
                "valid": {"type": "string"},
                "seq_id": {"type": "integer"},
                "deviceId": {"type": "string"},
                "siteId": {"type": ["string", "null"]},
            },
            "required": ["messageId", "deviceId"],
        });
        let guess = guess_identity(&schema).expect("a guess");
        assert_eq!(guess.pointer, "/deviceId");
        assert!(guess.reason.contains("required"), "{}", guess.reason);
        assert!(guess_identity(&json!({"properties": {"valid": {"type": "string"}}})).is_none());
        let slash = json!({"properties": {"a/b_id": {"type": "string"}}});
        assert_eq!(guess_identity(&slash).unwrap().pointer, "/a~1b_id");
    }

    #[test]
    fn a_non_json_version_is_refused_naming_version_and_type() {
        let avro = RegisteredVersion {
            version: 2,
            id: 5,
            schema_type: None,
            text: r#"{"type":"record","name":"R","fields":[]}"#.into(),
            metadata: None,
            rule_set: None,
        };
        let err =
            from_registry(&subject(vec![json_version(1, fleet_v1()), avro]), None).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, InitError::NotJsonSchema { version: 2, .. }),
            "{text}"
        );
        assert!(text.contains("version 2 is a AVRO schema"), "{text}");
        let proto = RegisteredVersion {
            schema_type: Some("PROTOBUF".into()),
            ..json_version(1, "syntax = \"proto3\";".into())
        };
        let text = from_registry(&subject(vec![proto]), None)
            .unwrap_err()
            .to_string();
        assert!(text.contains("version 1 is a PROTOBUF schema"), "{text}");
    }

    #[test]
    fn the_fleets_subject_gives_its_schema_level_topic_and_identity() {
        let draft = from_registry(&subject(vec![json_version(1, fleet_v1())]), None).unwrap();
        assert_eq!(draft.name, "emergency_generator");
        assert_eq!(draft.kafka_topic.as_deref(), Some("emergency_generator"));
        assert_eq!(draft.identity.as_ref().unwrap().pointer, "/generatorID");
        let v1 = &draft.files[0];
        assert_eq!(
            v1.path,
            PathBuf::from("schemas/emergency_generator/v1.json")
        );
        let written: Value = serde_json::from_str(&v1.text).unwrap();
        let registered: Value = serde_json::from_str(&fleet_v1()).unwrap();
        // The same document with its keys in the registered order.
        assert_eq!(written.to_string(), registered.to_string());
        let contract = &draft.files[1].text;
        assert!(contract.contains("level = \"FULL\""), "{contract}");
        assert!(contract.contains("policy = \"strict\""), "{contract}");
        assert!(contract.contains("global level"), "{contract}");
        assert!(
            contract.contains("topic = \"emergency_generator\""),
            "{contract}"
        );
        assert!(contract.contains("A guess by schemactl init"), "{contract}");
        assert!(contract.contains("# No examples yet"), "{contract}");
    }

    #[test]
    fn key_subjects_and_other_naming_strategies_get_no_kafka_topic() {
        for (name, comment) in [
            ("emergency_generator-key", "holds a topic's record keys"),
            (
                "com.acme.GeneratorReading",
                "does not follow TopicNameStrategy",
            ),
        ] {
            let source = RegistrySubject {
                subject: name.into(),
                ..subject(vec![json_version(1, fleet_v1())])
            };
            let draft = from_registry(&source, None).unwrap();
            assert_eq!(draft.kafka_topic, None, "{name}");
            let dir = tempfile::tempdir().unwrap();
            draft.write(dir.path()).unwrap();
            let contract = crate::catalog::load_contract(dir.path(), &draft.name).unwrap();
            assert!(contract.kafka.is_none(), "{name}");
            assert!(
                draft.files[1].text.contains(comment),
                "{name}: {}",
                draft.files[1].text
            );
        }
    }

    #[test]
    fn an_unreadable_registered_schema_names_its_version() {
        let err = from_registry(&subject(vec![json_version(3, "{".into())]), None).unwrap_err();
        assert!(
            err.to_string().contains("version 3 cannot be read"),
            "{err}"
        );
    }

    #[test]
    fn drafts_load_back_as_contracts_and_histories() {
        let dir = tempfile::tempdir().unwrap();
        let samples_file = dir.path().join("samples.jsonl");
        std::fs::write(
            &samples_file,
            "{\"id\": \"a\", \"v\": 1}\n\n{\"id\": \"b\", \"v\": 2.5, \"note\": \"it's \\\"quoted\\\"\"}\n",
        )
        .unwrap();
        let samples = read_samples(&samples_file).unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[1].line, 3);
        let draft = from_samples(&samples, &[samples_file], "pumps", None).unwrap();
        draft.check(dir.path(), false).unwrap();
        draft.write(dir.path()).unwrap();
        let contract = crate::catalog::load_contract(dir.path(), "pumps").unwrap();
        assert_eq!(contract.subject, "pumps-value");
        assert_eq!(contract.identity.pointer.as_deref(), Some("/id"));
        assert_eq!(contract.valid.len(), 2);
        assert_eq!(
            contract.valid[1].payload,
            br#"{"id": "b", "v": 2.5, "note": "it's \"quoted\""}"#
        );
        // A second run refuses, naming both files, and changes nothing.
        let err = draft.check(dir.path(), false).unwrap_err().to_string();
        assert!(
            err.contains("pumps.toml") && err.contains("v1.json"),
            "{err}"
        );
        draft.check(dir.path(), true).unwrap();

        let registry = from_registry(&subject(vec![json_version(1, fleet_v1())]), None).unwrap();
        registry.check(dir.path(), false).unwrap();
        registry.write(dir.path()).unwrap();
        let adopted = crate::catalog::load_contract(dir.path(), "emergency_generator").unwrap();
        assert_eq!(adopted.level, Level::Full);
        assert_eq!(adopted.kafka.unwrap().topic, "emergency_generator");
    }

    #[test]
    fn samples_that_are_not_objects_or_not_json_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.jsonl");
        std::fs::write(&file, "{\"a\": 1}\n[1, 2]\n").unwrap();
        let err = read_samples(&file).unwrap_err().to_string();
        assert!(
            err.contains("s.jsonl:2: a sample must be a JSON object, this is an array"),
            "{err}"
        );
        std::fs::write(&file, "{\"a\": 1}\n{\"a\": \n").unwrap();
        let err = read_samples(&file).unwrap_err().to_string();
        assert!(err.contains("s.jsonl:2: not JSON"), "{err}");
        std::fs::write(&file, "\n  \n").unwrap();
        let err = read_samples(&file).unwrap_err().to_string();
        assert!(err.contains("no samples"), "{err}");
    }

    #[test]
    fn a_second_contract_for_one_subject_and_stray_history_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
        std::fs::write(
            dir.path().join("contracts/generator.toml"),
            "subject = \"emergency_generator-value\"\nschemas = \"schemas/generator\"\n",
        )
        .unwrap();
        let draft = from_registry(&subject(vec![json_version(1, fleet_v1())]), None).unwrap();
        let err = draft.check(dir.path(), true).unwrap_err().to_string();
        assert!(
            err.contains("contracts/generator.toml already holds the contract"),
            "{err}"
        );

        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("schemas/emergency_generator")).unwrap();
        std::fs::write(
            other.path().join("schemas/emergency_generator/v2.json"),
            "{}",
        )
        .unwrap();
        let err = draft.check(other.path(), true).unwrap_err().to_string();
        assert!(
            err.contains("v2.json") && err.contains("not part of the history"),
            "{err}"
        );
    }
}
