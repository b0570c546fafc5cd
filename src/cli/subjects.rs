//! `schemactl subjects`: flags → [`crate::registry::browse::subjects`] → text or JSON → exit
//! code.

use super::registry::{Session, SessionArgs, TextOrJson, print_json};
use super::{Classify, Cli, Outcome, Output};
use crate::Exit;
use crate::registry::browse;

/// Arguments of `subjects`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only subjects whose name starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let session = Session::from_args(cli, &args.registry)?;
    let listing = session.run(browse::subjects(&session.client, args.prefix.as_deref()))?;
    match args.format {
        TextOrJson::Json => print_json(&listing)?,
        TextOrJson::Text => out
            .print(&crate::report::registry::subjects_text(out.color, &listing))
            .input()?,
    }
    Ok(Exit::Pass)
}
