//! `schemactl pull`: flags → [`crate::registry::pull`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, missing, paint, print_json, say, styles};
use super::{Cli, Outcome, Output};
use crate::Exit;
use crate::registry::pull::{self, FileAction, SubjectHistory};
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
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let history = session
        .run(SubjectHistory::read(client, &args.subject))
        .map_err(|e| missing(e, client, &args.subject))?;
    let pulled = pull::write(&history, &args.into, args.force)?;
    for w in &pulled.warnings {
        eprintln!("warning: {w}");
    }
    match args.format {
        TextOrJson::Json => print_json(&pulled)?,
        TextOrJson::Text => {
            for w in &pulled.written {
                let name = Path::new(&w.file)
                    .file_name()
                    .map_or(w.file.clone(), |n| n.to_string_lossy().into_owned());
                let (style, said) = match w.action {
                    FileAction::Written => (styles::GREEN, "written"),
                    FileAction::Unchanged => (styles::DIM, "unchanged"),
                };
                say!(
                    "{name}  ← version {}, id {}  {}",
                    w.version,
                    w.id,
                    paint(out, style, said)
                );
            }
            say!(
                "pulled {} version{} of \"{}\" into {}",
                pulled.versions,
                if pulled.versions == 1 { "" } else { "s" },
                args.subject,
                args.into.display()
            );
            say!(
                "help: adopt it with a contract, e.g. contracts/<name>.toml:\n  subject = {}\n  schemas = {}\n  level = \"{}\"",
                json!(args.subject),
                json!(args.into.display().to_string()),
                pulled.level,
            );
            if pulled.with_rules > 0 {
                say!(
                    "note: {} version(s) carry a rule set or metadata, written beside them as vN.rules.json; the newest one's stands in for the contract's [[rules]] (move it into [[rules]] and delete the file to edit the rules in the contract)",
                    pulled.with_rules
                );
            }
        }
    }
    Ok(Exit::Pass)
}
