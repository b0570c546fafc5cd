//! What can stop the gate before it reaches a verdict, and which exit code each earns.

use crate::Exit;
use crate::catalog::CatalogError;
use crate::registry::RegistryError;
use crate::validate::resolver::LookupError;
use std::path::PathBuf;
use thiserror::Error;

/// Why the gate could not check a proposal (a verdict, even "incompatible", is not an error).
#[derive(Debug, Error)]
pub enum GateError {
    /// A schema file, contract or history could not be read or parsed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The registry could not be reached, refused us, or refused the request.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A metadata file (`--metadata`, `--against-metadata`) could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    MetadataUnreadable {
        /// The file.
        path: PathBuf,
        /// Why (not a `source`: the message already says it).
        reason: std::io::Error,
    },
    /// A metadata file is not valid JSON or not metadata.
    #[error("{}: {message}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// A registry version carries metadata that is not Confluent metadata.
    #[error("{origin}: metadata: {message}")]
    RegistryMetadata {
        /// `registry subject "S" version N`.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A registry version is not a JSON Schema.
    #[error(
        "subject \"{subject}\" version {version} is a {kind} schema; schemactl checks JSON Schema only"
    )]
    NotJsonSchema {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
        /// Its schema type (AVRO when the registry names none).
        kind: String,
    },
    /// The contract's history has no version to take as the proposal.
    #[error("empty history")]
    EmptyHistory,
    /// No proposal and no contract to take one from.
    #[error("name the proposed schema (NEW.json) with --against OLD.json, or use --contract NAME")]
    NoProposal,
    /// A proposal file with nothing to compare it with.
    #[error(
        "nothing to check {} against: pass --against OLD.json (repeat, oldest first) or --contract NAME",
        .0.display()
    )]
    NothingToCheckAgainst(PathBuf),
    /// A registry check without a proposal or a contract.
    #[error(
        "name the proposed schema: schemactl check-compat NEW.json --registry URL --subject SUBJECT"
    )]
    NoRegistryProposal,
    /// A registry check without a subject or a contract.
    #[error("name the registry subject with --subject SUBJECT, or use --contract NAME")]
    NoSubject,
    /// `--against-metadata` with a registry subject.
    #[error("--against-metadata is for files; registry versions carry their own metadata")]
    AgainstMetadataWithRegistry,
    /// A replay asked for with no earlier version to stand for today's.
    #[error("nothing to replay against: the contract's history has no version before the proposal")]
    NothingToReplayAgainst,
    /// A replay asked for without a contract.
    #[error(
        "--replay needs --contract NAME: the producers' identity pointer and today's newest version come from the contract"
    )]
    ReplayNeedsContract,
    /// A replay against a registry subject that has no version to stand for today's.
    #[error("nothing to replay against: subject \"{subject}\" has no version at {registry} today")]
    NoVersionToReplayAgainst {
        /// The subject.
        subject: String,
        /// The registry's URL.
        registry: String,
    },
    /// The registry listed a subject's versions as none, after saying it has some.
    #[error("subject \"{subject}\" returned no version")]
    NoVersionReturned {
        /// The subject.
        subject: String,
    },
    /// A registry version carries a ruleSet that is not Confluent's.
    #[error("{origin}: ruleSet: {message}")]
    RegistryRuleSet {
        /// `registry subject "S" version N`.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A schema of the replay cannot be compiled into a payload validator.
    #[error("{}: {message}", path.display())]
    ReplaySchema {
        /// The schema's file (or registry version).
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A data-contract rule of the replay cannot be compiled.
    #[error("{origin}: rule \"{rule}\": {message}")]
    ReplayRule {
        /// Where the rules come from.
        origin: String,
        /// The rule.
        rule: String,
        /// Why.
        message: String,
    },
    /// A replay file cannot be opened.
    #[error("cannot read replay file {}: {reason}", path.display())]
    ReplayFile {
        /// The file.
        path: PathBuf,
        /// Why (not a `source`: the message already says it).
        reason: std::io::Error,
    },
    /// A replay file cannot be read as a capture or JSON lines (the message names the file
    /// and line).
    #[error("{0}")]
    ReplayInput(String),
    /// A registry version's references could not be resolved through the registry.
    #[error("registry subject \"{subject}\" version {version}: {error}")]
    RegistryReferences {
        /// The subject.
        subject: String,
        /// The version whose references failed.
        version: i32,
        /// What failed (not a `source`: the message already quotes it).
        error: LookupError,
    },
    /// A proposal's reference names a contract version the registry does not hold yet.
    #[error(
        "reference \"{name}\": version {version} of contract {contract} is not registered under subject \"{subject}\"\nhelp: register it first (schemactl register --contract {contract})"
    )]
    ReferenceNotRegistered {
        /// The reference's name.
        name: String,
        /// The contract version it names.
        version: u32,
        /// The contract.
        contract: String,
        /// The subject it would be registered under.
        subject: String,
    },
}

impl crate::Classified for GateError {
    /// The exit code: 2 when the input is wrong, 3 when the registry failed us.
    fn exit(&self) -> Exit {
        match self {
            GateError::Registry(e) => e.exit(),
            // A reference the registry could not be asked for is infrastructure; one it does
            // not hold is the input's.
            GateError::RegistryReferences { error, .. } => error.exit(),
            // The registry answered against itself: the registry's fault, not the input's.
            GateError::NoVersionReturned { .. } => Exit::Infrastructure,
            _ => Exit::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;

    #[test]
    fn input_errors_exit_2_and_an_unreachable_registry_exits_3() {
        let unreachable = RegistryError::Unreachable {
            url: "http://127.0.0.1:9".into(),
            op: "GET /config".into(),
            reason: "connection refused".into(),
            help: "start it".into(),
            connecting: true,
        };
        assert_eq!(GateError::from(unreachable).exit(), Exit::Infrastructure);
        assert_eq!(
            GateError::from(RegistryError::NotConfigured).exit(),
            Exit::Usage
        );
        assert_eq!(GateError::NoProposal.exit(), Exit::Usage);
        let missing = CatalogError::Git("unknown revision".into());
        assert_eq!(GateError::from(missing).exit(), Exit::Usage);
    }

    #[test]
    fn a_reference_the_registry_could_not_be_asked_for_exits_3() {
        let unreachable = RegistryError::Unreachable {
            url: "http://127.0.0.1:9".into(),
            op: "GET /subjects/location/versions/1".into(),
            reason: "connection refused".into(),
            help: "start it".into(),
            connecting: true,
        };
        let fetch = GateError::RegistryReferences {
            subject: "site-value".into(),
            version: 2,
            error: LookupError::from(unreachable),
        };
        assert_eq!(fetch.exit(), Exit::Infrastructure);
        assert!(
            fetch
                .to_string()
                .starts_with("registry subject \"site-value\" version 2: cannot reach"),
            "{fetch}"
        );
        let dangling = GateError::RegistryReferences {
            subject: "site-value".into(),
            version: 2,
            error: LookupError::MissingReference {
                name: "location.json".into(),
                subject: "location".into(),
                version: 7,
            },
        };
        assert_eq!(dangling.exit(), Exit::Usage);
    }

    #[test]
    fn a_replay_file_that_cannot_be_read_exits_2_and_a_registry_contradicting_itself_exits_3() {
        let missing = GateError::ReplayFile {
            path: "captured.jsonl".into(),
            reason: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(missing.exit(), Exit::Usage);
        assert!(
            missing
                .to_string()
                .starts_with("cannot read replay file captured.jsonl: "),
            "{missing}"
        );
        let none = GateError::NoVersionToReplayAgainst {
            subject: "s-value".into(),
            registry: "http://127.0.0.1:8081".into(),
        };
        assert_eq!(none.exit(), Exit::Usage);
        assert_eq!(
            none.to_string(),
            "nothing to replay against: subject \"s-value\" has no version at http://127.0.0.1:8081 today"
        );
        let contradicted = GateError::NoVersionReturned {
            subject: "s-value".into(),
        };
        assert_eq!(contradicted.exit(), Exit::Infrastructure);
    }

    #[test]
    fn a_wrapped_error_reads_as_the_original() {
        let e = GateError::from(CatalogError::Git("unknown revision".into()));
        assert_eq!(e.to_string(), "git: unknown revision");
    }
}
