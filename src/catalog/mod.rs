//! The catalog on disk: `contracts/*.toml` (one per data product) and the schema histories in
//! `schemas/<product>/v<N>.json` they point at.

mod contract;
pub mod git;
mod history;
pub mod init;
mod reading_model;
mod references;
pub mod rule_history;
mod rules;

pub use contract::{
    Contract, ContractReference, Example, ExpectedViolation, IdentitySpec, KafkaKey, KafkaSpec,
    MqttSpec,
};
pub use history::{
    SchemaFile, load_history, parse_schema_text, parse_schema_text_with, read_schema_file,
};
pub use reading_model::{FieldKind, FieldModel, Numbers, Range, ReadingModel};
pub use references::ResolvedReference;
pub use rule_history::VersionRules;
pub use rules::{KNOWN_TYPES, Metadata, Rule, RuleKind, RuleMode, RuleSet, rules_in_contract_text};

use std::path::{Path, PathBuf};
use thiserror::Error;

/// A problem with the catalog's files; always the input's fault.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A contract file is malformed.
    #[error("{path}: {message}")]
    Contract {
        /// The contract file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// A schema file is malformed.
    #[error("{path}: {message}")]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What is wrong, with line/column or JSON pointer.
        message: String,
    },
    /// No contract of that name.
    #[error("no contract named \"{name}\" in {dir} (have: {available})")]
    NoSuchContract {
        /// The name asked for.
        name: String,
        /// Where we looked.
        dir: PathBuf,
        /// The names found.
        available: String,
    },
    /// A git operation for `--base` failed.
    #[error("git: {0}")]
    Git(String),
}

impl CatalogError {
    /// The exit code: every catalog error is the input's fault (a file, a contract, a git ref).
    pub fn exit(&self) -> crate::Exit {
        crate::Exit::Usage
    }
}

/// Loads every contract in `<root>/contracts`, sorted by name.
pub fn load_contracts(root: &Path) -> Result<Vec<Contract>, CatalogError> {
    let dir = root.join("contracts");
    let entries = std::fs::read_dir(&dir).map_err(|source| CatalogError::Read {
        path: dir.clone(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Contract::load(root, p)).collect()
}

/// Loads one contract by name (the file stem in `contracts/`).
pub fn load_contract(root: &Path, name: &str) -> Result<Contract, CatalogError> {
    let path = if root == Path::new(".") {
        PathBuf::from("contracts")
    } else {
        root.join("contracts")
    }
    .join(format!("{name}.toml"));
    if path.is_file() {
        return Contract::load(root, &path);
    }
    let available = load_contracts(root)
        .map(|cs| {
            cs.iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Err(CatalogError::NoSuchContract {
        name: name.to_string(),
        dir: root.join("contracts"),
        available: if available.is_empty() {
            "none".into()
        } else {
            available
        },
    })
}
