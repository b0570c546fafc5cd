//! `--base REF`: published versions are immutable. The history on disk is compared with the one
//! at a git ref; a version edited or deleted since, or whose rule set changed, is a finding.

use super::rules::Rule;
use crate::catalog::{self, CatalogError, Contract, rule_history};
use crate::report::{Case, Item};
use serde::Serialize;
use std::path::PathBuf;

/// The published versions checked, and what changed among them.
#[derive(Clone, Debug, Serialize)]
pub struct Published {
    /// The git ref.
    pub base: String,
    /// The version numbers published at `base`.
    pub versions: Vec<u32>,
    /// Each version edited or deleted since.
    pub findings: Vec<PublishedFinding>,
}

/// One published version that changed.
#[derive(Clone, Debug, Serialize)]
pub struct PublishedFinding {
    /// [`Rule::VersionDeleted`], [`Rule::VersionRewritten`] or [`Rule::RulesRewritten`].
    #[serde(rename = "type")]
    pub rule: Rule,
    /// The version's file.
    pub file: String,
    /// One sentence.
    pub message: String,
    /// What to do.
    #[serde(skip)]
    pub help: String,
}

impl Published {
    /// Compares the contract's history (schemas and rule sets) with the one at `base`.
    pub fn check(contract: &Contract, base: &str) -> Result<Published, CatalogError> {
        let dir = &contract.schemas;
        let published = catalog::git::history_at(dir, base)?;
        let mut findings = Vec::new();
        let mut versions = Vec::new();
        for old in &published {
            let path = dir.join(format!("v{}.json", old.version));
            let file = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Err(_) => findings.push(PublishedFinding {
                    rule: Rule::VersionDeleted,
                    message: format!("version {} was published at {base} and is gone", old.version),
                    help: "restore the file: published versions are immutable; add a new version instead".into(),
                    file,
                }),
                Ok(now) if now != old.text => findings.push(PublishedFinding {
                    rule: Rule::VersionRewritten,
                    message: format!("version {} was published at {base} and has been edited in place", old.version),
                    help: format!("restore it (`git checkout {base} -- {file}`) and put the change in a new version"),
                    file,
                }),
                Ok(_) => {}
            }
            versions.push(old.version);
        }
        // A registered rule set is published as its schema is: see catalog::rule_history.
        for r in rule_history::rewritten_since(contract, base)? {
            let shown = |p: &Option<PathBuf>| {
                p.as_ref()
                    .map_or_else(|| "nowhere".to_string(), |p| p.display().to_string())
            };
            let file = r
                .now_in
                .clone()
                .unwrap_or_else(|| rule_history::rules_path(dir, r.version));
            findings.push(PublishedFinding {
                rule: Rule::RulesRewritten,
                file: file.display().to_string(),
                message: format!(
                    "version {}'s rule set was published at {base} ({} rule(s), in {}) and has been changed in place ({} rule(s), in {})",
                    r.version,
                    r.was,
                    shown(&r.was_in),
                    r.now,
                    shown(&r.now_in)
                ),
                help: format!(
                    "keep v{v}'s rule set as it was (in {}), and put new rules in a new version: copy v{v}.json to the next vN.json and give the contract's [[rules]] to that one",
                    rule_history::rules_path(dir, r.version).display(),
                    v = r.version
                ),
            });
        }
        Ok(Published {
            base: base.to_string(),
            versions,
            findings,
        })
    }

    /// Whether every published version is unchanged.
    pub fn unchanged(&self) -> bool {
        self.findings.is_empty()
    }

    /// The report's check.
    pub fn case(&self) -> Case {
        Case::new(
            format!("published versions unchanged since {}", self.base),
            self.findings
                .iter()
                .map(|f| -> Item {
                    f.rule
                        .item(f.file.clone(), f.message.clone(), Some(f.help.clone()))
                })
                .collect(),
        )
    }
}
