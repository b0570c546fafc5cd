//! `schemactl validate`: flags → [`offline::check_files`] (the audit's payload checks over JSON
//! lines) → render → exit code.

use super::{Classify, Cli, FormatArg, Outcome, Output};
use crate::catalog::{Catalog, NewestSchema};
use crate::validate::{DEFAULT_MAX_PAYLOAD, offline};
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

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let contract = Catalog::at(&cli.root)
        .contract(args.contract.as_deref())
        .input()?;
    let NewestSchema {
        version,
        text: schema_text,
        validator,
    } = contract.newest(args.max_payload).input()?;
    let outcome = offline::check_files(&offline::Request {
        contract: &contract,
        version,
        schema_text: &schema_text,
        validator: &validator,
        files: &args.files,
        max_findings: args.max_findings,
    })
    .map_err(|e| super::classified(e.exit(), e))?;
    for w in &outcome.warnings {
        crate::report::shell::warn(w);
    }
    super::finish(&outcome, args.format.format, out)
}
