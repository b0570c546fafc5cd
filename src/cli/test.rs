//! `schemactl test`: flags → [`crate::contract_test::run`] (the offline contract tests) →
//! render → exit code.

use super::{Cli, FormatArg, Outcome, Output};
use crate::contract_test;

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Test only this contract (default: every contract in `contracts/`).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let outcome = contract_test::run(&cli.root, args.contract.as_deref())
        .map_err(|e| super::classified(e.exit(), e))?;
    super::finish(&outcome, args.format.format, out)
}
