//! Adopting a registry subject, the use case behind `schemactl pull` (and the registry side of
//! `schemactl init --from-registry`): a subject's history read from the registry and written as
//! `v1.json`, `v2.json`, ..., each version's rule set and metadata beside it as `vN.rules.json`
//! (catalog::rule_history).
//!
//! Files are numbered 1..N in registry order even where the registry's numbers have gaps
//! (deleted versions), because a history on disk has none; the outcome names both numbers.
//! Everything is decided before anything is written, so a conflict leaves the folder as it was.

use super::client::SubjectSettings;
use super::model::{SubjectVersion, VersionRef};
use super::{RegistryClient, RegistryError};
use crate::Exit;
use crate::catalog::{self, init};
use crate::compat::Level;
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A subject's live versions, oldest first, and the compatibility settings that apply to it.
#[derive(Clone, Debug)]
pub struct SubjectHistory {
    /// The subject.
    pub subject: String,
    /// The registry's URL (never with credentials).
    pub registry: String,
    /// Every live version, read whole (`metadata` and `ruleSet` included).
    pub versions: Vec<SubjectVersion>,
    /// The subject's own level and policy, and the global ones.
    pub settings: SubjectSettings,
}

impl SubjectHistory {
    /// Reads the subject's history from the registry.
    pub async fn read(client: &RegistryClient, subject: &str) -> Result<Self, RegistryError> {
        let numbers = client.versions(subject).await?;
        // Read whole, `metadata` and `ruleSet` included, so each version's rule set comes back.
        let mut versions = Vec::with_capacity(numbers.len());
        for n in numbers {
            versions.push(
                client
                    .version_with_rules(subject, VersionRef::Number(n))
                    .await?,
            );
        }
        let settings = client.subject_settings(subject).await?;
        Ok(SubjectHistory {
            subject: subject.to_string(),
            registry: client.url().to_string(),
            versions,
            settings,
        })
    }

    /// The history as `init --from-registry` drafts a contract from it.
    pub fn to_init_source(&self) -> init::RegistrySubject {
        init::RegistrySubject {
            subject: self.subject.clone(),
            url: self.registry.clone(),
            versions: self
                .versions
                .iter()
                .map(|v| init::RegisteredVersion {
                    version: v.version,
                    id: v.id,
                    schema_type: v.schema_type.clone(),
                    text: v.schema.clone(),
                    metadata: v.metadata.clone(),
                    rule_set: v.rule_set.clone(),
                })
                .collect(),
            level: self.settings.level(),
            level_is_subjects: self.settings.own.is_some(),
            policy: self.settings.reported_policy(),
        }
    }
}

/// Why a pull wrote nothing (or stopped writing).
#[derive(Debug, Error)]
pub enum PullError {
    /// A version that is not a JSON Schema.
    #[error(
        "subject \"{subject}\" version {version} is a {kind} schema; schemactl governs JSON Schema only"
    )]
    NotJsonSchema {
        /// The subject.
        subject: String,
        /// The registry version.
        version: i32,
        /// Its schema type.
        kind: String,
    },
    /// A schema file exists with other content.
    #[error(
        "{} exists and differs from version {version} of \"{subject}\"\nhelp: pull into an empty folder, or pass --force to overwrite",
        path.display()
    )]
    SchemaDiffers {
        /// The file.
        path: PathBuf,
        /// The registry version.
        version: i32,
        /// The subject.
        subject: String,
    },
    /// A rule-set file exists for a version that carries none.
    #[error(
        "{} exists, but version {version} of \"{subject}\" carries no rule set or metadata\nhelp: pull into an empty folder, or pass --force to remove it",
        path.display()
    )]
    StaleRules {
        /// The file.
        path: PathBuf,
        /// The registry version.
        version: i32,
        /// The subject.
        subject: String,
    },
    /// A rule-set file exists with other content.
    #[error(
        "{} exists and differs from the rule set of version {version} of \"{subject}\"\nhelp: pull into an empty folder, or pass --force to overwrite",
        path.display()
    )]
    RulesDiffer {
        /// The file.
        path: PathBuf,
        /// The registry version.
        version: i32,
        /// The subject.
        subject: String,
    },
    /// The folder or a file could not be written.
    #[error("cannot {action} {}: {reason}", path.display())]
    Io {
        /// `create`, `remove` or `write`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why (not a `source`: the message already says it).
        reason: std::io::Error,
    },
}

impl crate::Classified for PullError {
    /// The exit code: every pull error is the input's (the folder, the subject's kind).
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// What became of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    /// Written (new, or overwritten with --force).
    Written,
    /// It already held this content.
    Unchanged,
}

/// One file of the pulled history.
#[derive(Clone, Debug, Serialize)]
pub struct Written {
    /// The file.
    pub file: String,
    /// The registry version it holds.
    pub version: i32,
    /// Its global id.
    pub id: i32,
    /// What was done.
    pub action: FileAction,
    /// Whether it is a version's rule set (`vN.rules.json`) rather than its schema.
    #[serde(skip)]
    pub rules: bool,
}

/// The outcome of a pull: the `--format json` document of `schemactl pull`.
#[derive(Debug, Serialize)]
pub struct Pulled {
    /// The registry's URL.
    pub registry: String,
    /// The subject.
    pub subject: String,
    /// The folder.
    pub into: String,
    /// The level the registry applies to the subject.
    pub level: Level,
    /// The schema files, oldest first.
    pub files: Vec<Written>,
    /// Each version's rule set, listed apart.
    pub rule_sets: Vec<Written>,
    /// Every file in the order written (schema, then its rule set).
    #[serde(skip)]
    pub written: Vec<Written>,
    /// How many versions were pulled.
    #[serde(skip)]
    pub versions: usize,
    /// How many carry a rule set or metadata.
    #[serde(skip)]
    pub with_rules: usize,
    /// What a person should know: references to pull too, a history schemactl cannot read.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Writes `history` into `into`; files that differ are refused unless `force`.
pub fn write(history: &SubjectHistory, into: &Path, force: bool) -> Result<Pulled, PullError> {
    let subject = &history.subject;
    let versions = &history.versions;
    if let Some(other) = versions
        .iter()
        .find(|v| v.schema_type.as_deref() != Some("JSON"))
    {
        return Err(PullError::NotJsonSchema {
            subject: subject.clone(),
            version: other.version,
            kind: other.schema_type.as_deref().unwrap_or("AVRO").to_string(),
        });
    }
    // Decide everything before writing anything, so a conflict leaves the folder as it was.
    let mut plan = Vec::new();
    let mut removals = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let number = (i + 1) as u32;
        let path = into.join(format!("v{number}.json"));
        let text = format!("{}\n", super::pretty(&v.schema));
        let action = match std::fs::read_to_string(&path) {
            Ok(existing) if existing == text => FileAction::Unchanged,
            Ok(_) if !force => {
                return Err(PullError::SchemaDiffers {
                    path,
                    version: v.version,
                    subject: subject.clone(),
                });
            }
            _ => FileAction::Written,
        };
        plan.push((path, text, v, action, false));
        // The version's rule set and metadata beside it, exactly as the registry holds them
        // (rule types schemactl does not run included): see catalog::rule_history.
        let own = catalog::VersionRules {
            version: number,
            source: None,
            metadata: v.metadata.clone(),
            rule_set: v.rule_set.clone(),
        };
        let rules_path = catalog::rule_history::rules_path(into, number);
        let existing = std::fs::read_to_string(&rules_path).ok();
        if own.is_empty() {
            if existing.is_some() && !force {
                return Err(PullError::StaleRules {
                    path: rules_path,
                    version: v.version,
                    subject: subject.clone(),
                });
            }
            if existing.is_some() {
                removals.push(rules_path);
            }
            continue;
        }
        let text = own.file_text();
        let action = match existing {
            Some(existing) if existing == text => FileAction::Unchanged,
            Some(_) if !force => {
                return Err(PullError::RulesDiffer {
                    path: rules_path,
                    version: v.version,
                    subject: subject.clone(),
                });
            }
            _ => FileAction::Written,
        };
        plan.push((rules_path, text, v, action, true));
    }
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PullError {
        let path = path.to_path_buf();
        move |reason| PullError::Io {
            action,
            path,
            reason,
        }
    }
    std::fs::create_dir_all(into).map_err(io("create", into))?;
    for path in &removals {
        std::fs::remove_file(path).map_err(io("remove", path))?;
    }
    let mut written = Vec::new();
    let mut warnings = Vec::new();
    for (path, text, v, action, rules) in &plan {
        if *action == FileAction::Written {
            std::fs::write(path, text).map_err(io("write", path))?;
        }
        written.push(Written {
            file: path.display().to_string(),
            version: v.version,
            id: v.id,
            action: *action,
            rules: *rules,
        });
        if !rules && !v.references.is_empty() {
            warnings.push(format!(
                "version {} references other subjects ({}); pull those too",
                v.version,
                v.references
                    .iter()
                    .map(|r| format!("{}@{}", r.subject, r.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !written.is_empty()
        && let Err(e) =
            catalog::load_history(into).and_then(|_| catalog::rule_history::load_rule_files(into))
    {
        warnings.push(format!(
            "schemactl cannot read the pulled history as it is: {e}"
        ));
    }
    Ok(Pulled {
        registry: history.registry.clone(),
        subject: subject.clone(),
        into: into.display().to_string(),
        level: history.settings.level(),
        files: written.iter().filter(|w| !w.rules).cloned().collect(),
        rule_sets: written.iter().filter(|w| w.rules).cloned().collect(),
        written,
        versions: versions.len(),
        with_rules: versions
            .iter()
            .filter(|v| v.rule_set.is_some() || v.metadata.is_some())
            .count(),
        warnings,
    })
}
