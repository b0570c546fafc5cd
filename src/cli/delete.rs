//! `schemactl delete`: flags → confirmation → [`crate::registry::delete`] → text or JSON →
//! exit code.

use super::registry::{Session, SessionArgs, TextOrJson, missing, print_json, subject_at};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::registry::delete::{DeleteError, Deletion};
use anyhow::anyhow;
use std::io::{BufRead, IsTerminal, Write};

/// Arguments of `delete`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  schemactl delete emergency_generator-value@3\n  schemactl delete emergency_generator-value@3 --permanent --yes   (after the soft delete, as Confluent requires)"
)]
pub struct Args {
    /// SUBJECT to delete it whole, or SUBJECT@VERSION (a number or `latest`) for one version.
    #[arg(value_name = "SUBJECT[@VERSION]")]
    pub target: String,
    /// Delete for good: soft-delete first (as the registry requires), then permanently.
    #[arg(long)]
    pub permanent: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

fn confirm(question: &str) -> Result<(), Failure> {
    let mut err = std::io::stderr().lock();
    write!(err, "{question}? [y/N] ").infra()?;
    err.flush().infra()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).infra()?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(anyhow!("not confirmed; nothing deleted")).input()
    }
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let (subject, version) = subject_at(&args.target);
    // Without a terminal nobody can answer, so refuse before touching the registry.
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "refusing to delete \"{}\" without confirmation: there is no terminal to ask on\nhelp: pass --yes to confirm",
            args.target
        ))
        .input();
    }
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let deletion = session
        .run(Deletion::prepare(client, &subject, version, args.permanent))
        .map_err(|e| missing(e, client, &subject))?;
    if !args.yes {
        confirm(&deletion.question)?;
    }
    let deleted = match session.run(deletion.run(client)) {
        Ok(deleted) => deleted,
        Err(DeleteError::AlreadySoftDeleted) => {
            return Err(anyhow!(
                "\"{}\" is already soft-deleted at {}\nhelp: pass --permanent to delete it for good",
                args.target,
                client.url()
            ))
            .input();
        }
        Err(DeleteError::Registry(e)) => return Err(missing(e, client, &subject)),
    };
    match args.format {
        TextOrJson::Json => print_json(&deleted)?,
        TextOrJson::Text => out
            .print(&crate::report::registry::deleted_text(
                out.color,
                &deleted,
                &args.target,
                args.permanent,
            ))
            .input()?,
    }
    Ok(Exit::Pass)
}
