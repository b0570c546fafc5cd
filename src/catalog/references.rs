//! Contract references resolved: a history version's `[references]` name versions of other
//! contracts, which may name others in turn. They are followed once each, depth first, so a
//! cycle is found and named, and a chain of a thousand costs a thousand steps; the schemas
//! found are flattened by reference name, as Confluent's registry hands them to its loader.

use super::history::{
    SchemaFile, load_history, load_history_with, newest_version, parse_schema_text_with,
};
use super::{CatalogError, Contract, ContractReference};
use crate::compat::ResolvedReferences;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One reference of a history version, resolved: what `register` sends to the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedReference {
    /// The name `$ref`s use.
    pub name: String,
    /// The referenced contract.
    pub contract: String,
    /// Its subject.
    pub subject: String,
    /// The referenced contract's history version.
    pub version: u32,
    /// That version's schema file.
    pub path: PathBuf,
    /// That version's schema text.
    pub text: String,
}

/// A contract version: `(contract name, history version)`.
type Key = (String, u32);

impl Contract {
    /// The history, oldest first, each version parsed with the schemas its references name.
    pub fn history(&self) -> Result<Vec<SchemaFile>, CatalogError> {
        if self.references.is_empty() {
            return load_history(&self.schemas);
        }
        let mut resolver = Resolver::new(self);
        let files = load_history_with(&self.schemas, &mut |path, text, version| {
            let (direct, resolved) = resolver.resolve(version)?;
            let mut file = parse_schema_text_with(path, text, version, resolved)?;
            file.references = direct;
            Ok(file)
        })?;
        if let Some(&v) = self.references.keys().next_back()
            && v as usize > files.len()
        {
            return Err(CatalogError::Contract {
                path: self.file.clone(),
                message: format!(
                    "[references] v{v}: the history has no version {v} (it ends at v{})\nhelp: name the history version whose schema uses the references",
                    files.len()
                ),
            });
        }
        Ok(files)
    }

    /// A proposed next version read from `path`, with the references of the newest version
    /// of the history (a proposal replaces it).
    pub fn read_proposal(&self, path: &Path) -> Result<SchemaFile, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if self.references.is_empty() {
            return parse_schema_text_with(path, text, 0, ResolvedReferences::default());
        }
        let newest = newest_version(&self.schemas)?;
        let (direct, resolved) = Resolver::new(self).resolve(newest)?;
        let mut file = parse_schema_text_with(path, text, 0, resolved)?;
        file.references = direct;
        Ok(file)
    }
}

struct Resolver<'a> {
    contract: &'a Contract,
    /// Contracts loaded so far, by name.
    contracts: HashMap<String, Contract>,
    /// Schema texts and documents read so far.
    schemas: HashMap<Key, (PathBuf, String, serde_json::Value)>,
}

impl<'a> Resolver<'a> {
    fn new(contract: &'a Contract) -> Resolver<'a> {
        Resolver {
            contract,
            contracts: HashMap::new(),
            schemas: HashMap::new(),
        }
    }

    fn err(&self, message: String) -> CatalogError {
        CatalogError::Contract {
            path: self.contract.file.clone(),
            message,
        }
    }

    fn load(&mut self, name: &str) -> Result<&Contract, CatalogError> {
        if name == self.contract.name {
            return Ok(self.contract);
        }
        if !self.contracts.contains_key(name) {
            let c = super::load_contract(&self.contract.root, name).map_err(|e| {
                self.err(format!(
                    "[references]: contract \"{name}\" cannot be used: {e}"
                ))
            })?;
            self.contracts.insert(name.to_string(), c);
        }
        Ok(&self.contracts[name])
    }

    fn references_of(&mut self, key: &Key) -> Result<Vec<ContractReference>, CatalogError> {
        Ok(self
            .load(&key.0)?
            .references
            .get(&key.1)
            .cloned()
            .unwrap_or_default())
    }

    /// Reads version `key.1` of contract `key.0`.
    fn schema(&mut self, key: &Key, by: &Key) -> Result<(), CatalogError> {
        if self.schemas.contains_key(key) {
            return Ok(());
        }
        let dir = self.load(&key.0)?.schemas.clone();
        let path = dir.join(format!("v{}.json", key.1));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.err(format!(
                "[references] v{} of \"{}\": contract \"{}\" has no version {} ({}: {e})\nhelp: reference a version in its history",
                by.1,
                by.0,
                key.0,
                key.1,
                path.display()
            ))
        })?;
        let doc = serde_json::from_str(&text).map_err(|e| CatalogError::Schema {
            path: path.clone(),
            message: format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        })?;
        self.schemas.insert(key.clone(), (path, text, doc));
        Ok(())
    }

    /// The direct references of `version` of the contract, and every schema they lead to.
    fn resolve(
        &mut self,
        version: u32,
    ) -> Result<(Vec<ResolvedReference>, ResolvedReferences), CatalogError> {
        let root: Key = (self.contract.name.clone(), version);
        let mut flat = ResolvedReferences::default();
        let mut names: HashMap<String, Key> = HashMap::new();
        let mut done: HashSet<Key> = HashSet::new();
        let mut on_path: Vec<Key> = vec![root.clone()];
        // Depth first without recursion: each frame is a version and its next reference.
        let mut frames: Vec<(Vec<ContractReference>, usize)> =
            vec![(self.references_of(&root)?, 0)];
        while let Some((refs, next)) = frames.last_mut() {
            let Some(r) = refs.get(*next).cloned() else {
                frames.pop();
                if let Some(key) = on_path.pop() {
                    done.insert(key);
                }
                continue;
            };
            *next += 1;
            let by = on_path.last().cloned().unwrap_or_else(|| root.clone());
            let target: Key = (r.contract.clone(), r.version);
            if let Some(at) = on_path.iter().position(|k| *k == target) {
                let chain = on_path[at..]
                    .iter()
                    .chain(std::iter::once(&target))
                    .map(|(c, v)| format!("{c} v{v}"))
                    .collect::<Vec<_>>()
                    .join(" -> ");
                return Err(self.err(format!(
                    "[references]: a reference cycle: {chain}\nhelp: a schema cannot depend on itself through references; move the shared part into a contract of its own"
                )));
            }
            match names.get(&r.name) {
                Some(other) if *other != target => {
                    return Err(self.err(format!(
                        "[references]: the reference name \"{}\" is used twice, for {} v{} and {} v{}\nhelp: give each referenced schema its own name (names are one namespace across all the references a schema reaches)",
                        r.name, other.0, other.1, target.0, target.1
                    )));
                }
                Some(_) => {}
                None => {
                    self.schema(&target, &by)?;
                    flat.insert(&r.name, self.schemas[&target].2.clone());
                    names.insert(r.name.clone(), target.clone());
                }
            }
            if !done.contains(&target) {
                let refs = self.references_of(&target)?;
                on_path.push(target);
                frames.push((refs, 0));
            }
        }
        let direct = self
            .contract
            .references
            .get(&version)
            .cloned()
            .unwrap_or_default();
        let mut resolved = Vec::with_capacity(direct.len());
        for r in direct {
            let key = (r.contract.clone(), r.version);
            let subject = self.load(&r.contract)?.subject.clone();
            let (path, text, _) = &self.schemas[&key];
            resolved.push(ResolvedReference {
                name: r.name,
                contract: r.contract,
                subject,
                version: r.version,
                path: path.clone(),
                text: text.clone(),
            });
        }
        Ok((resolved, flat))
    }
}
