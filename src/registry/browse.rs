//! Reading what a registry holds, the use cases behind `schemactl subjects` (every subject with
//! its versions, ids and level) and `schemactl show` (one version whole).

use super::model::{SchemaReference, VersionRef};
use super::{LevelSource, RegistryClient, RegistryError};
use crate::compat::Level;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::Value;

/// How many subjects are read at once (each reads its versions a few at a time).
const SUBJECTS_AT_ONCE: usize = 4;

/// A version's number and global id.
#[derive(Debug, Serialize)]
pub struct VersionId {
    /// The version within the subject.
    pub version: i32,
    /// The global schema id.
    pub id: i32,
}

/// One subject of the listing.
#[derive(Debug, Serialize)]
pub struct SubjectRow {
    /// The subject.
    pub subject: String,
    /// The level that applies to it.
    pub level: Level,
    /// `subject` when the subject has its own level, `global` when it falls back.
    pub level_source: LevelSource,
    /// Its live versions, oldest first.
    pub versions: Vec<VersionId>,
}

/// The registry's subjects: the `--format json` document of `schemactl subjects`.
#[derive(Debug, Serialize)]
pub struct Subjects {
    /// The registry's URL.
    pub registry: String,
    /// The global level.
    pub global_level: Level,
    /// The subjects, sorted by name.
    pub subjects: Vec<SubjectRow>,
}

impl SubjectRow {
    /// Whether the subject falls back to the global level.
    pub fn is_global(&self) -> bool {
        self.level_source == LevelSource::Global
    }
}

async fn row(
    client: &RegistryClient,
    subject: String,
    global: Level,
) -> Result<SubjectRow, RegistryError> {
    let own = client.subject_level(&subject).await?;
    let numbers = client.versions(&subject).await?;
    let versions = client
        .versions_of(&subject, &numbers)
        .await?
        .into_iter()
        .map(|v| VersionId {
            version: v.version,
            id: v.id,
        })
        .collect();
    Ok(SubjectRow {
        level: own.unwrap_or(global),
        level_source: if own.is_some() {
            LevelSource::Subject
        } else {
            LevelSource::Global
        },
        subject,
        versions,
    })
}

/// Every live subject whose name starts with `prefix` (all without one), sorted by name.
pub async fn subjects(
    client: &RegistryClient,
    prefix: Option<&str>,
) -> Result<Subjects, RegistryError> {
    let global = client.global_level().await?;
    let mut names = client.subjects().await?;
    if let Some(prefix) = prefix {
        names.retain(|s| s.starts_with(prefix));
    }
    names.sort();
    let subjects: Vec<SubjectRow> = stream::iter(names)
        .map(|s| row(client, s, global))
        .buffered(SUBJECTS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(Subjects {
        registry: client.url().to_string(),
        global_level: global,
        subjects,
    })
}

/// One registered version: the `--format json` document of `schemactl show`.
#[derive(Debug, Serialize)]
pub struct Shown {
    /// The registry's URL.
    pub registry: String,
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The global schema id.
    pub id: i32,
    /// The schema type (AVRO when the registry names none, as its API has it).
    #[serde(rename = "schemaType")]
    pub schema_type: String,
    /// The schemas its `$ref`s point into.
    pub references: Vec<SchemaReference>,
    /// Its metadata, as the registry holds it.
    pub metadata: Option<Value>,
    /// Its rule set, as the registry holds it.
    #[serde(rename = "ruleSet")]
    pub rule_set: Option<Value>,
    /// The schema: JSON when it is JSON, else its text.
    pub schema: Value,
    /// The schema text as registered.
    #[serde(skip)]
    pub text: String,
    /// Whether `latest` was asked for.
    #[serde(skip)]
    pub latest: bool,
}

/// One rule of a registered rule set, as a person reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleLine {
    /// `name (TYPE MODE): expr`.
    pub text: String,
    /// Whether schemactl evaluates it (CEL conditions it knows).
    pub evaluated: bool,
}

impl Shown {
    /// Reads version `version` of `subject`, `metadata` and `ruleSet` included.
    pub async fn read(
        client: &RegistryClient,
        subject: &str,
        version: VersionRef,
    ) -> Result<Shown, RegistryError> {
        let found = client.version_with_rules(subject, version).await?;
        let schema = serde_json::from_str::<Value>(&found.schema)
            .unwrap_or_else(|_| Value::String(found.schema.clone()));
        Ok(Shown {
            registry: client.url().to_string(),
            subject: found.subject,
            version: found.version,
            id: found.id,
            schema_type: found.schema_type.unwrap_or_else(|| "AVRO".into()),
            references: found.references,
            metadata: found.metadata,
            rule_set: found.rule_set,
            schema,
            text: found.schema,
            latest: version == VersionRef::Latest,
        })
    }

    /// One line per rule of the rule set: name, type, mode, expression, and whether schemactl
    /// evaluates it. Rules are kept as the registry holds them, whatever their type.
    pub fn rule_lines(&self) -> Vec<RuleLine> {
        let Some(set) = &self.rule_set else {
            return Vec::new();
        };
        ["domainRules", "migrationRules", "encodingRules"]
            .iter()
            .flat_map(|k| set.get(*k).and_then(Value::as_array).into_iter().flatten())
            .map(|r| {
                let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
                RuleLine {
                    text: format!(
                        "{} ({} {}): {}",
                        text("name"),
                        text("type"),
                        text("mode"),
                        text("expr")
                    ),
                    evaluated: serde_json::from_value::<crate::catalog::Rule>(r.clone())
                        .is_ok_and(|rule| rule.is_evaluated()),
                }
            })
            .collect()
    }
}
