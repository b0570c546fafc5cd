//! `schemactl report merge`: flags → [`merge::merge_files`] (several audit instances' JSON
//! reports → one) → the scorecard in the format asked → the run's exit code.

use super::audit::fail_kinds;
use super::{Outcome, Output};
use crate::audit::merge;
use crate::report::Format;
use std::path::PathBuf;

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with reports.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// The `report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Combine the JSON reports of audit instances that split a fleet (`audit --group`) into one
    /// scorecard.
    #[command(after_long_help = "\
Reports must audit the same contract in the same group; a report given twice is refused \
(its messages would count twice). When every report was scored against the same simulator \
manifest (audit --expect), the scores merge into the whole run's precision and recall.

A transport that no instance saw a message on stays NO_TRAFFIC (exit 1); one that some \
instance saw traffic on is not, since the instances split the traffic between them.

Exit codes: 0 no violation of the --fail-on kinds (with merged scores: the score is perfect), \
1 violations (or an imperfect score, or NO_TRAFFIC), 2 a report is missing, unreadable, not an \
audit report, or does not fit the others, 3 a report whose transport was still lost at its end.

Example:
  schemactl report merge audit-a.json audit-b.json --format json > fleet.json")]
    Merge(MergeArgs),
}

/// Arguments of `report merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The reports (`schemactl audit --report FILE`).
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    /// Violation kinds that fail the merge: `any` (default), `none`, or a comma-separated list.
    #[arg(long, value_name = "KINDS", default_value = "any")]
    pub fail_on: String,
    /// Output format: text (the scorecard), json (a report, mergeable again), junit, sarif,
    /// github, markdown, or html (one self-contained page with charts).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: &Args, out: Output) -> Outcome {
    match &args.command {
        ReportCommand::Merge(m) => merge(m, out),
    }
}

fn merge(args: &MergeArgs, out: Output) -> Outcome {
    let fail_on = fail_kinds(&args.fail_on)?;
    let merged = merge::merge_files(&args.reports, fail_on)?;
    if let Some(note) = &merged.unscored {
        crate::report::shell::warn(note);
    }
    super::finish(&merged, args.format, out)
}
