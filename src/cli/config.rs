//! `schemactl config`: flags → [`crate::registry::levels`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, print_json};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::compat::Level;
use crate::registry::levels;
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

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    match &args.action {
        Action::Get {
            subject,
            registry,
            format,
        } => {
            let session = Session::from_args(cli, registry)?;
            let applied = session.run(levels::applied(&session.client, subject.as_deref()))?;
            match format {
                TextOrJson::Json => print_json(&applied)?,
                TextOrJson::Text => out
                    .print(&crate::report::registry::applied_text(&applied))
                    .input()?,
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
                TextOrJson::Text => out
                    .print(&crate::report::registry::changed_text(&changed))
                    .input()?,
            }
        }
    }
    Ok(Exit::Pass)
}
