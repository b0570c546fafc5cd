//! `schemactl check-compat`: the CI gate ([`crate::gate`]), against local files or a registry
//! subject: flags → [`Request`] → the gate → report → exit code.

use super::registry::Session;
use super::{Cli, Failure, FormatArg, Outcome, Output};
use crate::compat::{Level, Policy};
use crate::gate::{self, ReplayRequest, Request, SubjectCheck};
use std::path::PathBuf;

/// Arguments of `check-compat`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  schemactl check-compat new.json --against v1.json --against v2.json --level FULL_TRANSITIVE\n  schemactl check-compat --contract generator\n  schemactl check-compat --contract generator --base origin/main --format github\n  schemactl check-compat new.json --registry http://localhost:8081 --subject emergency_generator-value\n  schemactl check-compat --contract generator --registry    (URL from SCHEMA_REGISTRY_URL or schemactl.toml)\n  schemactl check-compat proposal.json --contract generator --replay captured.jsonl --max-rejected 0\n  schemactl check-compat proposal.json --contract generator --registry --replay captured.jsonl"
)]
pub struct Args {
    /// The proposed schema. With --contract it defaults to the newest version in the history.
    pub proposal: Option<PathBuf>,
    /// An earlier version to check against; repeat, oldest first.
    #[arg(long, value_name = "OLD.json")]
    pub against: Vec<PathBuf>,
    /// Check against a contract's schema history, at its level and policy.
    #[arg(long, value_name = "NAME", conflicts_with = "against")]
    pub contract: Option<String>,
    /// Compatibility level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
    /// FULL or FULL_TRANSITIVE (default: the contract's, else BACKWARD).
    #[arg(long, value_parser = parse_level)]
    pub level: Option<Level>,
    /// Compatibility policy (default: the contract's, else strict).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Metadata of the proposal (JSON with properties."confluent:reserved").
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Metadata of the versions checked against.
    #[arg(long, value_name = "FILE")]
    pub against_metadata: Option<PathBuf>,
    /// Check against a registry subject instead of files: its versions and level, and the
    /// registry's own verdict. Without a URL, the configured registry ($SCHEMA_REGISTRY_URL,
    /// else url under [registry] in schemactl.toml).
    #[arg(long, value_name = "URL", num_args = 0..=1, conflicts_with = "against")]
    pub registry: Option<Option<String>>,
    /// The registry subject to check against (default with --contract: the contract's).
    #[arg(long, value_name = "SUBJECT", conflicts_with = "against")]
    pub subject: Option<String>,
    /// Seconds one registry request may take [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Also fail when a version published at this git ref was edited or deleted.
    #[arg(long, value_name = "REF", requires = "contract")]
    pub base: Option<String>,
    /// Also replay these captures or plain JSON-lines files: count the payloads that the newest
    /// version accepts today and the proposal would refuse, per producer (plain lines: the
    /// producer is at the contract's [identity] pointer). Each side judges by its schema, then
    /// by its data-contract rules: a failed rule refuses a payload. With --registry, today is
    /// the subject's newest version, with the rules it carries there.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "contract")]
    pub replay: Vec<PathBuf>,
    /// With --replay: fail when the proposal refuses more than this many replayed payloads that
    /// are accepted today, even if the schemas are compatible.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "replay")]
    pub max_rejected: u64,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

/// What the gate and its replay warned about, on stderr beside the report.
fn warn(warnings: &[String], replay: Option<&gate::Replayed>) {
    for w in warnings
        .iter()
        .chain(replay.iter().flat_map(|r| &r.warnings))
    {
        crate::report::shell::warn(w);
    }
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let request = Request {
        proposal: args.proposal.clone(),
        against: args.against.clone(),
        contract: args.contract.clone(),
        level: args.level,
        policy: args.policy,
        metadata: args.metadata.clone(),
        against_metadata: args.against_metadata.clone(),
        base: args.base.clone(),
        subject: args.subject.clone(),
        replay: (!args.replay.is_empty()).then(|| ReplayRequest {
            files: args.replay.clone(),
            max_rejected: args.max_rejected,
        }),
    };
    if args.registry.is_some() || args.subject.is_some() {
        let check = SubjectCheck::prepare(&cli.root, &request).map_err(Failure::from)?;
        let session = Session::open(
            cli,
            args.registry.clone().flatten().as_deref(),
            args.timeout,
        )?;
        let outcome = session
            .run(check.run(&session.client))
            .map_err(Failure::from)?;
        warn(&outcome.warnings, outcome.replay.as_ref());
        return super::finish(&outcome, args.format.format, out);
    }
    let outcome = gate::check_files(&cli.root, &request).map_err(Failure::from)?;
    warn(&outcome.warnings, outcome.replay.as_ref());
    super::finish(&outcome, args.format.format, out)
}
