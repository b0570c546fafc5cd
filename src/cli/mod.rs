//! The command line: argument definitions, one module per command, and the mapping of
//! outcomes to exit codes. Each command parses its flags, calls one library use case, and
//! hands the outcome to the output layer ([`crate::report`]), which owns stdout, stderr and
//! colour.

mod audit;
mod check_compat;
mod completions;
mod config;
mod delete;
mod demo;
mod diff;
mod init;
mod live;
mod man;
mod pull;
mod register;
mod registry;
mod registry_serve;
mod report_merge;
mod show;
mod simulate;
mod subjects;
mod test;
mod validate;

pub use live::rfc3339;

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
    /// Config file [default: <root>/schemactl.toml when it exists].
    #[arg(long, global = true, env = "SCHEMACTL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log what happens to stderr (-v: registry requests and retries; -vv: HTTP detail).
    /// Credentials are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    /// Register contracts' schema histories in the registry, oldest first; idempotent.
    #[command(after_help = EXIT_CODES)]
    Register(register::Args),
    /// List the registry's subjects with their versions, ids and compatibility levels.
    #[command(after_help = EXIT_CODES)]
    Subjects(subjects::Args),
    /// Show one registered schema: id, version, references and the schema itself.
    #[command(after_help = EXIT_CODES)]
    Show(show::Args),
    /// Write a subject's history from the registry as v1.json, v2.json, ... to adopt it.
    #[command(after_help = EXIT_CODES)]
    Pull(pull::Args),
    /// Adopt a registry subject, or draft a first schema from samples, as a contract.
    #[command(after_help = EXIT_CODES)]
    Init(init::Args),
    /// Delete a subject or one version (soft; --permanent after the soft delete).
    #[command(after_help = EXIT_CODES)]
    Delete(delete::Args),
    /// Read or set compatibility levels, global or per subject.
    #[command(after_help = EXIT_CODES)]
    Config(config::Args),
    /// Schema registry commands.
    #[command(subcommand)]
    Registry(RegistryCommand),
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
    Report(report_merge::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the manual page (roff), or write one page per command with --dir.
    Man(man::Args),
}

/// `schemactl registry ...`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Serve an embedded Confluent-compatible schema registry (JSON Schema) over HTTP.
    #[command(after_help = EXIT_CODES)]
    Serve(registry_serve::Args),
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

/// A library error as the command's failure, by the exit code the error classified itself
/// with ([`crate::Classified`]): 3 for infrastructure, 2 for anything else. The one place a
/// library error becomes an exit code; commands pass library errors on with `?`.
impl<E: crate::Classified> From<E> for Failure {
    fn from(e: E) -> Failure {
        if e.exit() == Exit::Infrastructure {
            Failure::Infrastructure(e.into())
        } else {
            Failure::Input(e.into())
        }
    }
}

/// How every command reaches stdout (colour, the broken-pipe policy): [`crate::report::shell`].
pub use crate::report::shell::Shell as Output;

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
    init_logging(cli.verbose, color);
    let out = Output { color };
    let result = match &cli.command {
        Command::CheckCompat(args) => check_compat::run(&cli, args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Test(args) => test::run(&cli, args, out),
        Command::Register(args) => register::run(&cli, args, out),
        Command::Subjects(args) => subjects::run(&cli, args, out),
        Command::Show(args) => show::run(&cli, args, out),
        Command::Pull(args) => pull::run(&cli, args, out),
        Command::Init(args) => init::run(&cli, args, out),
        Command::Delete(args) => delete::run(&cli, args, out),
        Command::Config(args) => config::run(&cli, args, out),
        Command::Registry(RegistryCommand::Serve(args)) => registry_serve::run(args, out),
        Command::Validate(args) => validate::run(&cli, args, out),
        Command::Simulate(args) => simulate::run_command(&cli, args, out),
        Command::Audit(args) => audit::run_command(&cli, args, out),
        Command::Report(args) => report_merge::run(args, out),
        Command::Demo(args) => demo::run(&cli, args, out),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(exit) => exit,
        Err(Failure::Input(e)) => {
            crate::report::shell::error(format_args!("{e:#}"));
            Exit::Usage
        }
        Err(Failure::Infrastructure(e)) => {
            crate::report::shell::error(format_args!("{e:#}"));
            Exit::Infrastructure
        }
    }
}

/// Writes `outcome` to stdout in `format` and returns the exit code it earns. A reader that
/// stopped reading (`| head`) does not change the verdict.
fn finish<O: crate::report::Render>(outcome: &O, format: Format, out: Output) -> Outcome {
    crate::report::render(outcome, format, out.color, &mut out.stdout()).input()?;
    Ok(outcome.exit())
}

/// Sends log lines to stderr at the level `-v` asks for.
fn init_logging(verbose: u8, color: bool) {
    let filter = match verbose {
        0 => return,
        1 => "schemactl=debug",
        2 => "schemactl=trace,reqwest=debug,hyper_util=debug",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_ansi(color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

/// The `--format` flag as every reporting command takes it.
#[derive(Debug, clap::Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportError;

    /// A library error reaches its exit code through `Failure::from` alone: the error's own
    /// classification, not the command's.
    #[test]
    fn library_errors_become_the_failure_their_class_says() {
        let bad_url = Failure::from(TransportError::Config("bad MQTT URL".into()));
        assert!(matches!(bad_url, Failure::Input(ref e) if e.to_string() == "bad MQTT URL"));
        let down = Failure::from(TransportError::Connect("no broker".into()));
        assert!(matches!(down, Failure::Infrastructure(_)));
        let registry_down = Failure::from(crate::demo::DemoRunError::Register(
            crate::validate::resolver::LookupError::Down,
        ));
        assert!(matches!(registry_down, Failure::Infrastructure(_)));
        let no_schema = Failure::from(crate::demo::DemoRunError::Register(
            crate::validate::resolver::LookupError::MissingReference {
                name: "location.json".into(),
                subject: "location-value".into(),
                version: 2,
            },
        ));
        assert!(matches!(no_schema, Failure::Input(_)));
    }
}
