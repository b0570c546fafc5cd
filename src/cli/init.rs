//! `schemactl init`: adopts a registry subject's history, or drafts a first schema from captured
//! samples, as a contract and `schemas/NAME/v1.json...`. Everything is decided and checked
//! before anything is written (see [`crate::catalog::init`]).

use super::registry::{Session, SessionArgs, TextOrJson, missing};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::catalog::init::{self, Draft};
use crate::registry::pull::SubjectHistory;
use std::path::PathBuf;

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("source").required(true).args(["from_registry", "from_samples"])),
    after_long_help = "\
The default NAME is the subject without its `-value` suffix (`emergency_generator-value` → \
`emergency_generator`); characters other than letters, digits, `_`, `-` and `.` become `_`. \
Nothing is overwritten without --force, and nothing is written when anything would be refused.

Examples:
  schemactl init --from-registry emergency_generator-value --registry http://127.0.0.1:8081
  mosquitto_sub -h broker -t emergency_generator -C 500 > samples.jsonl
  schemactl init --from-samples samples.jsonl --name generator --subject emergency_generator-value"
)]
pub struct Args {
    /// Adopt this registry subject: every version, oldest first, at the registry's level.
    #[arg(long, value_name = "SUBJECT")]
    pub from_registry: Option<String>,
    /// Draft v1 from captured payloads, one JSON object per line.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "from_registry")]
    pub from_samples: Vec<PathBuf>,
    /// The contract's name: contracts/NAME.toml and schemas/NAME/ [default with
    /// --from-registry: from the subject].
    #[arg(long, value_name = "NAME", required_unless_present = "from_registry")]
    pub name: Option<String>,
    /// With --from-samples: the registry subject the contract names [default: NAME-value].
    #[arg(long, value_name = "SUBJECT", requires = "from_samples")]
    pub subject: Option<String>,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let (draft, source) = match &args.from_registry {
        Some(subject) => (from_registry(cli, args, subject)?, "registry"),
        None => {
            let mut samples = Vec::new();
            for file in &args.from_samples {
                samples.extend(init::read_samples(file)?);
            }
            let draft = init::from_samples(
                &samples,
                &args.from_samples,
                args.name.as_deref().unwrap_or_default(),
                args.subject.as_deref(),
            )?;
            (draft, "samples")
        }
    };
    let adopted = draft.adopt(&cli.root, args.force, source)?;
    match args.format {
        TextOrJson::Json => super::registry::print_json(&adopted)?,
        TextOrJson::Text => out.print(&crate::report::init::text(&adopted)).input()?,
    }
    Ok(Exit::Pass)
}

fn from_registry(cli: &Cli, args: &Args, subject: &str) -> Result<Draft, super::Failure> {
    let session = Session::from_args(cli, &args.registry)?;
    let client = &session.client;
    let history = session
        .run(SubjectHistory::read(client, subject))
        .map_err(|e| missing(e, client, subject))?;
    init::from_registry(&history.to_init_source(), args.name.as_deref())
        .map_err(super::Failure::from)
}
