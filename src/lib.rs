//! schemactl: schema governance and contract testing for IoT telemetry over MQTT and Kafka,
//! with JSON Schemas in a Confluent Schema Registry.
//!
//! # Layout
//! Data flows one way: files → registry → engine → validation → transports → report.
//! - [`catalog`]: `schemas/` and `contracts/` on disk (schema histories, contracts, git bases).
//! - [`config`]: `schemactl.toml` and the environment (registry URL, credentials, TLS).
//! - [`registry`]: the Confluent Schema Registry REST client and wire types, and
//!   [`registry::server`], the embedded registry (`schemactl registry serve`: REST routes over an
//!   in-memory index and SQLite).
//! - [`compat`]: the compatibility engine; pure functions over parsed schemas.
//! - [`schema_diff`]: `schemactl diff`, two schema files and their rule sets compared both ways.
//! - [`gate`]: the CI gate behind `check-compat` (files or a registry subject → a typed
//!   outcome), and the gate's own finding ids.
//! - [`validate`]: payloads checked against schemas; Confluent's wire format; schema ids
//!   resolved through the registry and cached; [`validate::offline`], `schemactl validate`.
//! - [`contract_test`]: `schemactl test`, the offline contract tests of every contract.
//! - [`transport`]: MQTT and Kafka sources (sniffing) and sinks (the simulator); raw bytes only.
//! - [`audit`]: both transports → checks → attribution → per-producer scorecard;
//!   [`audit::merge`], `schemactl report merge`.
//! - [`simulate`]: the reference compliant fleet and its misbehaving producers.
//! - [`demo`]: everything in one process on loopback (registry, MQTT broker, Kafka mock
//!   cluster) for `schemactl demo`.
//! - [`report`]: rendering, the output layer (stdout, colour, the broken-pipe policy): a use
//!   case's typed outcome ([`report::Render`]) as JSON (its serde form), text, JUnit, SARIF,
//!   GitHub annotations, markdown, or (audits) html.
//! - [`cli`]: one module per command; the only place that prints and maps errors to exit codes.

pub mod audit;
pub mod capture;
pub mod catalog;
pub mod cli;
pub mod compat;
pub mod config;
pub mod contract_test;
pub mod demo;
pub mod gate;
pub mod producer;
pub mod registry;
pub mod replay;
pub mod report;
pub mod schema_diff;
pub mod simulate;
pub mod transport;
pub mod validate;

/// An error that says which exit code it earns: [`Exit::Usage`] when the input is wrong,
/// [`Exit::Infrastructure`] when something outside (a registry, a broker, the disk) failed us.
/// Every library error a command can end with implements it, each variant classified once
/// beside its message, so the command layer turns any of them into its exit code without
/// deciding anything (`cli::Failure: From<E>`).
pub trait Classified: std::error::Error + Send + Sync + 'static {
    /// The exit code this error earns.
    fn exit(&self) -> Exit;
}

/// The process exit codes, the same for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked passed.
    Pass = 0,
    /// The check ran and found problems (incompatible, violations).
    Findings = 1,
    /// The command line or an input file is wrong.
    Usage = 2,
    /// A registry or broker could not be reached, or refused us.
    Infrastructure = 3,
}
