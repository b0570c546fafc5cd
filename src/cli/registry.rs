//! What the registry commands share: the flags (and [`RegistryArgs`], which `audit` and
//! `simulate` take too), opening a session, and mapping registry errors to exit codes (refused
//! or unreachable: 3; the user's input: 2).

use super::{Classify, Cli, Failure};
use crate::config::Config;
use crate::registry::model::codes;
use crate::registry::{RegistryClient, RegistryError};
use std::future::Future;

/// Where the schema registry is, as every command that talks to one takes it: `--registry URL`,
/// else `$SCHEMA_REGISTRY_URL`, else url under [registry] in schemactl.toml (whose credentials
/// and TLS settings apply either way).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RegistryArgs {
    /// Schema Registry URL [default: $SCHEMA_REGISTRY_URL, else url under [registry] in
    /// schemactl.toml].
    // A heading on the argument, not `next_help_heading` on the struct: that one would carry
    // over to the flags that follow the flattened struct (`--format`).
    #[arg(long, value_name = "URL", help_heading = "Schema registry")]
    pub registry: Option<String>,
}

/// The flags of the commands whose only service is the registry: where it is, and how long one
/// request may take (`audit` and `simulate` have a `--timeout` of their own, brokers included).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SessionArgs {
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Seconds one registry request may take [default: 10, or timeout_secs under [registry]].
    #[arg(long, value_name = "SECONDS", help_heading = "Schema registry")]
    pub timeout: Option<f64>,
}

/// Text for people or one JSON document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// Lines for a person.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// A registry client with the runtime that drives it.
pub struct Session {
    /// The client.
    pub client: RegistryClient,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    /// Resolves flags, environment and config file, and builds the client.
    pub fn open(cli: &Cli, url: Option<&str>, timeout: Option<f64>) -> Result<Session, Failure> {
        let config = Config::load(&cli.root, cli.config.as_deref())?;
        let settings = config
            .registry
            .with_url_flag(url)
            .with_timeout_flag(timeout)
            .input()?;
        let client = RegistryClient::new(&settings)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .infra()?;
        Ok(Session { client, runtime })
    }

    /// Opens a session from the common flags.
    pub fn from_args(cli: &Cli, args: &SessionArgs) -> Result<Session, Failure> {
        Session::open(cli, args.registry.registry.as_deref(), args.timeout)
    }

    /// Runs registry calls to completion.
    pub fn run<F: Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }
}

/// A registry error as the command's failure ([`Failure::from`]), but says plainly when the
/// subject or version does not exist.
pub fn missing(e: RegistryError, client: &RegistryClient, subject: &str) -> Failure {
    let what = if e.is_code(&[codes::SUBJECT_NOT_FOUND, codes::SUBJECT_SOFT_DELETED]) {
        format!(
            "subject \"{subject}\" not found at {}\nhelp: list subjects with `schemactl subjects`",
            client.url()
        )
    } else if e.is_code(&[codes::VERSION_NOT_FOUND, codes::VERSION_SOFT_DELETED]) {
        format!(
            "subject \"{subject}\" has no such version at {} ({})\nhelp: list its versions with `schemactl subjects --prefix {subject}`",
            client.url(),
            e.message().unwrap_or_default()
        )
    } else {
        return e.into();
    };
    Failure::Input(anyhow::anyhow!(what))
}

/// Parses `SUBJECT[@VERSION]`. A suffix that is not a version stays part of the subject, since
/// subjects may contain `@`.
pub fn subject_at(text: &str) -> (String, Option<crate::registry::model::VersionRef>) {
    if let Some((subject, version)) = text.rsplit_once('@')
        && !subject.is_empty()
        && let Ok(v) = version.parse()
    {
        return (subject.to_string(), Some(v));
    }
    (text.to_string(), None)
}

/// Writes a command's outcome to stdout as one JSON document, under the one broken-pipe
/// policy ([`crate::report::shell`]): when the reader has gone (`schemactl show S | head`), the
/// rest of the output is dropped and the command ends with its own exit code.
pub fn print_json(doc: &impl serde::Serialize) -> Result<(), Failure> {
    crate::report::json_document(doc, &mut crate::report::shell::PipeSafe).input()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::VersionRef;
    use crate::registry::shorten;

    #[test]
    fn long_registry_messages_are_shortened_by_characters() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(
            shorten("ééééé", 2),
            "éé… (3 more characters; --format json has them all)"
        );
    }

    #[test]
    fn subject_and_version_split_only_on_a_real_version() {
        assert_eq!(subject_at("a-value"), ("a-value".into(), None));
        assert_eq!(
            subject_at("a-value@3"),
            ("a-value".into(), Some(VersionRef::Number(3)))
        );
        assert_eq!(
            subject_at("a@b@latest"),
            ("a@b".into(), Some(VersionRef::Latest))
        );
        assert_eq!(
            subject_at("user@example.com"),
            ("user@example.com".into(), None)
        );
        assert_eq!(subject_at("@3"), ("@3".into(), None));
    }
}
