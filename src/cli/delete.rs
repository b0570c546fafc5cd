//! `schemactl delete`: soft-deletes a subject or one version, and with `--permanent` deletes
//! it for good afterwards (Confluent refuses a permanent delete that no soft delete preceded).

use super::registry::{
    RegistryArgs, Session, TextOrJson, missing, paint, print_json, say, styles, subject_at,
};
use super::{Classify, Cli, Failure, Outcome, Output};
use crate::Exit;
use crate::registry::model::{VersionRef, codes};
use anyhow::anyhow;
use serde_json::json;
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
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

fn list(versions: &[i32]) -> String {
    versions
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
    let url = client.url();
    let how = if args.permanent {
        "permanently delete"
    } else {
        "soft-delete"
    };

    // Name exactly what will go, so the question is worth answering.
    let (question, version) = match version {
        Some(wanted) => {
            let number = match wanted {
                VersionRef::Number(n) => n,
                VersionRef::Latest => {
                    session
                        .run(client.version(&subject, VersionRef::Latest))
                        .map_err(|e| missing(e, client, &subject))?
                        .version
                }
            };
            (
                format!("{how} version {number} of subject \"{subject}\" at {url}"),
                Some(number),
            )
        }
        None => match session.run(client.versions(&subject)) {
            Ok(live) => (
                format!(
                    "{how} subject \"{subject}\" (versions {}) at {url}",
                    list(&live)
                ),
                None,
            ),
            // Already soft-deleted: only a permanent delete is left to do.
            Err(e) if args.permanent && e.is_code(&[codes::SUBJECT_NOT_FOUND]) => (
                format!("{how} soft-deleted subject \"{subject}\" at {url}"),
                None,
            ),
            Err(e) => return Err(missing(e, client, &subject)),
        },
    };
    if !args.yes {
        confirm(&question)?;
    }

    let mut soft = Vec::new();
    let mut hard = Vec::new();
    let soft_gone = [codes::SUBJECT_SOFT_DELETED, codes::VERSION_SOFT_DELETED];
    let result = session.run(async {
        match version {
            None => match client.delete_subject(&subject, false).await {
                Ok(v) => soft = v,
                Err(e) if args.permanent && e.is_code(&soft_gone) => {}
                Err(e) if args.permanent && e.is_code(&[codes::SUBJECT_NOT_FOUND]) => {}
                Err(e) => return Err(e),
            },
            Some(n) => match client
                .delete_version(&subject, VersionRef::Number(n), false)
                .await
            {
                Ok(v) => soft = vec![v],
                Err(e) if args.permanent && e.is_code(&soft_gone) => {}
                Err(e) => return Err(e),
            },
        }
        if args.permanent {
            hard = match version {
                None => client.delete_subject(&subject, true).await?,
                Some(n) => vec![
                    client
                        .delete_version(&subject, VersionRef::Number(n), true)
                        .await?,
                ],
            };
        }
        Ok(())
    });
    if let Err(e) = result {
        if e.is_code(&soft_gone) {
            return Err(anyhow!(
                "\"{}\" is already soft-deleted at {url}\nhelp: pass --permanent to delete it for good",
                args.target
            ))
            .input();
        }
        return Err(missing(e, client, &subject));
    }
    match args.format {
        TextOrJson::Json => print_json(&json!({
            "registry": url,
            "subject": subject,
            "version": version,
            "soft_deleted": soft,
            "permanently_deleted": hard,
        }))?,
        TextOrJson::Text => {
            let what = match version {
                Some(n) => format!("version {n} of subject \"{subject}\""),
                None => format!("subject \"{subject}\""),
            };
            if !soft.is_empty() {
                say!(
                    "{} {what}: version{} {}",
                    paint(out, styles::YELLOW, "soft-deleted"),
                    if soft.len() == 1 { "" } else { "s" },
                    list(&soft)
                );
            }
            if args.permanent {
                say!(
                    "{} {what}: version{} {}",
                    paint(out, styles::RED, "permanently deleted"),
                    if hard.len() == 1 { "" } else { "s" },
                    list(&hard)
                );
            } else {
                say!(
                    "ids still resolve for consumers; `schemactl delete {} --permanent` removes it for good",
                    args.target
                );
            }
        }
    }
    Ok(Exit::Pass)
}
