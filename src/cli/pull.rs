//! `schemactl pull`: writes a subject's history from the registry as `v1.json`, `v2.json`, ...
//! so that a repository can adopt a subject that already exists, each version's rule set and
//! metadata beside it as `vN.rules.json` (catalog::rule_history).
//!
//! Files are numbered 1..N in registry order even where the registry's numbers have gaps
//! (deleted versions), because a history on disk has none; the output names both numbers.

use super::registry::{
    RegistryArgs, Session, TextOrJson, missing, paint, pretty, print_json, say, styles,
};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::catalog;
use crate::registry::client::SubjectSettings;
use crate::registry::model::SubjectVersion;
use crate::registry::{RegistryClient, RegistryError};
use anyhow::anyhow;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Arguments of `pull`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Example:\n  schemactl pull emergency_generator-value --into schemas/generator"
)]
pub struct Args {
    /// The subject to adopt.
    pub subject: String,
    /// Folder for v1.json, v2.json, ... (created if missing).
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Overwrite history files whose content differs.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

#[derive(Debug, Serialize)]
struct Written {
    file: String,
    version: i32,
    id: i32,
    /// `written`, or `unchanged` when the file already held this schema.
    action: &'static str,
}

/// A subject's live versions, oldest first, and the compatibility settings that apply to it
/// (shared with `init --from-registry`).
pub(super) async fn history(
    client: &RegistryClient,
    subject: &str,
) -> Result<(Vec<SubjectVersion>, SubjectSettings), RegistryError> {
    let numbers = client.versions(subject).await?;
    // Read whole, `metadata` and `ruleSet` included, so each version's rule set comes back.
    let mut versions = Vec::with_capacity(numbers.len());
    for n in numbers {
        versions.push(
            client
                .version_with_rules(subject, crate::registry::model::VersionRef::Number(n))
                .await?,
        );
    }
    let settings = client.subject_settings(subject).await?;
    Ok((versions, settings))
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let (versions, settings) = session
        .run(history(client, &args.subject))
        .map_err(|e| missing(e, client, &args.subject))?;
    let level = settings.level();
    if let Some(other) = versions
        .iter()
        .find(|v| v.schema_type.as_deref() != Some("JSON"))
    {
        return Err(anyhow!(
            "subject \"{}\" version {} is a {} schema; schemactl governs JSON Schema only",
            args.subject,
            other.version,
            other.schema_type.as_deref().unwrap_or("AVRO")
        ))
        .input();
    }
    // Decide everything before writing anything, so a conflict leaves the folder as it was.
    let mut plan = Vec::new();
    let mut removals = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let path = args.into.join(format!("v{}.json", i + 1));
        let text = format!("{}\n", pretty(&v.schema));
        let action = match std::fs::read_to_string(&path) {
            Ok(existing) if existing == text => "unchanged",
            Ok(_) if !args.force => {
                return Err(anyhow!(
                    "{} exists and differs from version {} of \"{}\"\nhelp: pull into an empty folder, or pass --force to overwrite",
                    path.display(),
                    v.version,
                    args.subject
                ))
                .input();
            }
            _ => "written",
        };
        plan.push((path, text, v, action));
        // The version's rule set and metadata beside it, exactly as the registry holds them
        // (rule types schemactl does not run included): see catalog::rule_history.
        let own = catalog::VersionRules {
            version: (i + 1) as u32,
            source: None,
            metadata: v.metadata.clone(),
            rule_set: v.rule_set.clone(),
        };
        let rules_path = catalog::rule_history::rules_path(&args.into, (i + 1) as u32);
        let existing = std::fs::read_to_string(&rules_path).ok();
        if own.is_empty() {
            if existing.is_some() && !args.force {
                return Err(anyhow!(
                    "{} exists, but version {} of \"{}\" carries no rule set or metadata\nhelp: pull into an empty folder, or pass --force to remove it",
                    rules_path.display(),
                    v.version,
                    args.subject
                ))
                .input();
            }
            if existing.is_some() {
                removals.push(rules_path);
            }
            continue;
        }
        let text = own.file_text();
        let action = match existing {
            Some(existing) if existing == text => "unchanged",
            Some(_) if !args.force => {
                return Err(anyhow!(
                    "{} exists and differs from the rule set of version {} of \"{}\"\nhelp: pull into an empty folder, or pass --force to overwrite",
                    rules_path.display(),
                    v.version,
                    args.subject
                ))
                .input();
            }
            _ => "written",
        };
        plan.push((rules_path, text, v, action));
    }
    std::fs::create_dir_all(&args.into)
        .map_err(|e| anyhow!("cannot create {}: {e}", args.into.display()))
        .input()?;
    for path in &removals {
        std::fs::remove_file(path)
            .map_err(|e| anyhow!("cannot remove {}: {e}", path.display()))
            .input()?;
    }
    let mut written = Vec::new();
    for (path, text, v, action) in &plan {
        if *action == "written" {
            std::fs::write(path, text)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
                .input()?;
        }
        written.push(Written {
            file: path.display().to_string(),
            version: v.version,
            id: v.id,
            action,
        });
        if !is_rules_file(&path.display().to_string()) && !v.references.is_empty() {
            eprintln!(
                "warning: version {} references other subjects ({}); pull those too",
                v.version,
                v.references
                    .iter()
                    .map(|r| format!("{}@{}", r.subject, r.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !written.is_empty()
        && let Err(e) = catalog::load_history(&args.into)
            .and_then(|_| catalog::rule_history::load_rule_files(&args.into))
    {
        eprintln!("warning: schemactl cannot read the pulled history as it is: {e}");
    }
    let with_rules = versions
        .iter()
        .filter(|v| v.rule_set.is_some() || v.metadata.is_some())
        .count();
    match args.format {
        TextOrJson::Json => print_json(&json!({
            "registry": client.url(),
            "subject": args.subject,
            "into": args.into.display().to_string(),
            "level": level,
            // Schema files as before; each version's rule set beside them, listed apart.
            "files": written.iter().filter(|w| !is_rules_file(&w.file)).collect::<Vec<_>>(),
            "rule_sets": written.iter().filter(|w| is_rules_file(&w.file)).collect::<Vec<_>>(),
        }))?,
        TextOrJson::Text => {
            for w in &written {
                let name = Path::new(&w.file)
                    .file_name()
                    .map_or(w.file.clone(), |n| n.to_string_lossy().into_owned());
                let style = if w.action == "written" {
                    styles::GREEN
                } else {
                    styles::DIM
                };
                say!(
                    "{name}  ← version {}, id {}  {}",
                    w.version,
                    w.id,
                    paint(out, style, w.action)
                );
            }
            say!(
                "pulled {} version{} of \"{}\" into {}",
                versions.len(),
                if versions.len() == 1 { "" } else { "s" },
                args.subject,
                args.into.display()
            );
            say!(
                "help: adopt it with a contract, e.g. contracts/<name>.toml:\n  subject = {}\n  schemas = {}\n  level = \"{level}\"",
                json!(args.subject),
                json!(args.into.display().to_string()),
            );
            if with_rules > 0 {
                say!(
                    "note: {with_rules} version(s) carry a rule set or metadata, written beside them as vN.rules.json; the newest one's stands in for the contract's [[rules]] (move it into [[rules]] and delete the file to edit the rules in the contract)"
                );
            }
        }
    }
    Ok(Exit::Pass)
}

/// Whether a written file is a version's rule set (`vN.rules.json`).
fn is_rules_file(path: &str) -> bool {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(catalog::rule_history::rules_version_of)
        .is_some()
}
