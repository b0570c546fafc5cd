//! `schemactl pull`: flags → [`crate::registry::pull`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, missing, print_json};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::registry::pull::{self, SubjectHistory};
use std::path::PathBuf;

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
        crate::report::shell::warn(w);
    }
    match args.format {
        TextOrJson::Json => print_json(&pulled)?,
        TextOrJson::Text => out
            .print(&crate::report::registry::pull_text(
                out.color,
                &pulled,
                &args.subject,
                &args.into,
            ))
            .input()?,
    }
    Ok(Exit::Pass)
}
