//! `schemactl validate`: flags → [`offline::check_files`] (the audit's payload checks over JSON
//! lines) → render → exit code.

use super::{Classify, Cli, FormatArg, Outcome, Output};
use crate::catalog::{self, Contract};
use crate::validate::{DEFAULT_MAX_PAYLOAD, PayloadValidator, offline};
use anyhow::anyhow;
use std::path::PathBuf;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Each line of each file is one payload, checked as the audit checks a live message: size, UTF-8, \
JSON, then the contract's newest schema, then the contract's data-contract rules ([[rules]]: \
CEL conditions, RULE_VIOLATION) on each payload that passed the schema.

Examples:
  schemactl validate captured.jsonl --contract generator
  mosquitto_sub -t emergency_generator | schemactl validate - --format json")]
pub struct Args {
    /// JSON-lines files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The contract whose newest schema payloads must satisfy (default: the only contract).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Payloads larger than this many bytes are OVERSIZE.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_PAYLOAD)]
    pub max_payload: usize,
    /// Report at most this many violations in detail (all are counted).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_findings: usize,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Picks the contract named, or the only one there is.
pub(crate) fn pick_contract(cli: &Cli, name: Option<&str>) -> Result<Contract, super::Failure> {
    if let Some(name) = name {
        return catalog::load_contract(&cli.root, name).input();
    }
    let mut all = catalog::load_contracts(&cli.root).input()?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(anyhow!(
            "no contracts in {}",
            cli.root.join("contracts").display()
        ))
        .input(),
        _ => Err(anyhow!(
            "several contracts ({}): name one with --contract",
            all.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .input(),
    }
}

/// The contract's newest schema, compiled, with its version.
pub(crate) fn newest_validator(
    contract: &Contract,
    max_payload: usize,
) -> Result<(u32, String, PayloadValidator), super::Failure> {
    let history = contract.history().input()?;
    let newest = history
        .last()
        .ok_or_else(|| anyhow!("{} holds no schema", contract.schemas.display()))
        .input()?;
    let validator = PayloadValidator::new(&newest.schema)
        .map_err(|e| anyhow!("{}: {e}", newest.path.display()))
        .input()?
        .with_max_bytes(max_payload);
    Ok((newest.version, newest.text.clone(), validator))
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contract = pick_contract(cli, args.contract.as_deref())?;
    let (version, schema_text, validator) = newest_validator(&contract, args.max_payload)?;
    let outcome = offline::check_files(&offline::Request {
        contract: &contract,
        version,
        schema_text: &schema_text,
        validator: &validator,
        files: &args.files,
        max_findings: args.max_findings,
    })
    .map_err(|e| super::failure(e.exit(), e))?;
    for w in &outcome.warnings {
        crate::report::shell::warn(w);
    }
    super::finish(&outcome, args.format.format, out)
}
