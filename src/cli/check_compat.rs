//! `schemactl check-compat`: the CI gate ([`crate::gate`]), against local files or a registry
//! subject: flags → [`Request`] → the gate → report → exit code.

mod replay;

use super::registry::Session;
use super::{Classify, Cli, Failure, FormatArg, Outcome, Output};
use crate::catalog;
use crate::compat::{Level, Policy};
use crate::gate::{self, GateError, Request, SubjectCheck, label};
use crate::registry::model::VersionRef;
use anyhow::anyhow;
use std::path::{Path, PathBuf};

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

fn warn(warnings: &[String]) {
    for w in warnings {
        crate::report::shell::warn(w);
    }
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    if !args.replay.is_empty() && args.contract.is_none() {
        return Err(Failure::from(GateError::ReplayNeedsContract));
    }
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
    };
    if args.registry.is_some() || args.subject.is_some() {
        let check = SubjectCheck::prepare(&cli.root, &request).map_err(Failure::from)?;
        let session = Session::open(
            cli,
            args.registry.clone().flatten().as_deref(),
            args.timeout,
        )?;
        let mut outcome = session
            .run(check.run(&session.client))
            .map_err(Failure::from)?;
        warn(&outcome.warnings);
        if !args.replay.is_empty() {
            let contract =
                catalog::load_contract(&cli.root, args.contract.as_deref().unwrap_or_default())
                    .input()?;
            outcome.replay = Some(replay_registry_newest(&contract, &outcome, &session, args)?);
        }
        return super::finish(&outcome, args.format.format, out);
    }
    let mut outcome = gate::check_files(&cli.root, &request).map_err(Failure::from)?;
    warn(&outcome.warnings);
    if !args.replay.is_empty() {
        let (contract, today, proposal) = outcome.replay_inputs().map_err(Failure::from)?;
        // Today's rules: the contract's when today is the newest version; when the proposal is
        // the newest itself, the rule set today's version was registered with (its
        // vN.rules.json, or none).
        let today_rules: (Vec<catalog::Rule>, Option<catalog::Metadata>);
        let rules = match args.proposal {
            Some(_) => replay::TodayRules {
                rules: &contract.rules,
                metadata: contract.metadata.as_ref(),
                origin: contract.file.display().to_string(),
            },
            None => {
                let set = catalog::rule_history::rule_sets(contract, proposal.version)
                    .input()?
                    .into_iter()
                    .find(|r| r.version == today.version)
                    .unwrap_or_default();
                today_rules = (set.rules(), set.typed_metadata());
                replay::TodayRules {
                    rules: &today_rules.0,
                    metadata: today_rules.1.as_ref(),
                    origin: set.source.map_or_else(
                        || format!("v{} (no rule set)", today.version),
                        |p| p.display().to_string(),
                    ),
                }
            }
        };
        let replayed = replay::run(
            contract,
            today,
            rules,
            proposal,
            &args.replay,
            args.max_rejected,
            outcome.compatible,
        )?;
        outcome.replay = Some(replayed);
    }
    super::finish(&outcome, args.format.format, out)
}

/// `--replay` with `--registry`: the subject's newest version, with the rules and metadata it
/// carries there, is "today".
fn replay_registry_newest(
    contract: &catalog::Contract,
    outcome: &gate::SubjectOutcome,
    session: &Session,
    args: &Args,
) -> Result<gate::Replayed, Failure> {
    let subject = &outcome.subject;
    let Some(compared) = &outcome.compared else {
        return Err(anyhow!(
            "nothing to replay against: subject \"{subject}\" has no version at {} today",
            outcome.registry
        ))
        .input();
    };
    let number = compared
        .versions
        .last()
        .copied()
        .ok_or_else(|| anyhow!("subject \"{subject}\" returned no version"))
        .infra()?;
    // With its ruleSet and metadata, which the versions read for the verdict leave out.
    let newest = session
        .run(
            session
                .client
                .version_with_rules(subject, VersionRef::Number(number)),
        )
        .map_err(Failure::from)?;
    let origin = format!("registry subject \"{subject}\" version {}", newest.version);
    let today = catalog::parse_schema_text(
        Path::new(&origin),
        newest.schema.clone(),
        u32::try_from(newest.version).unwrap_or(0),
    )
    .input()?;
    let rules: Vec<catalog::Rule> = match &newest.rule_set {
        Some(set) => {
            serde_json::from_value::<catalog::RuleSet>(set.clone())
                .map_err(|e| anyhow!("{origin}: ruleSet: {e}"))
                .input()?
                .domain_rules
        }
        None => Vec::new(),
    };
    let metadata: Option<catalog::Metadata> = match &newest.metadata {
        Some(m) => Some(
            serde_json::from_value(m.clone())
                .map_err(|e| anyhow!("{origin}: metadata: {e}"))
                .input()?,
        ),
        None => None,
    };
    let proposal = outcome.proposal_file();
    replay::run(
        contract,
        &today,
        replay::TodayRules {
            rules: &rules,
            metadata: metadata.as_ref(),
            origin,
        },
        proposal,
        &args.replay,
        args.max_rejected,
        compared.local.compatible && compared.remote.is_compatible,
    )
}
