//! The `schemactl` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let exit = schemactl::cli::main();
    ExitCode::from(exit as u8)
}
