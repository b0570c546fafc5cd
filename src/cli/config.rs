//! `schemactl config`: flags → [`crate::registry::levels`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, print_json, say};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::compat::Level;
use crate::registry::{LevelSource, levels};
use anyhow::anyhow;

/// Arguments of `config`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// `config get` or `config set-level`.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Show a subject's level (falling back to the global one), or the global level.
    Get {
        /// The subject; without it, the global level.
        subject: Option<String>,
        #[command(flatten)]
        registry: SessionArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: TextOrJson,
    },
    /// Set a subject's level, or the global level when no subject is named.
    #[command(
        override_usage = "schemactl config set-level [OPTIONS] [SUBJECT] LEVEL",
        after_long_help = "Levels: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.\n\nExamples:\n  schemactl config set-level emergency_generator-value FULL_TRANSITIVE\n  schemactl config set-level BACKWARD"
    )]
    SetLevel {
        /// The subject; or, alone, the level to set globally.
        #[arg(value_name = "SUBJECT|LEVEL")]
        first: String,
        /// The level, when a subject is named.
        #[arg(value_name = "LEVEL")]
        second: Option<String>,
        #[command(flatten)]
        registry: SessionArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: TextOrJson,
    },
}

fn whose(subject: Option<&str>) -> String {
    subject.map_or_else(|| "global".into(), |s| format!("subject \"{s}\""))
}

pub fn run(cli: &Cli, args: &Args, _out: Output) -> Outcome {
    match &args.action {
        Action::Get {
            subject,
            registry,
            format,
        } => {
            let session = Session::from_args(cli, registry)?;
            let applied = session.run(levels::applied(&session.client, subject.as_deref()))?;
            // Only schemactl's registry has policies; say nothing where none is reported.
            let policy = applied
                .policy
                .map(|p| format!(", policy {}", p.name()))
                .unwrap_or_default();
            let level = applied.level;
            match format {
                TextOrJson::Json => print_json(&applied)?,
                TextOrJson::Text => match (subject, applied.source) {
                    (Some(s), LevelSource::Global) => say!(
                        "{level}{policy} (the global default; subject \"{s}\" has no level of its own)"
                    ),
                    (Some(s), _) => say!("{level}{policy} (set on subject \"{s}\")"),
                    (None, _) => say!("{level}{policy} (global)"),
                },
            }
        }
        Action::SetLevel {
            first,
            second,
            registry,
            format,
        } => {
            let (subject, level) = match second {
                None => (None, first),
                Some(level) => (Some(first.as_str()), level),
            };
            let level: Level = level.parse().map_err(|e: String| anyhow!(e)).input()?;
            let session = Session::from_args(cli, registry)?;
            let changed = session.run(levels::set(&session.client, subject, level))?;
            match format {
                TextOrJson::Json => print_json(&changed)?,
                TextOrJson::Text => {
                    let before = changed.previous;
                    let was = match (subject, changed.previous_source) {
                        (Some(_), LevelSource::Global) => format!("{before}, the global default"),
                        _ => before.to_string(),
                    };
                    say!("{}: level {level} (was {was})", whose(subject));
                }
            }
        }
    }
    Ok(Exit::Pass)
}
