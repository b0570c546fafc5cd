//! `schemactl register`: flags → [`crate::registry::publish`] → [`crate::report::publish`]
//! (text, streamed per contract, or JSON) → exit code.

use super::registry::{Session, SessionArgs, TextOrJson};
use super::{Classify, Cli, Outcome, Output};
use crate::registry::publish::{Options, Plan, Selection};
use crate::report::{Format, publish};
use std::io::Write;

/// Arguments of `register`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("which").required(true).args(["contract", "all"])),
    after_long_help = "Examples:\n  schemactl register --contract generator --registry http://localhost:8081\n  SCHEMA_REGISTRY_URL=https://psrc-abc.confluent.cloud SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=KEY:SECRET schemactl register --all --dry-run"
)]
pub struct Args {
    /// Register this contract's history (a file stem in contracts/).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Register every contract in contracts/.
    #[arg(long)]
    pub all: bool,
    /// Say what would be registered and which levels set, and change nothing. Each version the
    /// subject does not hold is put to the registry's own compatibility check
    /// (`POST /compatibility/subjects/S/versions?verbose=true`, which compares against every
    /// version the subject's level names, as registering does); one it would refuse is shown
    /// with the registry's reasons and exits 1.
    #[arg(long)]
    pub dry_run: bool,
    /// Have the registry normalize each schema before looking it up and registering it.
    #[arg(long)]
    pub normalize: bool,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let selection = match &args.contract {
        Some(name) => Selection::Contract(name.clone()),
        None => Selection::All,
    };
    let plan = Plan::read(&cli.root, &selection)?;
    let session = Session::from_args(cli, &args.registry)?;
    let url = session.client.url().to_string();
    let options = Options {
        dry_run: args.dry_run,
        normalize: args.normalize,
    };
    // Text is streamed contract by contract, so a person sees progress before a later
    // contract fails; JSON is the whole publication at the end.
    let text = args.format == TextOrJson::Text;
    let mut stdout = out.stdout();
    let mut unwritten = Ok(());
    let publication = session.run(plan.publish(&session.client, options, |contract| {
        if text && unwritten.is_ok() {
            let block = publish::contract_text(out.color, &url, contract, args.dry_run);
            unwritten = stdout.write_all(block.as_bytes());
        }
    }))?;
    unwritten.input()?;
    match args.format {
        TextOrJson::Json => super::finish(&publication, Format::Json, out),
        TextOrJson::Text => {
            stdout
                .write_all(publish::summary_text(out.color, &publication).as_bytes())
                .input()?;
            Ok(publication.exit())
        }
    }
}
