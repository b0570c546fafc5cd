//! Which data-contract rules the audit evaluates on a payload: the rule set of the schema
//! version the payload was judged by, when the contract's history holds one for it, else the
//! newest version's (and the scorecard says so).

use crate::catalog::{CatalogError, Contract};
use crate::validate::rules::RuleEngine;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The compiled rule sets of a contract's versions.
#[derive(Clone, Debug, Default)]
pub struct RuleSets {
    /// The newest version and its rules.
    newest: Option<(i32, Arc<RuleEngine>)>,
    /// Older versions whose rule set the history holds.
    older: BTreeMap<i32, Arc<RuleEngine>>,
}

/// The rules that apply to one payload.
#[derive(Clone, Copy, Debug)]
pub struct Applied<'a> {
    /// The rules.
    pub rules: &'a RuleEngine,
    /// The version whose rules they are, when that is not the version the payload was judged
    /// by (the history holds no rule set for that one).
    pub borrowed_from: Option<i32>,
}

impl RuleSets {
    /// No rules at all.
    pub fn none() -> RuleSets {
        RuleSets::default()
    }

    /// The newest version's rules (the contract's `[[rules]]`).
    pub fn new(newest_version: i32, rules: RuleEngine) -> RuleSets {
        RuleSets {
            newest: Some((newest_version, Arc::new(rules))),
            older: BTreeMap::new(),
        }
    }

    /// Adds the rule set the history holds for an older version.
    pub fn with_version(mut self, version: i32, rules: RuleEngine) -> RuleSets {
        self.older.insert(version, Arc::new(rules));
        self
    }

    /// A contract's rule sets: its `[[rules]]` (or the newest `vN.rules.json`) are the newest
    /// version's; an older version has the rule set its `vN.rules.json` holds (even an empty
    /// one), each compiled against that version's schema. An older version without such a file
    /// holds none, and is checked against the newest's ([`Applied::borrowed_from`]).
    pub fn of_contract(contract: &Contract) -> Result<RuleSets, CatalogError> {
        let history = crate::catalog::load_history(&contract.schemas)?;
        let Some(newest) = history.last() else {
            return Ok(RuleSets::none());
        };
        let compile = |rules: &[crate::catalog::Rule],
                       schema: &crate::catalog::SchemaFile,
                       metadata: Option<&crate::catalog::Metadata>,
                       file: &std::path::Path| {
            RuleEngine::new(rules, schema.schema.document(), metadata).map_err(|(name, e)| {
                CatalogError::Contract {
                    path: file.to_path_buf(),
                    message: format!("rule \"{name}\": {e}"),
                }
            })
        };
        let mut sets = RuleSets::new(
            newest.version as i32,
            compile(
                &contract.rules,
                newest,
                contract.metadata.as_ref(),
                &contract.file,
            )?,
        );
        let written = crate::catalog::rule_history::rule_sets(contract, newest.version)?;
        for (schema, rules) in history.iter().zip(&written) {
            let Some(source) = &rules.source else {
                continue;
            };
            if schema.version == newest.version {
                continue;
            }
            let engine = compile(
                &rules.rules(),
                schema,
                rules.typed_metadata().as_ref(),
                source,
            )?;
            sets = sets.with_version(schema.version as i32, engine);
        }
        Ok(sets)
    }

    /// Whether no version has a rule to evaluate.
    pub fn is_empty(&self) -> bool {
        self.newest.as_ref().is_none_or(|(_, r)| r.is_empty())
            && self.older.values().all(|r| r.is_empty())
    }

    /// The rules for a payload judged by schema `version` (none when nothing is evaluated).
    pub fn for_version(&self, version: i32) -> Option<Applied<'_>> {
        if let Some(rules) = self.older.get(&version) {
            return (!rules.is_empty()).then_some(Applied {
                rules,
                borrowed_from: None,
            });
        }
        let (newest, rules) = self.newest.as_ref()?;
        (!rules.is_empty()).then_some(Applied {
            rules,
            borrowed_from: (*newest != version).then_some(*newest),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_versions_borrow_the_newest_rules_unless_the_history_holds_theirs() {
        let contract =
            crate::catalog::load_contract(std::path::Path::new("."), "generator").unwrap();
        let sets = RuleSets::of_contract(&contract).unwrap();
        assert!(!sets.is_empty());
        let newest = sets.for_version(3).expect("v3 has rules");
        assert_eq!((newest.rules.len(), newest.borrowed_from), (3, None));
        let v1 = sets
            .for_version(1)
            .expect("v1 is checked against v3's rules");
        assert_eq!(v1.borrowed_from, Some(3));
        let empty = RuleEngine::new(&[], &serde_json::json!({}), None).unwrap();
        let sets = sets.with_version(1, empty);
        assert!(sets.for_version(1).is_none(), "v1's own (empty) rule set");
        assert!(RuleSets::none().for_version(3).is_none());
    }

    #[test]
    fn a_rule_set_the_history_holds_is_the_versions_own() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("contracts")).unwrap();
        std::fs::create_dir_all(root.join("schemas/generator")).unwrap();
        for v in 1..=3 {
            std::fs::copy(
                format!("schemas/generator/v{v}.json"),
                root.join(format!("schemas/generator/v{v}.json")),
            )
            .unwrap();
        }
        std::fs::copy(
            "contracts/generator.toml",
            root.join("contracts/generator.toml"),
        )
        .unwrap();
        // v2 was registered with one rule of its own; v1 with none written down.
        std::fs::write(
            root.join("schemas/generator/v2.rules.json"),
            r#"{"ruleSet": {"domainRules": [{"name": "fuel_under_5000", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL", "expr": "message.fuel < 5000"}]}}"#,
        )
        .unwrap();
        let contract = crate::catalog::load_contract(root, "generator").unwrap();
        let sets = RuleSets::of_contract(&contract).unwrap();
        let v2 = sets.for_version(2).expect("v2's own rules");
        assert_eq!((v2.rules.len(), v2.borrowed_from), (1, None));
        let failed = v2.rules.check(&serde_json::json!({"fuel": 9000}));
        assert_eq!(failed[0].rule, "fuel_under_5000");
        assert_eq!(sets.for_version(1).unwrap().borrowed_from, Some(3));
    }
}
