//! `schemactl show`: flags → [`crate::registry::browse::Shown`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, missing, print_json, subject_at};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::registry::browse::Shown;
use crate::registry::model::VersionRef;

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  schemactl show emergency_generator-value\n  schemactl show emergency_generator-value@2 --format json"
)]
pub struct Args {
    /// SUBJECT, or SUBJECT@VERSION with a version number or `latest` (the default).
    #[arg(value_name = "SUBJECT[@VERSION]")]
    pub subject: String,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let (subject, version) = subject_at(&args.subject);
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let wanted = version.unwrap_or(VersionRef::Latest);
    let found = session
        .run(Shown::read(client, &subject, wanted))
        .map_err(|e| missing(e, client, &subject))?;
    match args.format {
        TextOrJson::Json => print_json(&found)?,
        TextOrJson::Text => out
            .print(&crate::report::registry::show_text(out.color, &found))
            .input()?,
    }
    Ok(Exit::Pass)
}
