//! `schemactl show`: flags → [`crate::registry::browse::Shown`] → text or JSON → exit code.

use super::registry::{
    Session, SessionArgs, TextOrJson, missing, paint, pretty, print_json, say, styles, subject_at,
};
use super::{Cli, Outcome, Output};
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
        TextOrJson::Text => {
            let key = |k: &str| paint(out, styles::BOLD, &format!("{k:<11}"));
            say!("{}{}", key("subject"), found.subject);
            let latest = if found.latest { " (latest)" } else { "" };
            say!("{}{}{latest}", key("version"), found.version);
            say!("{}{}", key("id"), found.id);
            say!("{}{}", key("type"), found.schema_type);
            if found.references.is_empty() {
                say!("{}none", key("references"));
            }
            for (i, r) in found.references.iter().enumerate() {
                let k = if i == 0 { "references" } else { "" };
                say!("{}{} → {}@{}", key(k), r.name, r.subject, r.version);
            }
            for (i, line) in found.rule_lines().iter().enumerate() {
                let k = if i == 0 { "rules" } else { "" };
                let note = if line.evaluated {
                    ""
                } else {
                    " [not evaluated by schemactl]"
                };
                say!("{}{}{note}", key(k), line.text);
            }
            say!("{}", pretty(&found.text));
        }
    }
    Ok(Exit::Pass)
}
