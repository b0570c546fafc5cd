//! `schemactl diff`: flags → [`crate::schema_diff::compare`] → render → exit code.

use super::{FormatArg, Outcome, Output};
use crate::schema_diff::{self, Request};
use std::path::PathBuf;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier schema.
    pub old: PathBuf,
    /// The later schema.
    pub new: PathBuf,
    /// The earlier version's rule set: a `vN.rules.json`, or a contract whose `[[rules]]` to
    /// take (default: the `.rules.json` beside OLD, if any).
    #[arg(long, value_name = "FILE")]
    pub old_rules: Option<PathBuf>,
    /// The later version's rule set: a `vN.rules.json`, or a contract whose `[[rules]]` to take
    /// (default: the `.rules.json` beside NEW, if any).
    #[arg(long, value_name = "FILE")]
    pub new_rules: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: &Args, out: Output) -> Outcome {
    let outcome = schema_diff::compare(&Request {
        old: &args.old,
        new: &args.new,
        old_rules: args.old_rules.as_deref(),
        new_rules: args.new_rules.as_deref(),
    })?;
    super::finish(&outcome, args.format.format, out)
}
