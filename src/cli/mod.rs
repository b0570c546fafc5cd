//! The command line: argument definitions, one module per command, and the mapping of
//! outcomes to exit codes. The only place that prints.

mod audit;
mod check_compat;
mod demo;
mod diff;
mod live;
mod report;
mod simulate;
mod test;
mod validate;

use crate::Exit;
use crate::report::Format;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes: 0 pass, 1 findings (incompatible, violations), \
2 usage or input error, 3 infrastructure error (registry or broker unreachable, auth refused).";

/// Schema governance and contract testing for IoT telemetry over MQTT and Kafka.
#[derive(Debug, Parser)]
#[command(name = "schemactl", version, about, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Project root holding `contracts/` and `schemas/`.
    #[arg(long, global = true, env = "SCHEMACTL_ROOT", default_value = ".")]
    pub root: PathBuf,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try it: registry, MQTT broker and Kafka in this process, a misbehaving fleet, its audit.
    #[command(after_help = EXIT_CODES)]
    Demo(demo::Args),
    /// Check a proposed schema against earlier versions, as a Confluent registry would.
    #[command(after_help = EXIT_CODES)]
    CheckCompat(check_compat::Args),
    /// Show every change between two schemas with its verdict, and a diff of the two.
    #[command(after_help = EXIT_CODES)]
    Diff(diff::Args),
    /// Run the offline contract tests: histories compatible, examples pass or fail as declared.
    #[command(after_help = EXIT_CODES)]
    Test(test::Args),
    /// Produce the fleet's telemetry (compliant, or misbehaving on purpose) to MQTT and Kafka.
    #[command(after_help = EXIT_CODES)]
    Simulate(simulate::Args),
    /// Sniff MQTT and Kafka, check every message, and score each producer.
    #[command(after_help = EXIT_CODES)]
    Audit(audit::Args),
    /// Validate JSON-lines payloads (fixtures, captured traffic) as the audit would, offline.
    #[command(after_help = EXIT_CODES)]
    Validate(validate::Args),
    /// Work with audit reports: merge the reports of instances that split a fleet.
    #[command(after_help = EXIT_CODES)]
    Report(report::Args),
}

/// Why a command could not finish; the variant picks the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The user's input or arguments are wrong (exit 2).
    Input(anyhow::Error),
    /// Something outside could not be reached or refused us (exit 3).
    Infrastructure(anyhow::Error),
}

/// What a command returns.
pub type Outcome = Result<Exit, Failure>;

/// Marks an error as the input's fault or the infrastructure's.
pub trait Classify<T> {
    /// The input is wrong.
    fn input(self) -> Result<T, Failure>;
    /// Infrastructure failed.
    fn infra(self) -> Result<T, Failure>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn input(self) -> Result<T, Failure> {
        self.map_err(|e| Failure::Input(e.into()))
    }
    fn infra(self) -> Result<T, Failure> {
        self.map_err(|e| Failure::Infrastructure(e.into()))
    }
}

/// Output settings shared by every command.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// Whether to colour.
    pub color: bool,
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Pass
            };
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
        }
    };
    let out = Output { color };
    let result = match &cli.command {
        Command::CheckCompat(args) => check_compat::run(&cli, args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Test(args) => test::run(&cli, args, out),
        Command::Validate(args) => validate::run(&cli, args, out),
        Command::Simulate(args) => simulate::run_command(&cli, args, out),
        Command::Audit(args) => audit::run_command(&cli, args, out),
        Command::Report(args) => report::run(args),
        Command::Demo(args) => demo::run(&cli, args, out),
    };
    match result {
        Ok(exit) => exit,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            Exit::Usage
        }
        Err(Failure::Infrastructure(e)) => {
            eprintln!("error: {e:#}");
            Exit::Infrastructure
        }
    }
}

/// The `--format` flag as every reporting command takes it.
#[derive(Debug, clap::Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
