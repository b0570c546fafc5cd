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
    MqttSpec, NewestSchema,
};
pub use history::{
    SchemaFile, load_history, parse_schema_text, parse_schema_text_with, read_schema_file,
};
pub use reading_model::{
    At, FieldKind, FieldModel, Numbers, Range, ReadingModel, ReadingModelError,
};
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
    /// A contract's `[simulator]` table cannot make a fleet.
    #[error("{path}: {source}")]
    ReadingModel {
        /// The contract file.
        path: PathBuf,
        /// What is wrong, with line and column when known (boxed: it is large, and rare).
        source: Box<ReadingModelError>,
    },
    /// A file a contract draws on (a rule-set file) is wrong, or conflicts with the contract.
    #[error("{path}: {source}")]
    InContract {
        /// The contract file.
        path: PathBuf,
        /// What is wrong.
        source: Box<CatalogError>,
    },
    /// The contract's `[[rules]]`/`[metadata]` and the newest version's `vN.rules.json` both
    /// give that version's rule set.
    #[error(
        "both [[rules]]/[metadata] and {path} give the rule set of v{version}, the newest version\nhelp: keep one: the contract's [[rules]] are the newest version's, and vN.rules.json files hold the rule sets earlier versions were registered with"
    )]
    TwoRuleSets {
        /// The rule-set file.
        path: PathBuf,
        /// The newest version.
        version: u32,
    },
    /// A schema file does not compile into a payload validator.
    #[error("{path}: {source}")]
    DoesNotCompile {
        /// The schema file.
        path: PathBuf,
        /// Why (boxed: it is large, and rare).
        source: Box<crate::validate::ValidatorError>,
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
    /// No contract name given, and the catalog holds none to pick.
    #[error("no contracts in {}", dir.display())]
    NoContracts {
        /// Where we looked.
        dir: PathBuf,
    },
    /// No contract name given, and the catalog holds several.
    #[error("several contracts ({names}): name one with --contract")]
    SeveralContracts {
        /// Their names, comma-separated.
        names: String,
    },
    /// A contract's history folder holds no schema version.
    #[error("{} holds no schema", dir.display())]
    EmptyHistory {
        /// The contract's `schemas` folder.
        dir: PathBuf,
    },
    /// A git operation for `--base` failed.
    #[error("git: {0}")]
    Git(String),
}

/// The catalog under one folder (the one holding `contracts/` and `schemas/`): where a command
/// finds the contract it works on.
#[derive(Clone, Debug)]
pub struct Catalog {
    root: PathBuf,
}

impl Catalog {
    /// The catalog whose `contracts/` and `schemas/` are in `root`.
    pub fn at(root: impl Into<PathBuf>) -> Catalog {
        Catalog { root: root.into() }
    }

    /// The folder holding `contracts/` and `schemas/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every contract, sorted by name.
    pub fn contracts(&self) -> Result<Vec<Contract>, CatalogError> {
        load_contracts(&self.root)
    }

    /// The contract named, or, when no name is given, the only one there is (several are an
    /// error that names them).
    pub fn contract(&self, name: Option<&str>) -> Result<Contract, CatalogError> {
        if let Some(name) = name {
            return load_contract(&self.root, name);
        }
        let mut all = self.contracts()?;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(CatalogError::NoContracts {
                dir: self.root.join("contracts"),
            }),
            _ => Err(CatalogError::SeveralContracts {
                names: all
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

impl crate::Classified for CatalogError {
    /// The exit code: every catalog error is the input's fault (a file, a contract, a git ref).
    fn exit(&self) -> crate::Exit {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog folder holding the given contracts, each with a one-version history.
    fn catalog_with(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("contracts")).unwrap();
        for name in names {
            let schemas = dir.path().join("schemas").join(name);
            std::fs::create_dir_all(&schemas).unwrap();
            std::fs::write(schemas.join("v1.json"), r#"{"type": "object"}"#).unwrap();
            std::fs::write(
                dir.path().join("contracts").join(format!("{name}.toml")),
                format!("subject = \"{name}-value\"\nschemas = \"schemas/{name}\"\n"),
            )
            .unwrap();
        }
        dir
    }

    #[test]
    fn the_only_contract_is_picked_and_several_are_named() {
        let one = catalog_with(&["generator"]);
        let picked = Catalog::at(one.path()).contract(None).unwrap();
        assert_eq!(picked.name, "generator");
        assert_eq!(picked.newest(64).unwrap().version, 1);

        let two = catalog_with(&["b", "a"]);
        let err = Catalog::at(two.path()).contract(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "several contracts (a, b): name one with --contract"
        );
        assert_eq!(
            Catalog::at(two.path()).contract(Some("b")).unwrap().name,
            "b"
        );

        let none = catalog_with(&[]);
        let err = Catalog::at(none.path()).contract(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no contracts in {}",
                none.path().join("contracts").display()
            )
        );
    }

    #[test]
    fn a_history_without_versions_has_no_newest_schema() {
        let dir = catalog_with(&["generator"]);
        let contract = Catalog::at(dir.path()).contract(None).unwrap();
        // Gone after the contract was read (a contract is not read without a version).
        std::fs::remove_file(dir.path().join("schemas/generator/v1.json")).unwrap();
        let err = contract.newest(64).err().expect("no newest schema");
        let folder = dir.path().join("schemas/generator").display().to_string();
        assert!(err.to_string().starts_with(&folder), "{err}");
    }
}
