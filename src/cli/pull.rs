//! `schemactl pull`: writes a subject's history from the registry as `v1.json`, `v2.json`, ...
//! so that a repository can adopt a subject that already exists.
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
    let versions = client.versions_of(subject, &numbers).await?;
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
    }
    std::fs::create_dir_all(&args.into)
        .map_err(|e| anyhow!("cannot create {}: {e}", args.into.display()))
        .input()?;
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
        if !v.references.is_empty() {
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
    {
        eprintln!("warning: schemactl cannot read the pulled history as it is: {e}");
    }
    match args.format {
        TextOrJson::Json => print_json(&json!({
            "registry": client.url(),
            "subject": args.subject,
            "into": args.into.display().to_string(),
            "level": level,
            "files": written,
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
                written.len(),
                if written.len() == 1 { "" } else { "s" },
                args.subject,
                args.into.display()
            );
            say!(
                "help: adopt it with a contract, e.g. contracts/<name>.toml:\n  subject = {}\n  schemas = {}\n  level = \"{level}\"",
                json!(args.subject),
                json!(args.into.display().to_string()),
            );
        }
    }
    Ok(Exit::Pass)
}
